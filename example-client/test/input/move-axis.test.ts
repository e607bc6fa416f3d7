import { describe, expect, it } from 'vitest'
import { axisFromDrag, axisFromKeys, isMoveKey } from '../../src/input/move-axis'

describe('move-axis', () => {
  it('should map WASD and arrows to unit axes', () => {
    expect(axisFromKeys(new Set(['KeyW']))).toEqual({ dx: 0, dy: -1 })
    expect(axisFromKeys(new Set(['ArrowDown', 'KeyD']))).toEqual({ dx: 1, dy: 1 })
    expect(axisFromKeys(new Set(['ArrowLeft']))).toEqual({ dx: -1, dy: 0 })
    expect(axisFromKeys(new Set())).toEqual({ dx: 0, dy: 0 })
  })
  it('should cancel opposite keys, counting a key and its arrow once', () => {
    expect(axisFromKeys(new Set(['KeyA', 'KeyD']))).toEqual({ dx: 0, dy: 0 })
    expect(axisFromKeys(new Set(['KeyA', 'ArrowLeft']))).toEqual({ dx: -1, dy: 0 })
  })
  it('should recognise only steering keys', () => {
    expect(isMoveKey('KeyS')).toBe(true)
    expect(isMoveKey('ArrowUp')).toBe(true)
    expect(isMoveKey('KeyO')).toBe(false)
  })
  it('should scale a drag up to full speed and ignore tiny drags', () => {
    expect(axisFromDrag(0, 0, 3, 0)).toEqual({ dx: 0, dy: 0 })
    expect(axisFromDrag(0, 0, 30, 0)).toEqual({ dx: 0.5, dy: 0 })
    expect(axisFromDrag(10, 10, 10, 400)).toEqual({ dx: 0, dy: 1 })
    const d = axisFromDrag(0, 0, 100, 100)
    expect(Math.hypot(d.dx, d.dy)).toBeCloseTo(1, 1)
    expect(d.dx).toBeLessThanOrEqual(1)
  })
})
