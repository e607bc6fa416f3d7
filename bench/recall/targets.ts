import { interpolate, type Point } from '../lib/stats'
import type { RecallRow } from './metrics'

/**
 * The baseline a target compares attention with: plain radius AOI (every member at full detail) or
 * radius AOI with distance level of detail (`radius-lod`, policies/radius-lod-policy.ts).
 */
export type Baseline = 'radius' | 'radius-lod'

/** The attention policy against a baseline at the same bytes, at one attention budget. */
export interface EqualBytesPoint {
  budget: number
  bytesPerClientPerSec: number
  /** Miss rate (1 - recall) of attention at T. */
  attentionMiss: number
  /**
   * Miss rate of the baseline ({@link TargetReport.baseline}; radius AOI unless said otherwise)
   * interpolated at the same bytes (linear between the two nearest radii).
   */
  radiusMiss: number
  /**
   * Avoidable misses: miss rate minus full state's (interactions no policy can see coming, e.g. a
   * projectile fired less than T before it hits, are not held against either side).
   */
  attentionAvoidable: number
  /** The baseline's avoidable misses. */
  radiusAvoidable: number
  /** attentionAvoidable / radiusAvoidable (Infinity when only attention misses; 0 when neither does). */
  ratio: number
  /** attentionAvoidable <= radiusAvoidable / 2 (holds trivially when neither misses anything avoidable). */
  met: boolean
}

/** Verdict on the issue's two targets. */
export interface TargetReport {
  /** Lead time the comparison uses (seconds). */
  lead: number
  /** The baseline of {@link equalBytes} (absent in results written before radius-lod: radius). */
  baseline?: Baseline
  equalBytes: EqualBytesPoint[]
  /** Target 1: attention misses at most half of the baseline's avoidable misses at every compared point. */
  halfTheMissesMet: boolean | null
  /** Target 2: smallest attention budget reaching 99.5% recall at 200 ms, with its share of full-state bytes. */
  recall995: { family: string; param: number; bytes: number; shareOfFull: number }[]
  fullStateBytes: number
  /** True when attention reaches 99.5% at T = 200 ms with at most 15% of full-state bytes. */
  recall995Within15Met: boolean
}

const missAt = (r: RecallRow, lead: number): number => 1 - (lead === 0.5 ? r.recall500 : r.recall200)

/** True for a row of the baseline's sweep (variants, labelled with parentheses, are not part of it). */
const isBaseline = (r: RecallRow, baseline: Baseline): boolean => r.family === baseline && !r.label.includes('(')

/**
 * Evaluates the targets from the sweep rows: equal-bytes miss ratios against a baseline (at `lead`)
 * and the cheapest configuration of each policy reaching 99.5% recall at 200 ms.
 * @param rows - summary rows of every policy and parameter.
 * @param lead - 0.2 or 0.5 seconds.
 * @param label - label prefix of the attention series to judge. @defaultValue 'attention K='
 * @param baseline - the policy compared at equal bytes. @defaultValue 'radius'
 */
export function evaluateTargets(rows: readonly RecallRow[], lead: 0.2 | 0.5, label = 'attention K=', baseline: Baseline = 'radius'): TargetReport {
  const full = rows.find((r) => r.family === 'full')
  const floor = full === undefined ? 0 : missAt(full, lead)
  const radius: Point[] = rows.filter((r) => isBaseline(r, baseline)).map((r) => ({ x: r.bytesPerClientPerSec, y: missAt(r, lead) }))
  const attention = rows.filter((r) => r.family === 'attention' && r.label.startsWith(label) && !r.label.includes(' R='))
  const equalBytes: EqualBytesPoint[] = []
  for (const a of attention) {
    const rm = interpolate(radius, a.bytesPerClientPerSec)
    if (rm === null) continue
    const am = missAt(a, lead)
    const aa = Math.max(0, am - floor)
    const ra = Math.max(0, rm - floor)
    // 1e-12: recall fractions of the same count differ by float rounding only
    const ratio = ra <= 1e-12 ? (aa <= 1e-12 ? 0 : Number.POSITIVE_INFINITY) : aa / ra
    const met = aa <= ra / 2 + 1e-12
    equalBytes.push({
      budget: a.param,
      bytesPerClientPerSec: a.bytesPerClientPerSec,
      attentionMiss: am,
      radiusMiss: rm,
      attentionAvoidable: aa,
      radiusAvoidable: ra,
      ratio,
      met,
    })
  }
  const fullBytes = full?.bytesPerClientPerSec ?? Number.NaN
  const recall995: TargetReport['recall995'] = []
  for (const family of ['attention', 'radius', 'radius-lod', 'nearest'] as const) {
    const ok = rows
      .filter((r) => r.family === family && (family !== 'attention' || (r.label.startsWith(label) && !r.label.includes(' R='))) && !(family === 'radius-lod' && r.label.includes('(')))
      .filter((r) => r.recall200 >= 0.995)
      .sort((p, q) => p.bytesPerClientPerSec - q.bytesPerClientPerSec)[0]
    if (ok) recall995.push({ family, param: ok.param, bytes: ok.bytesPerClientPerSec, shareOfFull: ok.bytesPerClientPerSec / fullBytes })
  }
  const att = recall995.find((r) => r.family === 'attention')
  return {
    lead,
    baseline,
    equalBytes,
    halfTheMissesMet: equalBytes.length === 0 ? null : equalBytes.every((p) => p.met),
    recall995,
    fullStateBytes: fullBytes,
    recall995Within15Met: att !== undefined && att.shareOfFull <= 0.15,
  }
}

/** Coverage of attention against a baseline at the same bytes, at one attention configuration. */
export interface CoveragePoint {
  param: number
  bytesPerClientPerSec: number
  attentionCoverage: number
  /** The baseline's coverage interpolated at the same bytes. */
  radiusCoverage: number
  met: boolean
}

/** Verdict on the three targets of issue 11 for one family, judged on one attention sweep against one baseline. */
export interface IssueTargets {
  /** Label prefix of the attention sweep judged (e.g. `attention K=` or `attention B=`). */
  series: string
  /** The baseline of targets 1 and 2 (absent in results written before radius-lod: radius). */
  baseline?: Baseline
  /** Target 1 (T = 500 ms): avoidable misses at most half of the baseline's at equal bytes, from its cheapest point up. */
  halfTheMisses: TargetReport
  halfTheMissesMet: boolean | null
  /** Target 2: viewport coverage at least the baseline's at equal bytes, over the same range. */
  coverage: CoveragePoint[]
  coverageMet: boolean | null
  /** Target 3: cheapest configuration of the sweep with 99.5% recall at T = 200 ms, and its share of full-state bytes. */
  recall995: { param: number; bytes: number; shareOfFull: number } | null
  recall995Within5Met: boolean
  /** Targets met (0..3). */
  metCount: number
}

/** Share of full-state bytes target 3 allows. */
export const RECALL995_MAX_SHARE = 0.05

const inSeries = (r: RecallRow, series: string): boolean => r.family === 'attention' && r.label.startsWith(series) && !r.label.includes(' R=')

/**
 * Evaluates issue 11's three targets for one attention sweep (rows whose label starts with `series`)
 * against one baseline. Points cheaper than the baseline's cheapest configuration or dearer than its
 * dearest one are not compared (no baseline point to interpolate). Target 3 concerns attention alone.
 * @param rows - summary rows of one family (all policies).
 * @param series - label prefix of the attention sweep, e.g. `attention K=`.
 * @param baseline - the policy of targets 1 and 2. @defaultValue 'radius'
 */
export function evaluateIssueTargets(rows: readonly RecallRow[], series: string, baseline: Baseline = 'radius'): IssueTargets {
  const halfTheMisses = evaluateTargets(rows, 0.5, series, baseline)
  const radiusCov: Point[] = rows.filter((r) => isBaseline(r, baseline) && !Number.isNaN(r.viewportCoverage)).map((r) => ({ x: r.bytesPerClientPerSec, y: r.viewportCoverage }))
  const coverage: CoveragePoint[] = []
  for (const a of rows.filter((r) => inSeries(r, series))) {
    const rc = interpolate(radiusCov, a.bytesPerClientPerSec)
    if (rc === null || Number.isNaN(a.viewportCoverage)) continue
    coverage.push({ param: a.param, bytesPerClientPerSec: a.bytesPerClientPerSec, attentionCoverage: a.viewportCoverage, radiusCoverage: rc, met: a.viewportCoverage >= rc - 1e-9 })
  }
  const full = rows.find((r) => r.family === 'full')
  const fullBytes = full?.bytesPerClientPerSec ?? Number.NaN
  const ok = rows
    .filter((r) => inSeries(r, series) && r.recall200 >= 0.995)
    .sort((p, q) => p.bytesPerClientPerSec - q.bytesPerClientPerSec)[0]
  const recall995 = ok === undefined ? null : { param: ok.param, bytes: ok.bytesPerClientPerSec, shareOfFull: ok.bytesPerClientPerSec / fullBytes }
  const halfTheMissesMet = halfTheMisses.halfTheMissesMet
  const coverageMet = coverage.length === 0 ? null : coverage.every((p) => p.met)
  const recall995Within5Met = recall995 !== null && recall995.shareOfFull <= RECALL995_MAX_SHARE
  return {
    series,
    baseline,
    halfTheMisses,
    halfTheMissesMet,
    coverage,
    coverageMet,
    recall995,
    recall995Within5Met,
    metCount: (halfTheMissesMet === true ? 1 : 0) + (coverageMet === true ? 1 : 0) + (recall995Within5Met ? 1 : 0),
  }
}

/** Label prefixes of the attention sweeps found in `rows` (`attention K=`, `attention B=`). */
export function attentionSeries(rows: readonly RecallRow[]): string[] {
  return ['attention K=', 'attention B='].filter((s) => rows.some((r) => inSeries(r, s)))
}

/**
 * The attention sweep the issue's targets are judged on, fixed in advance and never chosen by its
 * results: the byte-budget sweep (`attention B=`, the configuration the docs recommend), or the
 * count-budget sweep (`attention K=`) only when the rows have no byte-budget sweep (an engine build
 * without byte budgets). Null without attention rows.
 * @param rows - summary rows of one family.
 */
export function judgedSeries(rows: readonly RecallRow[]): string | null {
  const found = attentionSeries(rows)
  return found.includes('attention B=') ? 'attention B=' : (found[0] ?? null)
}

/**
 * Issue 11's targets for one family on the {@link judgedSeries} against `baseline`; null without
 * attention rows or without rows of the baseline.
 * @param rows - summary rows of one family.
 * @param baseline - the policy of targets 1 and 2.
 */
export function judgeIssueTargets(rows: readonly RecallRow[], baseline: Baseline): IssueTargets | null {
  const series = judgedSeries(rows)
  if (series === null || !rows.some((r) => isBaseline(r, baseline))) return null
  return evaluateIssueTargets(rows, series, baseline)
}
