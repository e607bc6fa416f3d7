import { describe, expect, it } from 'vitest'
import { Band } from '../../plugin/src/index'
import { summarize } from '../recall/metrics'
import type { InterestPolicy, PolicyFactory } from '../recall/policies/interest-policy'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { fullPolicy } from '../recall/policies/full-policy'
import { nearestPolicy } from '../recall/policies/nearest-policy'
import { radiusPolicy } from '../recall/policies/radius-policy'
import { DEFAULT_VIEW_RADIUS } from '../recall/viewport'
import { InteractionKind, Kind, type Recording } from '../recall/recording'
import { replay } from '../recall/replay'

/** One player (entity 0) and one other entity that interacts with it at `hitTick`. */
function tinyRecording(ticks: number, hitTick: number): Recording {
  const n = 2
  const z = (): Float32Array => new Float32Array(ticks * n)
  const rec: Recording = {
    dt: 0.05,
    ticks,
    entityCount: n,
    worldSize: 100,
    seed: 1,
    kind: Uint8Array.from([Kind.Player, Kind.Chaser]),
    players: Int32Array.from([0]),
    x: z(),
    y: z(),
    vx: z(),
    vy: z(),
    angle: z(),
    interactions: {
      count: 1,
      tick: Int32Array.from([hitTick]),
      a: Int32Array.from([1]),
      b: Int32Array.from([0]),
      kind: Uint8Array.from([InteractionKind.Attack]),
    },
    spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
  }
  // the chaser walks in from x = 50 to the player at x = 0, one unit per tick
  for (let t = 0; t < ticks; t++) rec.x[t * n + 1] = Math.max(0, 50 - t)
  return rec
}

/** A policy that has entity 1 in the set from tick `from` on, and records what it was told when. */
function fromTick(from: number, told: number[]): PolicyFactory {
  return (): InterestPolicy => {
    let t = -1
    return {
      family: 'radius',
      param: from,
      label: `from ${from}`,
      shared: false,
      maxSetSize: 2,
      update(tick) {
        t = tick
      },
      count: () => (t >= from ? 2 : 1),
      member: (_p, i) => i,
      observeInteractions(tick, a, b) {
        if (b > a) told.push(tick)
      },
      dispose() {},
    }
  }
}

describe('replay', () => {
  const rec = tinyRecording(100, 60)

  it('should measure the lead against the sets sent before the interaction tick', () => {
    // in the set from tick 50: 10 ticks = 0.5 s before the interaction at tick 60
    const r = summarize(replay(rec, fromTick(50, []), { measureBytes: false }))
    expect(r.interactions).toBe(1)
    expect(r.ttvMedian).toBeCloseTo(0.5, 9)
    expect(r.recall200).toBe(1)
    expect(r.recall500).toBe(1)
    // from tick 55: 0.25 s ahead, enough for 200 ms, not for 500 ms
    const late = summarize(replay(rec, fromTick(55, []), { measureBytes: false }))
    expect(late.recall200).toBe(1)
    expect(late.recall500).toBe(0)
    expect(late.byInteraction.attack!.n).toBe(1)
    expect(late.byOther.chaser!.recall500).toBe(0)
  })

  it('should not credit a set that only includes the other party on the interaction tick itself', () => {
    const r = summarize(replay(rec, fromTick(60, []), { measureBytes: false }))
    expect(r.ttvMedian).toBe(0)
    expect(r.recall200).toBe(0)
    expect(r.missed200).toBe(1)
  })

  it('should tell the policy about an interaction only after computing that tick', () => {
    const told: number[] = []
    replay(rec, fromTick(0, told), { measureBytes: false })
    expect(told).toEqual([60])
  })

  it('should ignore interactions during warm-up', () => {
    const r = summarize(replay(rec, fromTick(0, []), { measureBytes: false, warmupSeconds: 4 }))
    expect(r.interactions).toBe(0)
  })

  it('should count enters and exits as churn', () => {
    // radius 10: the chaser enters at tick 40 (x = 10) and never leaves: one enter over 4.9 s measured
    const r = summarize(replay(rec, radiusPolicy(10), { measureBytes: false, warmupSeconds: 0.1 }))
    expect(r.churnPerClientPerSec).toBeCloseTo(1 / ((100 - 2) * 0.05), 9)
    expect(r.ttvMedian).toBeCloseTo(20 * 0.05, 9)
  })

  it('should replay a recording built by other code, without any optional field, through every policy', () => {
    expect(rec.declared).toBeUndefined()
    expect(rec.viewRadius).toBeUndefined()
    for (const f of [fullPolicy(), radiusPolicy(10), nearestPolicy(1), attentionPolicy(2)]) {
      const r = summarize(replay(rec, f))
      expect(r.interactions).toBe(1)
      expect(r.entitlementViolations).toBe(0)
      expect(r.viewRadius).toBe(DEFAULT_VIEW_RADIUS)
      expect(r.bytesPerClientPerSec).toBeGreaterThan(0)
    }
  })

  it('should give full state a viewport coverage of 1 and an empty policy 0', () => {
    expect(summarize(replay(rec, fullPolicy())).viewportCoverage).toBe(1)
    const empty: PolicyFactory = () => ({ ...fromTick(1e9, [])(rec), count: () => 0 })
    expect(summarize(replay(rec, empty)).viewportCoverage).toBe(0)
  })

  it('should count an entity on screen as covered once its first state is sent, and a stale one not', () => {
    // the chaser is on screen from x = 50 (tick 0); a policy holding it from tick 80 covers it from then on
    const late = summarize(replay(rec, fromTick(80, []), { measureBytes: false }))
    expect(late.viewportCoverage).toBeCloseTo((100 - 80) / (100 - 40), 9)
  })

  it('should count a member held only at Low in recall, not in recall at Medium or above', () => {
    const low: PolicyFactory = () => ({ ...fromTick(0, [])(rec), band: () => Band.Low })
    const r = summarize(replay(rec, low))
    expect(r.recall200).toBe(1)
    expect(r.recall200Detail).toBe(0)
    expect(r.meanBandCounts[0]).toBe(2)
    const full = summarize(replay(rec, fromTick(0, [])))
    expect(full.recall200Detail).toBe(1)
    // the Low client pays for the coarse position only
    expect(r.bytesPerClientPerSec).toBeLessThan(full.bytesPerClientPerSec)
  })

  it('should let at most entryBudget members enter per patch, highest priority first', () => {
    // ten far entities that all enter on tick 0; budget 3 per patch, priority = entity index
    const n = 11
    const ticks = 60
    const z = (): Float32Array => new Float32Array(ticks * n)
    const kind = new Uint8Array(n).fill(Kind.Wanderer)
    kind[0] = Kind.Player
    const many: Recording = { ...rec, entityCount: n, ticks, kind, x: z(), y: z(), vx: z(), vy: z(), angle: z() }
    // on tick 2 the player touches entity 10 (admitted on tick 0) and entity 1 (last in line)
    const touch = InteractionKind.Touch
    many.interactions = { count: 2, tick: Int32Array.from([2, 2]), a: Int32Array.from([10, 1]), b: Int32Array.from([0, 0]), kind: Uint8Array.from([touch, touch]) }
    const policy: PolicyFactory = () => ({
      ...fromTick(0, [])(many),
      count: () => n,
      member: (_p, i) => i,
      entryBudget: 3,
      entryPriority: (_p, i) => i,
    })
    const r = replay(many, policy, { warmupSeconds: 0, measureBytes: false })
    expect([...r.leads]).toEqual([2 * 0.05, 0])
    // self + 10 others: 11 entrants over patches of 3 -> 4 patches, 8 + 5 + 2 waiting
    expect(r.entrantsDeferred).toBe(8 + 5 + 2)
    expect(r.churnPerClientPerSec).toBeCloseTo(11 / (ticks * 0.05), 9)
  })
})
