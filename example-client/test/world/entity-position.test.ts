import { describe, expect, it } from 'vitest'
import { Band } from '../../src/world/attention-info'
import { PositionSource } from '../../src/world/entity-position'

describe('entity-position', () => {
  it('should use fine fields for medium and high bands', () => {
    const p = new PositionSource()
    expect(p.observe({ cx: 1, cy: 2, x: 1.4, y: 2.2, angle: 0.5 }, Band.High, 0)).toEqual({ x: 1.4, y: 2.2, angle: 0.5 })
    expect(p.observe({ cx: 1, cy: 2, x: 1.6, y: 2.2 }, Band.Medium, 50).x).toBe(1.6)
  })
  it('should use coarse fields for the low band even if fine fields remain', () => {
    const p = new PositionSource()
    const pos = p.observe({ cx: 1, cy: 2, x: 9, y: 9, angle: 1 }, Band.Low, 0)
    expect([pos.x, pos.y]).toEqual([1, 2])
    expect(Number.isNaN(pos.angle)).toBe(true)
  })
  it('should fall back to coarse fields when fine ones were never sent', () => {
    const p = new PositionSource()
    expect(p.observe({ cx: 3, cy: 4 }, undefined, 0).x).toBe(3)
    expect(p.observe({ cx: 3, cy: 4, x: 5, y: 6 }, undefined, 50).x).toBe(5)
  })
  it('should keep fine fields for an entity holding still', () => {
    const p = new PositionSource()
    for (let t = 0; t < 2000; t += 50) expect(p.observe({ cx: 3, cy: 4, x: 3.2, y: 4.1 }, Band.Medium, t).x).toBe(3.2)
  })
  it('should switch to coarse once fine fields go stale while coarse ones keep moving (band dropped)', () => {
    const p = new PositionSource()
    p.observe({ cx: 10, cy: 0, x: 10.2, y: 0 }, Band.Medium, 0)
    // fine stops at 10.2; coarse keeps moving: the band dropped before the attention message says so
    expect(p.observe({ cx: 11, cy: 0, x: 10.2, y: 0 }, undefined, 200).x).toBe(10.2)
    expect(p.observe({ cx: 12, cy: 0, x: 10.2, y: 0 }, undefined, 400).x).toBe(12)
    // fine updates again (band back up): fine wins
    expect(p.observe({ cx: 12, cy: 0, x: 12.4, y: 0 }, undefined, 450).x).toBe(12.4)
  })
})
