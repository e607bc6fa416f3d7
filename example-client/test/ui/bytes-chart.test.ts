import { describe, expect, it } from 'vitest'
import { niceCeil } from '../../src/ui/bytes-chart'

describe('bytes-chart', () => {
  it('should round the scale up to 1, 2 or 5 times a power of ten', () => {
    expect(niceCeil(0)).toBe(0)
    expect(niceCeil(870)).toBe(1000)
    expect(niceCeil(1000)).toBe(1000)
    expect(niceCeil(1200)).toBe(2000)
    expect(niceCeil(45_000)).toBe(50_000)
  })
})
