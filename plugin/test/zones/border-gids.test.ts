import { addEntity } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createBus, createZone } from './zone-harness'

// A zone's global ids are its index in the top 8 bits and a 24-bit counter: after 2^24
// registrations the counter comes round, and an entity that lives that long (a beacon) must not
// share its gid with a new one (the exchange, its neighbours and the game's keys follow entities by gid).

describe('border-exchange global ids', () => {
  it('should skip a gid still held when its counter comes round', () => {
    const z = createZone(createBus(), 0, { t: 1000 })
    const beacon = addEntity(z.world)
    const held = z.ex.register(beacon)
    const other = addEntity(z.world)
    // 2^24 - 1 more registrations bring the counter back to just before the beacon's
    for (let i = 0; i < 2 ** 24 - 1; i++) z.ex.register(other)
    const next = z.ex.register(other)
    expect(next).not.toBe(held)
    expect(next >>> 24).toBe(1)
    expect(z.ex.gidOf(beacon)).toBe(held)
    expect(z.ex.gidOf(other)).toBe(next)
  })
})
