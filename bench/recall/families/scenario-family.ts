import type { Recording } from '../recording'

/** A kind of game situation the recall bench records, with its training and test seeds. */
export interface ScenarioFamily {
  /** Short name, e.g. `battle` (used by `--family`). */
  name: string
  /** One sentence on the situation. */
  description: string
  /** Records the scenario deterministically for `seed` (`quick`: smaller and shorter). */
  record(seed: number, quick?: boolean): Recording
  /** Seeds to tune on (disjoint from `testSeeds`). */
  trainSeeds: readonly number[]
  /** Seeds to report on. */
  testSeeds: readonly number[]
  /** More seeds to train on (`npm run train -- --more-seeds`), disjoint from the others. */
  extraTrainSeeds: readonly number[]
  /** Seeds to choose between training variants on: never trained on, never the reported result. */
  validationSeeds: readonly number[]
}
