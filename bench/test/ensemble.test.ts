import { describe, expect, it } from 'vitest'
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import { createPrng } from '../lib/prng'
import { mergeEnsemble } from '../train/ensemble'
import { createCache, forward, initParams, type ModelParams } from '../train/model'
import { onnxDeviation } from './onnx-parity'
import { captureDataset } from '../train/dataset'
import { ARENA_FAMILY } from '../train/families'
import { evaluate, headsOnly, train } from '../train/train'

/** A model with non-trivial attention terms, linear term and bias, as training leaves them. */
function member(seed: number, bound: number): ModelParams {
  const p = initParams(seed, undefined, bound)
  const rng = createPrng(seed + 100)
  for (let i = 0; i < p.lin.length; i++) p.lin[i] = rng.range(-0.5, 0.5)
  for (let h = 0; h < p.heads; h++) p.wo[h] = rng.range(-1, 1)
  for (let j = 0; j < p.bq.length; j++) p.bq[j] = rng.range(-0.3, 0.3)
  for (let j = 0; j < p.bk.length; j++) p.bk[j] = rng.range(-0.3, 0.3)
  p.bias[0] = rng.range(-1, 1)
  return p
}

/** The member's correction before the bound: its plain score with the same parameters. */
function raw(p: ModelParams, x: Float32Array, start: number, m: number): Float64Array {
  const plain: ModelParams = { ...p, bound: 0, base: new Float32Array(p.base.length) }
  return Float64Array.from(forward(plain, x, start, m, createCache(plain, m)).score)
}

function rows(seed: number, m: number): Float32Array {
  const rng = createPrng(seed)
  return Float32Array.from({ length: m * INPUT_WIDTH }, () => rng.range(-2, 2))
}

describe('ensemble', () => {
  it('should score each row as the heads plus the bound of the mean of the members\' raw scores', () => {
    const bound = 2
    const members = [member(1, bound), member(2, bound), member(3, bound)]
    const merged = mergeEnsemble(members)
    expect(merged.heads).toBe(12)
    expect(merged.keyDim).toBe(members[0]!.keyDim)
    for (const m of [1, 6, 40]) {
      const x = rows(m, m)
      const got = forward(merged, x, 0, m, createCache(merged, m)).score
      const raws = members.map((p) => raw(p, x, 0, m))
      let worst = 0
      let spread = 0
      for (let r = 0; r < m; r++) {
        let heads = 0
        for (let d = 0; d < INPUT_WIDTH; d++) heads += x[r * INPUT_WIDTH + d]! * merged.base[d]!
        const mean = (raws[0]![r]! + raws[1]![r]! + raws[2]![r]!) / 3
        worst = Math.max(worst, Math.abs(got[r]! - (heads + bound * Math.tanh(mean / bound))))
        spread = Math.max(spread, Math.abs(raws[0]![r]! - raws[1]![r]!))
      }
      // float32 parameters (wo / 3 rounded once): agreement to float32 precision
      expect(worst).toBeLessThan(1e-5)
      // the members really differ, so the mean is not one of them
      expect(spread).toBeGreaterThan(0.05)
    }
    // the members are not changed
    expect(members[0]!.heads).toBe(4)
  })

  it('should leave a single member exactly as it was', () => {
    const p = member(5, 2)
    const merged = mergeEnsemble([p])
    for (const key of ['lin', 'wq', 'bq', 'wk', 'bk', 'wo', 'bias', 'base'] as const) expect(Array.from(merged[key]), key).toEqual(Array.from(p[key]))
    expect(merged.heads).toBe(p.heads)
    expect(merged.bound).toBe(p.bound)
    expect(merged.boundDown).toBeUndefined()
    // an asymmetric bound is kept as it is
    const down = { ...member(6, 2), boundDown: 1 }
    expect(mergeEnsemble([down, { ...member(7, 2), boundDown: 1 }]).boundDown).toBe(1)
    // so is a range guard (a copy: the merge shares no array with its members)
    const guard = { lo: new Float32Array(INPUT_WIDTH).fill(-1), hi: new Float32Array(INPUT_WIDTH).fill(1) }
    const guarded = mergeEnsemble([{ ...member(8, 2), guard }, { ...member(9, 2), guard: { lo: Float32Array.from(guard.lo), hi: Float32Array.from(guard.hi) } }])
    expect(Array.from(guarded.guard!.lo)).toEqual(Array.from(guard.lo))
    expect(Array.from(guarded.guard!.hi)).toEqual(Array.from(guard.hi))
    expect(guarded.guard!.lo).not.toBe(guard.lo)
    expect(mergeEnsemble([member(1, 2)]).guard).toBeUndefined()
  })

  it('should reject members of another shape or bound, and an empty list, naming what differs', () => {
    const shape = { heads: 2, keyDim: 8 }
    expect(() => mergeEnsemble([])).toThrow(/at least one member; got 0/)
    expect(() => mergeEnsemble([member(1, 2), initParams(2, shape, 2)])).toThrow(/member 1 has 2 heads x 8 .* member 0 has 4 x 8/)
    expect(() => mergeEnsemble([member(1, 2), member(2, 1)])).toThrow(/member 1 has bound 1 .* member 0 has 2/)
    expect(() => mergeEnsemble([member(1, 2), { ...member(2, 2), boundDown: 1 }])).toThrow(/member 1 has bound 2 \(or another boundDown or base\)/)
    const guard = { lo: new Float32Array(INPUT_WIDTH).fill(-1), hi: new Float32Array(INPUT_WIDTH).fill(1) }
    const wider = { lo: guard.lo, hi: new Float32Array(INPUT_WIDTH).fill(2) }
    expect(() => mergeEnsemble([{ ...member(1, 2), guard }, { ...member(2, 2), guard: wider }])).toThrow(/member 1 has another range guard than member 0/)
    expect(() => mergeEnsemble([{ ...member(1, 2), guard }, member(2, 2)])).toThrow(/member 1 has another range guard/)
  })

  it('should merge members trained at another size on the same rows into a model that still beats the untrained heads', () => {
    const rec = ARENA_FAMILY.record(1, true)
    const trainSet = captureDataset(rec, { toFraction: 0.7 })
    const testSet = captureDataset(rec, { fromFraction: 0.7 })
    const shape = { heads: 2, keyDim: 4 }
    const members = [5, 6].map((seed) => train(trainSet, testSet, { seed, epochs: 1, bound: 2, byteWeights: true, shape }))
    for (const p of members) {
      expect(p.heads).toBe(2)
      expect(p.wq.length).toBe(INPUT_WIDTH * 8)
    }
    // different seeds, different models
    expect(Array.from(members[0]!.wk)).not.toEqual(Array.from(members[1]!.wk))
    const merged = mergeEnsemble(members)
    expect(merged.heads).toBe(4)
    expect(merged.keyDim).toBe(4)
    const heads = evaluate(headsOnly(), testSet, 8).loss
    expect(evaluate(merged, testSet, 8).loss).toBeLessThan(heads)
  })

  it('should export a merged model whose onnxruntime-web outputs match the TypeScript forward pass to 1e-5', async () => {
    const merged = mergeEnsemble([member(1, 2), member(2, 2), member(3, 2)])
    // three observers with 7, 1 and 30 candidates, padded to 30
    expect(await onnxDeviation(merged, [7, 1, 30], 9)).toBeLessThan(1e-5)
  })
})
