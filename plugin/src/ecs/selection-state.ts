// Owns: the state of selection (inputs, per-entity stamps, scratch, and the cursor of the set
// being built) and the edits of a set under construction (enter, evict), shared by the selection
// stages (selection.ts, byte-budget.ts). Per-entity stamps replace Sets: `rowStamp[e] === stamp`
// means `e` was scored for the current observer (at row `rowOf[e]`), `topStamp` that it ranks
// inside the budget, `memberStamp` that it is in the set being built.
import { Band, createDetailAccount, entryPremium, memberBand, type BandOptions, type ByteCostOptions } from './bands'
import type { AttentionComponents } from './components'
import type { DenseList } from './entity-tracker'
import type { InterestSets } from './interest-sets'
import type { OwnershipIndex } from './ownership'
import { Rule } from './rules'
import { heapAlloc, type ArrayAlloc } from './shared-alloc'
import type { TopKScratch } from './top-k'
import type { HysteresisOptions } from './types'

/** What the selector reads: this tick's scored rows and the engine's entity bookkeeping. */
export interface SelectionInputs {
  readonly c: AttentionComponents
  readonly flags: Uint16Array
  readonly generation: Uint32Array
  readonly sets: InterestSets
  readonly ownership: OwnershipIndex
  readonly alwaysRelevant: DenseList
  readonly hysteresis: HysteresisOptions
  readonly bands: BandOptions
  readonly byteCosts: ByteCostOptions
  /** Per observer slot: smoothed ratio of the bytes the encoder sent to the engine's estimate (1 until told). */
  readonly byteScale: Float32Array
  /** Per observer slot: the set's bytes per second after the last tick at the unscaled band costs (0 without a byte budget). */
  readonly estBytes: Float32Array
  /** Per observer slot: the observer's own avatar's cost while it stands still, as a share of its moving cost (learned from reports; `byteCosts.still` until then). */
  readonly selfStill: Float64Array
  /** Per observer slot: what the set's estimate (`estBytes`) charged the observer's own avatar for standing still (unscaled), -1 when it moved or without a byte budget. */
  readonly stillCharge: Float64Array
  /** Per observer slot: the spend the floor read the budget as (bytes per second, scaled) when the rule members alone used the budget up on the last re-score, else 0. */
  readonly floorBytes: Float64Array
  /**
   * Per observer slot: the byte price (0 until the spend says otherwise). While the price is
   * young (`priceAge` below `settleSeconds`) it is kept for the configured costs, and the score a
   * non-rule row must reach to be bought is this plus `T ln(byteScale)`; once settled, this. At least 0.
   */
  readonly price: Float32Array
  /** Per observer slot: the byte budget the price was opened for (-1: none yet); another budget opens it again. */
  readonly priceBudget: Float32Array
  /** Per observer slot: seconds of price updates since the price opened (the rate fades from `settleRate` to `priceRate` with it); reset by the opening tick, which every budget passes through first; the tick it reaches `byteCosts.reopenSeconds` on opens the price again. */
  readonly priceAge: Float32Array
  /** Seconds per tick (the price moves per second). */
  readonly dt: number
  /** Per observer slot: the detail bytes (unscaled) the last affordable() granted; capBands spends at most this. */
  readonly detailBytes: Float64Array
  /** Scratch rows of the tick (reallocated by the system when it grows them). */
  rowEid: Uint32Array
  rowRule: Uint8Array
  scores: Float32Array
}

/**
 * The selector's state: its inputs, per-entity stamps and scratch, and the cursor of the set being
 * built (counts, updated by each stage).
 */
export interface SelectionState extends TopKScratch {
  readonly inp: SelectionInputs
  readonly rowStamp: Uint32Array
  readonly topStamp: Uint32Array
  readonly memberStamp: Uint32Array
  /** Byte budget: entrants of this tick. */
  readonly enteredStamp: Uint32Array
  /** Byte budget: members of the observer's set before this tick (the entry premium, byte-budget.ts). */
  readonly incumbentStamp: Uint32Array
  readonly rowOf: Int32Array
  /** Entrant rows, best first. */
  readonly ranked: Int32Array
  /** Byte budget: a kept member's band after the previous tick. */
  readonly prevBand: Uint8Array
  /** Byte budget: the detailed members in score order. */
  readonly detailed: Int32Array
  /** Byte budget: the detail account (bands.ts). */
  readonly account: Float64Array
  /** Byte costs by band, unscaled. */
  readonly bandCost: Float64Array
  /** The entry premium at `T = 1` (bands.ts entryPremium), computed once: per observer it is this times `T`. */
  readonly entryPremium: number
  /** The current observer's stamp. */
  stamp: number
  /** Byte budget: 1 when the price turned away a row the budget could have paid for on this observer's tick. */
  refused: number
  /** Members of the set being built. */
  w: number
  /** Of them, members without a rule (they count against the budget). */
  nonRule: number
  enteredN: number
  exitedN: number
  changedN: number
}

/**
 * Creates the selection state for `inp`: scratch sized by the components' capacity and the set
 * stride; the per-slot K-th-score hints on shared memory with a shared `alloc` (option `threads`).
 */
export function createSelectionState(inp: SelectionInputs, alloc: ArrayAlloc = heapAlloc): SelectionState {
  const cap = inp.c.capacity
  const stride = inp.sets.stride
  const bandCost = new Float64Array(3)
  bandCost[Band.Low] = inp.byteCosts.low
  bandCost[Band.Medium] = inp.byteCosts.medium
  bandCost[Band.High] = inp.byteCosts.high
  return {
    inp,
    rowStamp: new Uint32Array(cap),
    topStamp: new Uint32Array(cap),
    memberStamp: new Uint32Array(cap),
    enteredStamp: new Uint32Array(cap),
    incumbentStamp: new Uint32Array(cap),
    rowOf: new Int32Array(cap),
    heap: new Int32Array(stride + 1),
    ranked: new Int32Array(stride + 1),
    pool: new Int32Array(cap),
    kthHint: alloc.f32(inp.sets.count.length, -Infinity),
    prevBand: new Uint8Array(cap),
    detailed: new Int32Array(stride),
    account: createDetailAccount(),
    bandCost,
    entryPremium: entryPremium(inp.byteCosts, 1),
    stamp: 0,
    refused: 0,
    w: 0,
    nonRule: 0,
    enteredN: 0,
    exitedN: 0,
    changedN: 0,
  }
}

/** Starts a new observer: a fresh stamp (stamps stay small integers, see PERFORMANCE.md) and empty counts. */
export function beginObserver(st: SelectionState): number {
  if (st.stamp >= 0x3fffffff) {
    st.rowStamp.fill(0)
    st.topStamp.fill(0)
    st.memberStamp.fill(0)
    st.enteredStamp.fill(0)
    st.incumbentStamp.fill(0)
    st.stamp = 0
  }
  st.w = 0
  st.refused = 0
  st.nonRule = 0
  st.enteredN = 0
  st.exitedN = 0
  st.changedN = 0
  return ++st.stamp
}

/** Stamps the rows `[start, end)` as this observer's scored rows: `rowOf[e]` is `e`'s row. */
export function indexRows(st: SelectionState, start: number, end: number): void {
  const { rowStamp, rowOf } = st
  const rowEid = st.inp.rowEid
  const stamp = st.stamp
  for (let r = start; r < end; r++) {
    const e = rowEid[r]!
    rowStamp[e] = stamp
    rowOf[e] = r
  }
}

/** Puts `e` in the set at index `w` with `rule` (its score and band from this tick's row, if any) and lists it as entered. */
export function enter(st: SelectionState, base: number, e: number, rule: number): void {
  const { sets, scores, generation, bands } = st.inp
  const j = base + st.w++
  const row = st.rowStamp[e] === st.stamp ? st.rowOf[e]! : -1
  sets.eid[j] = e
  sets.gen[j] = generation[e]!
  sets.outTicks[j] = 0
  sets.rule[j] = rule
  sets.score[j] = row === -1 ? NaN : scores[row]!
  // an entrant's band has no hysteresis: the thresholds it reaches
  sets.band[j] = memberBand(Band.Low, rule, scores, row, bands)
  st.memberStamp[e] = st.stamp
  st.enteredStamp[e] = st.stamp
  sets.entered[base + st.enteredN++] = e
}

/** Index of the lowest-scoring lingering member (non-rule, outside the top K), or -1. */
export function weakestLingering(st: SelectionState, base: number): number {
  const { sets, scores } = st.inp
  const { topStamp, rowStamp, rowOf } = st
  const stamp = st.stamp
  let weakest = -1
  let ws = Infinity
  for (let i = 0; i < st.w; i++) {
    const m = sets.eid[base + i]!
    if (sets.rule[base + i] !== Rule.None || topStamp[m] === stamp || rowStamp[m] !== stamp) continue
    const ms = scores[rowOf[m]!]!
    if (ms < ws || (weakest !== -1 && ms === ws && m > sets.eid[base + weakest]!)) {
      ws = ms
      weakest = i
    }
  }
  return weakest
}

/** Takes `e` out of the slot's band-changed list (it left the set). */
export function unlistChanged(st: SelectionState, base: number, e: number): void {
  const changed = st.inp.sets.bandChanged
  const n = st.changedN
  for (let k = 0; k < n; k++) {
    if (changed[base + k] !== e) continue
    changed[base + k] = changed[base + n - 1]!
    st.changedN = n - 1
    return
  }
}

/** Removes member `i` (the last member fills the hole) and lists it as exited. */
export function evict(st: SelectionState, base: number, i: number): void {
  const sets = st.inp.sets
  const e = sets.eid[base + i]!
  sets.exited[base + st.exitedN++] = e
  st.memberStamp[e] = 0
  const dst = base + i
  const src = base + --st.w
  sets.eid[dst] = sets.eid[src]!
  sets.gen[dst] = sets.gen[src]!
  sets.outTicks[dst] = sets.outTicks[src]!
  sets.rule[dst] = sets.rule[src]!
  sets.band[dst] = sets.band[src]!
  sets.score[dst] = sets.score[src]!
  unlistChanged(st, base, e)
}
