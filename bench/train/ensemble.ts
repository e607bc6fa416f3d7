// Owns: merging several trained models (same columns, same bound, trained with different seeds) into
// one model of the same kind, so that the ensemble exports, loads and runs like any other model.
//
// Member i's correction before the bound is raw_i[m] = x[m] . lin_i + sum_h wo_ih l_ih[m] + bias_i,
// and each head's l_ih depends on that head's own query and key projections only. So the mean
//   mean_i raw_i = x . mean_i lin_i + sum_{i,h} (wo_ih / N) l_ih + mean_i bias_i
// is the raw score of ONE model whose heads are all the members' heads side by side (N * heads
// heads), with output weights wo / N and the mean linear term and bias. The bounded residual is
// then applied once, to the mean: score = x . base + bound * tanh(mean_i raw_i / bound). (Not the
// mean of the members' bounded scores: that would need a graph the exporter does not have, and the
// worker's cost is the same either way, N times the attention terms.)
import type { ModelParams } from './model'

/**
 * One model whose raw score is the mean of the members' raw scores.
 * @param members - trained models of one shape, bound and base (at least one).
 * @returns a model with `members.length * heads` heads; the members are not changed.
 */
export function mergeEnsemble(members: readonly ModelParams[]): ModelParams {
  const first = members[0]
  if (first === undefined) throw new RangeError('mergeEnsemble needs at least one member; got 0')
  const n = members.length
  const W = first.lin.length
  const hk = first.heads * first.keyDim
  members.forEach((p, i) => {
    if (p.heads !== first.heads || p.keyDim !== first.keyDim || p.lin.length !== W) throw new RangeError(`ensemble member ${i} has ${p.heads} heads x ${p.keyDim} over ${p.lin.length} columns; member 0 has ${first.heads} x ${first.keyDim} over ${W}`)
    if (p.bound !== first.bound || p.boundDown !== first.boundDown || p.base.some((v, d) => v !== first.base[d])) throw new RangeError(`ensemble member ${i} has bound ${p.bound} (or another boundDown or base); member 0 has ${first.bound}`)
    const sameGuard = p.guard === first.guard || (p.guard !== undefined && first.guard !== undefined && p.guard.lo.every((v, d) => v === first.guard!.lo[d]) && p.guard.hi.every((v, d) => v === first.guard!.hi[d]))
    if (!sameGuard) throw new RangeError(`ensemble member ${i} has another range guard than member 0 (members are trained on the same rows, so their guards agree)`)
  })
  const HK = n * hk
  const out: ModelParams = {
    heads: n * first.heads,
    keyDim: first.keyDim,
    lin: new Float32Array(W),
    wq: new Float32Array(W * HK),
    bq: new Float32Array(HK),
    wk: new Float32Array(W * HK),
    bk: new Float32Array(HK),
    wo: new Float32Array(n * first.heads),
    bias: new Float32Array(1),
    bound: first.bound,
    ...(first.boundDown !== undefined ? { boundDown: first.boundDown } : {}),
    ...(first.guard !== undefined ? { guard: { lo: Float32Array.from(first.guard.lo), hi: Float32Array.from(first.guard.hi) } } : {}),
    base: Float32Array.from(first.base),
  }
  // sum in float64, round once: the merge of one member is that member exactly
  const lin = new Float64Array(W)
  let bias = 0
  members.forEach((p, i) => {
    for (let d = 0; d < W; d++) {
      lin[d]! += p.lin[d]!
      // member i's heads take columns [i * hk, (i + 1) * hk) of the side-by-side projections
      for (let j = 0; j < hk; j++) {
        out.wq[d * HK + i * hk + j] = p.wq[d * hk + j]!
        out.wk[d * HK + i * hk + j] = p.wk[d * hk + j]!
      }
    }
    out.bq.set(p.bq, i * hk)
    out.bk.set(p.bk, i * hk)
    for (let h = 0; h < p.heads; h++) out.wo[i * p.heads + h] = p.wo[h]! / n
    bias += p.bias[0]!
  })
  for (let d = 0; d < W; d++) out.lin[d] = lin[d]! / n
  out.bias[0] = bias / n
  return out
}
