import * as ort from 'onnxruntime-web'
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import { createPrng } from '../lib/prng'
import { createCache, forward, type ModelParams } from '../train/model'
import { exportOnnx } from '../train/onnx-export'

/**
 * Exports `p` to ONNX, runs it in onnxruntime-web (wasm, one thread) on a padded batch of random
 * rows (one observer per entry of `counts`, each with that many candidates, padded to the largest),
 * and returns the largest difference from the TypeScript forward pass over the real rows.
 */
export async function onnxDeviation(p: ModelParams, counts: readonly number[], seed: number): Promise<number> {
  ort.env.wasm.numThreads = 1
  const session = await ort.InferenceSession.create(exportOnnx(p), { executionProviders: ['wasm'] })
  try {
    const rng = createPrng(seed)
    const M = Math.max(...counts)
    const x = new Float32Array(counts.length * M * INPUT_WIDTH)
    const mask = new Float32Array(counts.length * M)
    counts.forEach((n, o) => {
      for (let m = 0; m < n; m++) {
        mask[o * M + m] = 1
        for (let d = 0; d < INPUT_WIDTH; d++) x[(o * M + m) * INPUT_WIDTH + d] = rng.range(-2, 2)
      }
    })
    const out = await session.run({ x: new ort.Tensor('float32', x, [counts.length, M, INPUT_WIDTH]), mask: new ort.Tensor('float32', mask, [counts.length, M]) })
    const dims = out.score!.dims
    if (dims[0] !== counts.length || dims[1] !== M) throw new Error(`score has shape [${dims.join(', ')}]; expected [${counts.length}, ${M}]`)
    const y = out.score!.data as Float32Array
    let worst = 0
    counts.forEach((n, o) => {
      const c = forward(p, x, o * M, n, createCache(p, M))
      for (let m = 0; m < n; m++) worst = Math.max(worst, Math.abs(c.score[m]! - y[o * M + m]!))
    })
    return worst
  } finally {
    await session.release()
  }
}
