import { interpolate, type Point } from '../lib/stats'
import type { RecallRow } from './metrics'

/** The attention policy against plain radius AOI at the same bytes, at one attention budget. */
export interface EqualBytesPoint {
  budget: number
  bytesPerClientPerSec: number
  /** Miss rate (1 - recall) of attention at T. */
  attentionMiss: number
  /** Miss rate of radius AOI interpolated at the same bytes (linear between the two nearest radii). */
  radiusMiss: number
  /**
   * Avoidable misses: miss rate minus full state's (interactions no policy can see coming, e.g. a
   * projectile fired less than T before it hits, are not held against either side).
   */
  attentionAvoidable: number
  radiusAvoidable: number
  /** attentionAvoidable / radiusAvoidable (Infinity when only attention misses; 0 when neither does). */
  ratio: number
  /** attentionAvoidable <= radiusAvoidable / 2 (holds trivially when neither misses anything avoidable). */
  met: boolean
}

/** Verdict on the two targets. */
export interface TargetReport {
  /** Lead time the comparison uses (seconds). */
  lead: number
  equalBytes: EqualBytesPoint[]
  /** Target 1: attention misses at most half of radius AOI's avoidable misses at every compared point. */
  halfTheMissesMet: boolean | null
  /** Target 2: smallest attention budget reaching 99.5% recall at 200 ms, with its share of full-state bytes. */
  recall995: { family: string; param: number; bytes: number; shareOfFull: number }[]
  fullStateBytes: number
  /** True when attention reaches 99.5% at T = 200 ms with at most 15% of full-state bytes. */
  recall995Within15Met: boolean
}

const missAt = (r: RecallRow, lead: number): number => 1 - (lead === 0.5 ? r.recall500 : r.recall200)

/**
 * Evaluates the targets from the sweep rows: equal-bytes miss ratios against radius AOI (at `lead`)
 * and the cheapest configuration of each policy reaching 99.5% recall at 200 ms.
 * @param rows - summary rows of every policy and parameter.
 * @param lead - 0.2 or 0.5 seconds.
 * @param family - the attention series to judge. @defaultValue 'attention'
 */
export function evaluateTargets(rows: readonly RecallRow[], lead: 0.2 | 0.5, label = 'attention K='): TargetReport {
  const full = rows.find((r) => r.family === 'full')
  const floor = full === undefined ? 0 : missAt(full, lead)
  const radius: Point[] = rows.filter((r) => r.family === 'radius').map((r) => ({ x: r.bytesPerClientPerSec, y: missAt(r, lead) }))
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
  for (const family of ['attention', 'radius', 'nearest'] as const) {
    const ok = rows
      .filter((r) => r.family === family && (family !== 'attention' || (r.label.startsWith(label) && !r.label.includes(' R='))))
      .filter((r) => r.recall200 >= 0.995)
      .sort((p, q) => p.bytesPerClientPerSec - q.bytesPerClientPerSec)[0]
    if (ok) recall995.push({ family, param: ok.param, bytes: ok.bytesPerClientPerSec, shareOfFull: ok.bytesPerClientPerSec / fullBytes })
  }
  const att = recall995.find((r) => r.family === 'attention')
  return {
    lead,
    equalBytes,
    halfTheMissesMet: equalBytes.length === 0 ? null : equalBytes.every((p) => p.met),
    recall995,
    fullStateBytes: fullBytes,
    recall995Within15Met: att !== undefined && att.shareOfFull <= 0.15,
  }
}
