import type { AttentionComponents } from './components'
import { Has, type DenseList } from './entity-tracker'
import { isDenied } from './features'
import { Rule, type InterestSets } from './interest-sets'
import type { OwnershipIndex } from './ownership'
import type { BandOptions, HysteresisOptions } from './types'
import { Band } from './types'

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
  /** Scratch rows of the tick (reallocated by the system when it grows them). */
  rowEid: Uint32Array
  rowRule: Uint8Array
  scores: Float32Array
}

/** Selects one observer's set from its scored rows: top-K with hysteresis, rule members, softmax weights and bands. */
export type Selector = (slot: number, o: number, start: number, end: number) => void

/**
 * Creates the selection stage. Per-entity stamps replace Sets: `rowStamp[e] === stamp` means `e`
 * was scored for the current observer (at row `rowOf[e]`), `topStamp` that it ranks inside the
 * budget, `memberStamp` that it is in the set being built.
 */
export function createSelector(inp: SelectionInputs): Selector {
  const { c, flags, generation, sets, ownership, alwaysRelevant, hysteresis, bands } = inp
  const cap = c.capacity
  const stride = sets.stride
  const rowStamp = new Uint32Array(cap)
  const topStamp = new Uint32Array(cap)
  const memberStamp = new Uint32Array(cap)
  const rowOf = new Int32Array(cap)
  const heap = new Int32Array(stride + 1)
  const ranked = new Int32Array(stride + 1)
  const kthHint = new Float32Array(sets.count.length).fill(-Infinity)
  let stamp = 0
  const E = hysteresis.enterScore
  const X = hysteresis.exitScore
  const M = hysteresis.minOutTicks
  const S = hysteresis.swapMargin
  const high = bands.high
  const medium = bands.medium
  const margin = bands.margin

  const nextStamp = (): number => {
    // stamps stay in the small-integer range (a larger captured number would be boxed)
    if (stamp >= 0x3fffffff) {
      rowStamp.fill(0)
      topStamp.fill(0)
      memberStamp.fill(0)
      enteredStamp.fill(0)
      stamp = 0
    }
    return ++stamp
  }

  /** Restores the min-heap ("worst on top") below index i; arrays passed in so V8 keeps them in registers. */
  const siftDown = (h: Int32Array, n: number, i: number, sc: Float32Array, ids: Uint32Array): void => {
    const r0 = h[i]!
    const s0 = sc[r0]!
    const e0 = ids[r0]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      let m = l
      let mr = h[l]!
      let ms = sc[mr]!
      if (l + 1 < n) {
        const rr = h[l + 1]!
        const rs = sc[rr]!
        if (rs < ms || (rs === ms && ids[rr]! > ids[mr]!)) {
          m = l + 1
          mr = rr
          ms = rs
        }
      }
      // stop when the child is not worse than the sifted row
      if (!(ms < s0 || (ms === s0 && ids[mr]! > e0))) break
      h[i] = mr
      i = m
    }
    h[i] = r0
  }

  const ruleOf = (o: number, e: number): number => {
    if (e === o) return Rule.Self
    const fl = flags[e]!
    if ((fl & Has.Owner) !== 0 && c.Owner.eid[e] === o) return Rule.Owned
    if ((fl & Has.AlwaysRelevant) !== 0 && !isDenied(c, flags, o, e)) return Rule.Always
    return Rule.None
  }

  const enteredStamp = new Uint32Array(cap)
  let enteredN = 0

  const enter = (base: number, w: number, e: number, rule: number, st: number): number => {
    const j = base + w
    sets.eid[j] = e
    sets.gen[j] = generation[e]!
    sets.outTicks[j] = 0
    sets.rule[j] = rule
    sets.band[j] = Band.Low
    memberStamp[e] = st
    enteredStamp[e] = st
    sets.entered[base + enteredN++] = e
    return w + 1
  }

  const copyMember = (dst: number, src: number): void => {
    sets.eid[dst] = sets.eid[src]!
    sets.gen[dst] = sets.gen[src]!
    sets.outTicks[dst] = sets.outTicks[src]!
    sets.rule[dst] = sets.rule[src]!
    sets.band[dst] = sets.band[src]!
  }

  /** Index of the lowest-scoring lingering member (non-rule, outside the top K), or -1. */
  const weakestLingering = (base: number, w: number, st: number): number => {
    const scores = inp.scores
    let weakest = -1
    let ws = Infinity
    for (let i = 0; i < w; i++) {
      const m = sets.eid[base + i]!
      if (sets.rule[base + i] !== Rule.None || topStamp[m] === st || rowStamp[m] !== st) continue
      const ms = scores[rowOf[m]!]!
      if (ms < ws || (weakest !== -1 && ms === ws && m > sets.eid[base + weakest]!)) {
        ws = ms
        weakest = i
      }
    }
    return weakest
  }

  /** Removes member `i` of a set of `w` (the last member fills the hole); returns the new exited count. */
  const evict = (base: number, w: number, i: number, exitedN: number): number => {
    const e = sets.eid[base + i]!
    sets.exited[base + exitedN] = e
    memberStamp[e] = 0
    copyMember(base + i, base + w - 1)
    return exitedN + 1
  }

  return (slot, o, start, end) => {
    const base = slot * stride
    const st = nextStamp()
    const scores = inp.scores
    const rowEid = inp.rowEid
    const rowRule = inp.rowRule
    let exitedN = 0
    let changedN = 0
    enteredN = 0
    const observerAlive = (flags[o]! & Has.Position) !== 0

    // 1. index this observer's rows and keep the top K non-rule rows in a min-heap (worst on top,
    // root cached in locals). Rows scoring below `hint` (a little under last tick's K-th best) skip
    // the heap: if K rows still reach it, no skipped row can rank inside the budget, so the result
    // is exact; otherwise a second pass without the hint runs.
    let K = c.Observer.budget[o]!
    if (K > stride) K = stride
    let heapN = 0
    let minS = 0
    let minE = 0
    let hint = kthHint[slot]!
    let skipped = 0
    for (let r = start; r < end; r++) {
      const e = rowEid[r]!
      rowStamp[e] = st
      rowOf[e] = r
    }
    for (let pass = 0; pass < 2; pass++) {
      heapN = 0
      skipped = 0
      for (let r = start; r < end; r++) {
        if (rowRule[r] !== Rule.None) continue
        const s = scores[r]!
        if (s < hint) {
          skipped++
          continue
        }
        if (heapN < K) {
          heap[heapN++] = r
          if (heapN === K) {
            for (let i = (K >> 1) - 1; i >= 0; i--) siftDown(heap, K, i, scores, rowEid)
            minS = scores[heap[0]!]!
            minE = rowEid[heap[0]!]!
          }
          continue
        }
        const e = rowEid[r]!
        if (s > minS || (s === minS && e < minE)) {
          heap[0] = r
          siftDown(heap, heapN, 0, scores, rowEid)
          minS = scores[heap[0]!]!
          minE = rowEid[heap[0]!]!
        }
      }
      if (heapN === K || skipped === 0) break
      hint = -Infinity
    }
    kthHint[slot] = heapN === K ? minS - 0.1 - 0.05 * Math.abs(minS) : -Infinity
    for (let i = 0; i < heapN; i++) topStamp[rowEid[heap[i]!]!] = st

    // 2. previous members: keep, linger or exit (compacted in place)
    const prevN = sets.count[slot]!
    let w = 0
    let nonRule = 0
    for (let i = 0; i < prevN; i++) {
      const e = sets.eid[base + i]!
      const valid = observerAlive && (flags[e]! & Has.Position) !== 0 && generation[e] === sets.gen[base + i]
      if (!valid) {
        sets.exited[base + exitedN++] = e
        continue
      }
      const rule = ruleOf(o, e)
      const scored = rowStamp[e] === st
      let out = sets.outTicks[base + i]!
      if (rule === Rule.None) {
        if (!scored) {
          sets.exited[base + exitedN++] = e
          continue
        }
        const s = scores[rowOf[e]!]!
        if (s < X) {
          sets.exited[base + exitedN++] = e
          continue
        }
        if (topStamp[e] === st) out = 0
        else if (++out > M) {
          sets.exited[base + exitedN++] = e
          continue
        }
        nonRule++
      } else out = 0
      // compaction: an earlier exit moves this member down, and its band (for band hysteresis) with it
      const j = base + w++
      sets.band[j] = sets.band[base + i]!
      sets.eid[j] = e
      sets.gen[j] = generation[e]!
      sets.outTicks[j] = out
      sets.rule[j] = rule
      memberStamp[e] = st
    }

    // a shrunk budget, or a rule member that lost its rule, can leave more than K non-rule
    // members: the weakest lingering ones go first
    while (nonRule > K) {
      const weakest = weakestLingering(base, w, st)
      if (weakest === -1) break
      exitedN = evict(base, w--, weakest, exitedN)
      nonRule--
    }

    // 3. rule members that are not in yet: self, owned, always-relevant
    if (observerAlive) {
      if (memberStamp[o] !== st && w < stride) w = enter(base, w, o, Rule.Self, st)
      for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) {
        if ((flags[e]! & Has.Position) === 0 || memberStamp[e] === st || w >= stride) continue
        w = enter(base, w, e, Rule.Owned, st)
      }
      const ids = alwaysRelevant.ids
      for (let i = 0; i < alwaysRelevant.count; i++) {
        const e = ids[i]!
        if (e === o || memberStamp[e] === st || w >= stride || (flags[e]! & Has.Position) === 0) continue
        if (isDenied(c, flags, o, e)) continue
        w = enter(base, w, e, Rule.Always, st)
      }
    }

    // 4. entrants: top-K rows not yet in, score >= E, best first (usually a handful: insertion sort)
    let rankedN = 0
    for (let i = 0; i < heapN; i++) {
      const r = heap[i]!
      const s = scores[r]!
      if (memberStamp[rowEid[r]!] === st || !(s >= E)) continue
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
    for (let k = 0; k < rankedN && observerAlive; k++) {
      const r = ranked[k]!
      const e = rowEid[r]!
      const s = scores[r]!
      if (nonRule < K && w < stride) {
        w = enter(base, w, e, Rule.None, st)
        nonRule++
        continue
      }
      // full: displace the weakest lingering member if the entrant beats it by the swap margin
      const weakest = weakestLingering(base, w, st)
      const ws = weakest === -1 ? 0 : scores[rowOf[sets.eid[base + weakest]!]!]!
      if (weakest === -1 || !(s > ws + S)) break
      exitedN = evict(base, w--, weakest, exitedN)
      w = enter(base, w, e, Rule.None, st)
    }

    // 5. scores and bands; softmax weights are computed on first read (see InterestSets.weights)
    const temp = c.Observer.temperature[o]!
    let smax = -Infinity
    for (let i = 0; i < w; i++) {
      const j = base + i
      const e = sets.eid[j]!
      const rule = sets.rule[j]!
      const scored = rowStamp[e] === st
      const s = scored ? scores[rowOf[e]!]! : NaN
      sets.score[j] = s
      if (scored && s > smax) smax = s
      const fresh = enteredStamp[e] === st
      // bands inline: calling a helper with a double argument would box it (an allocation)
      let band: number
      if (rule === Rule.Self || rule === Rule.Owned) band = Band.High
      else if (!scored) band = Band.Low
      else {
        band = s >= high ? Band.High : s >= medium ? Band.Medium : Band.Low
        const cur = sets.band[j]!
        // going down needs the score below the current band's threshold minus the margin
        if (!fresh && band < cur) {
          if (cur === Band.High && s >= high - margin) band = Band.High
          else if (cur >= Band.Medium && s >= medium - margin) band = Band.Medium
          else band = Band.Low
        }
      }
      if (!fresh && band !== sets.band[j]) sets.bandChanged[base + changedN++] = e
      sets.band[j] = band
    }
    sets.smax[slot] = smax
    sets.temperature[slot] = temp
    sets.weightsValid[slot] = 0
    sets.count[slot] = w
    sets.enteredCount[slot] = enteredN
    sets.exitedCount[slot] = exitedN
    sets.bandChangedCount[slot] = changedN
  }
}
