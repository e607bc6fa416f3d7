import type { AttentionComponents } from './components'
import { Has, type DenseList } from './entity-tracker'
import { isDenied } from './features'
import { Rule, type InterestSets } from './interest-sets'
import type { OwnershipIndex } from './ownership'
import type { BandOptions, ByteCostOptions, HysteresisOptions } from './types'
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
  readonly byteCosts: ByteCostOptions
  /** Per observer slot: smoothed ratio of the bytes the encoder sent to the engine's estimate (1 until told). */
  readonly byteScale: Float32Array
  /** Per observer slot: the set's bytes per second after the last tick at the unscaled band costs (0 without a byte budget). */
  readonly estBytes: Float32Array
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
  const { c, sets, ownership, alwaysRelevant, hysteresis, bands, byteCosts } = inp
  const cap = c.capacity
  const stride = sets.stride
  const ownerOf = c.Owner.eid
  const scratch = {
    rowStamp: new Uint32Array(cap),
    topStamp: new Uint32Array(cap),
    memberStamp: new Uint32Array(cap),
    rowOf: new Int32Array(cap),
    heap: new Int32Array(stride + 1),
    ranked: new Int32Array(stride + 1),
    pool: new Int32Array(cap),
    // byte budget only: a kept member's band after the previous tick, entrants of this tick, and
    // the detailed members in score order
    prevBand: new Uint8Array(cap),
    enteredStamp: new Uint32Array(cap),
    detailed: new Int32Array(stride),
  }
  const kthHint = new Float32Array(sets.count.length).fill(-Infinity)
  let stamp = 0

  const nextStamp = (): number => {
    // stamps stay in the small-integer range (a larger captured number would be boxed)
    if (stamp >= 0x3fffffff) {
      scratch.rowStamp.fill(0)
      scratch.topStamp.fill(0)
      scratch.memberStamp.fill(0)
      scratch.enteredStamp.fill(0)
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

  /** The rule that keeps `e` (with flags `fl`) in `o`'s set regardless of score. */
  const ruleOf = (o: number, e: number, fl: number): number => {
    if (e === o) return Rule.Self
    if ((fl & Has.Owner) !== 0 && ownerOf[e] === o) return Rule.Owned
    if ((fl & Has.AlwaysRelevant) !== 0 && !isDenied(c, inp.flags, o, e)) return Rule.Always
    return Rule.None
  }

  let enteredN = 0

  const enter = (base: number, w: number, e: number, rule: number, st: number): number => {
    const j = base + w
    sets.eid[j] = e
    sets.gen[j] = inp.generation[e]!
    sets.outTicks[j] = 0
    sets.rule[j] = rule
    const s = scratch.rowStamp[e] === st ? inp.scores[scratch.rowOf[e]!]! : NaN
    sets.score[j] = s
    // an entrant's band has no hysteresis: the thresholds it reaches
    sets.band[j] = rule === Rule.Self || rule === Rule.Owned ? Band.High : s !== s ? Band.Low : Number(s >= bands.high) + Number(s >= bands.medium)
    scratch.memberStamp[e] = st
    scratch.enteredStamp[e] = st
    sets.entered[base + enteredN++] = e
    return w + 1
  }

  const copyMember = (dst: number, src: number): void => {
    sets.eid[dst] = sets.eid[src]!
    sets.gen[dst] = sets.gen[src]!
    sets.outTicks[dst] = sets.outTicks[src]!
    sets.rule[dst] = sets.rule[src]!
    sets.band[dst] = sets.band[src]!
    sets.score[dst] = sets.score[src]!
  }

  /** Index of the lowest-scoring lingering member (non-rule, outside the top K), or -1. */
  const weakestLingering = (base: number, w: number, st: number): number => {
    const scores = inp.scores
    let weakest = -1
    let ws = Infinity
    for (let i = 0; i < w; i++) {
      const m = sets.eid[base + i]!
      if (sets.rule[base + i] !== Rule.None || scratch.topStamp[m] === st || scratch.rowStamp[m] !== st) continue
      const ms = scores[scratch.rowOf[m]!]!
      if (ms < ws || (weakest !== -1 && ms === ws && m > sets.eid[base + weakest]!)) {
        ws = ms
        weakest = i
      }
    }
    return weakest
  }

  /** Takes `e` out of the slot's band-changed list of `n` (it left the set); returns the new count. */
  const unlistChanged = (base: number, n: number, e: number): number => {
    const changed = sets.bandChanged
    for (let k = 0; k < n; k++) {
      if (changed[base + k] !== e) continue
      changed[base + k] = changed[base + n - 1]!
      return n - 1
    }
    return n
  }

  /** Removes member `i` of a set of `w` (the last member fills the hole); returns the new exited count. */
  const evict = (base: number, w: number, i: number, exitedN: number): number => {
    const e = sets.eid[base + i]!
    sets.exited[base + exitedN] = e
    scratch.memberStamp[e] = 0
    copyMember(base + i, base + w - 1)
    return exitedN + 1
  }

  /**
   * Byte budget: what the rule members will cost this tick at the configured rates (unscaled):
   * self and owned entities at High, an always-relevant one at the band its score reaches (Low
   * when not scored). Read before selection, from the same lists step 3 walks.
   */
  const ruleMemberBytes = (o: number, st: number, observerAlive: boolean): number => {
    if (!observerAlive) return 0
    const { rowStamp, rowOf } = scratch
    const { flags, scores } = inp
    const POSITION = Has.Position
    const high = byteCosts.high
    let b = high
    for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) if (e !== o && (flags[e]! & POSITION) !== 0) b += high
    const ids = alwaysRelevant.ids
    for (let i = 0; i < alwaysRelevant.count; i++) {
      const e = ids[i]!
      if (e === o || (flags[e]! & POSITION) === 0 || ((flags[e]! & Has.Owner) !== 0 && ownerOf[e] === o) || isDenied(c, flags, o, e)) continue
      const s = rowStamp[e] === st ? scores[rowOf[e]!]! : NaN
      b += s >= bands.high ? high : s >= bands.medium ? byteCosts.medium : byteCosts.low
    }
    return b
  }

  /**
   * Byte budget, first half: orders the heap's `n` rows best first (heapsort) and returns how many
   * of them the budget affords, each at the band its score reaches while the detail share lasts
   * and at Low after that.
   */
  const affordable = (slot: number, n: number, budget: number, ruleBytes: number): number => {
    const { heap } = scratch
    const { scores, rowEid } = inp
    // heapsort: the worst row goes to the end each round, leaving the rows best first (a heap that
    // never filled up is still in row order: heapify it first)
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, n, i, scores, rowEid)
    for (let m = n; m > 1; m--) {
      const worst = heap[0]!
      heap[0] = heap[m - 1]!
      heap[m - 1] = worst
      siftDown(heap, m - 1, 0, scores, rowEid)
    }
    const scale = inp.byteScale[slot]!
    const cL = byteCosts.low * scale
    const cM = byteCosts.medium * scale
    const cH = byteCosts.high * scale
    const detailCap = budget * byteCosts.detailShare
    const high = bands.high
    const medium = bands.medium
    // the rule members come first: the budget is for everything the client receives
    let spent = ruleBytes * scale
    let detail = 0
    let k = 0
    for (; k < n; k++) {
      const s = scores[heap[k]!]!
      let cost = cL
      if (s >= high && detail + cH <= detailCap) cost = cH
      else if (s >= medium && detail + cM <= detailCap) cost = cM
      if (spent + cost > budget) break
      if (cost !== cL) detail += cost
      spent += cost
    }
    return k
  }

  /**
   * Byte budget, second half: walks the set's Medium and High members best score first and lowers
   * the bands the detail share cannot pay for; keeps the band-changed list true to the bands that
   * result and stores the set's estimated bytes. Returns the new band-changed count.
   */
  const capBands = (slot: number, base: number, w: number, st: number, changedN: number, budget: number, ruleBytes: number): number => {
    const { detailed, prevBand, enteredStamp } = scratch
    const { eid: memberEid, band: memberBand, rule: memberRule, score: memberScore, bandChanged } = sets
    const NONE = Rule.None
    const LOW = Band.Low
    const MEDIUM = Band.Medium
    const HIGH = Band.High
    const lowCost = byteCosts.low
    const mediumCost = byteCosts.medium
    const highCost = byteCosts.high
    const scale = inp.byteScale[slot]!
    let n = 0
    let est = 0
    for (let i = 0; i < w; i++) {
      const j = base + i
      if (memberRule[j] !== NONE) continue
      if (memberBand[j]! === LOW) {
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
    const detailCap = (budget * byteCosts.detailShare) / scale
    let detail = 0
    for (let k = 0; k < n; k++) {
      const j = base + detailed[k]!
      const b = memberBand[j]!
      let nb: number = LOW
      if (b === HIGH && detail + highCost <= detailCap) nb = HIGH
      else if (detail + mediumCost <= detailCap) nb = MEDIUM
      const cost = nb === HIGH ? highCost : nb === MEDIUM ? mediumCost : lowCost
      if (nb !== LOW) detail += cost
      est += cost
      if (nb === b) continue
      memberBand[j] = nb
      const e = memberEid[j]!
      // an entrant is on the entered list, never the band-changed one
      if (enteredStamp[e] === st) continue
      const p = prevBand[e]!
      if (p !== b && p === nb) changedN = unlistChanged(base, changedN, e)
      else if (p === b) bandChanged[base + changedN++] = e
    }
    inp.estBytes[slot] = est + ruleBytes
    return changedN
  }

  return (slot, o, start, end) => {
    // Every typed array in a local: V8 reloads a captured one from the closure context at each
    // access, which costs more than the work these loops do per row.
    const { rowStamp, topStamp, memberStamp, rowOf, heap, ranked, pool, prevBand } = scratch
    const { eid: memberEid, gen: memberGen, outTicks: memberOut, band: memberBand, rule: memberRule, score: memberScore, exited, bandChanged } = sets
    const { flags, generation, scores, rowEid, rowRule } = inp
    // imported constants in locals too: without V8's context specialisation (a second system in
    // the process) each `Has.X` would walk the context chain to the module and load a property
    const POSITION = Has.Position
    const OWNER_OR_ALWAYS = Has.Owner | Has.AlwaysRelevant
    const NONE = Rule.None
    const SELF = Rule.Self
    const OWNED = Rule.Owned
    const ALWAYS = Rule.Always
    const LOW = Band.Low
    const MEDIUM = Band.Medium
    const HIGH = Band.High
    const E = hysteresis.enterScore
    const X = hysteresis.exitScore
    const M = hysteresis.minOutTicks
    const S = hysteresis.swapMargin
    const high = bands.high
    const medium = bands.medium
    const margin = bands.margin
    const base = slot * stride
    const st = nextStamp()
    let exitedN = 0
    let changedN = 0
    enteredN = 0
    const observerAlive = (flags[o]! & POSITION) !== 0

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
      // the rows that compete for the budget and reach the hint, in row order; appended without a
      // branch on the score (which would be a coin flip)
      let poolN = 0
      let competing = 0
      for (let r = start; r < end; r++) {
        const open = Number(rowRule[r] === NONE)
        pool[poolN] = r
        poolN += open & Number(!(scores[r]! < hint))
        competing += open
      }
      skipped = competing - poolN
      heapN = 0
      for (let p = 0; p < poolN; p++) {
        const r = pool[p]!
        const s = scores[r]!
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
    const byteBudget = c.Observer.byteBudget[o]!
    const byBytes = byteBudget > 0
    let ruleBytes = 0
    if (byBytes) ruleBytes = ruleMemberBytes(o, st, observerAlive)
    if (byBytes && heapN > 0) {
      const k = affordable(slot, heapN, byteBudget, ruleBytes)
      if (k < heapN) {
        heapN = k
        K = k
      }
    }
    for (let i = 0; i < heapN; i++) topStamp[rowEid[heap[i]!]!] = st

    // 2. previous members: keep, linger or exit (compacted in place)
    const prevN = sets.count[slot]!
    let w = 0
    let nonRule = 0
    for (let i = 0; i < prevN; i++) {
      const e = memberEid[base + i]!
      const valid = observerAlive && (flags[e]! & POSITION) !== 0 && generation[e] === memberGen[base + i]
      if (!valid) {
        exited[base + exitedN++] = e
        continue
      }
      const fe = flags[e]!
      // inline for the common member (not self, owned or always-relevant): a call per member costs more
      const rule = e !== o && (fe & OWNER_OR_ALWAYS) === 0 ? NONE : ruleOf(o, e, fe)
      const scored = rowStamp[e] === st
      const s = scored ? scores[rowOf[e]!]! : NaN
      let out = memberOut[base + i]!
      if (rule === NONE) {
        if (!scored) {
          exited[base + exitedN++] = e
          continue
        }
        if (s < X) {
          exited[base + exitedN++] = e
          continue
        }
        if (topStamp[e] === st) out = 0
        else if (++out > M) {
          exited[base + exitedN++] = e
          continue
        }
        nonRule++
      } else out = 0
      // its band; going down needs the score below the current band's threshold minus the margin.
      // Inline: calling a helper with a double argument would box it (an allocation).
      const cur = memberBand[base + i]!
      let band: number
      if (rule === SELF || rule === OWNED) band = HIGH
      // NaN when not scored this tick; a scorer's NaN bands the same way (Low)
      else if (s !== s) band = LOW
      else {
        // high >= medium, so the band is the count of thresholds reached (no branch on the score)
        band = Number(s >= high) + Number(s >= medium)
        if (band < cur) {
          if (cur === HIGH && s >= high - margin) band = HIGH
          else if (cur >= MEDIUM && s >= medium - margin) band = MEDIUM
          else band = LOW
        }
      }
      if (band !== cur) bandChanged[base + changedN++] = e
      if (byBytes) prevBand[e] = cur
      // compaction: an earlier exit moves this member down
      const j = base + w++
      memberBand[j] = band
      memberEid[j] = e
      memberGen[j] = generation[e]!
      memberOut[j] = out
      memberRule[j] = rule
      memberScore[j] = s
      memberStamp[e] = st
    }

    // a shrunk budget, or a rule member that lost its rule, can leave more than K non-rule
    // members: the weakest lingering ones go first
    while (nonRule > K) {
      const weakest = weakestLingering(base, w, st)
      if (weakest === -1) break
      exitedN = evict(base, w--, weakest, exitedN)
      changedN = unlistChanged(base, changedN, exited[base + exitedN - 1]!)
      nonRule--
    }

    // 3. rule members that are not in yet: self, owned, always-relevant
    if (observerAlive) {
      if (memberStamp[o] !== st && w < stride) w = enter(base, w, o, SELF, st)
      for (let e = ownership.head[o]!; e !== -1; e = ownership.next[e]!) {
        if ((flags[e]! & POSITION) === 0 || memberStamp[e] === st || w >= stride) continue
        w = enter(base, w, e, OWNED, st)
      }
      const ids = alwaysRelevant.ids
      for (let i = 0; i < alwaysRelevant.count; i++) {
        const e = ids[i]!
        if (e === o || memberStamp[e] === st || w >= stride || (flags[e]! & POSITION) === 0) continue
        if (isDenied(c, flags, o, e)) continue
        w = enter(base, w, e, ALWAYS, st)
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
        w = enter(base, w, e, NONE, st)
        nonRule++
        continue
      }
      // full: displace the weakest lingering member if the entrant beats it by the swap margin
      const weakest = weakestLingering(base, w, st)
      const ws = weakest === -1 ? 0 : scores[rowOf[memberEid[base + weakest]!]!]!
      if (weakest === -1 || !(s > ws + S)) break
      exitedN = evict(base, w--, weakest, exitedN)
      changedN = unlistChanged(base, changedN, exited[base + exitedN - 1]!)
      w = enter(base, w, e, NONE, st)
    }

    // 4b. a byte budget: Medium and High go to the best-scoring members while the detail share lasts
    if (byBytes) changedN = capBands(slot, base, w, st, changedN, byteBudget, ruleBytes)
    else inp.estBytes[slot] = 0

    // 5. the softmax shift; weights are computed on first read (see InterestSets.weights)
    const temp = c.Observer.temperature[o]!
    let smax = -Infinity
    // NaN (not scored this tick) is no maximum
    for (let j = base; j < base + w; j++) if (memberScore[j]! > smax) smax = memberScore[j]!
    sets.smax[slot] = smax
    sets.temperature[slot] = temp
    sets.weightsValid[slot] = 0
    sets.count[slot] = w
    sets.enteredCount[slot] = enteredN
    sets.exitedCount[slot] = exitedN
    sets.bandChangedCount[slot] = changedN
  }
}
