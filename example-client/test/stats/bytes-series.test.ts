import { describe, expect, it } from 'vitest'
import { BytesSeries } from '../../src/stats/bytes-series'

describe('bytes-series', () => {
  it('should sample received bytes per second and average the full-state figures of each period', () => {
    const s = new BytesSeries(60, 1000)
    expect(s.tick(0, 0)).toBe(false)
    s.noteFull(8000)
    s.noteFull(12000)
    expect(s.tick(500, 100)).toBe(false)
    expect(s.tick(1000, 500)).toBe(true)
    expect(s.length).toBe(1)
    expect(s.you[s.start(0)]).toBe(500)
    expect(s.full[s.start(0)]).toBe(10000)
    // no figure from the server in a period: NaN, not zero
    expect(s.tick(2000, 700)).toBe(true)
    expect(s.you[s.start(1)]).toBe(200)
    expect(Number.isNaN(s.full[s.start(1)]!)).toBe(true)
    expect(s.max()).toBe(10000)
  })
  it('should keep the last minute only, oldest first', () => {
    const s = new BytesSeries(60, 1000)
    s.tick(0, 0)
    for (let k = 1; k <= 90; k++) s.tick(k * 1000, k * k)
    expect(s.length).toBe(60)
    // the sample at second k is k^2 - (k-1)^2 = 2k - 1; the oldest kept is k = 31
    expect(s.you[s.start(0)]).toBe(61)
    expect(s.you[s.start(59)]).toBe(179)
  })
})
