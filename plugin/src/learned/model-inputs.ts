// Owns: the model's input row (the engine's features plus relative geometry in the observer's
// frame), shared by the server-side scorer and the trainer so that both see the same numbers.
import { FEATURE_COUNT } from '../ecs/heads'
import type { ScorerBatch } from '../ecs/types'

/** The stores the geometry columns read (a subset of the attention components). */
export interface GeometryStores {
  Position: { x: Float32Array; y: Float32Array }
  Velocity: { x: Float32Array; y: Float32Array }
  Facing: { x: Float32Array; y: Float32Array }
  Observer: { radius: Float32Array }
}

/** What {@link writeModelInputs} reads: a scorer batch, or the worker's copy of one. */
export type ModelInputSource = Pick<ScorerBatch, 'features' | 'rowEid' | 'observers' | 'observerCount' | 'observerStart' | 'speedScale'> & {
  readonly components: GeometryStores
}

/** Names of the model's input columns, in order: the engine's features, then raw geometry. */
export const INPUT_COLUMNS = [
  'distance',
  'facing',
  'approach',
  'recency',
  'salience',
  'mutual',
  'team',
  'aim',
  // relative position in the observer's frame (x ahead, y to the left), in observer radii
  'ahead',
  'left',
  // relative velocity in the observer's frame, in units of the engine's speedScale
  'velocityAhead',
  'velocityLeft',
  // the candidate's facing relative to the observer's: cos and sin of the angle between them
  'headingCos',
  'headingSin',
  // distance in observer radii, not clamped to the radius (a nimbus reaches beyond it)
  'range',
  // the candidate's own speed, in units of speedScale: a moving member costs its client far more
  // bytes than a still one (its full-rate fields change every tick)
  'speed',
  // closest approach if both keep their velocities: seconds until it (0 when they are not closing,
  // at most GEOMETRY_CLAMP), and the distance then (within that time), in observer radii:
  // who is about to meet, which distance and closing speed alone do not tell apart (a near pair
  // sliding past each other against a far one on a collision course)
  'closestTime',
  'closestRange',
  // the candidate's own velocity toward the observer, in units of speedScale: a closing pair where
  // the candidate does the closing (a charge) against one where the observer walks up to it
  'candidateClosing',
] as const
/** Width of a model input row. */
export const INPUT_WIDTH = INPUT_COLUMNS.length
// the first columns are the engine's feature row, in its order
if (INPUT_COLUMNS[FEATURE_COUNT] !== 'ahead' || INPUT_COLUMNS[FEATURE_COUNT - 1] !== 'aim') throw new Error('colyseus-attention/learned: INPUT_COLUMNS is out of step with the engine\'s features')
/** Geometry columns are clamped to [-GEOMETRY_CLAMP, GEOMETRY_CLAMP]. */
export const GEOMETRY_CLAMP = 4

const clamp = (v: number): number => (v > GEOMETRY_CLAMP ? GEOMETRY_CLAMP : v < -GEOMETRY_CLAMP ? -GEOMETRY_CLAMP : v === v ? v : 0)

/**
 * Writes one model input row per batch row into `out` (row-major, {@link INPUT_WIDTH} wide), from
 * the feature rows and the component stores. Allocation-free; `out` must hold every row of the batch.
 * @param batch - the engine's scoring batch.
 * @param out - destination rows.
 */
export function writeModelInputs(batch: ModelInputSource, out: Float32Array): void {
  const c = batch.components
  const Px = c.Position.x
  const Py = c.Position.y
  const Vx = c.Velocity.x
  const Vy = c.Velocity.y
  const Fx = c.Facing.x
  const Fy = c.Facing.y
  const radiusOf = c.Observer.radius
  const feat = batch.features
  const eids = batch.rowEid
  const W = INPUT_WIDTH
  const F = FEATURE_COUNT
  const invSpeed = 1 / batch.speedScale
  for (let i = 0; i < batch.observerCount; i++) {
    const o = batch.observers[i]!
    const start = batch.observerStart[i]!
    const end = batch.observerStart[i + 1]!
    const ox = Px[o]!
    const oy = Py[o]!
    const ovx = Vx[o]!
    const ovy = Vy[o]!
    let fx = Fx[o]!
    let fy = Fy[o]!
    const fl = Math.sqrt(fx * fx + fy * fy)
    // an observer without a facing looks along +x
    if (fl > 1e-9) {
      fx /= fl
      fy /= fl
    } else {
      fx = 1
      fy = 0
    }
    const invR = 1 / radiusOf[o]!
    for (let r = start; r < end; r++) {
      const e = eids[r]!
      const src = r * F
      const dst = r * W
      for (let k = 0; k < F; k++) out[dst + k] = feat[src + k]!
      const dx = Px[e]! - ox
      const dy = Py[e]! - oy
      const rvx = Vx[e]! - ovx
      const rvy = Vy[e]! - ovy
      const evx = Vx[e]!
      const evy = Vy[e]!
      const ex = Fx[e]!
      const ey = Fy[e]!
      out[dst + F] = clamp((dx * fx + dy * fy) * invR)
      out[dst + F + 1] = clamp((dy * fx - dx * fy) * invR)
      out[dst + F + 2] = clamp((rvx * fx + rvy * fy) * invSpeed)
      out[dst + F + 3] = clamp((rvy * fx - rvx * fy) * invSpeed)
      out[dst + F + 4] = clamp(ex * fx + ey * fy)
      out[dst + F + 5] = clamp(fx * ey - fy * ex)
      const dist = Math.sqrt(dx * dx + dy * dy)
      out[dst + F + 6] = clamp(dist * invR)
      out[dst + F + 7] = clamp(Math.sqrt(evx * evx + evy * evy) * invSpeed)
      // closest approach: d + v t is nearest at t = -(d . v) / |v|^2 (velocities are per second)
      const vv = rvx * rvx + rvy * rvy
      const dv = dx * rvx + dy * rvy
      const t = dv < 0 ? Math.min(GEOMETRY_CLAMP, -dv / vv) : 0
      const cx = dx + rvx * t
      const cy = dy + rvy * t
      out[dst + F + 8] = clamp(t)
      out[dst + F + 9] = clamp(Math.sqrt(cx * cx + cy * cy) * invR)
      // toward the observer is -d / |d|
      out[dst + F + 10] = dist > 1e-9 ? clamp(-(evx * dx + evy * dy) / dist * invSpeed) : 0
    }
  }
}
