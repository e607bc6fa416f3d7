import type { AttentionScorer, HeadWeights } from './types'
import { FEATURE_COUNT } from './types'
import { checkRange } from './validate'
import { HEAD_NAMES } from './types'

/**
 * Creates the built-in scorer: the logit of a row is the weighted sum of its head features. The
 * system's tick fuses the same sum into the row writer (`features.ts`); keep the two in step.
 * @param weights - one weight per head (see `DEFAULT_WEIGHTS`).
 * @returns a batched scorer that allocates nothing.
 */
export function createHeadScorer(weights: HeadWeights): AttentionScorer {
  for (const name of HEAD_NAMES) checkRange(`weights.${name}`, weights[name], -1e6, 1e6)
  const w0 = weights.distance
  const w1 = weights.facing
  const w2 = weights.approach
  const w3 = weights.recency
  const w4 = weights.salience
  const w5 = weights.mutual
  const w6 = weights.team
  const w7 = weights.aim
  return {
    score(f, rows, out) {
      for (let r = 0, o = 0; r < rows; r++, o += FEATURE_COUNT) {
        out[r] = w0 * f[o]! + w1 * f[o + 1]! + w2 * f[o + 2]! + w3 * f[o + 3]! + w4 * f[o + 4]! + w5 * f[o + 5]! + w6 * f[o + 6]! + w7 * f[o + 7]!
      }
    },
  }
}
