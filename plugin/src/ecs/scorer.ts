// Owns: the scoring stage's contract: what a scorer (the built-in heads, or a learned model) is
// given and must write. The built-in scorer is in heads.ts; the learned one in learned/.
import type { AttentionComponents } from './components'

/**
 * What a custom scorer's missing or NaN score (and -Infinity) becomes: the lowest score, below
 * every real one (+Infinity becomes its negation). Stored as float32: `Math.fround(LOWEST_SCORE)`.
 */
export const LOWEST_SCORE = -3.4e38

/**
 * The scoring stage: a block of (observer, candidate) feature rows in, one score (logit) per row out.
 * The built-in scorer is a weighted sum of the heads; a learned model can replace it.
 */
export interface AttentionScorer {
  /** Writes `out[r]` for every row `r < rows` of `features` (row-major, `FEATURE_COUNT` wide (heads.ts)). Must not allocate. */
  score(features: Float32Array, rows: number, out: Float32Array): void
  /**
   * Optional: when present the system calls it instead of `score`, with the (observer, candidate)
   * pairs behind the rows, so that a scorer can read more than the feature row (raw geometry, ids).
   * Writes `out[r]` for every row of the batch. Must not allocate nor block. `explain` calls it too,
   * between ticks, with a batch of the one observer it explains.
   * @experimental
   */
  scoreBatch?(batch: ScorerBatch, out: Float32Array): void
  /** Optional: the score this scorer last gave the pair, for `explain` (null when it has none). @experimental */
  explainScore?(observer: number, entity: number): ExplainedScore | null
  /**
   * Optional: per-pair scores the system reads in its own row pass, instead of calling `score` or
   * `scoreBatch` after it (one pass over the rows, as with the built-in heads). A learned scorer
   * serves a model's earlier answer this way. They serve one system at a time: `createAttentionSystem`
   * throws when another system that is not disposed uses the same `pairScores` object (a scorer
   * without them may be shared).
   * @experimental
   */
  pairScores?: PairScores
}

/**
 * Scores kept per (observer, candidate) pair, e.g. a model's answer to an earlier tick's rows. Each
 * tick the system calls `begin`, then `load` per observer before writing its rows (a row gets the
 * pair's score when `load` gave one, else the built-in heads' score with `weights`), selects, and
 * calls `end` with the tick's rows. Every method runs inside the tick: allocation-free, never blocking.
 *
 * They are kept for one system's world (its entity ids), so they serve one system at a time: the
 * system created with them claims them, `createAttentionSystem` throws when given them while that
 * system is not disposed, and its `dispose()` releases them (it does not dispose the scorer) for a
 * next system. Each system calls `attach` when it takes them.
 * @experimental
 */
export interface PairScores {
  /**
   * Weights of the built-in heads, which score the pairs without a score, in feature order
   * (`Feature`, heads.ts); read once, when the system is created.
   */
  readonly headWeights: ArrayLike<number>
  /**
   * Optional: true when the pair scores are corrections to the built-in heads' score rather than
   * scores: a pair's row then scores the heads' score of this tick's row (with `headWeights`) plus
   * its pair score. An answer computed from an earlier tick's rows then moves with the world: only
   * the correction is that old. Read once, when the system is created. @defaultValue false
   */
  readonly residual?: boolean
  /**
   * Optional: called once by `createAttentionSystem` when a system takes these pair scores, before
   * its first tick (or `explain`): forget every pair score kept for a previous (disposed) system,
   * whose entity ids name other entities in this one's world. May throw: the creation then fails.
   */
  attach?(): void
  /**
   * Start of a tick (the batch's `tick`, `generation` and `components` are set, its rows not yet).
   * @returns where this tick's feature rows go (row-major, `FEATURE_COUNT` wide), or null when they
   * are not wanted. Rows that do not fit go to the system's own scratch instead (copied there, the
   * scratch grown): `end` finds them in `batch.features` either way. Anything else (a number, a
   * plain array, nothing) is reported once (`console.error`) and read as null.
   */
  begin(batch: ScorerBatch): Float32Array | null
  /**
   * Observer `o`'s pair scores: for each candidate `e` it has a score for (the same entity
   * generation), `score[e] = ` that score and `stamp[e] = mark`. Entries with another stamp are ignored.
   * Scores should be finite: as with `score`, a NaN reads as the lowest score (-3.4e38) and an infinity as
   * the largest finite score of its sign, reported once (`console.error`).
   * `explain` calls it too, between ticks (after the last tick's `end`), to score the pair as the tick did.
   * @returns false when it gave no pair of `o` a score (it must then have stamped nothing with
   * `mark`): on a tick that wants no feature rows the system then writes `o`'s rows as the
   * built-in scorer's own, bounded by the broadphase as well (PERFORMANCE.md, "bounded paired
   * rows"); anything else (or nothing) when it may have.
   */
  load(o: number, mark: number, stamp: Uint32Array, score: Float32Array): boolean | void
  /**
   * End of the tick, after selection: the tick's rows (with their features when `begin` asked for
   * them; on a tick without, only the rows written: a candidate scoring below its observer's
   * K-th-score hint gets none). `scored` rows got a pair score, the others the heads'.
   */
  end(batch: ScorerBatch, scored: number): void
}

/**
 * One tick's scoring batch handed to {@link AttentionScorer.scoreBatch}. Instance-owned and reused
 * every tick: read it during the call, never keep it. Rows of observer `observers[i]` are
 * `[observerStart[i], observerStart[i + 1])`.
 * @experimental
 */
export interface ScorerBatch {
  /** Feature rows, row-major, `FEATURE_COUNT` wide (heads.ts). */
  readonly features: Float32Array
  /** Number of rows. */
  readonly rows: number
  /** Candidate entity id of each row. */
  readonly rowEid: Uint32Array
  /** Observer ids in batch order (the first `observerCount` entries). */
  readonly observers: Uint32Array
  /** Number of observers in the batch (those with at least one row). */
  readonly observerCount: number
  /** First row of each observer; `observerStart[observerCount] === rows`. */
  readonly observerStart: Int32Array
  /** Generation of each entity id (bumped when an id is removed): tells a recycled id apart. */
  readonly generation: Uint32Array
  /** The component stores the rows were computed from. */
  readonly components: AttentionComponents
  /** The system's tick number. */
  readonly tick: number
  /** Seconds per tick (the system's `dt`). */
  readonly dt: number
  /** Look-ahead in seconds (the system's `lookahead`). */
  readonly lookahead: number
  /** Closing speed at which the approach feature saturates (the system's `speedScale`). */
  readonly speedScale: number
}

/** A custom scorer's own account of a pair's score, shown by `explain`. @experimental */
export interface ExplainedScore {
  /** The score the scorer gave the pair on the last tick it was scored. */
  score: number
  /** Where it came from, e.g. `model` or `heads` (a fallback). */
  source: string
}
