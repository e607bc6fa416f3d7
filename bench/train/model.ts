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
// construction.
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
  /** [INPUT_WIDTH] the fixed linear term the bounded correction is added to (the head weights). */
  base: Float32Array
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
      let b = 0
      for (let d = 0; d < W; d++) b += x[xo + d]! * p.base[d]!
      s = b + lim * u
    }
    score[r] = s
  }
  return cache
}
