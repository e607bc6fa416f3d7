import { describe, expect, it } from 'vitest'
import { DebugWorld, type WorldSnapshot } from '../../src/world/debug-world'

const snap = (x: number): WorldSnapshot => ({ tick: 0, keys: ['1', '2'], x: [x, 5], y: [0, 5], kinds: ['bot', 'player'], teams: [0, 1], bands: [-1, 2] })

describe('debug-world', () => {
  it('should glide each entity from the previous snapshot to the last one', () => {
    const w = new DebugWorld()
    w.apply(snap(0), 1000)
    w.apply(snap(10), 1200)
    const at = (now: number): number[] => {
      const xs: number[] = []
      w.each(now, (e) => xs.push(e.x))
      return xs
    }
    expect(at(1200)).toEqual([0, 5])
    expect(at(1300)).toEqual([5, 5])
    expect(at(2000)).toEqual([10, 5])
    const bands: number[] = []
    w.each(2000, (e) => bands.push(e.band))
    expect(bands).toEqual([-1, 2])
    expect(w.size).toBe(2)
    w.clear()
    expect(w.size).toBe(0)
  })
})
