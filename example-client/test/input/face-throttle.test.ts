import { describe, expect, it } from 'vitest'
import { angleDelta, FaceThrottle } from '../../src/input/face-throttle'

describe('face-throttle', () => {
  it('should send at most one angle per interval however fast the mouse moves', () => {
    const sent: number[] = []
    const f = new FaceThrottle((a) => sent.push(a), 50)
    for (let t = 0; t < 1000; t += 2) f.offer(Math.sin(t / 100) * 3, t)
    expect(sent.length).toBeLessThanOrEqual(20)
    expect(sent.length).toBeGreaterThanOrEqual(15)
  })
  it('should deliver the latest angle on flush once the interval passes (trailing edge)', () => {
    const sent: number[] = []
    const f = new FaceThrottle((a) => sent.push(a), 50)
    f.offer(0.5, 0)
    f.offer(1.0, 10)
    f.offer(1.5, 20)
    expect(sent).toEqual([0.5])
    expect(f.flush(40)).toBe(false)
    expect(f.flush(50)).toBe(true)
    expect(sent).toEqual([0.5, 1.5])
    expect(f.flush(200)).toBe(false)
  })
  it('should skip changes smaller than epsilon', () => {
    const sent: number[] = []
    const f = new FaceThrottle((a) => sent.push(a), 50, 0.01)
    f.offer(1, 0)
    f.offer(1.005, 100)
    f.offer(1.2, 200)
    expect(sent).toEqual([1, 1.2])
  })
  it('should measure angle differences the short way round', () => {
    expect(angleDelta(3, -3)).toBeCloseTo(2 * Math.PI - 6)
    expect(angleDelta(-3, 3)).toBeCloseTo(6 - 2 * Math.PI)
    expect(angleDelta(0, 1)).toBeCloseTo(1)
  })
})
