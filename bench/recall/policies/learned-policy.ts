import { createOnnxScorer } from '../../../plugin/src/learned/index'
import { interpolate, type Point } from '../../lib/stats'
import type { RecallRow } from '../metrics'
import type { Recording } from '../recording'
import { replay, type ReplayResult } from '../replay'
import { attentionPolicy } from './attention-policy'

/** Label prefix of the learned rows. */
export const LEARNED_LABEL = 'attention (learned) K='

/**
 * Replays `rec` through the attention engine scored by an ONNX model (`colyseus-attention/learned`)
 * at budget `k`. The scorer runs in lockstep (each tick waits for the answer to the previous tick's
 * rows), so the numbers are deterministic and equal to a room whose worker keeps up.
 * @param modelPath - the .onnx file.
 */
export async function replayLearned(rec: Recording, modelPath: string, k: number, log: (l: string) => void = () => {}): Promise<ReplayResult> {
  const scorer = await createOnnxScorer({ model: modelPath, lockstep: true, hangTimeoutMs: 30_000, onEvent: (e) => log(`  learned scorer: ${e.message}`) })
  try {
    return replay(rec, attentionPolicy(k, { engine: { scorer }, variant: 'learned' }))
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
}

/**
 * Compares the learned rows with the heads' and radius AOI's curves at equal bytes.
 * @param lead - 0.2 or 0.5 seconds.
 */
export function compareLearned(rows: readonly RecallRow[], lead: 0.2 | 0.5): LearnedPoint[] {
  const miss = (r: RecallRow): number => 1 - (lead === 0.5 ? r.recall500 : r.recall200)
  const curve = (pick: (r: RecallRow) => boolean): Point[] => rows.filter(pick).map((r) => ({ x: r.bytesPerClientPerSec, y: miss(r) }))
  const heads = curve((r) => r.family === 'attention' && r.label.startsWith('attention K=') && !r.label.includes(' R='))
  const radius = curve((r) => r.family === 'radius')
  return rows
    .filter((r) => r.label.startsWith(LEARNED_LABEL))
    .map((r) => {
      const m = miss(r)
      const h = interpolate(heads, r.bytesPerClientPerSec)
      const rad = interpolate(radius, r.bytesPerClientPerSec)
      return {
        budget: r.param,
        bytesPerClientPerSec: r.bytesPerClientPerSec,
        learnedMiss: m,
        headsMiss: h,
        radiusMiss: rad,
        vsHeads: h === null ? null : h === 0 ? (m === 0 ? 0 : Infinity) : m / h,
        vsRadius: rad === null ? null : rad === 0 ? (m === 0 ? 0 : Infinity) : m / rad,
      }
    })
}
