import { describe, expect, it } from 'vitest'
import { RateMeter } from '../../src/stats/rate-meter'

describe('rate-meter', () => {
  it('should report the amount per second over its window', () => {
    const m = new RateMeter(1000)
    for (let t = 0; t < 1000; t += 50) m.record(100, t)
    expect(m.perSecond(999)).toBe(2000)
    expect(m.perSecond(1500)).toBe(900) // events in (500, 1500]: 550..950
    expect(m.perSecond(3000)).toBe(0)
  })
  it('should scale to a non-1s window', () => {
    const m = new RateMeter(500)
    m.record(10, 0)
    m.record(10, 100)
    expect(m.perSecond(200)).toBe(40)
  })
  it('should stay bounded over a long run', () => {
    const m = new RateMeter(100)
    for (let t = 0; t < 100_000; t += 1) m.record(1, t)
    expect(m.perSecond(100_000)).toBe(990)
  })
})
