import { addComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createBus, createZone, spawn, tick, type Bus } from './zone-harness'

// A room whose own summaries stop coming back to it (its subscription broke while its publishes
// still get out: Redis presence publishes and subscribes on two connections) takes its link for
// down and sends only small probes, one per ghost lifetime, to learn when it is back. The probes
// say nothing about its entities: a neighbour must not keep its ghosts alive on them.

describe('border-exchange probes', () => {
  it('should let the ghosts of a room that only probes expire, a ghost of an entity hidden since included', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // zone 0 hears nothing on its own channel (its echo): the rest of the bus works
    const deaf: Bus = { ...bus, subscribe: (topic, cb) => (topic === 'attention:zone:0' ? Promise.resolve() : bus.subscribe(topic, cb)) }
    const a = createZone(deaf, 0, clock)
    const b = createZone(bus, 1, clock)
    const e = spawn(a, 95, 50)
    const gid = a.ex.gidOf(e)
    const ghostsAtB = () => [...Array(b.capacity).keys()].filter((x) => b.ex.gidOf(x) === gid && b.ex.isGhost(x)).length
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(ghostsAtB()).toBe(1)
    // its echo never came: zone 0 takes its link for down and stops publishing summaries
    let n = 0
    while (a.ex.stats.linkUp && n++ < 40) tick([a, b], bus, clock)
    expect(a.ex.stats.linkUp).toBe(false)
    // the game hides the entity: zone 1 cannot hear it, so its ghost must go by itself (ttlMs 300)
    addComponent(a.world, e, a.C.Hidden)
    const probes = bus.log.length
    for (let i = 0; i < 40; i++) tick([a, b], bus, clock)
    // zone 0 kept probing (a message per ghost lifetime) all along
    expect(bus.log.length - probes).toBeGreaterThanOrEqual(5)
    expect(ghostsAtB()).toBe(0)
  })
})
