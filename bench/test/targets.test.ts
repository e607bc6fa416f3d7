import { describe, expect, it } from 'vitest'
import { interpolate, quantile } from '../lib/stats'
import type { RecallRow } from '../recall/metrics'
import { evaluateIssueTargets, evaluateTargets, judgedSeries, judgeIssueTargets } from '../recall/targets'

const row = (family: RecallRow['family'], param: number, bytes: number, recall200: number): RecallRow => ({
  family,
  param,
  label: family === 'attention' ? `attention K=${param}` : `${family} ${param}`,
  interactions: 1000,
  recall200,
  recall500: recall200,
  recall200Detail: recall200,
  recall500Detail: recall200,
  missed200: 0,
  missed500: 0,
  ttvMedian: 1,
  ttvP5: 0.5,
  bytesPerClientPerSec: bytes,
  churnPerClientPerSec: 1,
  meanSetSize: 5,
  maxSetSize: 5,
  viewportCoverage: 0.5,
  viewRadius: 65,
  meanBandCounts: [0, 0, 5],
  entitlementViolations: 0,
  entrantsDeferred: 0,
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

describe('issue targets', () => {
  const cov = (r: RecallRow, c: number): RecallRow => ({ ...r, viewportCoverage: c })
  const rows = [
    row('full', 0, 100_000, 0.999),
    cov(row('radius', 10, 1000, 0.98), 0.2),
    cov(row('radius', 20, 2000, 0.99), 0.4),
    cov(row('attention', 4, 1500, 0.9985), 0.35),
    cov(row('attention', 8, 3000, 0.999), 0.9),
  ]

  it('should judge coverage at equal bytes against interpolated radius AOI', () => {
    const t = evaluateIssueTargets(rows, 'attention K=')
    expect(t.coverage.map((p) => p.param)).toEqual([4])
    expect(t.coverage[0]!.radiusCoverage).toBeCloseTo(0.3, 12)
    expect(t.coverageMet).toBe(true)
    const worse = evaluateIssueTargets(rows.map((r) => (r.label === 'attention K=4' ? cov(r, 0.25) : r)), 'attention K=')
    expect(worse.coverageMet).toBe(false)
  })

  it('should ask for 99.5% recall at 200 ms within 5% of full-state bytes', () => {
    const t = evaluateIssueTargets(rows, 'attention K=')
    expect(t.recall995?.param).toBe(4)
    expect(t.recall995Within5Met).toBe(true)
    const dear = evaluateIssueTargets([{ ...rows[0]!, bytesPerClientPerSec: 20_000 }, ...rows.slice(1)], 'attention K=')
    expect(dear.recall995Within5Met).toBe(false)
  })

  it('should judge radius-lod on its own rows, apart from plain radius AOI', () => {
    // radius-lod: cheaper per radius, and it misses less than plain radius at the same bytes
    const lod = [cov({ ...row('radius', 20, 1000, 0.999), family: 'radius-lod', label: 'radius-lod R=20' }, 0.5), cov({ ...row('radius', 40, 2000, 0.999), family: 'radius-lod', label: 'radius-lod R=40' }, 0.95)]
    // a variant (labelled in parentheses) is not part of the baseline's curve
    const variant = cov({ ...row('radius', 30, 1500, 0.5), family: 'radius-lod', label: 'radius-lod (High R*0.5, Medium R*1) R=30' }, 0)
    const all = [...rows, ...lod, variant]
    const plain = evaluateIssueTargets(all, 'attention K=', 'radius')
    const vsLod = evaluateIssueTargets(all, 'attention K=', 'radius-lod')
    expect(plain.baseline).toBe('radius')
    expect(vsLod.baseline).toBe('radius-lod')
    expect(vsLod.halfTheMisses.baseline).toBe('radius-lod')
    // K=4 at 1500 B/s: plain radius misses 1.5% there, radius-lod only what full state misses (0.1%); attention 0.15%
    expect(plain.halfTheMisses.equalBytes[0]!.radiusMiss).toBeCloseTo(0.015, 12)
    expect(vsLod.halfTheMisses.equalBytes[0]!.radiusMiss).toBeCloseTo(0.001, 12)
    expect(vsLod.halfTheMisses.equalBytes[0]!.ratio).toBe(Number.POSITIVE_INFINITY)
    expect(plain.halfTheMissesMet).toBe(true)
    expect(vsLod.halfTheMissesMet).toBe(false)
    expect(vsLod.coverage[0]!.radiusCoverage).toBeCloseTo(0.725, 12)
    expect(plain.coverageMet).toBe(true)
    expect(vsLod.coverageMet).toBe(false)
    // the 99.5% target concerns attention alone
    expect(vsLod.recall995).toEqual(plain.recall995)
    expect(judgeIssueTargets(rows, 'radius-lod')).toBeNull()
  })

  it('should judge the byte-budget sweep, fixed in advance, even where the count-budget sweep does better', () => {
    const byBytes = [
      { ...cov(row('attention', 1200, 1500, 0.97), 0.1), label: 'attention B=1200 K<=256' },
      { ...cov(row('attention', 2500, 2500, 0.97), 0.1), label: 'attention B=2500 K<=256' },
    ]
    expect(evaluateIssueTargets(rows, 'attention K=').metCount).toBe(3)
    expect(judgedSeries([...rows, ...byBytes])).toBe('attention B=')
    const judged = judgeIssueTargets([...rows, ...byBytes], 'radius')
    expect(judged?.series).toBe('attention B=')
    expect(judged?.halfTheMissesMet).toBe(false)
    // without a byte-budget sweep (an engine build without byte budgets), the count-budget sweep
    expect(judgedSeries(rows)).toBe('attention K=')
    expect(judgedSeries(rows.filter((r) => r.family !== 'attention'))).toBeNull()
  })
})
