// Owns: the listwise loss of one observer's candidates and its gradient, by hand (no autograd).
//
// Loss: -mean over the positive rows of log softmax_m(score)[pos]: the model is rewarded for
// ranking the candidates the observer is about to interact with above the others.
//
// Sharpness s >= 1 (top-K aware): the same loss on s * score, divided by s. At s = 1 it is the plain
// listwise loss; as s grows it tends to the margin of each positive below the group's top score, so
// it counts the rows near the top of the ranking (what a small budget holds) and ignores the tail,
// which a softmax at s = 1 still spreads its gradient over. The scores keep their scale (the
// gradient by the score is the softmax of s * score minus the targets).
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import type { ForwardCache, ModelParams } from './model'

/** Gradient buffers, the same layout as {@link ModelParams}. */
export type Gradients = Pick<ModelParams, 'lin' | 'wq' | 'bq' | 'wk' | 'bk' | 'wo'>

/** Zeroed gradients for `p`. */
export function createGradients(p: ModelParams): Gradients {
  return {
    lin: new Float32Array(p.lin.length),
    wq: new Float32Array(p.wq.length),
    bq: new Float32Array(p.bq.length),
    wk: new Float32Array(p.wk.length),
    bk: new Float32Array(p.bk.length),
    wo: new Float32Array(p.wo.length),
  }
}

/** Scratch for {@link accumulate}. */
export interface GradScratch {
  ds: Float64Array
  dq: Float64Array
  dl: Float64Array
}

/** Scratch for groups of up to `maxRows` rows. */
export function createGradScratch(p: ModelParams, maxRows: number): GradScratch {
  return { ds: new Float64Array(maxRows), dq: new Float64Array(p.heads * p.keyDim), dl: new Float64Array(maxRows) }
}

/**
 * Adds the gradient of one observer's loss to `g` (after `forward` filled `c`).
 * @param label - 1 for a positive row, 0 otherwise, at `label[start + r]`.
 * @param logWeight - optional log weight of each row in the softmax's normaliser (row r at
 *   `logWeight[r]`; 0 for a full weight): a negative row with a lower weight counts less.
 * @param positiveWeight - optional weight of each positive row in the loss (row r at
 *   `positiveWeight[r]`, 1 by default): the loss is the weighted sum over the positives divided by
 *   their count, so a group whose positives weigh more counts more.
 * @param sharpness - the loss is computed on `sharpness * score` and divided by it (see the header); 1: the plain listwise loss.
 * @returns the loss (0 and no gradient when the group has no positive row).
 */
export function accumulate(p: ModelParams, x: Float32Array, label: Uint8Array, start: number, c: ForwardCache, g: Gradients, s: GradScratch, logWeight?: Float64Array, positiveWeight?: Float64Array, sharpness = 1): number {
  const m = c.m
  const W = INPUT_WIDTH
  const H = p.heads
  const dk = p.keyDim
  const hk = H * dk
  let pos = 0
  for (let r = 0; r < m; r++) pos += label[start + r]!
  if (pos === 0) return 0
  // total weight of the group's positives: 1 (a mean over them) unless positiveWeight scales them
  let total = 1
  if (positiveWeight !== undefined) {
    total = 0
    for (let r = 0; r < m; r++) total += label[start + r]! * positiveWeight[r]!
    total /= pos
  }
  const lw = (r: number): number => (logWeight === undefined ? 0 : logWeight[r]!)
  // z = sharpness * score + log weight; loss = (total lse(z) - sum_r y_r z_r) / sharpness
  const k = sharpness
  let max = -Infinity
  for (let r = 0; r < m; r++) if (k * c.score[r]! + lw(r) > max) max = k * c.score[r]! + lw(r)
  let sum = 0
  for (let r = 0; r < m; r++) sum += Math.exp(k * c.score[r]! + lw(r) - max)
  const lse = max + Math.log(sum)
  let loss = total * lse
  const ds = s.ds
  for (let r = 0; r < m; r++) {
    const y = positiveWeight === undefined ? label[start + r]! / pos : (label[start + r]! * positiveWeight[r]!) / pos
    loss -= y * (k * c.score[r]! + lw(r))
    ds[r] = total * Math.exp(k * c.score[r]! + lw(r) - lse) - y
  }
  loss /= k
  // bounded residual: score = base + bound * tanh(raw / bound), d score / d raw = 1 - u^2 (0 where
  // the range guard held the row at the heads' score)
  if (p.bound > 0) for (let r = 0; r < m; r++) ds[r] = c.held[r] === 1 ? 0 : ds[r]! * (1 - c.u[r]! * c.u[r]!)
  // linear term
  for (let r = 0; r < m; r++) {
    const xo = (start + r) * W
    const d = ds[r]!
    for (let j = 0; j < W; j++) g.lin[j]! += d * x[xo + j]!
  }
  const inv = 1 / Math.sqrt(dk)
  for (let h = 0; h < H; h++) {
    // wo_h and d l_h
    let dwo = 0
    let dlSum = 0
    const dl = s.dl
    for (let r = 0; r < m; r++) {
      dwo += ds[r]! * c.l[h * m + r]!
      dl[r] = ds[r]! * p.wo[h]!
      dlSum += dl[r]!
    }
    g.wo[h]! += dwo
    // l = a - lse(a) + log M: da[r] = dl[r] - p[r] * sum(dl)
    const dq = s.dq
    for (let d = 0; d < dk; d++) dq[d] = 0
    for (let r = 0; r < m; r++) {
      const da = (dl[r]! - c.p[h * m + r]! * dlSum) * inv
      if (da === 0) continue
      const xo = (start + r) * W
      for (let d = 0; d < dk; d++) {
        const j = h * dk + d
        const kv = c.k[r * hk + j]!
        dq[d]! += da * kv
        const dz = da * c.q[j]! * (1 - kv * kv)
        g.bk[j]! += dz
        for (let i = 0; i < W; i++) g.wk[i * hk + j]! += x[xo + i]! * dz
      }
    }
    for (let d = 0; d < dk; d++) {
      const j = h * dk + d
      g.bq[j]! += dq[d]!
      for (let i = 0; i < W; i++) g.wq[i * hk + j]! += c.ctx[i]! * dq[d]!
    }
  }
  return loss
}
