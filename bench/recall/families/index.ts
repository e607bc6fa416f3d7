import { arenaFamily } from './arena-family'
import { battleFamily } from './battle-family'
import { hubFamily } from './hub-family'
import { rangedFamily } from './ranged-family'
import type { ScenarioFamily } from './scenario-family'

/** Every scenario family of the recall bench, in report order. */
export const FAMILIES: readonly ScenarioFamily[] = [arenaFamily, battleFamily, rangedFamily, hubFamily]

/** The family named `name`, or undefined. */
export function familyByName(name: string): ScenarioFamily | undefined {
  return FAMILIES.find((f) => f.name === name)
}

export { arenaFamily, battleFamily, hubFamily, rangedFamily }
export type { ScenarioFamily }
