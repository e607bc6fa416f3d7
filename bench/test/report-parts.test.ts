import { describe, expect, it } from 'vitest'
import { autoChart, findRowArrays } from '../report/auto-chart'
import { genericSection } from '../report/generic-section'
import { table } from '../report/markdown'

describe('report parts', () => {
  const engine = {
    quick: true,
    results: [
      { variant: 'attention', entities: 1000, msPerTick: 0.5, other: 'x' },
      { variant: 'attention', entities: 10_000, msPerTick: 4.5, other: 'x' },
      { variant: 'brute force', entities: 1000, msPerTick: 2, other: 'x' },
      { variant: 'brute force', entities: 10_000, msPerTick: 190, other: 'x' },
    ],
  }

  it('should find arrays of rows anywhere in a result', () => {
    expect(findRowArrays({ a: { b: [{ x: 1 }] }, c: [1, 2] }).map((f) => f.path)).toEqual(['a.b'])
  })

  it('should chart rows with an x and a y column, one series per label', () => {
    const svg = autoChart(engine, { title: 'T', x: /entit/i, y: /ms/i, xLabel: 'entities', yLabel: 'ms', xLog: true })
    expect(svg).not.toBeNull()
    expect(svg!.match(/<polyline/g)?.length).toBe(2)
    expect(svg).toContain('attention x')
    expect(svg).toContain('brute force x')
    expect(autoChart(engine, { title: 'T', x: /client/i, y: /ms/i, xLabel: '', yLabel: '' })).toBeNull()
  })

  it("should render a harness's own markdown, else its rows as tables", () => {
    expect(genericSection('E', 'cmd', { markdown: '| a |\n| - |' })).toContain('| a |')
    const md = genericSection('E', 'npm run x', engine)
    expect(md).toContain('## E')
    expect(md).toContain('`npm run x`')
    expect(md).toContain('| variant | entities | msPerTick | other |')
    expect(md).toContain('| brute force | 10000 | 190 | x |')
  })

  it('should escape pipes in table cells', () => {
    expect(table(['a'], [['x|y']])).toContain('x\\|y')
  })
})
