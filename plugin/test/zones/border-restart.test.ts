import { describe, expect, it } from 'vitest'
import { createAttentionSystem } from '../../src/index'
import { copies, createBus, createZone, find, observer, spawn, tick } from './zone-harness'

// A zone room that comes back (its process crashed and the zone was recreated) is a new exchange
// instance of the same zone: its neighbours must not keep what the old instance published, nor
// take its old messages again. Ghosts live 5 s here: only a removal by the exchange, not their
// expiry, can pass these tests.
const long = { ttlMs: 5000 }

describe('border-exchange restart', () => {
  it('should drop the ghosts of a zone room\'s old instance, those its handovers left included, at the first summary of the room that replaced it', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const old = createZone(bus, 0, clock, long)
    const b = createZone(bus, 1, clock, long)
    const sys = createAttentionSystem(b.world, { components: b.C, hysteresis: false })
    const o = observer(b, 110, 1)
    const e = spawn(old, 95, 40)
    const eGid = old.ex.gidOf(e)
    const f = spawn(b, 105, 60)
    const fGid = b.ex.gidOf(f)
    for (let i = 0; i < 3; i++) tick([old, b], bus, clock)
    expect(b.ex.isGhost(find(b, eGid))).toBe(true)
    // zone 1 hands F to zone 0, whose room takes the message but dies before its next step
    b.C.Position.x[f] = 99
    tick([b], bus, clock)
    expect(b.released).toEqual([fGid])
    expect(b.ex.isGhost(f)).toBe(true)
    old.ex.close()
    const crashedAt = clock.t
    sys(b.world)
    expect(sys.isMember(o, find(b, eGid))).toBe(true)
    // the zone's new room: its first summary lists its own entity G, neither E nor F
    const fresh = createZone(bus, 0, clock, long)
    const g = spawn(fresh, 95, 50)
    for (let i = 0; i < 2; i++) tick([fresh, b], bus, clock)
    expect(b.ex.isGhost(find(b, fresh.ex.gidOf(g)))).toBe(true)
    expect(copies(b, eGid)).toEqual([])
    expect(copies(b, fGid)).toEqual([])
    expect([...b.removed].sort()).toEqual([eGid, fGid].sort())
    expect(clock.t - crashedAt).toBeLessThan(long.ttlMs / 10)
    sys(b.world)
    expect(sys.memberCount(o)).toBe(2)
  })

  it('should sweep the old room\'s ghosts once the new room\'s first summary is whole, when it comes in parts', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // 200 bytes: the header and 10 records a message
    const small = { ...long, maxMessageBytes: 200 }
    const old = createZone(bus, 0, clock, small)
    const b = createZone(bus, 1, clock, small)
    const e = spawn(old, 95, 5)
    const eGid = old.ex.gidOf(e)
    for (let i = 0; i < 3; i++) tick([old, b], bus, clock)
    expect(b.ex.isGhost(find(b, eGid))).toBe(true)
    old.ex.close()
    // the zone's new room, which zone 1 hands 15 entities before the new room's first summary
    const fresh = createZone(bus, 0, clock, small)
    const handed = Array.from({ length: 15 }, (_, i) => spawn(b, 99, 10 + i * 5)).map((x) => b.ex.gidOf(x))
    clock.t += 50
    b.ex.step(0.05)
    bus.flush()
    expect(b.released.length).toBe(15)
    for (let i = 0; i < 2; i++) tick([b, fresh], bus, clock)
    expect(fresh.adopted.length).toBe(15)
    // its first summary listed them all, in two parts: their ghosts here stayed (no removal and
    // re-adding between the parts), the old room's E went
    for (const g of handed) expect(copies(b, g).length).toBe(1)
    expect(b.removed).toEqual([eGid])
    expect(copies(b, eGid)).toEqual([])
  })

  it('should keep the ghosts of two live rooms of one zone (a duplicate) while both publish, and expire those of one that stops after ttlMs', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const one = createZone(bus, 0, clock)
    const two = createZone(bus, 0, clock)
    const b = createZone(bus, 1, clock)
    const g1 = one.ex.gidOf(spawn(one, 95, 40))
    const g2 = two.ex.gidOf(spawn(two, 95, 60))
    // their summaries reach zone 1 in turn: the first switch looks like a restart (room one's
    // ghost goes, back with its next keyframe), the switch back shows two live rooms
    for (let i = 0; i < 12; i++) tick([one, two, b], bus, clock)
    const before = b.removed.length
    for (let i = 0; i < 20; i++) {
      tick([one, two, b], bus, clock)
      expect(copies(b, g1).length).toBe(1)
      expect(copies(b, g2).length).toBe(1)
    }
    expect(b.removed.length).toBe(before)
    // room one stops: its ghost lasts its lifetime (300 ms here), room two's stays
    one.ex.close()
    for (let i = 0; i < 5; i++) tick([two, b], bus, clock)
    expect(copies(b, g1).length).toBe(1)
    for (let i = 0; i < 3; i++) tick([two, b], bus, clock)
    expect(copies(b, g1)).toEqual([])
    expect(copies(b, g2).length).toBe(1)
  })

  it('should not take again a handover of the old instance once the new one has sent one (no second owner)', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const old = createZone(bus, 0, clock, long)
    const b = createZone(bus, 1, clock, long)
    const e1 = spawn(old, 95, 50)
    const gid1 = old.ex.gidOf(e1)
    for (let i = 0; i < 2; i++) tick([old, b], bus, clock)
    // the old room hands E1 to zone 1 (message H), then dies
    old.C.Position.x[e1] = 101
    tick([old, b], bus, clock)
    const h = bus.log.find(([topic]) => topic === 'attention:zone:1:in')!
    expect(h).toBeDefined()
    tick([b], bus, clock)
    expect(b.adopted).toEqual([gid1])
    old.ex.close()
    // the new room hands E2 to zone 1; zone 1 hands E1 back to it
    const fresh = createZone(bus, 0, clock, long)
    const e2 = spawn(fresh, 95, 60)
    const gid2 = fresh.ex.gidOf(e2)
    for (let i = 0; i < 2; i++) tick([fresh, b], bus, clock)
    fresh.C.Position.x[e2] = 101
    for (let i = 0; i < 2; i++) tick([fresh, b], bus, clock)
    expect(b.adopted).toEqual([gid1, gid2])
    b.C.Position.x[find(b, gid1)] = 99
    for (let i = 0; i < 2; i++) tick([fresh, b], bus, clock)
    expect(fresh.adopted).toEqual([gid1])
    expect(b.ex.isGhost(find(b, gid1))).toBe(true)
    // and H comes again (a presence that delivers twice), well within its lifetime
    bus.inject(...h)
    bus.flush()
    for (let i = 0; i < 2; i++) tick([fresh, b], bus, clock)
    expect(b.adopted).toEqual([gid1, gid2])
    expect(b.ex.isGhost(find(b, gid1))).toBe(true)
    expect(fresh.ex.isGhost(find(fresh, gid1))).toBe(false)
  })
})
