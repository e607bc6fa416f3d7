import { describe, expect, it } from 'vitest'
import { checkZoneGrid, parseZoneSize } from '../../src/zones/index'

describe('zone-grid', () => {
  it('should accept grids of up to 255 zones and reject 16 x 16, naming the product and the limit', () => {
    expect(() => checkZoneGrid({ columns: 16, rows: 15, width: 1600, height: 1500 })).not.toThrow()
    expect(() => checkZoneGrid({ columns: 15, rows: 16, width: 1500, height: 1600 })).not.toThrow()
    expect(() => checkZoneGrid({ columns: 16, rows: 16, width: 1600, height: 1600 })).toThrow(
      /^colyseus-attention: grid.columns \* grid.rows must be at most 255 zones \(a gid's top byte holds the zone\); got 16 x 16 = 256$/,
    )
    expect(() => checkZoneGrid({ columns: 17, rows: 1, width: 1, height: 1 })).toThrow(/grid.columns must be an integer in \[1, 16\]; got 17/)
  })

  it('should parse sizes the exchange accepts, and return null for the others', () => {
    expect(parseZoneSize('2x2')).toEqual({ columns: 2, rows: 2 })
    expect(parseZoneSize(' 16x15 ')).toEqual({ columns: 16, rows: 15 })
    for (const bad of ['16x16', '0x2', '17x1', '2', '2x2x2', 'axb']) expect(parseZoneSize(bad), bad).toBeNull()
  })
})
