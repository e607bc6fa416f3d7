import { describe, expect, it } from 'vitest'
import { interpolate, quantile } from '../lib/stats'
import type { RecallRow } from '../recall/metrics'
import { evaluateTargets } from '../recall/targets'

const row = (family: RecallRow['family'], param: number, bytes: number, recall200: number): RecallRow => ({
  family,
  param,
  label: family === 'attention' ? `attention K=${param}` : `${family} ${param}`,
  interactions: 1000,
  recall200,
  recall500: recall200,
  missed200: 0,
  missed500: 0,
  ttvMedian: 1,
  ttvP5: 0.5,
  bytesPerClientPerSec: bytes,
  churnPerClientPerSec: 1,
  meanSetSize: 5,
  maxSetSize: 5,
  setSizeBound: Infinity,
  policyMsPerTick: 0,
  encodeMsPerTick: 0,
  byInteraction: {},
  byOther: {},
  missCategories: {},
  missContributions: null,
  rivalContributions: null,
})

describe('stats', () => {
  it('should interpolate inside the curve only', () => {
    const c = [{ x: 0, y: 0 }, { x: 10, y: 1 }]
    expect(interpolate(c, 5)).toBe(0.5)
    expect(interpolate(c, 11)).toBeNull()
  })
  it('should compute quantiles by linear interpolation', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3)
    expect(quantile([0, 10], 0.05)).toBeCloseTo(0.5, 12)
    expect(quantile([], 0.5)).toBeNaN()
  })
})

describe('targets', () => {
  const rows = [
    row('full', 0, 100_000, 0.999),
    row('radius', 10, 1000, 0.98),
    row('radius', 20, 2000, 0.99),
    row('attention', 4, 1500, 0.994),
    row('attention', 8, 3000, 0.999),
  ]

  it('should compare avoidable misses at equal bytes by interpolating radius AOI', () => {
    const t = evaluateTargets(rows, 0.2)
    // only K=4 lies inside radius's byte range: radius misses 1.5% there, 1.4% avoidable; attention 0.5% avoidable
    expect(t.equalBytes.map((p) => p.budget)).toEqual([4])
    const p = t.equalBytes[0]!
    expect(p.radiusMiss).toBeCloseTo(0.015, 12)
    expect(p.attentionAvoidable).toBeCloseTo(0.005, 12)
    expect(p.radiusAvoidable).toBeCloseTo(0.014, 12)
    expect(p.met).toBe(true)
    expect(t.halfTheMissesMet).toBe(true)
  })

  it('should fail target 1 when attention misses more than half', () => {
    const worse = rows.map((r) => (r.label === 'attention K=4' ? { ...r, recall200: 0.99 } : r))
    expect(evaluateTargets(worse, 0.2).halfTheMissesMet).toBe(false)
  })

  it('should find the cheapest configuration at 99.5% and its share of full state', () => {
    const t = evaluateTargets(rows, 0.2)
    expect(t.recall995).toEqual([{ family: 'attention', param: 8, bytes: 3000, shareOfFull: 0.03 }])
    expect(t.recall995Within15Met).toBe(true)
  })
})
