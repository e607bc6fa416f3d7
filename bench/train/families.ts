// Owns: where training recordings come from when none are loaded: the scenario families of
// bench/recall/families (each with its training and test seeds) or, where that module is absent,
// the arena scenario on a few fixed seeds.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Recording } from '../recall/recording'
import { QUICK_SCENARIO, recordScenario } from '../recall/scenario'

/** A family of scenarios: a generator with its own training and test seeds. */
export interface ScenarioFamily {
  name: string
  description: string
  record(seed: number, quick?: boolean): Recording
  trainSeeds: readonly number[]
  testSeeds: readonly number[]
  extraTrainSeeds: readonly number[]
  validationSeeds: readonly number[]
}

/** The arena scenario (bench/recall/scenario.ts) as a family: 60 s per seed (20 s quick). */
export const ARENA_FAMILY: ScenarioFamily = {
  name: 'arena',
  description: 'the recall arena: wanderers, hit-and-run chasers, groups, projectiles, trading players',
  record: (seed, quick) => ({ ...recordScenario({ ...QUICK_SCENARIO, seed, seconds: quick ? 20 : 60 }), family: 'arena' }),
  trainSeeds: [1, 2, 3, 4],
  testSeeds: [101, 102],
  extraTrainSeeds: [5, 6],
  validationSeeds: [31, 32],
}

/** The built-in families: bench/recall/families when present, else the arena alone. */
export async function loadFamilies(): Promise<readonly ScenarioFamily[]> {
  const url = new URL('../recall/families/index.ts', import.meta.url)
  if (!existsSync(fileURLToPath(url))) return [ARENA_FAMILY]
  const mod = (await import(url.href)) as { FAMILIES?: readonly ScenarioFamily[] }
  return mod.FAMILIES !== undefined && mod.FAMILIES.length > 0 ? mod.FAMILIES : [ARENA_FAMILY]
}
