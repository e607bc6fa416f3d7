import { describe, expect, it } from 'vitest'
import type { MoveAxis } from '../../src/input/move-axis'
import { MoveSender } from '../../src/input/move-sender'

describe('move-sender', () => {
  it('should send at once on a change and not again on the same axis within the interval', () => {
    const sent: MoveAxis[] = []
    const s = new MoveSender((a) => sent.push(a), 100)
    expect(s.update({ dx: 1, dy: 0 }, 0)).toBe(true)
    expect(s.update({ dx: 1, dy: 0 }, 16)).toBe(false)
    expect(s.update({ dx: 1, dy: 0 }, 99)).toBe(false)
    expect(s.update({ dx: 1, dy: -1 }, 100)).toBe(true)
    expect(sent).toEqual([{ dx: 1, dy: 0 }, { dx: 1, dy: -1 }])
  })
  it('should repeat a held direction every interval, not every frame', () => {
    const sent: MoveAxis[] = []
    const s = new MoveSender((a) => sent.push(a), 100)
    for (let t = 0; t <= 1000; t += 16) s.update({ dx: 0, dy: 1 }, t)
    // 63 frames over a second: one send at 0 then about one per 100 ms
    expect(sent.length).toBeGreaterThanOrEqual(9)
    expect(sent.length).toBeLessThanOrEqual(11)
  })
  it('should send the stop once and then stay quiet while idle', () => {
    const sent: MoveAxis[] = []
    const s = new MoveSender((a) => sent.push(a), 100)
    expect(s.update({ dx: 0, dy: 0 }, 0)).toBe(false)
    s.update({ dx: -1, dy: 0 }, 10)
    s.update({ dx: 0, dy: 0 }, 20)
    for (let t = 20; t < 2000; t += 16) s.update({ dx: 0, dy: 0 }, t)
    expect(sent).toEqual([{ dx: -1, dy: 0 }, { dx: 0, dy: 0 }])
  })
})
