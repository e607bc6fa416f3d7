import { describe, expect, it } from 'vitest'
import { formatInterest } from '../../src/ui/stats-panel'

describe('stats-panel', () => {
  it('should show the count budget when the observer has no byte budget', () => {
    expect(formatInterest({ interest: 23, budget: 24, byteBudget: 0 })).toBe('23 (24)')
  })

  it('should show the byte budget, not the count cap, when the observer has one', () => {
    expect(formatInterest({ interest: 41, budget: 256, byteBudget: 2000 })).toBe('41 (2.0 kB/s)')
  })
})
