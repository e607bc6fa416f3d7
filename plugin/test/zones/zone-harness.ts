// The zones tests' harness: zone "rooms" in one process over an in-memory pub/sub.
import { addComponent, addEntity, createWorld, removeComponent, type World } from 'bitecs'
import { expect } from 'vitest'
import { addObserver, createAttentionComponents, type AttentionComponents } from '../../src/index'
import { createBorderExchange, type BorderExchange, type BorderExchangeOptions, type BorderPresence } from '../../src/zones/index'

// Two zone "rooms" in one process, joined by an in-memory pub/sub that goes through JSON like
// Redis does. A hand-driven clock: one step is 50 ms.

export interface Bus extends BorderPresence {
  /** While false, published messages are lost (a broken link). */
  up: boolean
  /** Deliver queued messages (pub/sub is asynchronous). */
  flush(): void
  /** Every message published so far, as sent: [topic, JSON]. */
  log: [string, string][]
  /** Queues a message again, as a presence that delivers one twice (or late) would. */
  inject(topic: string, text: string): void
}

export function createBus(): Bus {
  const subs = new Map<string, Set<(d: unknown) => void>>()
  const queue: [string, string][] = []
  const bus: Bus = {
    up: true,
    publish(topic, data) {
      if (!bus.up) return
      const text = JSON.stringify(data)
      queue.push([topic, text])
      bus.log.push([topic, text])
    },
    log: [],
    inject(topic, text) {
      queue.push([topic, text])
    },
    subscribe(topic, cb) {
      if (!subs.has(topic)) subs.set(topic, new Set())
      subs.get(topic)!.add(cb)
      return Promise.resolve()
    },
    unsubscribe(topic, cb) {
      if (cb) subs.get(topic)?.delete(cb)
      else subs.delete(topic)
    },
    flush() {
      for (const [topic, text] of queue.splice(0)) for (const cb of subs.get(topic) ?? []) cb(JSON.parse(text))
    },
  }
  return bus
}

export interface Zone {
  world: World
  C: AttentionComponents
  ex: BorderExchange
  added: number[]
  removed: number[]
  adopted: number[]
  released: number[]
  kind: Float32Array
  /** Entity capacity of its components. */
  capacity: number
  /** Called after the exchange adopted `eid` (the game reacting to an arrival). */
  onAdopted?: (eid: number) => void
}

export const grid = { columns: 2, rows: 1, width: 200, height: 100 }

export function createZone(bus: Bus, zone: number, clock: { t: number }, extra: Partial<BorderExchangeOptions> = {}, capacity = 256): Zone {
  const world = createWorld()
  const C = createAttentionComponents(capacity)
  const kind = new Float32Array(capacity)
  const z: Zone = { world, C, kind, capacity, added: [], removed: [], adopted: [], released: [], ex: null as unknown as BorderExchange }
  z.ex = createBorderExchange({
    world,
    components: C,
    presence: bus,
    grid,
    zone,
    margin: 30,
    ttlMs: 300,
    fields: 1,
    readFields: (eid, out) => {
      out[0] = kind[eid]!
    },
    now: () => clock.t,
    events: {
      added: (eid, gid, f) => {
        z.added.push(gid)
        kind[eid] = f[0]!
      },
      removed: (eid) => z.removed.push(z.ex.gidOf(eid)),
      adopted: (eid, gid, f) => {
        z.adopted.push(gid)
        kind[eid] = f[0]!
        z.onAdopted?.(eid)
      },
      released: (eid) => z.released.push(z.ex.gidOf(eid)),
    },
    ...extra,
  })
  return z
}

export function spawn(z: Zone, x: number, y: number, vx = 0): number {
  const eid = addEntity(z.world)
  addComponent(z.world, eid, z.C.Position)
  addComponent(z.world, eid, z.C.Velocity)
  z.C.Position.x[eid] = x
  z.C.Position.y[eid] = y
  z.C.Velocity.x[eid] = vx
  z.C.Velocity.y[eid] = 0
  z.kind[eid] = 7
  z.ex.register(eid)
  return eid
}

/** Steps both zones once: local motion, exchange, delivery. */
export function tick(zones: Zone[], bus: Bus, clock: { t: number }): void {
  clock.t += 50
  for (const z of zones) {
    const P = z.C.Position
    const V = z.C.Velocity
    for (let eid = 1; eid < z.capacity; eid++) if (z.ex.gidOf(eid) !== 0 && !z.ex.isGhost(eid)) P.x[eid] = P.x[eid]! + V.x[eid]! * 0.05
  }
  for (const z of zones) z.ex.step(0.05)
  bus.flush()
}

export function setup(): { bus: Bus; clock: { t: number }; a: Zone; b: Zone } {
  const bus = createBus()
  const clock = { t: 1000 }
  return { bus, clock, a: createZone(bus, 0, clock), b: createZone(bus, 1, clock) }
}

/** An observer of `team` in zone `z`, at (x, 50), seeing all around within 60 units. */
export function observer(z: Zone, x: number, team: number): number {
  const o = addEntity(z.world)
  addComponent(z.world, o, z.C.Position)
  z.C.Position.x[o] = x
  z.C.Position.y[o] = 50
  addComponent(z.world, o, z.C.Team)
  z.C.Team.id[o] = team
  addObserver(z.world, z.C, o, { radius: 60, budget: 8, fov: 2 * Math.PI })
  return o
}

/** Gives `eid` the Team `team` (0 is a team like any other), or takes its Team away (null). */
export function setTeam(z: Zone, eid: number, team: number | null): void {
  if (team === null) removeComponent(z.world, eid, z.C.Team)
  else {
    addComponent(z.world, eid, z.C.Team)
    z.C.Team.id[eid] = team
  }
}

/** Every entity of zone `z` with `gid`. */
export function copies(z: Zone, gid: number): number[] {
  return [...Array(z.capacity).keys()].filter((e) => z.ex.gidOf(e) === gid)
}

/** The one entity of zone `z` with `gid`. */
export function find(z: Zone, gid: number): number {
  const all = [...Array(z.capacity).keys()].filter((e) => z.ex.gidOf(e) === gid)
  expect(all.length).toBe(1)
  return all[0]!
}

/**
 * Three zones in a row for handover chains, the entity `place` spawns (in zone 0 or 2) already shared:
 * zone 0 keeps ghosts long (only a Gone removes one in time), zone 1 publishes every fifth tick and
 * has just published (its next summary comes with the fifth tick from here). `summaries()` counts
 * zone 1's summaries from here.
 */
export function chainRow(place: (a: Zone, c: Zone) => number) {
  const bus = createBus()
  const clock = { t: 1000 }
  const row = { grid: { columns: 3, rows: 1, width: 300, height: 100 } }
  const a = createZone(bus, 0, clock, { ...row, ttlMs: 5000 })
  const b = createZone(bus, 1, clock, { ...row, intervalMs: 250 })
  const c = createZone(bus, 2, clock, row)
  const e = place(a, c)
  let n = 0
  bus.subscribe('attention:zone:1', () => n++)
  for (let i = 0; i < 2; i++) tick([a, b, c], bus, clock)
  const before = n
  while (n === before) tick([a, b, c], bus, clock)
  const base = n
  return { a, b, c, e, bus, step: () => tick([a, b, c], bus, clock), summaries: () => n - base }
}
