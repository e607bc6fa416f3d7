import type { HysteresisOptions } from '../../../plugin/src/index'
import { createOnnxScorer } from '../../../plugin/src/learned/index'
import { interpolate, type Point } from '../../lib/stats'
import type { RecallRow } from '../metrics'
import type { Recording } from '../recording'
import { replay, type ReplayResult } from '../replay'
import { attentionPolicy, byteBudgetPolicy } from './attention-policy'

/** Label prefix of the learned rows under a count budget. */
export const LEARNED_LABEL = 'attention (learned) K='
/** Label prefix of the learned rows under a byte budget (in the heads' byte-budget configuration, `byteBudgetPolicy`). */
export const LEARNED_BYTE_LABEL = 'attention (learned) B='

/** How the learned scorer serves its answers in a replay (`createOnnxScorer`'s options of that name; undefined: its default). */
export interface LearnedServing {
  smoothing?: number | undefined
  residual?: boolean | undefined
  reachSeconds?: number | undefined
}

/**
 * Replays `rec` through the attention engine scored by an ONNX model (`colyseus-attention/learned`)
 * at budget `k`. The scorer runs in lockstep (each tick waits for the answer to the previous tick's
 * rows), so the numbers are deterministic and equal to a room whose worker keeps up.
 * @param modelPath - the .onnx file.
 * @param k - the count budget, or with `byteBudget` > 0 the byte budget in bytes per client per
 *   second (in the heads' byte-budget configuration, {@link byteBudgetPolicy}).
 * @param serving - the scorer's `smoothing`, `residual` and `reachSeconds` options (its defaults where omitted).
 * @param hysteresis - the engine's hysteresis options for this replay (its defaults when omitted).
 */
export async function replayLearned(rec: Recording, modelPath: string, k: number, log: (l: string) => void = () => {}, byteBudget = false, serving: LearnedServing = {}, hysteresis?: Partial<HysteresisOptions>): Promise<ReplayResult> {
  const scorer = await createOnnxScorer({ model: modelPath, lockstep: true, hangTimeoutMs: 30_000, smoothing: serving.smoothing, residual: serving.residual, reachSeconds: serving.reachSeconds, onEvent: (e) => log(`  learned scorer: ${e.message}`) })
  try {
    const engine = hysteresis === undefined ? { scorer } : { scorer, hysteresis }
    const policy = byteBudget ? byteBudgetPolicy(k, { engine, variant: 'learned' }) : attentionPolicy(k, { engine, variant: 'learned' })
    return replay(rec, policy)
  } finally {
    await scorer.dispose()
  }
}

/** The learned scorer against the built-in heads and radius AOI at equal bytes, at one budget. */
export interface LearnedPoint {
  budget: number
  bytesPerClientPerSec: number
  learnedMiss: number
  /** Miss rates of the built-in heads and radius AOI interpolated at the same bytes (null outside their range). */
  headsMiss: number | null
  radiusMiss: number | null
  /** learnedMiss / headsMiss (target <= 0.7) and learnedMiss / radiusMiss (target <= 0.5). */
  vsHeads: number | null
  vsRadius: number | null
  /** Which budget the point and the heads' curve it is compared with use: `K` (count) or `B` (bytes per second). */
  series: 'K' | 'B'
  /**
   * The heads' lowest miss rate at the same bytes over both of their sweeps (count and byte budget,
   * each interpolated; null when the bytes are outside both), and learnedMiss over it.
   */
  headsBestMiss: number | null
  vsHeadsBest: number | null
}

const ratio = (m: number, other: number | null): number | null => (other === null ? null : other === 0 ? (m === 0 ? 0 : Infinity) : m / other)

/**
 * A ratio of a {@link LearnedPoint} as the tools print it: `x0.80`; `0 against 0` when neither
 * misses (the ratio is 0 then, and `x0.00` would read as a learned row that misses nothing against
 * one that does); `inf` when only the learned row misses; `n/a` outside the other curve's bytes.
 * @param learnedMiss - the point's `learnedMiss`.
 * @param otherMiss - what it is compared with (`headsMiss`, `headsBestMiss` or `radiusMiss`).
 * @param vs - the matching ratio (`vsHeads`, `vsHeadsBest` or `vsRadius`).
 */
export function ratioText(learnedMiss: number, otherMiss: number | null, vs: number | null): string {
  if (otherMiss === null || vs === null) return 'n/a'
  if (otherMiss === 0) return learnedMiss === 0 ? '0 against 0' : 'inf'
  return `x${vs.toFixed(2)}`
}

/**
 * Compares the learned rows with the heads' and radius AOI's curves at equal bytes: a learned
 * count-budget row (`K=`) with the heads' count-budget sweep, a learned byte-budget row (`B=`) with
 * the heads' byte-budget sweep (like with like), and either with the heads' best of both sweeps.
 * @param lead - 0.2 or 0.5 seconds.
 */
export function compareLearned(rows: readonly RecallRow[], lead: 0.2 | 0.5): LearnedPoint[] {
  const miss = (r: RecallRow): number => 1 - (lead === 0.5 ? r.recall500 : r.recall200)
  const curve = (pick: (r: RecallRow) => boolean): Point[] => rows.filter(pick).map((r) => ({ x: r.bytesPerClientPerSec, y: miss(r) }))
  const headsK = curve((r) => r.family === 'attention' && r.label.startsWith('attention K=') && !r.label.includes(' R='))
  const headsB = curve((r) => r.family === 'attention' && r.label.startsWith('attention B='))
  const radius = curve((r) => r.family === 'radius')
  return rows
    .filter((r) => r.label.startsWith(LEARNED_LABEL) || r.label.startsWith(LEARNED_BYTE_LABEL))
    .map((r) => {
      const m = miss(r)
      const series = r.label.startsWith(LEARNED_BYTE_LABEL) ? 'B' : 'K'
      const h = interpolate(series === 'B' ? headsB : headsK, r.bytesPerClientPerSec)
      const both = [interpolate(headsK, r.bytesPerClientPerSec), interpolate(headsB, r.bytesPerClientPerSec)].filter((v): v is number => v !== null)
      const best = both.length === 0 ? null : Math.min(...both)
      const rad = interpolate(radius, r.bytesPerClientPerSec)
      return {
        budget: r.param,
        bytesPerClientPerSec: r.bytesPerClientPerSec,
        learnedMiss: m,
        headsMiss: h,
        radiusMiss: rad,
        vsHeads: ratio(m, h),
        vsRadius: ratio(m, rad),
        series,
        headsBestMiss: best,
        vsHeadsBest: ratio(m, best),
      }
    })
}
