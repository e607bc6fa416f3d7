import { describe, expect, it } from 'vitest'
import { createObserverSlots } from '../../src/ecs/observer-slots'

describe('observer-slots', () => {
  it('should hand out the lowest free slot, reuse a freed one, and name maxObservers when full', () => {
    const slots = createObserverSlots(16, 2)
    expect(slots.acquire(7)).toBe(0)
    expect(slots.acquire(7)).toBe(-1)
    expect(slots.acquire(3)).toBe(1)
    expect(slots.slotOf[3]).toBe(1)
    expect(() => slots.acquire(9)).toThrow(/maxObservers \(2\)/)
    expect(slots.release(7)).toBe(0)
    expect(slots.release(7)).toBe(-1)
    expect(slots.slotOf[7]).toBe(-1)
    expect(slots.acquire(9)).toBe(0)
  })
})
