/** Quantile q in [0, 1] of `values` by linear interpolation between order statistics; NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length
  if (n === 0) return Number.NaN
  const s = Float64Array.from(values).sort()
  const pos = (n - 1) * Math.min(1, Math.max(0, q))
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}

/** Median of `values` (NaN when empty). */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5)
}

/** Arithmetic mean (NaN when empty). */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i]!
  return s / values.length
}

/** A point of a curve. */
export interface Point {
  x: number
  y: number
}

/**
 * Linear interpolation of y at `x` on a curve (any order; sorted by x here). Returns null when `x`
 * lies outside the curve's x range: no extrapolation.
 */
export function interpolate(curve: readonly Point[], x: number): number | null {
  const pts = [...curve].sort((p, q) => p.x - q.x)
  if (pts.length === 0) return null
  const first = pts[0]!
  const last = pts[pts.length - 1]!
  if (x < first.x || x > last.x) return null
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!
    const b = pts[i]!
    if (x <= b.x) return b.x === a.x ? Math.min(a.y, b.y) : a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x)
  }
  return last.y
}
