// Owns: the per-observer phase of a tick with the built-in scorer, as module-level kernels over an
// explicit state (ObserverPass): bounded rows, the rule marks, then the selection. The system runs
// it over every observer on its own thread; with option `threads` each observer thread (the room's
// and every worker, observer-threads.ts) has a pass of its own over the shared grid, stores and
// sets, and runs it over the observers it claims. test/ecs/observer-threads.test.ts checks that
// two and three threads give the same sets, bands and scores as one.
import { queryCandidates, queryFarAimers, type Broadphase } from './broadphase'
import { observerFault, type AttentionComponents } from './components'
import { Has, type DenseList } from './entity-tracker'
import { BOUND_SLOT, HINT_SLOT, loadObserver, nextMark, REACH_SLOT, REACHED, RowMode, SKIPPED, writeCandidates, type RowWriter } from './features'
import type { InterestSets } from './interest-sets'
import { markRuleRows } from './rules'
import { keepObserver, selectObserver } from './selection'
import type { SelectionInputs, SelectionState } from './selection-state'
import { grownCopy } from './shared-alloc'

/** One thread's per-observer state: its own row writer, selection state and query scratch, over shared data. */
export interface ObserverPass {
  readonly c: AttentionComponents
  readonly flags: Uint16Array
  readonly positioned: DenseList
  /** This thread's broadphase: shared grid and columns, its own query scratch and extras region. */
  readonly bp: Broadphase
  readonly writer: RowWriter
  readonly st: SelectionState
  readonly sets: InterestSets
  readonly slotOf: Int32Array
  /** Option `rescoreEvery`. */
  readonly every: number
  /** Per slot: the tick of its last re-score (shared). */
  readonly scoredTick: Uint32Array
  /** Per slot: the tick its set was last closed (shared; what a fallback after a failed thread redoes). */
  readonly doneTick: Uint32Array
  /** Grows the row scratch of `st.inp` to at least `need` rows (the owner's: the system keeps its own row capacity). */
  readonly grow: (need: number) => void
  /** A fused write produces no feature row: an empty array stands in. */
  readonly noFeatures: Float32Array
  /** The threads' control array (observer-threads.ts): where chunks of observers are claimed. */
  readonly control: Int32Array
  /** The current tick. */
  tick: number
}

/** Grows the row scratch of `inp` to hold `need` rows (by doubling; between observers, never inside a candidate loop). */
export function growRows(inp: SelectionInputs, need: number): void {
  let n = inp.rowEid.length
  while (n < need) n *= 2
  inp.rowEid = grownCopy(inp.rowEid, n)
  inp.rowRule = grownCopy(inp.rowRule, n)
  inp.scores = grownCopy(inp.scores, n)
}

/** Option `rescoreEvery` (`every`): whether slot `s`, last re-scored at `scoredTick[s]` (0: never), is re-scored at `tick` (staggered by slot). */
export function isDue(every: number, scoredTick: Uint32Array, s: number, tick: number): boolean {
  return every === 1 || scoredTick[s] === 0 || (tick + s) % every === 0
}

/**
 * Sets up a bounded write of observer `o` (slot `s`; PERFORMANCE.md, "bounded rows"): its current
 * members stamped with a fresh member mark and its K-th-score hint in the writer. Call before the
 * write, then {@link unboundIfShort} after it.
 */
export function boundRows(writer: RowWriter, kthHint: Float32Array, sets: InterestSets, s: number): void {
  const mark = nextMark(writer)
  const base = s * sets.stride
  const end = base + sets.count[s]!
  const member = writer.member
  for (let j = base; j < end; j++) member[sets.eid[j]!] = mark
  writer.observer[HINT_SLOT] = kthHint[s]!
}

/**
 * After a bounded write of observer `o`: true when it must be written again without the bound
 * (some row was skipped, or the broadphase narrowed, and fewer than K flagless rows reached the
 * hint), the hint then already cleared.
 */
export function unboundIfShort(writer: RowWriter, bp: Broadphase, c: AttentionComponents, o: number, stride: number): boolean {
  let K = c.Observer.budget[o]!
  if (K > stride) K = stride
  const counts = writer.counts
  if ((counts[SKIPPED]! > 0 || bp.narrowed === 1) && counts[REACHED]! < K) {
    writer.observer[HINT_SLOT] = -Infinity
    return true
  }
  return false
}

/** Fused rows of observer `o` (slot `s`) from row 0 under the writer's current hint; returns the end row. */
function writeFused(p: ObserverPass, o: number, s: number): number {
  const { writer, bp, c, flags, sets } = p
  loadObserver(writer, o)
  const stride = sets.stride
  let n = queryCandidates(bp, c, flags, p.positioned, o, writer.observer, REACH_SLOT, BOUND_SLOT, sets.eid, s * stride, sets.count[s]!)
  n = queryFarAimers(bp, c, flags, o, p.tick, n)
  if (n > p.st.inp.rowEid.length) p.grow(n)
  const inp = p.st.inp
  return writeCandidates(writer, bp.found, n, inp.rowEid, 0, p.tick, RowMode.Fused, p.noFeatures, inp.scores)
}

/**
 * Observer `o` (slot `s`) for this tick: its set kept (option `rescoreEvery`, a tick it is not
 * due) or its rows written bounded by its K-th-score hint, written again without the bound when
 * fewer than K reach it (PERFORMANCE.md, "bounded rows"), and its set selected.
 */
export function passObserver(p: ObserverPass, o: number): void {
  const { st, sets, writer, c, flags } = p
  const s = p.slotOf[o]!
  const tick = p.tick
  if (!isDue(p.every, p.scoredTick, s, tick)) {
    keepObserver(st, s, o)
    p.doneTick[s] = tick
    return
  }
  p.scoredTick[s] = tick
  let rows = 0
  // an observer with a field out of range gets no rows: selectObserver empties its set
  if ((flags[o]! & Has.Position) !== 0 && observerFault(c, o) === -1) {
    boundRows(writer, st.kthHint, sets, s)
    rows = writeFused(p, o, s)
    if (unboundIfShort(writer, p.bp, c, o, sets.stride)) rows = writeFused(p, o, s)
    markRuleRows(c, flags, o, st.inp.rowEid, st.inp.rowRule, 0, rows)
  }
  selectObserver(st, s, o, 0, rows)
  p.doneTick[s] = tick
}

/** Every observer `obs[from..to)` through {@link passObserver}. */
export function passObservers(p: ObserverPass, obs: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) passObserver(p, obs[i]!)
}
