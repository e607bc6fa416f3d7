// Owns: Adam over the flat parameter arrays, with an L2 pull of the linear term toward the head
// prior (so the model's scores stay on the scale of the heads that cover for it).
import type { Gradients } from './gradient'
import type { ModelParams } from './model'

const KEYS = ['lin', 'wq', 'bq', 'wk', 'bk', 'wo'] as const

/** Adam state. */
export interface Adam {
  step(p: ModelParams, g: Gradients, scale: number, lr: number): void
}

/**
 * Creates Adam for `p`.
 * @param prior - the linear term's prior (the head weights) and the pull toward it.
 * @param frozenLin - the first this many entries of the linear term stay at their prior.
 */
export function createAdam(p: ModelParams, prior: Float32Array, priorPull: number, frozenLin = 0): Adam {
  const m = Object.fromEntries(KEYS.map((k) => [k, new Float64Array(p[k].length)])) as Record<(typeof KEYS)[number], Float64Array>
  const v = Object.fromEntries(KEYS.map((k) => [k, new Float64Array(p[k].length)])) as Record<(typeof KEYS)[number], Float64Array>
  let t = 0
  const b1 = 0.9
  const b2 = 0.999
  return {
    step(params, g, scale, lr) {
      t++
      const c1 = 1 - b1 ** t
      const c2 = 1 - b2 ** t
      for (const k of KEYS) {
        const w = params[k]
        const gk = g[k]
        const mk = m[k]
        const vk = v[k]
        for (let i = k === 'lin' ? frozenLin : 0; i < w.length; i++) {
          let gi = gk[i]! * scale
          if (k === 'lin') gi += priorPull * (w[i]! - prior[i]!)
          mk[i] = b1 * mk[i]! + (1 - b1) * gi
          vk[i] = b2 * vk[i]! + (1 - b2) * gi * gi
          w[i] = w[i]! - (lr * (mk[i]! / c1)) / (Math.sqrt(vk[i]! / c2) + 1e-8)
        }
        gk.fill(0)
      }
    },
  }
}
