import { describe, expect, it } from 'vitest'
import { fitCamera, pick, toScreenX, toScreenY, toWorldX, toWorldY } from '../../src/render/camera'

describe('camera', () => {
  it('should centre the camera point and fit the view radius to the short side', () => {
    const cam = fitCamera(100, 50, 20, 800, 400)
    expect(toScreenX(cam, 100)).toBe(400)
    expect(toScreenY(cam, 50)).toBe(200)
    expect(toScreenY(cam, 70)).toBe(400)
    expect(toWorldX(cam, toScreenX(cam, 117))).toBeCloseTo(117)
    expect(toWorldY(cam, toScreenY(cam, -3))).toBeCloseTo(-3)
  })
  it('should pick the nearest drawn point within the radius', () => {
    const pts = [
      { key: 'a', sx: 10, sy: 10 },
      { key: 'b', sx: 20, sy: 10 },
    ]
    expect(pick(pts, 13, 10)).toBe('a')
    expect(pick(pts, 17, 11)).toBe('b')
    expect(pick(pts, 100, 100)).toBeNull()
  })
})
