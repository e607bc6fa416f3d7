// Owns: the byte-budget stages of selection, for observers with `Observer.byteBudget > 0`: what
// the rule members cost, how many of the top K the budget affords, and the band capping after
// selection. Band choice and costs come from bands.ts, the measured ratio and the avatar's still
// share from byte-reports.ts; docs/concepts.md section 6b is the
// specification.
import type { AttentionComponents } from './components'
import { Band, chargeDetail, detailBand, memberBand, openDetailAccount, rawBand } from './bands'
import { Has } from './entity-tracker'
import { Rule, ruleOf } from './rules'
import { unlistChanged, type SelectionInputs, type SelectionState } from './selection-state'
import { sortBestFirst } from './top-k'

/**
 * Whether the slot's stored price is read shifted by `T ln(byteScale)`: while it is young (its age
 * below `settleSeconds`) and the budget is not read at its floor (docs/concepts.md 6b). The one
 * test of it for the allocation, the price's update and `bytePrice`.
 */
export function priceShifts(inp: SelectionInputs, slot: number): boolean {
  return !(inp.floorBytes[slot]! > 0) && inp.priceAge[slot]! < inp.byteCosts.settleSeconds
}

/**
 * What the rule members will cost this tick at the configured rates (unscaled), each at its
 * entrant band: self and owned entities at High, an always-relevant one at the band its score
 * reaches (Low when not scored); one that stands still at `byteCosts.still` of that, the observer's
 * own avatar at the still share its reports taught (`selfStill`; what it was charged goes to
 * `stillCharge`). Needs this observer's rows indexed.
 */
export function ruleMemberBytes(st: SelectionState, slot: number, o: number, observerAlive: boolean): number {
  if (!observerAlive) return 0
  const { rowStamp, rowOf, bandCost } = st
  const { c, flags, scores, bands, ownership, alwaysRelevant, byteCosts } = st.inp
  const stamp = st.stamp
  const POSITION = Has.Position
  const LOW = Band.Low
  const still = byteCosts.still
  // the observer's own avatar standing still: at the share its reports taught (byte-reports.ts),
  // which reads back what this estimate charged it
  const self = bandCost[memberBand(LOW, Rule.Self, scores, -1, bands)]!
  const standing = isStill(c, flags, o)
  let b = standing ? self * st.inp.selfStill[slot]! : self
  st.inp.stillCharge[slot] = standing ? b : -1
  for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) {
    if (e !== o && (flags[e]! & POSITION) !== 0) b += bandCost[memberBand(LOW, Rule.Owned, scores, -1, bands)]! * (isStill(c, flags, e) ? still : 1)
  }
  const ids = alwaysRelevant.ids
  for (let i = 0; i < alwaysRelevant.count; i++) {
    const e = ids[i]!
    if ((flags[e]! & POSITION) === 0 || ruleOf(c, flags, o, e) !== Rule.Always) continue
    b += bandCost[memberBand(LOW, Rule.Always, scores, rowStamp[e] === stamp ? rowOf[e]! : -1, bands)]! * (isStill(c, flags, e) ? still : 1)
  }
  return b
}

/**
 * True when `e` has a Velocity and it is zero: a non-rule row that stands still, charged
 * `byteCosts.still` of Low and its entry (docs/concepts.md 6b). An entity without Velocity does not
 * count: a game may move it by its Position alone.
 */
export function standsStill(c: AttentionComponents, flags: Uint16Array, e: number): boolean {
  if ((flags[e]! & Has.Velocity) === 0) return false
  const V = c.Velocity
  return V.x[e] === 0 && V.y[e] === 0 && V.z[e] === 0
}

/** True when `e` has no Velocity or a zero one: for a rule member, schema sends nothing for it until something changes. */
export function isStill(c: AttentionComponents, flags: Uint16Array, e: number): boolean {
  return (flags[e]! & Has.Velocity) === 0 || standsStill(c, flags, e)
}

/**
 * The most Medium and High members may cost (unscaled): `detailShare` of what the rule members
 * leave of the budget, not of the budget (docs/concepts.md 6b). Per observer, not per row.
 */
function detailShare(budget: number, ruleBytes: number, scale: number, share: number): number {
  const left = budget - ruleBytes * scale
  return left > 0 ? (left * share) / scale : 0
}

/** Stamps the slot's members before this tick (`incumbentStamp`), those still the entity they were (a recycled id is not). */
function markIncumbents(st: SelectionState, slot: number): void {
  const { sets, generation } = st.inp
  const { eid, gen } = sets
  const incumbent = st.incumbentStamp
  const stamp = st.stamp
  const base = slot * sets.stride
  const end = base + sets.count[slot]!
  for (let j = base; j < end; j++) {
    const e = eid[j]!
    if (generation[e] === gen[j]) incumbent[e] = stamp
  }
}

/**
 * What a tick does with the byte price before it buys (docs/concepts.md 6b, step 4): buy under it,
 * open it, or open it again from the set held.
 */
export const Opening = {
  /** Buys under the price: up to `burst` times the budget this tick. */
  No: 0,
  /**
   * Opens the price (a new observer, or a changed budget): no price, at most the budget, every row
   * at what it costs this tick (every row is an entrant).
   */
  First: 1,
  /**
   * Opens it again, `byteCosts.reopenSeconds` after the first: no price, the rate of the set (what
   * each row costs held: Low, or `still` of Low standing still) within the budget, and the whole
   * spend, entries included, within `burst` times it, as on any tick.
   */
  Again: 2,
} as const
/** One of {@link Opening}'s values. */
export type Opening = (typeof Opening)[keyof typeof Opening]

/**
 * Orders the heap's `n` rows best first and returns how many of them the budget affords after the
 * rule members' bytes, all costs scaled by the slot's measured byte ratio; the rows bought are
 * `heap[0..k)`, best first. A row costs Low; one standing still ({@link standsStill})
 * `byteCosts.still` of Low, plus `byteCosts.enter` when it is no member yet (on every tick: the
 * entry is paid whatever the price), and a row that does not fit ends the buying. This tick may
 * spend up to `burst` times the budget; a row whose score is below the slot's price `p` is not bought, unless it was a member before this tick and its score
 * reaches `p - T * ln(1 + enter / Low cost)` (the entry premium: an outsider's first second also
 * pays its entry; not under a `floored` budget, whose one member is the best of this tick), nor
 * raised unless its score reaches `p + T * ln(raise cost / Low cost)` (a row turned away sets
 * `st.refused` when the spend could have paid for it). A tick that opens the price ({@link Opening})
 * buys without one and opens it at the score of the first row it turned away. Greedy by value per byte: each step either takes the next row at
 * Low (value e^(s/T), cost Low) or raises the best taken row not yet raised to the band its score reaches (its value again, for that band's cost
 * less Low's) while the detail share lasts, whichever is worth more per byte: a raise wins when its
 * score beats the next row's by more than `T * ln(raise cost / Low cost)`. Stores the detail bytes
 * granted (unscaled) for {@link capBands}.
 */
export function affordable(st: SelectionState, slot: number, o: number, n: number, budget: number, ruleBytes: number, opening: Opening, floored = false): number {
  const { heap, account } = st
  const { c, flags, scores, rowEid, byteCosts, bands } = st.inp
  sortBestFirst(heap, n, scores, rowEid)
  const scale = st.inp.byteScale[slot]!
  openDetailAccount(account, byteCosts, scale, detailShare(budget, ruleBytes, scale, byteCosts.detailShare) * scale)
  const low = account[Band.Low]!
  const temperature = c.Observer.temperature[o]!
  // while the price is young, it is per byte: stored for the configured costs, it rises by
  // T ln(scale) when the measured ratio says every member costs `scale` times as much (concepts.md
  // 6b); not for a budget read at its floor, which grows with the ratio as the member's cost does.
  // Once settled it is a score, and the ratio moves it only through the spend, as updatePrice does
  const priceShift = priceShifts(st.inp, slot) ? temperature * Math.log(scale) : 0
  const shifted = st.inp.price[slot]! + priceShift
  const opens = opening !== Opening.No
  const price = opens ? -Infinity : shifted > 0 ? shifted : 0
  // the budget holds on average: one second may spend `burst` times it, but the opening one. The
  // second opening holds the set's rate (`held`: what the rows cost once they are members) to the
  // budget, and lets the entries, a one-time cost, take the burst
  const cap = opening === Opening.First ? budget : budget * byteCosts.burst
  const heldCap = opening === Opening.Again ? budget : Infinity
  // the rule members come first: the budget is for everything the client receives
  let spent = ruleBytes * scale
  let held = spent
  // the entry premium (bands.ts entryPremium), for the members before this tick (stamped). A
  // floored budget buys what matters most this tick: no premium there
  const incumbent = st.incumbentStamp
  const stamp = st.stamp
  const premium = floored || opens ? 0 : temperature * st.entryPremium
  markIncumbents(st, slot)
  const stillLow = low * byteCosts.still
  const enterCost = byteCosts.enter * scale
  let detail = 0
  // rows bought so far, compacted to heap[0..k); r the next row to look at (heap[k..r) holds the
  // rows turned away)
  let k = 0
  let r = 0
  let u = 0
  let raising = true
  for (;;) {
    let band = 0
    let raise = Infinity
    // the score a raise must beat a Low buy by: T ln(raise cost / Low cost)
    let raiseMargin = 0
    if (raising && u < k) {
      // rows are best first, so once one cannot be raised no later one can
      band = detailBand(rawBand(scores, heap[u]!, bands), account)
      if (band === 0) raising = false
      else {
        raise = account[band]! - low
        raiseMargin = temperature * Math.log(raise / low)
      }
    }
    // the next row the price lets in: at the price, or a member within the premium below it
    let canTake = false
    let cost = low
    let rate = low
    while (r < n) {
      const e = rowEid[heap[r]!]!
      const still = standsStill(c, flags, e)
      rate = still ? stillLow : low
      cost = still && incumbent[e] !== stamp ? rate + enterCost : rate
      if (spent + cost > cap || held + rate > heldCap) break
      const s = scores[heap[r]!]!
      if (s >= price || (s >= price - premium && incumbent[e] === stamp)) {
        canTake = true
        break
      }
      // below the price: worth less than its bytes cost on average
      st.refused = 1
      // rows are best first: past the premium no later row is bought either
      if (!(s >= price - premium)) break
      r++
    }
    let canRaise = raise < Infinity && spent + raise <= cap && held + raise <= heldCap
    if (canRaise && !(scores[heap[u]!]! >= price + raiseMargin)) {
      // a raise is worth its bytes at the price only when its value per byte beats a Low buy at it
      st.refused = 1
      canRaise = false
    }
    if (!canTake && !canRaise) break
    if (canRaise && (!canTake || scores[heap[u]!]! - scores[heap[r]!]! > raiseMargin)) {
      spent += raise
      held += raise
      chargeDetail(account, band)
      detail += st.bandCost[band]!
      u++
    } else {
      spent += cost
      held += rate
      // bought: to the front, past the rows turned away
      const t = heap[k]!
      heap[k] = heap[r]!
      heap[r] = t
      k++
      r++
    }
  }
  st.inp.detailBytes[slot] = detail
  if (opens) {
    // the price opens at the score of the first row the budget turned away (0 when none was)
    const first = k < n ? scores[heap[k]!]! : 0
    st.inp.price[slot] = (first > 0 ? first : 0) - priceShift
    if (opening === Opening.First) st.inp.priceBudget[slot] = budget
  }
  return k
}

/**
 * Band capping: walks the set's Medium and High non-rule members best score first (ties by entity
 * id) and lowers the bands the detail share cannot pay for; keeps the band-changed list true to the
 * bands that result and stores the set's estimated bytes (unscaled): a Low member standing still at
 * `byteCosts.still` of Low, plus its entry on the tick it entered (`byteCosts.enter` bytes once:
 * `enter / dt` per second over that tick).
 */
export function capBands(st: SelectionState, slot: number, budget: number, ruleBytes: number): void {
  const { detailed, prevBand, enteredStamp, account } = st
  const { sets, byteCosts, c, flags } = st.inp
  const { eid: memberEid, band: memberBands, rule: memberRule, score: memberScore, bandChanged } = sets
  const NONE = Rule.None
  const LOW = Band.Low
  const stamp = st.stamp
  const base = slot * sets.stride
  const w = st.w
  const scale = st.inp.byteScale[slot]!
  // what affordable() granted, never more than the detail share
  const share = detailShare(budget, ruleBytes, scale, byteCosts.detailShare)
  const granted = st.inp.detailBytes[slot]!
  openDetailAccount(account, byteCosts, 1, granted < share ? granted : share)
  const lowCost = account[LOW]!
  // a Low member standing still: a share of Low, and its entry on the tick it enters: `enter` bytes
  // sent once, so `enter / dt` bytes per second over that tick (the estimate's mean over the ticks
  // a report covers then counts it once, as the client received it)
  const stillLow = lowCost * byteCosts.still
  const enter = byteCosts.enter / st.inp.dt
  let n = 0
  let est = 0
  for (let i = 0; i < w; i++) {
    const j = base + i
    if (memberRule[j] !== NONE || memberBands[j]! === LOW) continue
    // insertion by score, best first (ties by entity id): usually a handful of members
    const s = memberScore[j]!
    const e = memberEid[j]!
    let k = n++
    while (k > 0) {
      const q = base + detailed[k - 1]!
      const qs = memberScore[q]!
      if (qs > s || (qs === s && memberEid[q]! < e)) break
      detailed[k] = detailed[k - 1]!
      k--
    }
    detailed[k] = i
  }
  for (let k = 0; k < n; k++) {
    const j = base + detailed[k]!
    const b = memberBands[j]!
    const nb = detailBand(b, account)
    if (nb !== LOW) {
      chargeDetail(account, nb)
      est += account[nb]!
    }
    if (nb === b) continue
    memberBands[j] = nb
    const e = memberEid[j]!
    // an entrant is on the entered list, never the band-changed one
    if (enteredStamp[e] === stamp) continue
    const p = prevBand[e]!
    // back to its previous band: no change after all
    if (p !== b && p === nb) unlistChanged(st, base, e)
    else if (p === b) bandChanged[base + st.changedN++] = e
  }
  // the Low members, those capped down to Low included
  for (let j = base; j < base + w; j++) {
    if (memberRule[j] !== NONE || memberBands[j]! !== LOW) continue
    const e = memberEid[j]!
    est += standsStill(c, flags, e) ? stillLow + (enteredStamp[e] === stamp ? enter : 0) : lowCost
  }
  st.inp.estBytes[slot] = est + ruleBytes
}

/**
 * Moves the slot's byte price after its set is built: up while the set's estimated bytes (scaled
 * by the measured ratio) are above the budget and it holds members the price can turn away, down
 * while they are below it and the price turned a row away, by `rate * T * dt` per unit of
 * relative over- or under-spend (the rate `settleRate` fading to `priceRate` with the time
 * constant `settleSeconds` over the price's age: fast right after it opened, slow once settled),
 * never below the price that rows meet at 0. Otherwise it stays: a price that binds
 * nothing does not wind up or down (docs/concepts.md 6b). The price's age grows either way.
 * For its first `settleSeconds` the price is kept for the configured costs and read shifted by
 * `T ln(ratio)`; at that age the shift is folded in, and from then on the ratio moves the price
 * only through the spend. A step down never raises the stored price: one already below the floor
 * of this tick's ratio (the ratio fell since it was set) stays where it is.
 */
export function updatePrice(st: SelectionState, slot: number, o: number, budget: number): void {
  const inp = st.inp
  const age = inp.priceAge[slot]!
  // the price a row meets, p + T ln(scale) while the price shifts, never goes below 0: p's floor
  // (0 when it does not shift: at a floored budget, and once settled)
  const shifting = priceShifts(inp, slot)
  inp.priceAge[slot] = age + inp.dt
  const temperature = inp.c.Observer.temperature[o]!
  const costs = inp.byteCosts
  const tau = costs.settleSeconds
  const floor = shifting ? -temperature * Math.log(inp.byteScale[slot]!) : 0
  const shiftsAfter = priceShifts(inp, slot)
  if (shifting && !shiftsAfter) {
    // settled on this tick: the shift folded in, the price as rows meet it now
    const read = inp.price[slot]! - floor
    inp.price[slot] = read > 0 ? read : 0
  }
  const err = (inp.estBytes[slot]! * inp.byteScale[slot]!) / budget - 1
  if (err > 0 ? st.nonRule === 0 : st.refused === 0) return
  // the rate inline, not from a helper: a double returned by a call V8 does not inline is boxed
  // (PERFORMANCE.md, "doubles across calls")
  const rate = tau > 0 ? costs.priceRate + (costs.settleRate - costs.priceRate) * Math.exp(-age / tau) : costs.priceRate
  const from = inp.price[slot]!
  const p = from + rate * temperature * inp.dt * err
  const after = shiftsAfter ? floor : 0
  // clamped up to the floor only on a step up or from above it: a price below the floor of a
  // ratio that fell (the client costs less than the configured costs say), raised to it on a step
  // down, would read above 0 as soon as the ratio came back, and cut rows while the client
  // received a fraction of its budget (docs/concepts.md 6b, "A price at its floor")
  inp.price[slot] = p > after ? p : err > 0 || from > after ? after : from
}
