import type { World } from 'bitecs'
import type { Band } from './bands'
import type { AttentionComponents } from './components'
import type { FEATURE_COUNT, HeadName } from './heads'

/**
 * The scoring stage: a block of (observer, candidate) feature rows in, one score (logit) per row out.
 * The built-in scorer is a weighted sum of the heads; a learned model can replace it.
 */
export interface AttentionScorer {
  /** Writes `out[r]` for every row `r < rows` of `features` (row-major, {@link FEATURE_COUNT} wide). Must not allocate. */
  score(features: Float32Array, rows: number, out: Float32Array): void
  /**
   * Optional: when present the system calls it instead of `score`, with the (observer, candidate)
   * pairs behind the rows, so that a scorer can read more than the feature row (raw geometry, ids).
   * Writes `out[r]` for every row of the batch. Must not allocate nor block.
   * @experimental
   */
  scoreBatch?(batch: ScorerBatch, out: Float32Array): void
  /** Optional: the score this scorer last gave the pair, for `explain` (null when it has none). @experimental */
  explainScore?(observer: number, entity: number): ExplainedScore | null
}

/**
 * One tick's scoring batch handed to {@link AttentionScorer.scoreBatch}. Instance-owned and reused
 * every tick: read it during the call, never keep it. Rows of observer `observers[i]` are
 * `[observerStart[i], observerStart[i + 1])`.
 * @experimental
 */
export interface ScorerBatch {
  /** Feature rows, row-major, {@link FEATURE_COUNT} wide. */
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

/** Hysteresis that keeps interest sets from flickering at a boundary. */
export interface HysteresisOptions {
  /** A candidate enters only with a score at or above this. @defaultValue 0.3 */
  enterScore: number
  /** A member leaves when its score falls below this (must be <= enterScore). @defaultValue 0.1 */
  exitScore: number
  /** A member ranked outside the budget leaves after this many consecutive ticks. @defaultValue 5 */
  minOutTicks: number
  /** A new top-K candidate displaces a lingering member at once if it beats it by this much. @defaultValue 0.15 */
  swapMargin: number
}

/** Why an entity is or is not in an observer's interest set. Allocates; for debugging tools. */
export interface Explanation {
  /** The observer entity whose set is explained. */
  observer: number
  /** The entity explained. */
  entity: number
  /** Current member of the observer's set (as of the last tick). */
  member: boolean
  /** The rule that forces the entity in or out, if any. */
  rule: 'self' | 'owned' | 'always-relevant' | 'hidden' | 'other-team' | 'out-of-range' | 'not-attendable' | null
  /** Per-head feature value, weight and contribution (feature x weight). Empty when not scored. */
  heads: {
    /** The attention head. */
    name: HeadName
    /** Its feature value for this pair. */
    feature: number
    /** Its weight. */
    weight: number
    /** feature x weight, its share of the score. */
    contribution: number
  }[]
  /** Combined logit (sum of contributions), or null when not scored. */
  score: number | null
  /** Softmax attention weight within the observer's set (members only), or null for a non-member. */
  weight: number | null
  /** 0-based rank by score among the observer's scored candidates, or null. */
  rank: number | null
  /** Number of scored candidates. */
  candidates: number
  /** The observer's budget K. */
  budget: number
  /** The member's attention band, or null for a non-member. */
  band: Band | null
  /** The observer's hysteresis state for this entity, and the thresholds in force. */
  hysteresis: {
    /** Score a candidate needs to enter. */
    enterScore: number
    /** Score below which a member leaves. */
    exitScore: number
    /** Consecutive ticks this member has ranked outside the budget (0 for a non-member). */
    outTicks: number
    /** Ticks outside the budget after which a member leaves. */
    minOutTicks: number
    /** Margin by which a new top-K candidate displaces a lingering member at once. */
    swapMargin: number
  }
  /** A one-line human summary. */
  summary: string
  /** A custom scorer's own score for the pair (a learned model's), when it keeps one. @experimental */
  scorer?: ExplainedScore | null
}

/** The system returned by `createAttentionSystem`: call it once per tick, then read the sets. */
export interface AttentionSystem {
  /** Runs one tick: broadphase, scoring, selection. Allocates nothing in steady state. */
  (world: World): World
  /** Ticks run so far. */
  readonly tick: number
  /** Entity-id capacity of the components the system reads. */
  readonly capacity: number
  /** True when `eid` is an observer known to the system (it has the Observer component). */
  isObserver(observer: number): boolean
  /** Number of members in the observer's interest set (0 for a non-observer). */
  memberCount(observer: number): number
  /** Entity id of member `i` (0 <= i < memberCount). */
  memberAt(observer: number, i: number): number
  /** Softmax attention weight of member `i` among the set's scored members (they sum to 1); 0 when unscored. Computed on first read per tick. */
  weightAt(observer: number, i: number): number
  /**
   * Copies the softmax weights of the observer's members, in member order, into `out` (which must
   * hold `memberCount(observer)` floats) and returns the count. Allocation-free by construction:
   * prefer it to `weightAt` in per-tick code, since a double returned from a call V8 does not
   * inline is boxed (an allocation).
   */
  weightsInto(observer: number, out: Float32Array): number
  /** Combined score (logit) of member `i`; NaN when not scored this tick (self, a rule member out of range). */
  scoreAt(observer: number, i: number): number
  /** Band of member `i`. */
  bandAt(observer: number, i: number): Band
  /** True when `entity` is in the observer's set. O(set size). */
  isMember(observer: number, entity: number): boolean
  /** Number of entities that entered the set on the last tick. */
  enteredCount(observer: number): number
  /** Entity id of the `i`-th entity that entered on the last tick. */
  enteredAt(observer: number, i: number): number
  /** Number of entities that left the set on the last tick (apply exits before enters: an id can be in both when it was recycled). */
  exitedCount(observer: number): number
  /** Entity id of the `i`-th entity that left on the last tick. */
  exitedAt(observer: number, i: number): number
  /** Number of members (that did not just enter) whose band changed on the last tick. */
  bandChangedCount(observer: number): number
  /** Entity id of the `i`-th member whose band changed on the last tick. */
  bandChangedAt(observer: number, i: number): number
  /** Generation of an entity id: bumped each time the id is removed, so a recycled id is told apart. */
  generationOf(eid: number): number
  /**
   * Generation member `i` had when the last tick selected it. It differs from
   * `generationOf(memberAt(observer, i))` once the id was removed (and perhaps reused) since that
   * tick: the member is then not the entity that now carries the id, and must not be sent.
   */
  memberGenerationAt(observer: number, i: number): number
  /**
   * Closes the byte-budget loop: tells the engine how many bytes per second the observer's client
   * actually received (as measured by the encoder). The engine keeps a smoothed ratio of actual to
   * estimated bytes per observer and scales its band costs by it. No effect without a byte budget.
   */
  reportBytes(observer: number, bytesPerSecond: number): void
  /** Estimated bytes per second of the observer's set after the last tick (0 without a byte budget). */
  estimatedBytes(observer: number): number
  /** Records an interaction (hit, trade, chat) between two entities: raises the recency head for both directions. */
  recordInteraction(a: number, b: number, strength?: number): void
  /** Why `entity` is in or out of `observer`'s set, head by head. Allocates. */
  explain(observer: number, entity: number): Explanation
  /** Unsubscribes the system's world observers. */
  dispose(): void
}
