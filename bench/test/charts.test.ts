import { describe, expect, it } from 'vitest'
import { compact, linearTicks, logTicks, renderLineChart } from '../charts/line-chart'

describe('line-chart', () => {
  it('should pick round linear ticks that cover the range', () => {
    expect(linearTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10])
    const t = linearTicks(0.013, 0.97)
    expect(t[0]!).toBeGreaterThanOrEqual(0.013)
    expect(t.length).toBeGreaterThanOrEqual(3)
  })

  it('should pick 1-2-5 log ticks', () => {
    expect(logTicks(100, 10_000)).toEqual([100, 200, 500, 1000, 2000, 5000, 10_000])
  })

  it('should format compact numbers', () => {
    expect(compact(1200)).toBe('1.2k')
    expect(compact(0.5)).toBe('0.5')
    expect(compact(2_500_000)).toBe('2.5M')
  })

  it('should draw one polyline per multi-point series, markers, legend and escaped text', () => {
    const svg = renderLineChart({
      title: 'A <b> & c',
      xLabel: 'x',
      yLabel: 'y',
      xLog: true,
      series: [
        { name: 'one', points: [{ x: 10, y: 1 }, { x: 100, y: 2 }, { x: 1000, y: 3 }] },
        { name: 'two', points: [{ x: 20, y: 0.5 }, { x: 200, y: Number.NaN }], dashed: true },
        { name: 'point', points: [{ x: 50, y: 1.5 }], markerOnly: true },
      ],
      hLines: [{ y: 2.5, label: 'target' }],
    })
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).not.toMatch(/NaN|Infinity|undefined/)
    expect(svg.match(/<polyline/g)?.length).toBe(1)
    expect(svg.match(/<circle/g)?.length).toBe(3 + 1 + 1 + 1)
    expect(svg).toContain('A &lt;b&gt; &amp; c')
    expect(svg).toContain('>target<')
    expect(svg).toContain('stroke-dasharray="6 4"')
  })
})
