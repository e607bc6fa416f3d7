import type { BytesSeries } from '../stats/bytes-series'
import { formatRate } from './format-rate'

/** Line colours: what this client receives, and what the full state would cost it. */
export const YOU_COLOR = '#2ec4b6'
export const FULL_COLOR = '#ff7b72'

/**
 * Draws the last minute of bytes per second as two lines on a small canvas: the full-state cost
 * (dashed) and what this client received (filled below), on one linear scale from zero so the gap
 * between them is the saving. The newest sample is at the right edge.
 * @param canvas - the chart canvas (its CSS size is kept; the backing store follows devicePixelRatio)
 * @param series - the samples
 */
export function drawBytesChart(canvas: HTMLCanvasElement, series: BytesSeries): void {
  const dpr = window.devicePixelRatio || 1
  const w = canvas.clientWidth
  const h = canvas.clientHeight
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr)
    canvas.height = Math.round(h * dpr)
  }
  const ctx = canvas.getContext('2d')
  if (ctx === null) return
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  ctx.clearRect(0, 0, w, h)
  ctx.fillStyle = 'rgba(13, 17, 23, 0.6)'
  ctx.fillRect(0, 0, w, h)
  const top = 12
  const plotH = h - top - 2
  const max = niceCeil(series.max())
  ctx.strokeStyle = '#30363d'
  ctx.lineWidth = 1
  ctx.beginPath()
  ctx.moveTo(0, top + 0.5)
  ctx.lineTo(w, top + 0.5)
  ctx.moveTo(0, top + plotH / 2 + 0.5)
  ctx.lineTo(w, top + plotH / 2 + 0.5)
  ctx.stroke()
  ctx.fillStyle = '#8b949e'
  ctx.font = '10px system-ui, sans-serif'
  ctx.textBaseline = 'top'
  ctx.fillText(max > 0 ? formatRate(max) : 'bytes / s', 3, 1)
  ctx.textAlign = 'right'
  ctx.fillText('last 60 s', w - 3, 1)
  ctx.textAlign = 'left'
  const n = series.length
  if (n === 0 || max <= 0) return
  // the newest sample sits at the right edge, one step per sample: a young chart grows from the right
  const step = w / (series.capacity - 1)
  const x = (k: number): number => w - (n - 1 - k) * step
  const y = (v: number): number => top + plotH - (v / max) * plotH

  ctx.beginPath()
  ctx.moveTo(x(0), top + plotH)
  for (let k = 0; k < n; k++) ctx.lineTo(x(k), y(series.you[series.start(k)]!))
  ctx.lineTo(x(n - 1), top + plotH)
  ctx.closePath()
  ctx.fillStyle = 'rgba(46, 196, 182, 0.25)'
  ctx.fill()
  strokeSeries(ctx, series.you, series, x, y, YOU_COLOR, [])
  strokeSeries(ctx, series.full, series, x, y, FULL_COLOR, [4, 3])
}

function strokeSeries(
  ctx: CanvasRenderingContext2D,
  values: Float64Array,
  series: BytesSeries,
  x: (k: number) => number,
  y: (v: number) => number,
  color: string,
  dash: number[],
): void {
  ctx.strokeStyle = color
  ctx.lineWidth = 1.5
  ctx.setLineDash(dash)
  ctx.beginPath()
  let pen = false
  for (let k = 0; k < series.length; k++) {
    const v = values[series.start(k)]!
    // NaN (no figure for that second) breaks the line
    if (Number.isNaN(v)) {
      pen = false
      continue
    }
    if (pen) ctx.lineTo(x(k), y(v))
    else ctx.moveTo(x(k), y(v))
    pen = true
  }
  ctx.stroke()
  ctx.setLineDash([])
}

/**
 * The axis top for a maximum: 1, 2 or 5 times a power of ten, at or above it.
 * @param v - the largest value (>= 0)
 * @returns the scale's top (0 for 0)
 */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 0
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}
