// Owns: putting a trained model's scores on the heads' scale. The listwise loss fixes only the order
// of an observer's candidates, not the level or the spread of the scores, but the engine reads both:
// its hysteresis (enter and exit scores, swap margin) and its bands are thresholds in score units
// tuned for the heads, and a candidate the model has not seen yet is scored by the heads. So after
// training, an affine map a * score + b (a > 0: the order is kept) is fitted by least squares to the
// heads' score on the rows that matter to a budget: each group's top rows by the model's score.
import { FEATURE_COUNT } from '../../plugin/src/index'
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import type { Dataset } from './dataset'
import { createCache, forward, headPrior, type ModelParams } from './model'

/** The fitted map and how far the scores were from the heads' before and after. */
export interface Calibration {
  scale: number
  shift: number
  rows: number
  /** Root mean square of (model - heads) on the fitted rows, before and after. */
  rmsBefore: number
  rmsAfter: number
}

/**
 * Fits `a * score + b` to the heads' score on each group's top `top` rows (by the model's score) and
 * folds it into `p` (the linear term and the head output weights scale by `a`, the bias becomes
 * `a * bias + b`). A fit that would reverse the order (a <= 0) leaves `p` as it is.
 */
export function calibrate(p: ModelParams, d: Dataset, top = 16): Calibration {
  const prior = headPrior()
  const cache = createCache(p, d.maxRows)
  const order = new Int32Array(d.maxRows)
  let n = 0
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (let g = 0; g < d.groups; g++) {
    const a = d.groupStart[g]!
    const m = d.groupStart[g + 1]! - a
    forward(p, d.x, a, m, cache)
    for (let r = 0; r < m; r++) order[r] = r
    const byScore = order.subarray(0, m).sort((i, j) => cache.score[j]! - cache.score[i]! || i - j)
    for (let i = 0; i < Math.min(top, m); i++) {
      const r = byScore[i]!
      let h = 0
      for (let j = 0; j < FEATURE_COUNT; j++) h += d.x[(a + r) * INPUT_WIDTH + j]! * prior[j]!
      const s = cache.score[r]!
      n++
      sx += s
      sy += h
      sxx += s * s
      sxy += s * h
      syy += h * h
    }
  }
  const mx = sx / n
  const my = sy / n
  const vx = sxx / n - mx * mx
  const cov = sxy / n - mx * my
  const rmsBefore = Math.sqrt(Math.max(0, syy / n - 2 * (sxy / n) + sxx / n))
  const scale = vx > 0 ? cov / vx : 0
  if (!(scale > 0)) return { scale: 1, shift: 0, rows: n, rmsBefore, rmsAfter: rmsBefore }
  const shift = my - scale * mx
  for (let i = 0; i < p.lin.length; i++) p.lin[i] = p.lin[i]! * scale
  for (let h = 0; h < p.wo.length; h++) p.wo[h] = p.wo[h]! * scale
  p.bias[0] = p.bias[0]! * scale + shift
  // residual variance of the least-squares fit
  const vy = syy / n - my * my
  const rmsAfter = Math.sqrt(Math.max(0, vy - (cov * cov) / vx))
  return { scale, shift, rows: n, rmsBefore, rmsAfter }
}
