import { describe, expect, it } from 'vitest'
import type { ExplainResponse } from '../../src/ui/explain-tooltip'
import { formatExplanation } from '../../src/ui/explain-tooltip'
import { formatRate } from '../../src/ui/format-rate'

const x: ExplainResponse = {
  member: true,
  rule: null,
  heads: [
    { name: 'distance', feature: 0.5, weight: 2, contribution: 1 },
    { name: 'facing', feature: 1, weight: 1.5, contribution: 1.5 },
  ],
  score: 2.5,
  weight: 0.25,
  rank: 2,
  candidates: 40,
  budget: 16,
  band: 1,
  hysteresis: { enterScore: 0.3, exitScore: 0.1, outTicks: 1, minOutTicks: 10, swapMargin: 0.2 },
  summary: 'in: rank 3 <of> 40',
}

describe('explain-tooltip', () => {
  it('should show per-head contributions, the engine rank, band and hysteresis state', () => {
    const html = formatExplanation('42', x)
    expect(html).toContain('<td>distance</td><td>0.50</td><td>2.00</td><td>1.000</td>')
    expect(html).toContain('rank 2 of 40 candidates')
    expect(html).toContain('band medium')
    expect(html).toContain('out 1/10 ticks')
    expect(html).toContain('in set')
  })
  it('should escape server strings and show a rule', () => {
    const html = formatExplanation('<k>', { ...x, member: false, rule: 'out-of-range', heads: [], rank: null })
    expect(html).toContain('&#60;k&#62;')
    expect(html).toContain('&#60;of&#62;')
    expect(html).not.toContain('<of>')
    expect(html).toContain('out-of-range')
    expect(html).toContain('rank - of 40')
  })
  it("should show a learned model's score next to the heads' when the server runs one", () => {
    expect(formatExplanation('42', x)).not.toContain('model score')
    expect(formatExplanation('42', { ...x, scorer: { score: 4.25, source: 'model' } })).toContain('model score 4.250')
    // the learned scorer's default: what the model added to the heads' score
    expect(formatExplanation('42', { ...x, scorer: { score: 0.5, source: 'model correction' } })).toContain('model correction +0.500 (the score above is the heads')
    expect(formatExplanation('42', { ...x, scorer: { score: -0.25, source: 'model correction' } })).toContain('model correction -0.250')
  })
})

describe('stats-panel', () => {
  it('should format byte rates', () => {
    expect(formatRate(812.4)).toBe('812 B/s')
    expect(formatRate(12_400)).toBe('12.4 kB/s')
    expect(formatRate(3_210_000)).toBe('3.21 MB/s')
  })
})
