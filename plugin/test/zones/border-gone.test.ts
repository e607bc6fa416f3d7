import { addComponent, removeComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { chainRow, copies, createBus, createZone, find, spawn, tick } from './zone-harness'

// One removal, one effect: a Gone record must remove the ghost it was sent for, once, and never a
// ghost of the same entity that is newer than it.

describe('border-exchange Gone records', () => {
  it('should send no Gone for an entity its summary lists, adopted again under another id (its old id reused)', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // zone 1 publishes every fifth tick; zone 0 keeps ghosts long (only a Gone removes one in time)
    const a = createZone(bus, 0, clock, { ttlMs: 5000 })
    const b = createZone(bus, 1, clock, { intervalMs: 250 })
    const e = spawn(b, 105, 50)
    const gid = b.ex.gidOf(e)
    let n = 0
    bus.subscribe('attention:zone:1', () => n++)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    const first = n
    while (n === first) tick([a, b], bus, clock)
    // zone 1 just listed E. It hands E to zone 0, which hides it on arrival: its Gone, flagged
    // Adopted, removes zone 1's ghost of E (and frees its entity id)
    a.onAdopted = (eid) => addComponent(a.world, eid, a.C.Hidden)
    b.C.Position.x[e] = 99
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    expect(a.adopted).toEqual([gid])
    expect(copies(b, gid)).toEqual([])
    // zone 1's game spawns something (in E's old id), and zone 0 hands E back, visible
    const other = spawn(b, 150, 50)
    expect(other).toBe(e)
    const there = find(a, gid)
    removeComponent(a.world, there, a.C.Hidden)
    a.C.Position.x[there] = 101
    tick([a, b], bus, clock)
    expect(a.ex.isGhost(there)).toBe(true)
    expect(n).toBe(first + 1)
    // zone 1 adopts E (in a new id) and publishes: its summary lists E; zone 0's ghost follows it,
    // and stays
    tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect(find(b, gid)).not.toBe(e)
    expect(n).toBe(first + 2)
    for (let i = 0; i < 4; i++) {
      tick([a, b], bus, clock)
      expect(a.ex.isGhost(find(a, gid))).toBe(true)
    }
    expect(a.removed).toEqual([])
  })

  it('should apply a summary delivered twice once: its Gone removes no ghost made since the first delivery', () => {
    // E goes from zone 2 to zone 1, which hands it on to zone 0 at once: its summary has a Gone for
    // E flagged Adopted. Zone 0 hands E straight back (its ghost of E now comes from that handover)
    const { a, b, c, e, bus, step, summaries } = chainRow((_a, c) => spawn(c, 205, 50))
    const gid = c.ex.gidOf(e)
    b.onAdopted = (eid) => {
      b.C.Position.x[eid] = 99
      b.onAdopted = undefined
    }
    a.onAdopted = (eid) => {
      a.C.Position.x[eid] = 101
      a.onAdopted = undefined
    }
    for (let i = 0; i < 3; i++) step()
    c.C.Position.x[e] = 199
    // T4 zone 2 hands E over; T5 zone 1 adopts it, hands it on and publishes
    step()
    step()
    expect(b.adopted).toEqual([gid])
    expect(summaries()).toBe(1)
    const s = bus.log.filter(([topic]) => topic === 'attention:zone:1').at(-1)!
    // T6 zone 0 adopts E and hands it back: it keeps a ghost of it
    step()
    expect(a.adopted).toEqual([gid])
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
    // the summary again (a presence that delivers twice), before zone 1's next one
    bus.inject(...s)
    bus.flush()
    for (let i = 0; i < 3; i++) step()
    // (the copy counts as one)
    expect(summaries()).toBe(2)
    expect(a.removed).toEqual([])
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
    expect(b.adopted).toEqual([gid, gid])
  })
})
