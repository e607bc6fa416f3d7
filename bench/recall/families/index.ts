import { arenaFamily } from './arena-family'
import { battleFamily } from './battle-family'
import { flightFamily } from './flight-family'
import { hubFamily } from './hub-family'
import { rangedFamily } from './ranged-family'
import type { ScenarioFamily } from './scenario-family'

/**
 * The scenario families the engine's defaults were chosen on (their training seeds) and the shipped
 * model was trained on (`npm run train` without `--load` records their training seeds), in report
 * order.
 */
export const FAMILIES: readonly ScenarioFamily[] = [arenaFamily, battleFamily, rangedFamily, hubFamily]

/**
 * Families added after the engine's defaults and the shipped model were fixed, to check that they
 * carry over to a kind of game nothing was chosen on: never tuned on, never trained on (none of
 * their seeds). `bench:recall` reports them after {@link FAMILIES}.
 */
export const HELD_OUT_FAMILIES: readonly ScenarioFamily[] = [flightFamily]

/** Every family `bench:recall` replays by default: {@link FAMILIES}, then {@link HELD_OUT_FAMILIES}. */
export const ALL_FAMILIES: readonly ScenarioFamily[] = [...FAMILIES, ...HELD_OUT_FAMILIES]

/** Whether the family named `name` is one of {@link HELD_OUT_FAMILIES}. */
export function isHeldOut(name: string): boolean {
  return HELD_OUT_FAMILIES.some((f) => f.name === name)
}

/** The family named `name` (held-out ones included), or undefined. */
export function familyByName(name: string): ScenarioFamily | undefined {
  return ALL_FAMILIES.find((f) => f.name === name)
}

export { arenaFamily, battleFamily, flightFamily, hubFamily, rangedFamily }
export type { ScenarioFamily }
