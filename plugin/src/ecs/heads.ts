// Owns: the attention heads as a list (names, feature columns, default weights) and the weighted
// sum that combines them, shared by the built-in scorer and the row writer's fused scores.
// Each head's formula is computed in the row writer (features.ts) and, independently, in the test
// oracle (test/support/brute-force.ts); docs/concepts.md section 2 is its specification.
import type { AttentionScorer } from './scorer'
import { checkKeys, checkRange, describeGiven } from './validate'

/** Names of the heads, in {@link Feature} column order. */
export const HEAD_NAMES = ['distance', 'facing', 'approach', 'recency', 'salience', 'mutual', 'team', 'aim'] as const
/** Number of columns in a feature row (one per head). */
export const FEATURE_COUNT = HEAD_NAMES.length
/** Name of one attention head. */
export type HeadName = (typeof HEAD_NAMES)[number]
/** Weight of each head in the combined logit. */
export type HeadWeights = Record<HeadName, number>

/**
 * Column layout of a feature row handed to an {@link AttentionScorer}. Each built-in feature is in
 * [0, 1]; a row is `FEATURE_COUNT` consecutive floats. Column `Feature.X` is head `HEAD_NAMES[X]`.
 */
export const Feature = {
  /**
   * 1 at the observer, 0 at the effective radius `max(Observer.radius, Salience.nimbus)`; falls
   * logarithmically (option `distanceFalloff`), so the near field counts most.
   */
  Distance: 0,
  /** 1 dead ahead of the observer, 0 at the edge of its field of view and outside it. */
  Facing: 1,
  /** Closing speed of the pair divided by `speedScale`, clamped to [0, 1]. */
  Approach: 2,
  /** `2^(-age / interactionHalfLife)` since the pair's last recorded interaction, else 0. */
  Recency: 3,
  /** `Salience.weight` of the candidate, clamped to [0, 1] (0 without the component). */
  Salience: 4,
  /** How squarely the candidate faces the observer: max(0, cos) of the angle. */
  Mutual: 5,
  /** 1 when observer and candidate are on the same team, else 0. */
  Team: 6,
  /**
   * 1 when the candidate declares that it aims at the observer (`Aim.target`), else 0. An aimer is
   * a candidate of its target at any distance: what aims at a player matters from afar.
   */
  Aim: 7,
} as const satisfies Record<Capitalize<HeadName>, number>

/** Default head weights of the built-in scorer. */
export const DEFAULT_WEIGHTS: Readonly<HeadWeights> = Object.freeze({
  distance: 5,
  facing: 0.5,
  approach: 1.5,
  recency: 2,
  salience: 1,
  mutual: 0.5,
  team: 0.25,
  aim: 3,
})

/**
 * Throws a RangeError naming the head unless every weight is a finite number in [-1e6, 1e6] (a key
 * that is no head is refused earlier, with the other options' keys, by `resolveOptions`).
 * @param weights - one weight per head.
 */
export function checkWeights(weights: HeadWeights): void {
  for (const name of HEAD_NAMES) checkRange(`weights.${name}`, weights[name], -1e6, 1e6)
}

/**
 * The weights in feature column order, for {@link scoreRow}.
 * @param weights - one weight per head.
 * @returns a new array of `FEATURE_COUNT` weights.
 */
export function weightVector(weights: HeadWeights): Float64Array {
  const w = new Float64Array(FEATURE_COUNT)
  for (let h = 0; h < FEATURE_COUNT; h++) w[h] = weights[HEAD_NAMES[h]!]
  return w
}

/**
 * The built-in logit of one feature row: `out[r] = Σ_h w[h] · f[off + h]`, summed in column order
 * in double precision (the one definition the scorer and the row writer's fused scores share).
 * Writes instead of returning: see PERFORMANCE.md, "doubles across calls".
 * @param w - weights from {@link weightVector}.
 * @param f - feature rows (float32, as a scorer receives them).
 * @param off - first column of the row in `f`.
 * @param out - score array; `out[r]` is written.
 * @param r - the row's index in `out`.
 */
export function scoreRow(w: Float64Array, f: Float32Array, off: number, out: Float32Array, r: number): void {
  let s = w[0]! * f[off]!
  for (let h = 1; h < FEATURE_COUNT; h++) s += w[h]! * f[off + h]!
  out[r] = s
}

/**
 * Creates the built-in scorer: the logit of a row is the weighted sum of its head features
 * (`scoreRow`).
 * @param weights - one weight per head (see {@link DEFAULT_WEIGHTS}), each a finite number in
 *   [-1e6, 1e6]; a key that is no head throws a RangeError naming it (and the head it is likely a
 *   misspelling of), and anything but an object a TypeError.
 * @returns a batched scorer that allocates nothing.
 */
export function createHeadScorer(weights: HeadWeights): AttentionScorer {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
    throw new TypeError(`colyseus-attention: createHeadScorer(weights) takes an object of one weight per head (${HEAD_NAMES.join(', ')}); got ${describeGiven(weights)}`)
  }
  checkKeys('createHeadScorer(weights)', weights, HEAD_NAMES, undefined, 'head')
  checkWeights(weights)
  const w = weightVector(weights)
  return {
    score(f, rows, out) {
      for (let r = 0; r < rows; r++) scoreRow(w, f, r * FEATURE_COUNT, out, r)
    },
  }
}
