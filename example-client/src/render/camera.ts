/** Maps world coordinates to canvas pixels: centred on a point, uniform scale. */
export interface Camera {
  /** World point drawn at the canvas centre. */
  cx: number
  cy: number
  /** Pixels per world unit. */
  scale: number
  /** Canvas size in CSS pixels. */
  width: number
  height: number
}

/**
 * A camera that keeps `viewRadius` world units around (cx, cy) visible.
 * @param cx - world x at the centre
 * @param cy - world y at the centre
 * @param viewRadius - world distance that must fit between the centre and the nearest edge
 * @param width - canvas width (CSS px)
 * @param height - canvas height (CSS px)
 */
export function fitCamera(cx: number, cy: number, viewRadius: number, width: number, height: number): Camera {
  const scale = (Math.min(width, height) * 0.5) / Math.max(1e-6, viewRadius)
  return { cx, cy, scale, width, height }
}

/** World x to canvas x. */
export function toScreenX(cam: Camera, x: number): number {
  return (x - cam.cx) * cam.scale + cam.width / 2
}

/** World y to canvas y. */
export function toScreenY(cam: Camera, y: number): number {
  return (y - cam.cy) * cam.scale + cam.height / 2
}

/** Canvas x to world x. */
export function toWorldX(cam: Camera, sx: number): number {
  return (sx - cam.width / 2) / cam.scale + cam.cx
}

/** Canvas y to world y. */
export function toWorldY(cam: Camera, sy: number): number {
  return (sy - cam.height / 2) / cam.scale + cam.cy
}

/** A drawn entity's key and canvas position, for hit testing. */
export interface ScreenPoint {
  key: string
  sx: number
  sy: number
}

/**
 * The drawn entity nearest to a canvas point, within `maxPx`.
 * @param points - where entities were drawn this frame
 * @param sx - canvas x (CSS px)
 * @param sy - canvas y (CSS px)
 * @param maxPx - pick radius @defaultValue 14
 * @returns the key, or null when nothing is close enough
 */
export function pick(points: readonly ScreenPoint[], sx: number, sy: number, maxPx = 14): string | null {
  let best: string | null = null
  let bestD = maxPx * maxPx
  for (const p of points) {
    const d = (p.sx - sx) ** 2 + (p.sy - sy) ** 2
    if (d <= bestD) {
      bestD = d
      best = p.key
    }
  }
  return best
}
