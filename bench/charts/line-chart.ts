import type { Point } from '../lib/stats'

/** One line of a chart. */
export interface Series {
  name: string
  points: readonly Point[]
  /** Drawn dashed (ablations, baselines). */
  dashed?: boolean
  /** Only a marker, no line (a single configuration such as full state). */
  markerOnly?: boolean
}

/** What to draw. */
export interface LineChartOptions {
  title: string
  xLabel: string
  yLabel: string
  series: readonly Series[]
  xLog?: boolean
  yLog?: boolean
  /** Axis range; defaults to the data's range (rounded to ticks). */
  xMin?: number
  xMax?: number
  yMin?: number
  yMax?: number
  /** Tick label formatters. */
  xFormat?: (v: number) => string
  yFormat?: (v: number) => string
  /** Horizontal reference lines (e.g. a target). */
  hLines?: readonly { y: number; label: string }[]
  width?: number
  height?: number
}

/** Colour-blind-safe palette (Okabe-Ito), cycled by series index. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Round-number ticks covering [lo, hi] on a linear axis. */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / target
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** 1-2-5 ticks covering [lo, hi] on a log axis (lo > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v)
    }
  }
  return out
}

/** Compact number: 1200 -> 1.2k, 0.5 -> 0.5. */
export function compact(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`
  return `${Number(v.toPrecision(3))}`
}

/**
 * Renders a line chart as a standalone SVG document: axes with ticks and grid, one polyline with
 * markers per series, a legend, optional reference lines. No dependencies; deterministic output.
 * @param o - data and layout.
 * @returns the SVG text.
 */
export function renderLineChart(o: LineChartOptions): string {
  const W = o.width ?? 760
  const H = o.height ?? 440
  const legendW = 210
  const m = { left: 70, right: legendW + 20, top: 40, bottom: 56 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const pts = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
  const xs = pts.map((p) => p.x).filter((x) => !o.xLog || x > 0)
  const ys = pts.map((p) => p.y).filter((y) => !o.yLog || y > 0)
  let x0 = o.xMin ?? (xs.length ? Math.min(...xs) : 0)
  let x1 = o.xMax ?? (xs.length ? Math.max(...xs) : 1)
  let y0 = o.yMin ?? (ys.length ? Math.min(...ys) : 0)
  let y1 = o.yMax ?? (ys.length ? Math.max(...ys) : 1)
  if (x1 <= x0) x1 = x0 + (o.xLog ? x0 : 1)
  if (y1 <= y0) y1 = y0 + (o.yLog ? y0 : 1)
  if (o.xLog) {
    x0 = o.xMin ?? 10 ** Math.floor(Math.log10(x0))
    x1 = o.xMax ?? 10 ** Math.ceil(Math.log10(x1))
  }
  if (o.yLog) {
    y0 = o.yMin ?? 10 ** Math.floor(Math.log10(y0))
    y1 = o.yMax ?? 10 ** Math.ceil(Math.log10(y1))
  }
  const xt = o.xLog ? logTicks(x0, x1) : linearTicks(x0, x1)
  const yt = o.yLog ? logTicks(y0, y1) : linearTicks(y0, y1)
  if (!o.xLog && o.xMin === undefined) x0 = Math.min(x0, xt[0]!)
  if (!o.xLog && o.xMax === undefined) x1 = Math.max(x1, xt[xt.length - 1]!)
  if (!o.yLog && o.yMin === undefined) y0 = Math.min(y0, yt[0]!)
  if (!o.yLog && o.yMax === undefined) y1 = Math.max(y1, yt[yt.length - 1]!)
  const fx = (v: number): number =>
    m.left + (o.xLog ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0)) * pw
  const fy = (v: number): number =>
    m.top + ph - (o.yLog ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0)) * ph
  const xf = o.xFormat ?? compact
  const yf = o.yFormat ?? compact
  const r = (v: number): string => v.toFixed(1)
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2 - legendW / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  )
  for (const v of xt) {
    const x = r(fx(v))
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${esc(xf(v))}</text>`)
  }
  for (const v of yt) {
    const y = r(fy(v))
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(yf(v))}</text>`)
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle" font-size="13">${esc(o.xLabel)}</text>`)
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(o.yLabel)}</text>`,
  )
  for (const h of o.hLines ?? []) {
    if (h.y < y0 || h.y > y1) continue
    const y = r(fy(h.y))
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#777" stroke-dasharray="2 3"/>`)
    out.push(`<text x="${m.left + pw - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#555" font-size="11">${esc(h.label)}</text>`)
  }
  out.push(`<clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath>`)
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!
    const ok = [...s.points]
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.xLog || p.x > 0) && (!o.yLog || p.y > 0))
      .sort((a, b) => a.x - b.x)
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : ''
    if (!s.markerOnly && ok.length > 1) {
      const d = ok.map((p) => `${r(fx(p.x))},${r(fy(p.y))}`).join(' ')
      out.push(`<polyline clip-path="url(#plot)" points="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`)
    }
    for (const p of ok) {
      out.push(`<circle clip-path="url(#plot)" cx="${r(fx(p.x))}" cy="${r(fy(p.y))}" r="${s.markerOnly ? 5 : 3}" fill="${color}"/>`)
    }
    const ly = m.top + 10 + i * 20
    const lx = W - legendW
    if (s.markerOnly) out.push(`<circle cx="${lx + 12}" cy="${ly}" r="5" fill="${color}"/>`)
    else out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`)
    out.push(`<text x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
