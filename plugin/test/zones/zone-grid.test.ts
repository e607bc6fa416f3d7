import { describe, expect, it } from 'vitest'
import { checkZoneGrid, distanceToBounds, parseZoneSize, zoneAt, zoneBounds, zoneCount, zoneNeighbours, type ZoneGrid } from '../../src/zones/index'

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

  it('should put a point with a coordinate that is not finite in no zone (-1) and near none, and keep valid points where they were', () => {
    const g = { columns: 2, rows: 2, width: 200, height: 200 }
    for (const [x, y] of [[NaN, 50], [50, NaN], [Infinity, 50], [50, -Infinity], [NaN, NaN]] as const) {
      expect(zoneAt(g, x, y), `${x}, ${y}`).toBe(-1)
    }
    // valid points, outside the world too, are unchanged: clamped to the nearest edge zone
    expect([zoneAt(g, 50, 50), zoneAt(g, 150, 50), zoneAt(g, 50, 150), zoneAt(g, 150, 150), zoneAt(g, -5, 250), zoneAt(g, 1e9, -1e9)]).toEqual([0, 1, 2, 3, 2, 1])
    const b = zoneBounds(g, 1)
    for (const [x, y] of [[NaN, 50], [150, NaN], [NaN, NaN], [Infinity, 50], [150, -Infinity]] as const) {
      expect(distanceToBounds(b, x, y), `${x}, ${y}`).toBe(Infinity)
    }
    expect([distanceToBounds(b, 150, 50), distanceToBounds(b, 90, 50), distanceToBounds(b, 150, 103), distanceToBounds(b, 97, 104)]).toEqual([0, 10, 3, 5])
  })

  it('should reject a zone index or a grid shape out of range, naming the range, and give the same answers as before for valid ones', () => {
    const g = { columns: 2, rows: 1, width: 200, height: 100 }
    for (const bad of [2, -1, 0.5, NaN, Infinity, '1' as unknown as number]) {
      expect(() => zoneBounds(g, bad), String(bad)).toThrow(RangeError)
      expect(() => zoneBounds(g, bad), String(bad)).toThrow(/^colyseus-attention: zoneBounds\(grid, zone\): zone must be an integer in \[0, 1\]; got .* \(the zones of a 2 x 1 grid\)$/)
      expect(() => zoneNeighbours(g, bad), String(bad)).toThrow(/^colyseus-attention: zoneNeighbours\(grid, zone\): zone must be an integer in \[0, 1\]/)
    }
    expect(zoneBounds(g, 1)).toEqual({ minX: 100, minY: 0, maxX: 200, maxY: 100 })
    expect(zoneNeighbours(g, 0)).toEqual([1])
    expect(() => zoneCount({ columns: -2, rows: 3 } as ZoneGrid)).toThrow(RangeError)
    expect(() => zoneCount({ columns: -2, rows: 3 } as ZoneGrid)).toThrow(/^colyseus-attention: grid.columns must be an integer in \[1, 16\]; got -2$/)
    expect(() => zoneCount({ columns: 2, rows: 1.5 } as ZoneGrid)).toThrow(/^colyseus-attention: grid.rows must be an integer in \[1, 16\]; got 1.5$/)
    expect(() => zoneCount({ columns: 16, rows: 16 } as ZoneGrid)).toThrow(/must be at most 255 zones/)
    expect(zoneCount(g)).toBe(2)
    expect(zoneCount({ columns: 16, rows: 15, width: 1, height: 1 })).toBe(240)
  })

  it('should reject a grid key that is not a grid\'s, naming the one meant and the known ones', () => {
    const misspelt = { colums: 2, rows: 1, width: 200, height: 100 } as unknown as ZoneGrid
    expect(() => checkZoneGrid(misspelt)).toThrow(RangeError)
    expect(() => checkZoneGrid(misspelt)).toThrow(/^colyseus-attention: checkZoneGrid option grid has no key "colums" \(did you mean columns\?\); its keys are columns, rows, width, height$/)
    const extra = { columns: 2, rows: 1, width: 200, height: 100, depth: 5 } as unknown as ZoneGrid
    expect(() => checkZoneGrid(extra)).toThrow(/^colyseus-attention: checkZoneGrid option grid has no key "depth"; its keys are columns, rows, width, height$/)
    expect(() => checkZoneGrid({ columns: 2, rows: 1, width: 200, height: 100 })).not.toThrow()
  })
})
