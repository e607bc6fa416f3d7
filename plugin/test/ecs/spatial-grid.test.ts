import { describe, expect, it } from 'vitest'
import { createSpatialGrid } from '../../src/ecs/spatial-grid'

/** The ids a query's runs cover, in order (duplicates kept). */
function covered(grid: ReturnType<typeof createSpatialGrid>, n: number): number[] {
  const out: number[] = []
  for (let r = 0; r < 2 * n; r += 2) for (let i = grid.runs[r]!; i < grid.runs[r + 1]!; i++) out.push(grid.ids[i]!)
  return out
}

describe('spatial-grid', () => {
  it('should return every entity within the disc, each once, whatever the disc', () => {
    let seed = 5
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const cap = 2000
    const px = new Float32Array(cap)
    const py = new Float32Array(cap)
    const ids = new Uint32Array(cap - 1)
    for (let e = 1; e < cap; e++) {
      px[e] = (rnd() - 0.3) * 1000
      py[e] = (rnd() - 0.6) * 600
      ids[e - 1] = e
    }
    const grid = createSpatialGrid(cap, 25, 256, px, py)
    grid.build(ids, ids.length)
    const disc = new Float64Array(3)
    for (let q = 0; q < 300; q++) {
      disc[0] = (rnd() - 0.3) * 1100
      disc[1] = (rnd() - 0.6) * 700
      disc[2] = rnd() * (q % 10 === 0 ? 900 : 120)
      const n = grid.query(disc)
      if (n === -1) continue // wider than the table: the caller scans every entity
      const found = covered(grid, n)
      expect(new Set(found).size, 'no entity twice').toBe(found.length)
      const got = new Set(found)
      for (let e = 1; e < cap; e++) {
        const dx = px[e]! - disc[0]!, dy = py[e]! - disc[1]!
        if (dx * dx + dy * dy <= disc[2]! * disc[2]!) expect(got.has(e), `query ${q} entity ${e}`).toBe(true)
      }
    }
  })

  it('should send a disc wider than the table to the scan, and a NaN disc nowhere', () => {
    const px = Float32Array.from([0, 0, 1000])
    const py = Float32Array.from([0, 0, 1000])
    const grid = createSpatialGrid(3, 10, 4, px, py)
    grid.build(Uint32Array.from([1, 2]), 2)
    expect(grid.query(Float64Array.from([500, 500, 2000]))).toBe(-1)
    expect(grid.query(Float64Array.from([NaN, 0, 5]))).toBe(0)
  })

  it('should leave out entities at a non-finite position', () => {
    const px = Float32Array.from([0, 1, NaN, Infinity])
    const py = Float32Array.from([0, 1, 1, 1])
    const grid = createSpatialGrid(4, 10, 16, px, py)
    grid.build(Uint32Array.from([1, 2, 3]), 3)
    expect(covered(grid, grid.query(Float64Array.from([0, 0, 50])))).toEqual([1])
  })
})
