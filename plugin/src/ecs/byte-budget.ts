// Owns: the byte-budget stages of selection, for observers with `Observer.byteBudget > 0`: what
// the rule members cost, how many of the top K the budget affords, and the band capping after
// selection. Band choice and costs come from bands.ts; docs/concepts.md section 6b is the
// specification.
import { Band, chargeDetail, detailBand, memberBand, openDetailAccount, rawBand } from './bands'
import { Has } from './entity-tracker'
import { Rule, ruleOf } from './rules'
import { unlistChanged, type SelectionState } from './selection-state'
import { sortBestFirst } from './top-k'

/**
 * What the rule members will cost this tick at the configured rates (unscaled), each at its
 * entrant band: self and owned entities at High, an always-relevant one at the band its score
 * reaches (Low when not scored). Needs this observer's rows indexed.
 */
export function ruleMemberBytes(st: SelectionState, o: number, observerAlive: boolean): number {
  if (!observerAlive) return 0
  const { rowStamp, rowOf, bandCost } = st
  const { c, flags, scores, bands, ownership, alwaysRelevant } = st.inp
  const stamp = st.stamp
  const POSITION = Has.Position
  const LOW = Band.Low
  let b = bandCost[memberBand(LOW, Rule.Self, scores, -1, bands)]!
  for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) {
    if (e !== o && (flags[e]! & POSITION) !== 0) b += bandCost[memberBand(LOW, Rule.Owned, scores, -1, bands)]!
  }
  const ids = alwaysRelevant.ids
  for (let i = 0; i < alwaysRelevant.count; i++) {
    const e = ids[i]!
    if ((flags[e]! & POSITION) === 0 || ruleOf(c, flags, o, e) !== Rule.Always) continue
    b += bandCost[memberBand(LOW, Rule.Always, scores, rowStamp[e] === stamp ? rowOf[e]! : -1, bands)]!
  }
  return b
}

/**
 * Orders the heap's `n` rows best first and returns how many of them the budget affords after the
 * rule members' bytes: each at the band its score reaches while the detail share lasts, at Low
 * after that, all costs scaled by the slot's measured byte ratio.
 */
export function affordable(st: SelectionState, slot: number, n: number, budget: number, ruleBytes: number): number {
  const { heap, account } = st
  const { scores, rowEid, byteCosts, bands } = st.inp
  sortBestFirst(heap, n, scores, rowEid)
  const scale = st.inp.byteScale[slot]!
  openDetailAccount(account, byteCosts, scale, budget * byteCosts.detailShare)
  const low = account[Band.Low]!
  // the rule members come first: the budget is for everything the client receives
  let spent = ruleBytes * scale
  let k = 0
  for (; k < n; k++) {
    const band = detailBand(rawBand(scores, heap[k]!, bands), account)
    const cost = account[band]!
    if (spent + cost > budget) break
    // by cost, not band: a Medium that costs what a Low does spends no detail
    if (cost !== low) chargeDetail(account, band)
    spent += cost
  }
  return k
}

/**
 * Band capping: walks the set's Medium and High non-rule members best score first (ties by entity
 * id) and lowers the bands the detail share cannot pay for; keeps the band-changed list true to the
 * bands that result and stores the set's estimated bytes (unscaled).
 */
export function capBands(st: SelectionState, slot: number, budget: number, ruleBytes: number): void {
  const { detailed, prevBand, enteredStamp, account } = st
  const { sets, byteCosts } = st.inp
  const { eid: memberEid, band: memberBands, rule: memberRule, score: memberScore, bandChanged } = sets
  const NONE = Rule.None
  const LOW = Band.Low
  const stamp = st.stamp
  const base = slot * sets.stride
  const w = st.w
  const scale = st.inp.byteScale[slot]!
  openDetailAccount(account, byteCosts, 1, (budget * byteCosts.detailShare) / scale)
  const lowCost = account[LOW]!
  let n = 0
  let est = 0
  for (let i = 0; i < w; i++) {
    const j = base + i
    if (memberRule[j] !== NONE) continue
    if (memberBands[j]! === LOW) {
      est += lowCost
      continue
    }
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
    if (nb !== LOW) chargeDetail(account, nb)
    est += account[nb]!
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
  st.inp.estBytes[slot] = est + ruleBytes
}
