import { describe, expect, it } from 'vitest'
import { AttentionInfo, Band } from '../../src/world/attention-info'

describe('attention-info', () => {
  it('should index members by key and replace the snapshot on each message', () => {
    const a = new AttentionInfo()
    expect(a.maxWeight()).toBe(1)
    a.apply({ self: 's', radius: 50, fov: 2, budget: 8, fullBps: 900, members: [['s', 0, 2], ['x', 0.7, 1], ['y', 0.3, 0]] }, 5)
    expect(a.self).toBe('s')
    expect(a.size).toBe(3)
    expect(a.get('x')).toEqual({ weight: 0.7, band: Band.Medium })
    expect(a.maxWeight()).toBeCloseTo(0.7)
    expect(a.fullBps).toBe(900)
    a.apply({ self: 's', radius: 50, fov: 2, budget: 8, fullBps: 800, members: [['y', 1, 2]] }, 6)
    expect(a.get('x')).toBeUndefined()
    expect(a.get('y')?.band).toBe(Band.High)
    expect(a.receivedAt).toBe(6)
  })
  it('should report debug mode only when the message says so', () => {
    const a = new AttentionInfo()
    a.apply({ self: 's', radius: 50, fov: 2, budget: 8, members: [] }, 1)
    expect(a.debug).toBe(false)
    expect(Number.isNaN(a.fullBps)).toBe(true)
    a.apply({ self: 's', radius: 50, fov: 2, budget: 8, fullBps: 0, members: [], debug: true }, 2)
    expect(a.debug).toBe(true)
  })
})
