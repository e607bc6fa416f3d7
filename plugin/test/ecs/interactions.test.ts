import { describe, expect, it } from 'vitest'
import { createInteractionStore } from '../../src/ecs/interactions'

describe('interactions', () => {
  it('should record both directions, tell a recycled partner apart, and forget the oldest when full', () => {
    const store = createInteractionStore(16, 2)
    store.record(1, 0, 2, 0, 10, 0.5)
    const s = store.find(1, 2, 0)
    expect(s).not.toBe(-1)
    expect(store.strength[s]).toBe(0.5)
    expect(store.tick[s]).toBe(10)
    expect(store.find(2, 1, 0)).not.toBe(-1)
    expect(store.find(1, 2, 1)).toBe(-1) // generation 1: another entity with id 2
    expect(store.any[1]).toBe(1)
    store.record(1, 0, 3, 0, 11, 1)
    store.record(1, 0, 4, 0, 12, 1) // ring of 2: forgets 2, the oldest
    expect(store.find(1, 2, 0)).toBe(-1)
    expect(store.find(1, 3, 0)).not.toBe(-1)
    store.record(1, 0, 3, 0, 20, 0.25) // an existing partner is refreshed in place
    expect(store.tick[store.find(1, 3, 0)]).toBe(20)
    store.clear(1)
    expect(store.find(1, 3, 0)).toBe(-1)
    expect(store.any[1]).toBe(0)
  })
})
