import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { Band, DEFAULT_BANDS, DEFAULT_BYTE_COSTS } from '../../src/ecs/bands'
import { affordable, capBands, Opening, ruleMemberBytes } from '../../src/ecs/byte-budget'
import { createDenseList, Has } from '../../src/ecs/entity-tracker'
import { createInterestSets } from '../../src/ecs/interest-sets'
import { DEFAULT_HYSTERESIS, resolveOptions } from '../../src/ecs/options'
import { createOwnershipIndex } from '../../src/ecs/ownership'
import { Rule } from '../../src/ecs/rules'
import { closeSet, enterRuleMembers, enterTopK, keepMembers, selectObserver, trimToBudget } from '../../src/ecs/selection'
import { beginObserver, createSelectionState, indexRows } from '../../src/ecs/selection-state'
import { rankTopK } from '../../src/ecs/top-k'
import { LOWEST_SCORE } from '../../src/ecs/scorer'
import type { HysteresisOptions } from '../../src/ecs/types'
import { affordableCount, expectedBytesBands } from '../support/brute-force'

// The selection stages one by one, on hand-made rows. Observer 1 in slot 0; entities 2.. scored.
const O = 1

function setup(hysteresis: HysteresisOptions = { ...DEFAULT_HYSTERESIS }) {
  const c = createAttentionComponents(64)
  const flags = new Uint16Array(64).fill(Has.Position)
  c.Observer.radius[O] = 50
  c.Observer.budget[O] = 3
  c.Observer.temperature[O] = 1
  const alwaysRelevant = createDenseList(64)
  const inp = {
    c,
    flags,
    generation: new Uint32Array(64),
    sets: createInterestSets(2, 16),
    ownership: createOwnershipIndex(c),
    alwaysRelevant,
    hysteresis,
    bands: { ...DEFAULT_BANDS },
    byteCosts: { ...DEFAULT_BYTE_COSTS },
    byteScale: new Float32Array(2).fill(1),
    estBytes: new Float32Array(2),
    selfStill: new Float64Array(2).fill(DEFAULT_BYTE_COSTS.still),
    stillCharge: new Float64Array(2).fill(-1),
    floorBytes: new Float64Array(2),
    detailBytes: new Float64Array(2),
    price: new Float32Array(2),
    priceBudget: new Float32Array(2).fill(-1),
    priceAge: new Float32Array(2),
    dt: 0.05,
    rowEid: new Uint32Array(64),
    rowRule: new Uint8Array(64),
    scores: new Float32Array(64),
  }
  const st = createSelectionState(inp)
  /** This tick's rows: entity -> score (no rule). */
  const rows = (scored: Record<number, number>): number => {
    let n = 0
    for (const [e, s] of Object.entries(scored)) {
      inp.rowEid[n] = Number(e)
      inp.rowRule[n] = Rule.None
      inp.scores[n++] = s
    }
    return n
  }
  /** The set of slot 0 as [entity, outTicks] sorted by entity. */
  const members = (): [number, number][] => {
    const out: [number, number][] = []
    for (let i = 0; i < inp.sets.count[0]!; i++) out.push([inp.sets.eid[i]!, inp.sets.outTicks[i]!])
    return out.sort((a, b) => a[0] - b[0])
  }
  /** Starts a tick's selection for O up to the stamped top K; returns heapN. */
  const begin = (n: number, K: number): number => {
    beginObserver(st)
    indexRows(st, 0, n)
    const heapN = rankTopK(st, 0, K, 0, n, inp.scores, inp.rowEid, inp.rowRule)
    for (let i = 0; i < heapN; i++) st.topStamp[inp.rowEid[st.heap[i]!]!] = st.stamp
    return heapN
  }
  const select = (n: number): void => selectObserver(st, 0, O, 0, n)
  return { c, flags, inp, st, rows, members, begin, select, alwaysRelevant }
}

describe('selection', () => {
  it('should keep top-K members, let the others linger minOutTicks ticks, and drop the unscored and the low', () => {
    const { st, rows, members, begin, select } = setup({ ...DEFAULT_HYSTERESIS, minOutTicks: 1 })
    select(rows({ 2: 5, 3: 4, 4: 3, 5: 2 }))
    expect(members().map(([e]) => e)).toEqual([1, 2, 3, 4])
    // 4 falls out of the top 3, 3 is not scored, 2 drops below exitScore
    const n = rows({ 2: 0.05, 4: 1, 5: 2, 6: 3, 7: 4 })
    begin(n, 3)
    keepMembers(st, 0, O, true, false)
    expect(st.exitedN).toBe(2)
    expect(st.w).toBe(2)
    expect(st.nonRule).toBe(1)
    closeSet(st, 0, O)
    expect(members()).toEqual([[1, 0], [4, 1]])
    // a second tick outside the top K: beyond minOutTicks, it exits
    begin(rows({ 4: 1, 6: 3, 7: 4, 8: 5 }), 3)
    keepMembers(st, 0, O, true, false)
    closeSet(st, 0, O)
    expect(members()).toEqual([[1, 0]])
  })

  it('should trim the weakest lingering members when the budget shrinks', () => {
    const { st, c, rows, members, begin, select } = setup()
    select(rows({ 2: 5, 3: 4, 4: 3 }))
    c.Observer.budget[O] = 1
    const n = rows({ 2: 3.5, 3: 3.6, 4: 9 })
    begin(n, 1)
    keepMembers(st, 0, O, true, false)
    expect(st.nonRule).toBe(3)
    trimToBudget(st, 0, 1)
    closeSet(st, 0, O)
    expect(members().map(([e]) => e)).toEqual([1, 4])
    expect(st.exitedN).toBe(2)
  })

  it('should enter self, owned and undenied always-relevant entities whatever their score', () => {
    const { st, c, flags, inp, rows, members, begin, alwaysRelevant } = setup()
    flags[9] = Has.Position | Has.Owner
    c.Owner.eid[9] = O
    flags[10] = Has.Position | Has.AlwaysRelevant
    flags[11] = Has.Position | Has.AlwaysRelevant | Has.Hidden
    flags[12] = Has.AlwaysRelevant
    for (const e of [10, 11, 12]) alwaysRelevant.add(e)
    const owned = createDenseList(64)
    owned.add(9)
    inp.ownership.sync(owned, flags, new Uint32Array(64))
    begin(rows({ 10: 5 }), 3)
    keepMembers(st, 0, O, true, false)
    enterRuleMembers(st, 0, O)
    closeSet(st, 0, O)
    expect(members().map(([e]) => e)).toEqual([1, 9, 10])
    const byEntity = new Map(Array.from({ length: inp.sets.count[0]! }, (_, i) => [inp.sets.eid[i]!, i]))
    expect(inp.sets.rule[byEntity.get(9)!]).toBe(Rule.Owned)
    expect(inp.sets.band[byEntity.get(9)!]).toBe(Band.High)
    expect(inp.sets.score[byEntity.get(10)!]).toBe(5)
    expect(inp.sets.band[byEntity.get(10)!]).toBe(Band.High)
    expect(st.nonRule).toBe(0)
  })

  it('should enter the best entrants above enterScore, then swap a lingering member only by the margin', () => {
    const { st, rows, members, begin, select } = setup({ ...DEFAULT_HYSTERESIS, swapMargin: 1 })
    select(rows({ 2: 5, 3: 4, 4: 3 }))
    // 5 and 6 push 3 and 4 out of the top 3: 6 beats lingering 4 by more than the margin, 5 does not beat 3 by it
    const n = rows({ 2: 5, 3: 2.5, 4: 2, 5: 3.4, 6: 3.5, 7: 0.2 })
    const heapN = begin(n, 3)
    keepMembers(st, 0, O, true, false)
    enterRuleMembers(st, 0, O)
    enterTopK(st, 0, 3, heapN, false)
    closeSet(st, 0, O)
    expect(members().map(([e]) => e)).toEqual([1, 2, 3, 6])
    expect(st.enteredN).toBe(1)
    expect(st.exitedN).toBe(1)
  })

  it('should let the rows bought, not enterScore and exitScore, decide under a byte budget', () => {
    // one tick of the stages, with or without a byte budget (byBytes), from the rows given
    const run = (byBytes: boolean, ticks: Record<number, number>[]): number[] => {
      const { st, rows, members, begin } = setup({ ...DEFAULT_HYSTERESIS })
      for (const t of ticks) {
        const heapN = begin(rows(t), 3)
        keepMembers(st, 0, O, true, byBytes)
        enterRuleMembers(st, 0, O)
        enterTopK(st, 0, 3, heapN, byBytes)
        closeSet(st, 0, O)
      }
      return members().map(([e]) => e)
    }
    // 2 and 3 score below enterScore (0.3): they enter only under a byte budget (NaN never does)
    expect(run(false, [{ 2: 0.2, 3: 0.05, 4: NaN }])).toEqual([1])
    expect(run(true, [{ 2: 0.2, 3: 0.05, 4: NaN }])).toEqual([1, 2, 3])
    // any real score enters under a byte budget, but not one standing for none (a custom scorer's NaN, -Infinity)
    expect(run(true, [{ 2: -1e30, 3: LOWEST_SCORE, 4: -Infinity }])).toEqual([1, 2])
    // 2 falls below exitScore (0.1) while in the top K: it leaves only without a byte budget
    expect(run(false, [{ 2: 5 }, { 2: 0.05 }])).toEqual([1])
    expect(run(true, [{ 2: 5 }, { 2: 0.05 }])).toEqual([1, 2])
  })

  it('should close the set with its counts and the softmax shift over scored members', () => {
    const { inp, rows, select } = setup()
    select(rows({ 2: 5, 3: 4 }))
    expect(inp.sets.count[0]).toBe(3)
    expect(inp.sets.smax[0]).toBe(5)
    expect(inp.sets.enteredCount[0]).toBe(3)
    inp.sets.weights(0)
    const w = Array.from(inp.sets.weight.subarray(0, 3))
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
  })
})

describe('byte-budget', () => {
  it('should price rule members at their entrant band', () => {
    const { st, c, flags, inp, rows, begin, alwaysRelevant } = setup()
    flags[9] = Has.Position | Has.Owner
    c.Owner.eid[9] = O
    const owned = createDenseList(64)
    owned.add(9)
    inp.ownership.sync(owned, flags, new Uint32Array(64))
    flags[10] = Has.Position | Has.AlwaysRelevant
    flags[11] = Has.Position | Has.AlwaysRelevant
    flags[12] = Has.Position | Has.AlwaysRelevant | Has.Hidden
    for (const e of [10, 11, 12]) alwaysRelevant.add(e)
    begin(rows({ 10: 2.5 }), 3)
    const { high, medium, low, still } = DEFAULT_BYTE_COSTS
    // self and owned High, 10 Medium by its score, 11 unscored Low, 12 denied; all without velocity
    expect(ruleMemberBytes(st, 0, O, true)).toBeCloseTo((high + high + medium + low) * still, 9)
    // what the estimate charged the observer's own avatar for standing still, read back by reportBytes
    expect(inp.stillCharge[0]).toBeCloseTo(high * still, 9)
    expect(ruleMemberBytes(st, 0, O, false)).toBe(0)
    // the observer's own avatar standing still is charged the share its reports taught (byte-reports.ts)
    inp.selfStill[0] = 0.5
    expect(ruleMemberBytes(st, 0, O, true)).toBeCloseTo(high * 0.5 + (high + medium + low) * still, 9)
    inp.selfStill[0] = still
    // moving ones are charged their band in full; a zero velocity is still
    for (const e of [O, 9, 10]) flags[e]! |= Has.Velocity
    c.Velocity.x[O] = 1
    c.Velocity.y[9] = -2
    expect(ruleMemberBytes(st, 0, O, true)).toBeCloseTo(high + high + (medium + low) * still, 9)
    expect(inp.stillCharge[0]).toBe(-1)
  })

  it('should afford what the oracle affords, and cap bands as the oracle does', () => {
    let seed = 11
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const o = resolveOptions({ components: createAttentionComponents(4) })
    let raisedTrials = 0
    let refusedTrials = 0
    // trials where the premium bought a member past a row the price turned away
    let premiumTrials = 0
    // trials that bought a still row that was no member (its entry charged) and one that was
    let stillEntryTrials = 0
    let stillMemberTrials = 0
    // reopening trials whose rows differ from what a first opening would buy (the held rate binds, or the burst)
    let reopenTrials = 0
    for (let trial = 0; trial < 200; trial++) {
      const { c, flags, st, inp, rows, begin } = setup()
      // a third of the entities stand still (a zero Velocity), a third move, a third have no Velocity
      for (let e = 2; e < 14; e++) {
        const kind = Math.floor(rnd() * 3)
        if (kind === 2) continue
        flags[e]! |= Has.Velocity
        c.Velocity.x[e] = kind === 1 ? 1 + rnd() : 0
      }
      const still = (e: number): boolean => (flags[e]! & Has.Velocity) !== 0 && c.Velocity.x[e] === 0
      // some budgets are read at their floor: no entry premium there, and a still row's entry charged
      const floored = trial % 5 === 0
      inp.byteScale[0] = trial % 3 === 0 ? 1 : 0.5 + rnd()
      const scored: Record<number, number> = {}
      for (let e = 2; e < 14; e++) scored[e] = Math.round(rnd() * 20) / 4
      const n = rows(scored)
      const heapN = begin(n, 12)
      // a third of the trials open the price, a sixth open it again (the held rate within the
      // budget, the entries within the burst); the others buy under a price (0 in some) with the burst
      const opening = trial % 3 === 1 ? Opening.First : trial % 6 === 2 ? Opening.Again : Opening.No
      // a second opening's budgets bind more often: its rows cost what they cost held
      const budget = opening === Opening.Again ? 360 + rnd() * 400 : 200 + rnd() * 3000
      const ruleBytes = 362
      c.Observer.temperature[O] = trial % 2 === 0 ? 1 : 0.25 + rnd() * 2
      const price = trial % 4 === 0 ? 0 : Math.round(rnd() * 20) / 4 + 0.1
      inp.price[0] = price
      const priceBudgetBefore = inp.priceBudget[0]!
      // the set before this tick: some of the rows' entities (the entry premium keeps them down to
      // T ln(1 + enter / low) below the price), one of them a recycled id (no member any more)
      const before = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].filter(() => rnd() < 0.4)
      before.forEach((e, i) => {
        inp.sets.eid[i] = e
        inp.sets.gen[i] = inp.generation[e]! - (i === 2 ? 1 : 0)
      })
      inp.sets.count[0] = before.length
      const incumbents = new Set(before.filter((_, i) => i !== 2))
      // the rows best first (score, then entity id), as the oracle takes them
      const order = Array.from(st.heap.subarray(0, heapN)).sort((a, b) => inp.scores[b]! - inp.scores[a]! || inp.rowEid[a]! - inp.rowEid[b]!)
      const k = affordable(st, 0, O, heapN, budget, ruleBytes, opening, floored)
      const ranked = order.map((r) => inp.scores[r]!)
      const scale = inp.byteScale[0]!
      const scaled = { ...o, byteCosts: { ...o.byteCosts, low: o.byteCosts.low * scale, medium: o.byteCosts.medium * scale, high: o.byteCosts.high * scale, enter: o.byteCosts.enter * scale } }
      const oracle = affordableCount(ranked, budget, scaled, ruleBytes * scale, c.Observer.temperature[O]!, {
        price,
        opening: opening === Opening.First,
        reopening: opening === Opening.Again,
        floored,
        priceShift: c.Observer.temperature[O]! * Math.log(scale),
        incumbent: order.map((r) => incumbents.has(inp.rowEid[r]!)),
        still: order.map((r) => still(inp.rowEid[r]!)),
      })
      expect(k, `trial ${trial}`).toBe(oracle.count)
      if (opening === Opening.Again) {
        const first = affordableCount(ranked, budget, scaled, ruleBytes * scale, c.Observer.temperature[O]!, {
          opening: true,
          floored,
          incumbent: order.map((r) => incumbents.has(inp.rowEid[r]!)),
          still: order.map((r) => still(inp.rowEid[r]!)),
        })
        if (first.count !== oracle.count) reopenTrials++
      }
      // the same rows, best first
      expect(Array.from(st.heap.subarray(0, k), (r) => inp.rowEid[r]!), `trial ${trial}: rows bought`).toEqual(oracle.taken.map((i) => inp.rowEid[order[i]!]!))
      if (oracle.taken.some((i, j) => i !== j)) premiumTrials++
      const boughtStill = oracle.taken.map((i) => inp.rowEid[order[i]!]!).filter(still)
      if (boughtStill.some((e) => !incumbents.has(e))) stillEntryTrials++
      if (boughtStill.some((e) => incumbents.has(e))) stillMemberTrials++
      expect(st.refused === 1, `trial ${trial}: refused`).toBe(oracle.refused)
      if (opening !== Opening.No) {
        expect(inp.price[0], `trial ${trial}: opened price`).toBeCloseTo(oracle.openedPrice, 5)
        // the second opening keeps the budget the first one opened for
        expect(inp.priceBudget[0]).toBe(opening === Opening.First ? Math.fround(budget) : priceBudgetBefore)
      } else if (oracle.refused) refusedTrials++
      expect(inp.detailBytes[0]! * scale, `trial ${trial}: detail granted`).toBeCloseTo(oracle.detail, 6)
      if (oracle.detail > 0) raisedTrials++
      // capping: members 2.. at their raw bands
      const sets = inp.sets
      const wanted: { entity: number; score: number; band: number; still: boolean; entered: boolean }[] = []
      for (let e = 2; e < 14; e++) {
        const i = e - 2
        const s = scored[e]!
        const band = s >= 3.5 ? Band.High : s >= 2 ? Band.Medium : Band.Low
        sets.eid[i] = e
        sets.rule[i] = Rule.None
        sets.score[i] = s
        sets.band[i] = band
        // the members not in the set before this tick entered on it
        const entered = !incumbents.has(e)
        if (entered) st.enteredStamp[e] = st.stamp
        wanted.push({ entity: e, score: s, band, still: still(e), entered })
      }
      st.w = 12
      capBands(st, 0, budget, ruleBytes)
      const expected = expectedBytesBands(wanted, budget / scale, o, inp.detailBytes[0]!)
      for (let i = 0; i < 12; i++) expect(sets.band[i], `trial ${trial} entity ${i + 2}`).toBe(expected.bands.get(i + 2))
      expect(inp.estBytes[0]).toBeCloseTo(expected.bytes + ruleBytes, 2)
    }
    // both kinds of buys happen: some budgets raise members to Medium/High, others take only Low
    expect(raisedTrials).toBeGreaterThan(20)
    expect(raisedTrials).toBeLessThan(180)
    // and the price turns rows away in some trials
    expect(refusedTrials).toBeGreaterThan(10)
    // and in some, a member below the price stays bought past an outsider the price turned away
    expect(premiumTrials).toBeGreaterThan(5)
    // still rows are bought both as entrants (charged their entry) and as members
    expect(stillEntryTrials).toBeGreaterThan(20)
    expect(stillMemberTrials).toBeGreaterThan(20)
    // and a second opening buys otherwise than a first one would
    expect(reopenTrials).toBeGreaterThan(5)
  })
})
