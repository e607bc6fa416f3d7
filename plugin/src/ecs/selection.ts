// Owns: the selection of one observer's interest set from its scored rows, in named stages over an
// explicit state (selection-state.ts): candidates and top K (top-k.ts), the byte budget
// (byte-budget.ts), previous members kept or lingering (hysteresis), rule members, entrants, band
// capping, and the softmax shift. docs/concepts.md sections 4 to 6b are the specification,
// test/support/brute-force.ts the oracle. Loops keep arrays and constants in locals: PERFORMANCE.md.
import { memberBand } from './bands'
import { affordable, Opening, capBands, ruleMemberBytes, updatePrice } from './byte-budget'
import { observerFault } from './components'
import { Has } from './entity-tracker'
import { DENY_FLAGS, isDenied, Rule, RULE_FLAGS, ruleOf } from './rules'
import {
  beginObserver,
  createSelectionState,
  enter,
  evict,
  indexRows,
  weakestLingering,
  type SelectionInputs,
  type SelectionState,
} from './selection-state'
import { LOWEST_SCORE } from './scorer'
import { rankTopK } from './top-k'

export type { SelectionInputs }

/** Selects one observer's set from its scored rows: top-K with hysteresis, rule members, softmax weights and bands. */
export type Selector = (slot: number, o: number, start: number, end: number) => void

/**
 * Hysteresis, previous members: each stays (a rule member, or in the top K), lingers (outside the
 * top K for at most `minOutTicks` ticks) or exits (removed or recycled, not scored, below
 * `exitScore` without a byte budget: with one the byte price is the threshold, docs/concepts.md
 * 6b); bands follow the band hysteresis. Compacts the set in place. Needs the top K stamped
 * (`topStamp`).
 */
export function keepMembers(st: SelectionState, slot: number, o: number, observerAlive: boolean, byBytes: boolean): void {
  const { rowStamp, topStamp, memberStamp, rowOf, prevBand } = st
  const { sets, flags, generation, scores, hysteresis, bands } = st.inp
  const { eid: memberEid, gen: memberGen, outTicks: memberOut, band: memberBands, rule: memberRule, score: memberScore, exited, bandChanged } = sets
  const c = st.inp.c
  const POSITION = Has.Position
  const RULES = RULE_FLAGS
  const NONE = Rule.None
  // under a byte budget the price decides who stays, not a fixed score (docs/concepts.md 6b)
  const X = byBytes ? -Infinity : hysteresis.exitScore
  const M = hysteresis.minOutTicks
  const stamp = st.stamp
  const base = slot * sets.stride
  const prevN = sets.count[slot]!
  let w = 0
  let nonRule = 0
  let exitedN = st.exitedN
  let changedN = st.changedN
  for (let i = 0; i < prevN; i++) {
    const e = memberEid[base + i]!
    const valid = observerAlive && (flags[e]! & POSITION) !== 0 && generation[e] === memberGen[base + i]
    if (!valid) {
      exited[base + exitedN++] = e
      continue
    }
    // the common member has no rule flag (PERFORMANCE.md, "the common case inline")
    const rule = e !== o && (flags[e]! & RULES) === 0 ? NONE : ruleOf(c, flags, o, e)
    const scored = rowStamp[e] === stamp
    const row = scored ? rowOf[e]! : -1
    let out = memberOut[base + i]!
    if (rule === NONE) {
      if (!scored || scores[row]! < X) {
        exited[base + exitedN++] = e
        continue
      }
      if (topStamp[e] === stamp) out = 0
      else if (++out > M) {
        exited[base + exitedN++] = e
        continue
      }
      nonRule++
    } else out = 0
    const cur = memberBands[base + i]!
    const band = memberBand(cur, rule, scores, row, bands)
    if (band !== cur) bandChanged[base + changedN++] = e
    if (byBytes) prevBand[e] = cur
    // compaction: an earlier exit moves this member down
    const j = base + w++
    memberBands[j] = band
    memberEid[j] = e
    memberGen[j] = generation[e]!
    memberOut[j] = out
    memberRule[j] = rule
    memberScore[j] = row === -1 ? NaN : scores[row]!
    memberStamp[e] = stamp
  }
  st.w = w
  st.nonRule = nonRule
  st.exitedN = exitedN
  st.changedN = changedN
}

/**
 * Hysteresis, budget: a shrunk budget, or a rule member that lost its rule, can leave more than K
 * non-rule members: the weakest lingering ones leave until they fit.
 */
export function trimToBudget(st: SelectionState, slot: number, K: number): void {
  const base = slot * st.inp.sets.stride
  while (st.nonRule > K) {
    const weakest = weakestLingering(st, base)
    if (weakest === -1) break
    evict(st, base, weakest)
    st.nonRule--
  }
}

/** Rule members that are not in yet: self, owned, always-relevant (those with Position, while the set has room). */
export function enterRuleMembers(st: SelectionState, slot: number, o: number): void {
  const { sets, flags, ownership, alwaysRelevant, c } = st.inp
  const { memberStamp } = st
  const stride = sets.stride
  const base = slot * stride
  const stamp = st.stamp
  const POSITION = Has.Position
  if (memberStamp[o] !== stamp && st.w < stride) enter(st, base, o, Rule.Self)
  for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) {
    if ((flags[e]! & POSITION) === 0 || memberStamp[e] === stamp || st.w >= stride) continue
    enter(st, base, e, Rule.Owned)
  }
  const ids = alwaysRelevant.ids
  for (let i = 0; i < alwaysRelevant.count; i++) {
    const e = ids[i]!
    if (memberStamp[e] === stamp || st.w >= stride || (flags[e]! & POSITION) === 0) continue
    // an owned one entered above; self and denied ones are no always-relevant members
    if (ruleOf(c, flags, o, e) !== Rule.Always) continue
    enter(st, base, e, Rule.Always)
  }
}

/**
 * Hysteresis, entrants: the top-K rows `heap[0..heapN)` not yet in with score `>= enterScore`
 * (under a byte budget, `byBytes`, any score above {@link LOWEST_SCORE}: the rows are those the
 * price bought, and a score that stands for none never enters), best first. An
 * entrant enters while the non-rule members are fewer than K; after that it displaces the weakest
 * lingering member if it beats it by `swapMargin`, else entry stops.
 */
export function enterTopK(st: SelectionState, slot: number, K: number, heapN: number, byBytes: boolean): void {
  const { heap, ranked, memberStamp, rowOf } = st
  const { sets, scores, rowEid, hysteresis } = st.inp
  const stride = sets.stride
  const base = slot * stride
  const stamp = st.stamp
  // NaN never enters (a NaN score compares false), nor, under a byte budget, a score that stands
  // for none (a custom scorer's NaN or -Infinity, stored as float32 LOWEST_SCORE; a pair score of -Infinity)
  const E = byBytes ? -Infinity : hysteresis.enterScore
  const none = Math.fround(LOWEST_SCORE)
  const S = hysteresis.swapMargin
  // usually a handful: insertion sort
  let rankedN = 0
  for (let i = 0; i < heapN; i++) {
    const r = heap[i]!
    const s = scores[r]!
    if (memberStamp[rowEid[r]!] === stamp || !(s >= E) || (byBytes && s <= none)) continue
    const e = rowEid[r]!
    let k = rankedN++
    while (k > 0) {
      const q = ranked[k - 1]!
      const qs = scores[q]!
      if (qs > s || (qs === s && rowEid[q]! < e)) break
      ranked[k] = q
      k--
    }
    ranked[k] = r
  }
  for (let k = 0; k < rankedN; k++) {
    const r = ranked[k]!
    const e = rowEid[r]!
    const s = scores[r]!
    if (st.nonRule < K && st.w < stride) {
      enter(st, base, e, Rule.None)
      st.nonRule++
      continue
    }
    const weakest = weakestLingering(st, base)
    const ws = weakest === -1 ? 0 : scores[rowOf[sets.eid[base + weakest]!]!]!
    if (weakest === -1 || !(s > ws + S)) break
    evict(st, base, weakest)
    enter(st, base, e, Rule.None)
  }
}

/** Closes the set: its counts, and the softmax shift (weights are computed on first read, see InterestSets.weights). */
export function closeSet(st: SelectionState, slot: number, o: number): void {
  const sets = st.inp.sets
  const base = slot * sets.stride
  const w = st.w
  const memberScore = sets.score
  let smax = -Infinity
  // NaN (not scored this tick) is no maximum
  for (let j = base; j < base + w; j++) if (memberScore[j]! > smax) smax = memberScore[j]!
  sets.smax[slot] = smax
  sets.temperature[slot] = st.inp.c.Observer.temperature[o]!
  sets.weightsValid[slot] = 0
  sets.count[slot] = w
  sets.enteredCount[slot] = st.enteredN
  sets.exitedCount[slot] = st.exitedN
  sets.bandChangedCount[slot] = st.changedN
}

/** Selects observer `o`'s set (slot `slot`) from its scored rows `[start, end)`: every stage in order. */
export function selectObserver(st: SelectionState, slot: number, o: number, start: number, end: number): void {
  const inp = st.inp
  const { c, flags, rowEid } = inp
  beginObserver(st)
  // an observer without Position, or with a field out of range, sees nothing (docs/concepts.md 8)
  const observerAlive = (flags[o]! & Has.Position) !== 0 && observerFault(c, o) === -1
  let K = c.Observer.budget[o]!
  if (K > inp.sets.stride) K = inp.sets.stride
  indexRows(st, start, end)
  let heapN = rankTopK(st, slot, K, start, end, inp.scores, rowEid, inp.rowRule)
  const byteBudget = c.Observer.byteBudget[o]!
  const byBytes = byteBudget > 0
  inp.stillCharge[slot] = -1
  const ruleBytes = byBytes ? ruleMemberBytes(st, slot, o, observerAlive) : 0
  // a budget the rule members alone use up is read as what they cost plus one Low member: the
  // player still gets what matters most, about one Low member's worth (docs/concepts.md 6b). Summed as
  // affordable() sums the spend, so that the member fits to the last bit
  const scale = inp.byteScale[slot]!
  const floor = ruleBytes * scale + inp.byteCosts.low * scale
  const floored = byBytes && floor > byteBudget
  const readBudget = floored ? floor : byteBudget
  inp.floorBytes[slot] = floored ? floor : 0
  // a new observer or a changed budget opens the price, on a tick with rows to buy, and it opens
  // again on the tick its age reaches `reopenSeconds`, from the set then held, unless the budget is
  // read at its floor there (docs/concepts.md 6b). The age as updatePrice stores it (float32), so
  // that exactly one tick crosses
  const opening = byBytes && inp.priceBudget[slot] !== byteBudget
  const age = inp.priceAge[slot]!
  const reopen = inp.byteCosts.reopenSeconds
  const again = byBytes && !opening && !floored && age < reopen && Math.fround(age + inp.dt) >= reopen
  const buying = byBytes && heapN > 0
  if (buying) {
    const k = affordable(st, slot, o, heapN, readBudget, ruleBytes, opening ? Opening.First : again ? Opening.Again : Opening.No, floored)
    // opened for the observer's own budget, whatever the floor read it as
    if (opening) {
      inp.priceBudget[slot] = byteBudget
      inp.priceAge[slot] = 0
    }
    if (k < heapN) {
      heapN = k
      K = k
    }
  }
  const { heap, topStamp } = st
  for (let i = 0; i < heapN; i++) topStamp[rowEid[heap[i]!]!] = st.stamp
  keepMembers(st, slot, o, observerAlive, byBytes)
  trimToBudget(st, slot, K)
  if (observerAlive) {
    enterRuleMembers(st, slot, o)
    enterTopK(st, slot, K, heapN, byBytes)
  }
  if (byBytes) {
    capBands(st, slot, readBudget, ruleBytes)
    // an opening tick with rows set the price (affordable); without, it opens on a later tick
    if (!opening) updatePrice(st, slot, o, readBudget)
    else if (!buying) inp.price[slot] = 0
  } else {
    inp.estBytes[slot] = 0
    inp.priceBudget[slot] = -1
    inp.price[slot] = 0
  }
  closeSet(st, slot, o)
}

/**
 * A kept tick of the amortised refresh (option `rescoreEvery`): the members stay as the last
 * re-score left them (score, band, out-ticks), except that removed, recycled and now denied ones
 * exit; a member whose rule changed takes its new rule (self and owned are High). Compacts the set
 * in place and stamps the members kept.
 */
export function keepUnscored(st: SelectionState, slot: number, o: number, observerAlive: boolean): void {
  const { memberStamp } = st
  const { sets, flags, generation } = st.inp
  const { eid: memberEid, gen: memberGen, outTicks: memberOut, band: memberBands, rule: memberRule, score: memberScore, exited, bandChanged } = sets
  const c = st.inp.c
  const POSITION = Has.Position
  const RULES = RULE_FLAGS
  const DENY = DENY_FLAGS
  const NONE = Rule.None
  const stamp = st.stamp
  const base = slot * sets.stride
  const prevN = sets.count[slot]!
  let w = 0
  let nonRule = 0
  let exitedN = st.exitedN
  let changedN = st.changedN
  for (let i = 0; i < prevN; i++) {
    const e = memberEid[base + i]!
    const fl = flags[e]!
    const valid = observerAlive && (fl & POSITION) !== 0 && generation[e] === memberGen[base + i]
    if (!valid || (e !== o && (fl & DENY) !== 0 && isDenied(c, flags, o, e))) {
      exited[base + exitedN++] = e
      continue
    }
    const rule = e !== o && (fl & RULES) === 0 ? NONE : ruleOf(c, flags, o, e)
    const cur = memberBands[base + i]!
    const band = rule === Rule.Self || rule === Rule.Owned ? 2 : cur
    if (band !== cur) bandChanged[base + changedN++] = e
    if (rule === NONE) nonRule++
    const j = base + w++
    memberBands[j] = band
    memberEid[j] = e
    memberGen[j] = memberGen[base + i]!
    memberOut[j] = rule === NONE ? memberOut[base + i]! : 0
    memberRule[j] = rule
    memberScore[j] = memberScore[base + i]!
    memberStamp[e] = stamp
  }
  st.w = w
  st.nonRule = nonRule
  st.exitedN = exitedN
  st.changedN = changedN
}

/** Closes observer `o`'s set on a tick it is not re-scored (see {@link keepUnscored}), with the rule members that are not in yet. */
export function keepObserver(st: SelectionState, slot: number, o: number): void {
  beginObserver(st)
  const observerAlive = (st.inp.flags[o]! & Has.Position) !== 0 && observerFault(st.inp.c, o) === -1
  keepUnscored(st, slot, o, observerAlive)
  if (observerAlive) enterRuleMembers(st, slot, o)
  closeSet(st, slot, o)
}

/** Creates the selection stage over `inp`. */
export function createSelector(inp: SelectionInputs): Selector {
  const st = createSelectionState(inp)
  return (slot, o, start, end) => selectObserver(st, slot, o, start, end)
}
