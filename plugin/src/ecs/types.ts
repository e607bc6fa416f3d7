import type { World } from 'bitecs'
import type { Band } from './bands'
import type { HeadName } from './heads'
import type { RuleName } from './rules'

import type { ExplainedScore } from './scorer'

export type { AttentionScorer, ExplainedScore, PairScores, ScorerBatch } from './scorer'

/**
 * A nested option object (`weights`, `hysteresis`, `bands`, `byteCosts`): every key optional, and
 * `undefined` taking the key's default, as it does for the top-level options.
 * @typeParam T - the option object with every key.
 */
export type OptionalKeys<T> = { [K in keyof T]?: T[K] | undefined }

/** Hysteresis that keeps interest sets from flickering at a boundary. */
export interface HysteresisOptions {
  /** A candidate enters only with a score at or above this (not under a byte budget, where the byte price decides). @defaultValue 0.3 */
  enterScore: number
  /** A member leaves when its score falls below this (must be <= enterScore; not under a byte budget). @defaultValue 0.1 */
  exitScore: number
  /** A member ranked outside the budget leaves once it has been outside for more than this many consecutive ticks. @defaultValue 5 */
  minOutTicks: number
  /** A new top-K candidate displaces the lowest-scoring lingering member at once if it beats it by more than this. @defaultValue 0.15 */
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
  rule: RuleName | 'out-of-range' | null
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
  /** The observer's hysteresis state for this entity, and the thresholds in force (under a byte budget `enterScore` and `exitScore` are -Infinity: the byte price stands in for them). */
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
  /**
   * The observer's byte budget and what it means for this entity (docs/concepts.md 6b), or null when
   * the observer has none (or sees nothing). The summary says the same.
   */
  bytes: {
    /** The observer's byte budget, bytes per second (`Observer.byteBudget`). */
    budget: number
    /** The byte price after the last tick (`bytePrice`): the score a candidate without a rule must reach to be bought. */
    price: number
    /** Bytes per second the entity costs at its band (a non-member: at Low, as it would enter; a non-rule one standing still at Low: `byteCosts.still` of Low, its entry not included), scaled by the measured byte ratio. */
    cost: number
    /**
     * True for a scored non-member without a rule that the byte budget kept out: its score is below
     * the price (a NaN score always is), or it ranks within the budget K while the set holds fewer
     * than K scored members.
     */
    cut: boolean
  } | null
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
  /**
   * True when `eid` is an observer known to the system (it has the Observer component); false for
   * any other number (not an integer, or outside `[0, capacity)`), as for every reader below: such
   * an id is no observer and no entity.
   */
  isObserver(observer: number): boolean
  /** Number of members in the observer's interest set (0 for a non-observer). */
  memberCount(observer: number): number
  /** Entity id of member `i` (an integer, 0 <= i < memberCount); -1 when `i` is not one or `observer` is no observer. */
  memberAt(observer: number, i: number): number
  /**
   * Softmax attention weight of member `i` among the set's scored members (they sum to 1); 0 when
   * unscored, and when `i` is no member index (as for `memberAt`) or `observer` no observer.
   * Computed on first read per tick.
   */
  weightAt(observer: number, i: number): number
  /**
   * Copies the softmax weights of the observer's members, in member order, into `out` (which must
   * hold `memberCount(observer)` floats) and returns the count. Allocation-free by construction:
   * prefer it to `weightAt` in per-tick code, since a double returned from a call V8 does not
   * inline is boxed (an allocation).
   */
  weightsInto(observer: number, out: Float32Array): number
  /**
   * Combined score (logit) of member `i` at the set's last re-score (`lastScoredTick`); NaN when
   * not scored (self, a rule member out of range), and when `i` is no member index or `observer` no
   * observer.
   */
  scoreAt(observer: number, i: number): number
  /** Band of member `i`; -1 when `i` is no member index (as for `memberAt`) or `observer` no observer. */
  bandAt(observer: number, i: number): Band | -1
  /** True when `entity` is in the observer's set. O(set size). */
  isMember(observer: number, entity: number): boolean
  /**
   * True when a visibility rule keeps `entity` out of the observer's set now: it is `Hidden`, or
   * `TeamOnly` of another team, and the observer neither owns it nor is it. Read from the
   * components as they are, not as the last tick saw them (the next tick drops such a member); the
   * `AttentionPlugin` checks it at every sync, so a member hidden after the tick is not sent.
   */
  isDenied(observer: number, entity: number): boolean
  /**
   * True when the observer owns `entity` now: it has `Owner` naming the observer, and the ownership
   * has not lapsed (docs/concepts.md 7). Read from the components as they are, like `isDenied`.
   */
  owns(observer: number, entity: number): boolean
  /**
   * The tick at which the observer's set was last re-scored: `tick` after every tick by default;
   * with option `rescoreEvery` > 1, the sets of the ticks in between are kept (0 before its first
   * tick, or for a non-observer).
   * @experimental
   */
  lastScoredTick(observer: number): number
  /** Number of entities that entered the set on the last tick. */
  enteredCount(observer: number): number
  /** Entity id of the `i`-th entity that entered on the last tick; -1 when `i` is not an integer in `[0, enteredCount)` or `observer` no observer. */
  enteredAt(observer: number, i: number): number
  /** Number of entities that left the set on the last tick (apply exits before enters: an id can be in both when it was recycled). */
  exitedCount(observer: number): number
  /** Entity id of the `i`-th entity that left on the last tick; -1 when `i` is not an integer in `[0, exitedCount)` or `observer` no observer. */
  exitedAt(observer: number, i: number): number
  /** Number of members (that did not just enter) whose band changed on the last tick. */
  bandChangedCount(observer: number): number
  /** Entity id of the `i`-th member whose band changed on the last tick; -1 when `i` is not an integer in `[0, bandChangedCount)` or `observer` no observer. */
  bandChangedAt(observer: number, i: number): number
  /** Generation of an entity id: bumped each time the id is removed, so a recycled id is told apart; -1 for a number that is no entity id (not an integer in `[0, capacity)`). */
  generationOf(eid: number): number
  /**
   * Observer generation of an entity id: bumped each time the id loses its `Observer` or its
   * `Position` (the entity removed, or either component: a respawn), so that what was bound to one
   * observer is told apart from a later observer on the same id, a new player reusing it (the
   * `AttentionPlugin`'s `bind`); -1 for a number that is no entity id.
   */
  observerGenerationOf(eid: number): number
  /**
   * Generation member `i` had when the last tick selected it. It differs from
   * `generationOf(memberAt(observer, i))` once the id was removed (and perhaps reused) since that
   * tick: the member is then not the entity that now carries the id, and must not be sent. -1
   * when `i` is no member index (as for `memberAt`) or `observer` no observer.
   */
  memberGenerationAt(observer: number, i: number): number
  /**
   * Closes the byte-budget loop: tells the engine how many bytes per second the observer's client
   * actually received (as measured by the encoder) since the previous report. The engine keeps a
   * smoothed ratio of actual bytes to the mean of its estimates over the ticks the report covers,
   * per observer (each report's ratio clamped to [0.1, 10]), and scales its band costs by it; a
   * report of a second the observer stood still through teaches what its own avatar costs standing
   * still instead (docs/concepts.md 6b, step 3). Call it about once a second: a second report
   * within one tick is compared with that tick's estimate alone. The first report after the observer is added is not used (it carries the initial
   * full state). No effect without a byte budget. `bytesPerSecond` must be a finite number in
   * [0, 1e12] (a RangeError otherwise).
   */
  reportBytes(observer: number, bytesPerSecond: number): void
  /**
   * The observer's byte price after the last tick: the score a candidate without a rule must reach
   * to be bought under its byte budget (0 without one; `T ln(ratio)` above the price it keeps for
   * the configured costs when the client was sent `ratio` times what they predict). docs/concepts.md
   * section 6b.
   */
  bytePrice(observer: number): number
  /** Estimated bytes per second of the observer's set after the last tick (0 without a byte budget). */
  estimatedBytes(observer: number): number
  /**
   * Records an interaction (hit, trade, chat) between two entities: raises the recency head for both
   * directions. `a` and `b` must be integers (a RangeError otherwise); a pair with `a === b` or an id
   * outside `[0, capacity)` is ignored. `strength` in [0, 1e6], 1 by default.
   */
  recordInteraction(a: number, b: number, strength?: number): void
  /**
   * Why `entity` is in or out of `observer`'s set, head by head: membership, band and weight as the
   * readers see them (`isMember`), the score as the tick computes it (the built-in heads, the pair
   * scores, or the custom scorer's `scoreBatch` or `score`, called with this observer's rows alone)
   * at the current positions. With option `pipelined` it settles first (see `settle`). Allocates;
   * throws after `dispose`.
   */
  explain(observer: number, entity: number): Explanation
  /**
   * Threads taking part in the next tick (option `threads`): 1 plus the worker threads that have
   * started; 1 without the option, and again 1 after a worker failed (the system then runs on the
   * room's thread alone).
   * @experimental
   */
  threadsRunning(): number
  /**
   * With option `pipelined`: waits until the workers have finished the pass the last tick started
   * (returns at once when none is running, and always without the option). Call it before writing
   * the component stores outside the tick; the `AttentionPlugin` calls it after every patch.
   * @experimental
   */
  settle(): void
  /**
   * Unsubscribes the system's world observers and stops its worker threads (option `threads`);
   * a pass in flight (option `pipelined`) is dropped. Calling it again does nothing. Afterwards
   * the sets of the last tick stay readable, but ticking the system or calling `explain` throws
   * ("this attention system was disposed; create a new one"): it no longer follows the world.
   * A scorer with pair scores (the learned scorer) is released, not disposed: a next system may
   * take it.
   */
  dispose(): void
}
