import { describe, expect, it } from 'vitest'
import { Band } from '../../plugin/src/index'
import { summarize } from '../recall/metrics'
import { radiusLodPolicy } from '../recall/policies/radius-lod-policy'
import { pickLodCandidate } from '../recall/radius-lod-search'
import { radiusPolicy } from '../recall/policies/radius-policy'
import { Kind, type Recording } from '../recall/recording'
import { replay } from '../recall/replay'
import { battleFamily } from '../recall/families/index'
import { byteBudgetPolicy } from '../recall/policies/attention-policy'
import { SWEEPS } from '../recall/run'

const TICKS = 60
/**
 * Player A (entity 0, team 1) at the origin and player B (entity 1, team 2) far away. Around A, on
 * the x axis: wanderers at 1, 6 and 12 units, a wanderer walking in from 20 units (half a unit per
 * tick), B's hidden stash at 2, a team-2 scout at 3, a team-1 scout at 10 and A's hidden stash at 5.
 * Everything sways by 0.1 unit, so full-rate fields change every tick.
 */
function ringRecording(): Recording {
  const at = [0, 100, 1, 6, 12, 20, 2, 3, 10, 5]
  const n = at.length
  const z = (): Float32Array => new Float32Array(TICKS * n)
  const rec: Recording = {
    dt: 0.05,
    ticks: TICKS,
    entityCount: n,
    worldSize: 200,
    seed: 1,
    kind: Uint8Array.from([Kind.Player, Kind.Player, Kind.Wanderer, Kind.Wanderer, Kind.Wanderer, Kind.Wanderer, Kind.Stash, Kind.Scout, Kind.Scout, Kind.Stash]),
    players: Int32Array.from([0, 1]),
    x: z(),
    y: z(),
    vx: z(),
    vy: z(),
    angle: z(),
    interactions: { count: 0, tick: new Int32Array(0), a: new Int32Array(0), b: new Int32Array(0), kind: new Uint8Array(0) },
    spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
    declared: {
      team: Uint16Array.from([1, 2, 0, 0, 0, 0, 0, 2, 1, 0]),
      teamOnly: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 0]),
      hidden: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 0, 0, 1]),
      owner: Int32Array.from([-1, -1, -1, -1, -1, -1, 1, -1, -1, 0]),
    },
  }
  for (let t = 0; t < TICKS; t++) {
    for (let e = 0; e < n; e++) rec.x[t * n + e] = (e === 5 ? Math.max(0.5, 20 - 0.5 * t) : at[e]!) + (e >= 2 ? 0.1 * Math.sin(t + e) : 0)
  }
  return rec
}

/** Band radii the tests read their expectations from (not necessarily the sweep's). */
const QUARTER_HALF = { high: 0.25, medium: 0.5 }

/** Player p's set on tick t as entity -> band. */
function bandsAt(rec: Recording, radius: number, t: number, p = 0): Map<number, number> {
  const pol = radiusLodPolicy(radius, QUARTER_HALF)(rec)
  pol.update(t)
  const out = new Map<number, number>()
  for (let i = 0; i < pol.count(p); i++) out.set(pol.member(p, i), pol.band!(p, i))
  pol.dispose()
  return out
}

describe('radius-lod-policy', () => {
  const rec = ringRecording()

  it('should hold each member with the band of its distance: High within R/4, Medium within R/2, Low out to R', () => {
    // R = 16: High within 4, Medium within 8, Low within 16
    const b = bandsAt(rec, 16, 0)
    expect(b.get(0)).toBe(Band.High) // the player itself
    expect(b.get(2)).toBe(Band.High)
    expect(b.get(3)).toBe(Band.Medium)
    expect(b.get(4)).toBe(Band.Low)
    expect(b.has(5)).toBe(false) // 20 units: beyond R
    expect(b.get(8)).toBe(Band.Low) // own team's scout
    expect(b.get(9)).toBe(Band.Medium) // own hidden stash
  })

  it('should move a member across the bands as it walks in', () => {
    const band = (t: number): number | undefined => bandsAt(rec, 16, t).get(5)
    expect(band(10)).toBe(Band.Low) // 15 units
    expect(band(26)).toBe(Band.Medium) // 7 units
    expect(band(34)).toBe(Band.High) // 3 units
  })

  it('should leave out what the player may not see, like radius AOI', () => {
    const b = bandsAt(rec, 16, 0)
    expect(b.has(6)).toBe(false) // another player's hidden stash
    expect(b.has(7)).toBe(false) // the other team's team-only scout
    const plain = radiusPolicy(16)(rec)
    plain.update(0)
    const members = Array.from({ length: plain.count(0) }, (_, i) => plain.member(0, i)).sort((x, y) => x - y)
    expect([...b.keys()].sort((x, y) => x - y)).toEqual(members)
    expect(bandsAt(rec, 16, 0, 1)).toEqual(new Map([[1, Band.High]]))
  })

  it('should be metered with its bands: the same sets as radius AOI for fewer bytes', () => {
    const lod = summarize(replay(rec, radiusLodPolicy(16, QUARTER_HALF), { warmupSeconds: 0 }))
    const plain = summarize(replay(rec, radiusPolicy(16), { warmupSeconds: 0 }))
    expect(lod.entitlementViolations).toBe(0)
    expect(lod.meanSetSize).toBe(plain.meanSetSize)
    expect(lod.viewportCoverage).toBe(plain.viewportCoverage)
    // the walker enters at Low, then is Medium, then High
    const [low, medium, high] = lod.meanBandCounts
    expect(low).toBeGreaterThan(0)
    expect(medium).toBeGreaterThan(0)
    expect(high).toBeLessThan(plain.meanBandCounts[2])
    expect(plain.meanBandCounts.slice(0, 2)).toEqual([0, 0])
    expect(lod.bytesPerClientPerSec).toBeLessThan(plain.bytesPerClientPerSec)
  })

  it('should refuse a radius or band fractions out of range, naming them', () => {
    expect(() => radiusLodPolicy(0)).toThrow(/radius must be .* > 0; got 0/)
    expect(() => radiusLodPolicy(10, { high: 0.5, medium: 0.25 })).toThrow(/bands\.high must be in \[0, bands\.medium = 0\.25\]; got 0\.5/)
    expect(() => radiusLodPolicy(10, { high: 0, medium: 2 })).toThrow(/bands\.medium must be in \[0, 1\]; got 2/)
    expect(radiusLodPolicy(10, { high: 0.3, medium: 0.6 })(rec).label).toBe('radius-lod (High R*0.3, Medium R*0.6) R=10')
    expect(radiusLodPolicy(10)(rec).label).toBe('radius-lod R=10')
  })
})

describe('radius-lod-search', () => {
  it('should take the fewest avoidable misses, then among those within 0.1 point the most coverage', () => {
    expect(pickLodCandidate([{ avoidableMiss: 0.05, coverage: 0.9 }, { avoidableMiss: 0.02, coverage: 0.3 }, { avoidableMiss: 0.0205, coverage: 0.6 }])).toBe(2)
    expect(pickLodCandidate([{ avoidableMiss: 0, coverage: 0.5 }, { avoidableMiss: 0, coverage: 0.5 }])).toBe(0)
  })
})

describe('recall sweep', () => {
  it("should reach with radius-lod's narrowest radius below the byte-budget sweep's cheapest point in a dense melee", () => {
    // attention points cheaper than the baseline's cheapest one are not judged (targets.ts): a sweep
    // that starts too wide leaves out exactly the budgets where attention misses most
    const rec = battleFamily.record(battleFamily.trainSeeds[0]!)
    const lod = replay(rec, radiusLodPolicy(SWEEPS.full.radiusLod[0]!))
    const cheapest = replay(rec, byteBudgetPolicy(SWEEPS.full.byteBudget[0]!))
    expect(lod.bytesPerClientPerSec).toBeLessThanOrEqual(cheapest.bytesPerClientPerSec)
  }, 60_000)
})
