import { addComponent, createWorld, removeEntity } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { createBorderExchange } from '../../src/zones/index'
import { copies, createBus, createZone, spawn, tick } from './zone-harness'

// What one message can carry is bounded (the receivers' maxMessageBytes, 65,535 records): a
// summary or a handover that would not fit must still get every record across, removals first of
// all, or a neighbour keeps showing what its owner hid or removed.

/** Bytes of every message published on `topic` from here on. */
function sizes(bus: ReturnType<typeof createBus>, topic: string): number[] {
  const out: number[] = []
  bus.subscribe(topic, (d) => out.push(Buffer.from(String(d), 'base64').length))
  return out
}

describe('border-exchange message limits', () => {
  it('should refuse at creation a maxMessageBytes that cannot hold the header and one record, naming the least', () => {
    const base = { world: createWorld(), components: createAttentionComponents(16), presence: createBus(), grid: { columns: 2, rows: 1, width: 200, height: 100 }, zone: 0, margin: 10 }
    // 28 bytes of header; a record of 5 + 2 (team) + 16 (wide) + 8 (height) + 8 (salience) and its fields
    expect(() => createBorderExchange({ ...base, maxMessageBytes: 66 })).toThrow(
      /^colyseus-attention: maxMessageBytes must be an integer in \[67, 67108864\]; got 66 \(a message must hold its 28-byte header and one record of up to 39 bytes with 0 fields in these fieldFormats\)$/,
    )
    const two = { fields: 2, fieldFormats: ['f32', 'u8'] as const, readFields: () => {} }
    expect(() => createBorderExchange({ ...base, ...two, maxMessageBytes: 71 })).toThrow(/in \[72, 67108864\]; got 71 \(.* up to 44 bytes with 2 fields/)
    expect(() => createBorderExchange({ ...base, ...two, maxMessageBytes: 72 })).not.toThrow()
    expect(() => createBorderExchange({ ...base, maxMessageBytes: 67.5 })).toThrow(RangeError)
  })

  it('should owe a Gone to every entity adopted between two summaries, however many', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // zone 1 holds 15 entities at most and publishes every fifth tick: adoptions pile up
    const a = createZone(bus, 0, clock, { ttlMs: 5000 })
    const b = createZone(bus, 1, clock, { intervalMs: 250 }, 16)
    const mine = Array.from({ length: 12 }, (_, i) => spawn(b, 105, 5 + i * 7))
    // zone 0's six, far from the border (no ghost of them in zone 1)
    const six = Array.from({ length: 6 }, (_, i) => spawn(a, 20, 10 + i * 15))
    const gids = six.map((e) => a.ex.gidOf(e))
    let n = 0
    bus.subscribe('attention:zone:1', () => n++)
    while (n < 2) tick([a, b], bus, clock)
    // zone 1 just published its 12: it despawns 10 of them
    for (const e of mine.slice(2)) {
      b.ex.forget(e)
      removeEntity(b.world, e)
    }
    // zone 0 hands its six over at once; zone 1 hides each on arrival (it publishes none of them)
    b.onAdopted = (eid) => addComponent(b.world, eid, b.C.Hidden)
    for (const e of six) a.C.Position.x[e] = 101
    const before = n
    tick([a, b], bus, clock)
    tick([a, b], bus, clock)
    expect(b.adopted).toEqual(gids)
    for (const g of gids) expect(a.ex.isGhost(copies(a, g)[0]!)).toBe(true)
    // zone 1's next summary owes a Gone to each of the six: zone 0 drops every ghost it kept
    while (n === before) tick([a, b], bus, clock)
    tick([a, b], bus, clock)
    for (const g of gids) expect(copies(a, g)).toEqual([])
  })

  it('should split a summary that would be larger than maxMessageBytes, and keep its removals', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // 200 bytes: the header and 10 records of 17 bytes
    const small = { maxMessageBytes: 200, keyframeEvery: 3 }
    const a = createZone(bus, 0, clock, small)
    const b = createZone(bus, 1, clock, small)
    const sent = sizes(bus, 'attention:zone:0')
    const e1 = spawn(a, 95, 5)
    spawn(a, 95, 10)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(2)
    // in one tick: 12 more entities at the border, and E1 hidden
    const more = Array.from({ length: 12 }, (_, i) => a.ex.gidOf(spawn(a, 95, 15 + i * 6)))
    addComponent(a.world, e1, a.C.Hidden)
    tick([a, b], bus, clock)
    tick([a, b], bus, clock)
    expect(copies(b, a.ex.gidOf(e1))).toEqual([])
    expect(b.removed).toEqual([a.ex.gidOf(e1)])
    for (const g of more) expect(copies(b, g).length).toBe(1)
    // through several keyframes (each in parts), nothing else goes, nothing comes twice
    for (let i = 0; i < 12; i++) tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(13)
    expect(b.removed.length).toBe(1)
    expect(b.ex.stats.dropped).toBe(0)
    expect(Math.max(...sent)).toBeLessThanOrEqual(200)
  })

  it('should split a handover that would be larger than maxMessageBytes: every entity handed over is adopted', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const small = { maxMessageBytes: 200 }
    const a = createZone(bus, 0, clock, small)
    const b = createZone(bus, 1, clock, small)
    const sent = sizes(bus, 'attention:zone:1:in')
    const many = Array.from({ length: 14 }, (_, i) => spawn(a, 20, 5 + i * 6))
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    for (const e of many) a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(a.released.length).toBe(14)
    expect(b.adopted.sort()).toEqual(many.map((e) => a.ex.gidOf(e)).sort())
    expect(b.ex.stats.dropped).toBe(0)
    expect(sent.length).toBeGreaterThan(1)
    expect(Math.max(...sent)).toBeLessThanOrEqual(200)
  })

  it('should split a summary of more than 65,535 records', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // every summary a keyframe: each lists every border entity it can, and its Gone records
    const big = { maxMessageBytes: 64 * 1024 * 1024, maxEntities: 65535, keyframeEvery: 1, ttlMs: 5000 }
    const cap = 65540
    const a = createZone(bus, 0, clock, big, cap)
    const b = createZone(bus, 1, clock, big, cap)
    const counts: number[] = []
    bus.subscribe('attention:zone:0', (d) => counts.push(Buffer.from(String(d), 'base64').readUInt16LE(16)))
    // one more border entity than a summary lists
    const all = Array.from({ length: 65536 }, (_, i) => spawn(a, 90 + (i % 10), (i * 0.0015) % 100))
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(65535)
    // a listed entity despawns: the one left out takes its place, and its Gone makes 65,536 records
    const gone = all[0]!
    const gid = a.ex.gidOf(gone)
    a.ex.forget(gone)
    removeEntity(a.world, gone)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(copies(b, gid)).toEqual([])
    expect(b.ex.stats.ghosts).toBe(65535)
    expect(b.ex.stats.dropped).toBe(0)
    expect(Math.max(...counts)).toBeLessThanOrEqual(65535)
  })
})
