// Owns: the learned attention network's parameters and its plain TypeScript forward pass (the
// reference the exported ONNX graph is tested against).
//
// Per observer, over its M candidate rows x[m] (INPUT_WIDTH wide):
//   ctx      = mean_m x[m]                                  (the observer's surroundings)
//   q_h      = ctx Wq_h + bq_h                              (query of head h, keyDim wide)
//   k_h[m]   = tanh(x[m] Wk_h + bk_h)                       (key of candidate m)
//   a_h[m]   = q_h . k_h[m] / sqrt(keyDim)
//   l_h[m]   = log(M * softmax_m(a_h)[m])                   (0 when head h attends uniformly)
//   score[m] = x[m] . lin + sum_h wo_h l_h[m] + bias
// `lin` starts at the built-in head weights (the engine's default scorer) and the attention terms
// start small, so an untrained model scores like the heads, on the same scale as their fallback.
//
// Bounded residual (`bound` > 0): the heads' exact score plus a correction of at most +-bound,
//   score[m] = x[m] . base + bound * tanh(raw[m] / bound),   raw[m] = the score above
// with `base` the head weights (fixed) and `lin` starting at 0: the model can only reorder rows
// whose heads' scores are within 2 * bound of each other, and its scores are on the heads' scale by
// construction. With a range guard (`guard`), a row outside the training rows' range keeps its
// heads' score wherever the correction would lower it: the model raises what it recognises and
// lowers only in situations it was trained on.
import { DEFAULT_WEIGHTS, HEAD_NAMES } from '../../plugin/src/index'
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import { createPrng } from '../lib/prng'

/** Sizes of the network. */
export interface ModelShape {
  heads: number
  keyDim: number
}

/** The parameters, flat and row-major. */
export interface ModelParams extends ModelShape {
  /** [INPUT_WIDTH] linear term over the row. */
  lin: Float32Array
  /** [INPUT_WIDTH, heads * keyDim] and [heads * keyDim]. */
  wq: Float32Array
  bq: Float32Array
  wk: Float32Array
  bk: Float32Array
  /** [heads] output weight of each head. */
  wo: Float32Array
  /**
   * [1] constant added to every score. The listwise loss cannot see it (a softmax ignores a shift);
   * {@link calibrate} sets it, with the scale, so that the scores sit on the heads' scale.
   */
  bias: Float32Array
  /** Largest correction of the heads' score (0: the plain model, no base). */
  bound: number
  /**
   * Largest correction downwards, when it differs from `bound` (an asymmetric bounded residual: the
   * model may raise a candidate above the heads' score by up to `bound` but lower it by at most
   * this much). Undefined: `bound` both ways.
   */
  boundDown?: number
  /**
   * The range guard of a bounded residual: each input column's range on the training rows. A row
   * with any column outside its range is a situation the model was not trained on; there the model
   * may raise the heads' score, never lower it. Undefined: no guard.
   */
  guard?: RangeGuard
  /** [INPUT_WIDTH] the fixed linear term the bounded correction is added to (the head weights). */
  base: Float32Array
}

/** Per input column, the lowest and the highest value the guard treats as trained on. */
export interface RangeGuard {
  /** [INPUT_WIDTH] */
  lo: Float32Array
  /** [INPUT_WIDTH] */
  hi: Float32Array
}

/**
 * The range guard of a training set: per column, its `tail` and `1 - tail` quantiles over every
 * row (`tail` 0: the smallest and the largest value), so that a few outlying training rows do not
 * stretch what counts as trained on.
 * @param x - rows, row-major, INPUT_WIDTH wide.
 * @param tail - the share of rows left outside at each end, in [0, 0.1].
 */
export function rangeGuard(x: Float32Array, tail: number): RangeGuard {
  if (!(tail >= 0 && tail <= 0.1)) throw new RangeError(`the range guard's tail must be a number in [0, 0.1]; got ${tail}`)
  const W = INPUT_WIDTH
  const n = Math.floor(x.length / W)
  if (n === 0) throw new RangeError('the range guard needs at least one training row; got 0')
  const lo = new Float32Array(W)
  const hi = new Float32Array(W)
  const column = new Float32Array(n)
  const at = Math.min(n - 1, Math.floor(tail * n))
  for (let d = 0; d < W; d++) {
    for (let r = 0; r < n; r++) column[r] = x[r * W + d]!
    column.sort()
    lo[d] = column[at]!
    hi[d] = column[n - 1 - at]!
  }
  return { lo, hi }
}

/** Whether row `xo` (its first index in `x`) has a column outside the guard's range. */
export function outsideGuard(g: RangeGuard, x: Float32Array, xo: number): boolean {
  for (let d = 0; d < INPUT_WIDTH; d++) {
    const v = x[xo + d]!
    if (v < g.lo[d]! || v > g.hi[d]!) return true
  }
  return false
}

/** Default network size: 4 heads of 8. */
export const DEFAULT_SHAPE: ModelShape = { heads: 4, keyDim: 8 }

/** The linear term of an untrained model: the built-in head weights, 0 on the geometry columns. */
export function headPrior(): Float32Array {
  const lin = new Float32Array(INPUT_WIDTH)
  HEAD_NAMES.forEach((h, i) => (lin[i] = DEFAULT_WEIGHTS[h]))
  return lin
}

/**
 * Deterministic initial parameters for a seed.
 * @param bound - a bounded residual's largest correction (0: the plain model).
 * @param boundDown - its largest correction downwards, when smaller (undefined, or equal to `bound`: symmetric).
 */
export function initParams(seed: number, shape: ModelShape = DEFAULT_SHAPE, bound = 0, boundDown?: number): ModelParams {
  const rng = createPrng(seed)
  const hk = shape.heads * shape.keyDim
  const gauss = (s: number): number => {
    // Box-Muller from the seeded generator
    const u = Math.max(1e-12, rng.next())
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next()) * s
  }
  const fill = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => gauss(s))
  const scale = 1 / Math.sqrt(INPUT_WIDTH)
  return {
    ...shape,
    lin: bound > 0 ? new Float32Array(INPUT_WIDTH) : headPrior(),
    wq: fill(INPUT_WIDTH * hk, scale),
    bq: new Float32Array(hk),
    wk: fill(INPUT_WIDTH * hk, scale),
    bk: new Float32Array(hk),
    wo: fill(shape.heads, 0.1),
    bias: new Float32Array(1),
    bound,
    ...(boundDown !== undefined && bound > 0 && boundDown !== bound ? { boundDown } : {}),
    base: bound > 0 ? headPrior() : new Float32Array(INPUT_WIDTH),
  }
}

/** Number of parameters. */
export function paramCount(p: ModelParams): number {
  return p.lin.length + p.wq.length + p.bq.length + p.wk.length + p.bk.length + p.wo.length + p.bias.length
}

/** Intermediate values of one observer's forward pass, kept for the gradient. */
export interface ForwardCache {
  m: number
  ctx: Float64Array
  q: Float64Array
  /** [m, heads * keyDim] */
  k: Float64Array
  /** [heads, m] softmax of each head */
  p: Float64Array
  /** [heads, m] log(M * p) */
  l: Float64Array
  /** [m] */
  score: Float64Array
  /** [m] tanh(raw / bound) of a bounded residual */
  u: Float64Array
  /** [m] 1 where the range guard held the row at the heads' score (its correction, and gradient, 0) */
  held: Uint8Array
}

/** Allocates a cache for groups of up to `maxRows` rows. */
export function createCache(p: ModelShape, maxRows: number): ForwardCache {
  const hk = p.heads * p.keyDim
  return {
    m: 0,
    ctx: new Float64Array(INPUT_WIDTH),
    q: new Float64Array(hk),
    k: new Float64Array(maxRows * hk),
    p: new Float64Array(p.heads * maxRows),
    l: new Float64Array(p.heads * maxRows),
    score: new Float64Array(maxRows),
    u: new Float64Array(maxRows),
    held: new Uint8Array(maxRows),
  }
}

/**
 * Forward pass over one observer's rows `x[start..start+m)` (row-major, INPUT_WIDTH wide).
 * @returns the cache, with `score` filled.
 */
export function forward(p: ModelParams, x: Float32Array, start: number, m: number, cache: ForwardCache): ForwardCache {
  const W = INPUT_WIDTH
  const H = p.heads
  const dk = p.keyDim
  const hk = H * dk
  const { ctx, q, k, l, score } = cache
  const pr = cache.p
  cache.m = m
  ctx.fill(0)
  for (let r = 0; r < m; r++) for (let d = 0; d < W; d++) ctx[d]! += x[(start + r) * W + d]!
  for (let d = 0; d < W; d++) ctx[d]! /= Math.max(1, m)
  for (let j = 0; j < hk; j++) {
    let s = p.bq[j]!
    for (let d = 0; d < W; d++) s += ctx[d]! * p.wq[d * hk + j]!
    q[j] = s
  }
  const inv = 1 / Math.sqrt(dk)
  for (let r = 0; r < m; r++) {
    const xo = (start + r) * W
    for (let j = 0; j < hk; j++) {
      let s = p.bk[j]!
      for (let d = 0; d < W; d++) s += x[xo + d]! * p.wk[d * hk + j]!
      k[r * hk + j] = Math.tanh(s)
    }
  }
  const logM = Math.log(Math.max(1, m))
  for (let h = 0; h < H; h++) {
    let max = -Infinity
    for (let r = 0; r < m; r++) {
      let s = 0
      for (let d = 0; d < dk; d++) s += q[h * dk + d]! * k[r * hk + h * dk + d]!
      s *= inv
      l[h * m + r] = s
      if (s > max) max = s
    }
    let sum = 0
    for (let r = 0; r < m; r++) sum += Math.exp(l[h * m + r]! - max)
    const lse = max + Math.log(sum)
    for (let r = 0; r < m; r++) {
      const a = l[h * m + r]!
      pr[h * m + r] = Math.exp(a - lse)
      l[h * m + r] = a - lse + logM
    }
  }
  for (let r = 0; r < m; r++) {
    const xo = (start + r) * W
    let s = 0
    for (let d = 0; d < W; d++) s += x[xo + d]! * p.lin[d]!
    for (let h = 0; h < H; h++) s += p.wo[h]! * l[h * m + r]!
    s += p.bias[0]!
    if (p.bound > 0) {
      // the exported graph's Where(raw > 0, bound, boundDown)
      const lim = s > 0 || p.boundDown === undefined ? p.bound : p.boundDown
      const u = Math.tanh(s / lim)
      cache.u[r] = u
      // the exported graph's Where(lowers and outside the guard, 0, correction)
      const held = s <= 0 && p.guard !== undefined && outsideGuard(p.guard, x, xo)
      cache.held[r] = held ? 1 : 0
      let b = 0
      for (let d = 0; d < W; d++) b += x[xo + d]! * p.base[d]!
      s = held ? b : b + lim * u
    }
    score[r] = s
  }
  return cache
}
