import { Client, type Room } from '@colyseus/sdk'
import { addComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { ENTITY_KEY_LENGTH } from 'colyseus-attention'
import { startServer } from '../src/server'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const KEY = new RegExp(`^[0-9A-Za-z_-]{${ENTITY_KEY_LENGTH}}$`)
const entitiesOf = (room: Room): Map<string, unknown> => (room.state as { entities?: Map<string, unknown> } | undefined)?.entities ?? new Map()
/** Share of neighbours in `list` that are in increasing order by `cmp`: about 0.5 for keys in no order, 1 for keys that follow it. */
const increasing = <T>(list: T[], cmp: (a: T, b: T) => number): number => {
  let up = 0
  for (let i = 1; i < list.length; i++) if (cmp(list[i - 1]!, list[i]!) < 0) up++
  return up / (list.length - 1)
}
/** Resolves once `cond()` holds, polling every 20 ms; throws naming `what` after `ms`. */
const until = async (what: string, cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describe('arena entity key secret', () => {
  it('should refuse a zoned world on several processes without one secret for all, and a malformed one, at start', async () => {
    const zones = { columns: 2, rows: 1 }
    // (refused before Redis is looked for: nothing listens at this URL)
    await expect(startServer({ port: 0, host: '127.0.0.1', zones, redisUrl: 'redis://127.0.0.1:1' })).rejects.toThrow(
      /a zoned world on several processes \(redisUrl, REDIS_URL\) needs entityKeySecret \(ENTITY_KEY_SECRET\): 16 lowercase hex digits, the same in every process/,
    )
    await expect(startServer({ port: 0, host: '127.0.0.1', zones, entityKeySecret: 'secret' })).rejects.toThrow(/entityKeySecret \(ENTITY_KEY_SECRET\): secret must be 16 lowercase hex digits.*got 6 characters/)
  })
})

describe('arena entity keys', () => {
  it('should name entities with opaque keys that tell a client nothing of the spawns it may not see', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 150, seed: 5 })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const room = await new Client(url).joinOrCreate('arena')
      room.onMessage('destroyed', () => {})
      const self: string[] = []
      room.onMessage('attention', (m: { self: string; members: [string, number, number][] }) => self.push(m.self, ...m.members.map(([k]) => k)))
      room.send('overlay')
      const arena = arenaRooms.get(room.roomId) as ArenaRoom
      await until('the first entities', () => entitiesOf(room).size > 3 && self.length > 0)

      // spawns in a row, a hidden one among them: the public ones' keys show no order and no gap
      const { C, world } = arena.arena
      const eid = arena.playerEntity(room.sessionId)
      const spawned: number[] = []
      for (let i = 0; i < 60; i++) {
        const e = arena.arena.spawnBot(C.Position.x[eid]! + 20, C.Position.y[eid]! + 20, { vx: 0, vy: 0 })
        if (i % 3 === 1) addComponent(world, e, C.Hidden)
        spawned.push(e)
      }
      const keys = spawned.map((e) => arena.keyOf(e))
      for (const k of keys) expect(k).toMatch(KEY)
      expect(new Set(keys).size).toBe(keys.length)
      // neither as strings nor read as numbers do they follow the spawn order (a serial would, every time)
      const asString = increasing(keys, (a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect(asString).toBeGreaterThan(0.2)
      expect(asString).toBeLessThan(0.8)
      expect(keys.filter((k) => /^\d+$/.test(k)).length).toBeLessThan(3)

      // a despawned entity's id is reused at once by bitECS: the new entity's key is unrelated
      const victim = spawned[0]!
      const oldKey = arena.keyOf(victim)
      arena.arena.despawn(victim)
      const again = arena.arena.spawnBot(C.Position.x[eid]!, C.Position.y[eid]!, { vx: 0, vy: 0 })
      expect(again).toBe(victim)
      expect(arena.keyOf(again)).not.toBe(oldKey)
      expect(arena.entityOf(oldKey)).toBe(-1)
      expect(arena.entityOf(arena.keyOf(again))).toBe(again)

      // what the client receives: state keys and overlay keys alike, each mapping back on the server
      // (a shot that despawned is gone from the client a patch later: wait for a moment without one)
      const live = (k: string): boolean => arena.arena.live.has(arena.entityOf(k)) || self.includes(k)
      await until('every key the client holds mapping back', () => entitiesOf(room).size > 3 && [...entitiesOf(room).keys()].every(live))
      for (const k of [...entitiesOf(room).keys(), ...self]) expect(k).toMatch(KEY)
      expect(self).toContain(arena.keyOf(eid))

      // another room (same seed, same spawns) names its entities otherwise: keys cannot be precomputed
      const firstKeys = new Set(arena.state.entities.keys())
      const room2 = await new Client(url).create('arena')
      room2.onMessage('*', () => {})
      const arena2 = arenaRooms.get(room2.roomId) as ArenaRoom
      expect(arena2).not.toBe(arena)
      const shared = [...arena2.state.entities.keys()].filter((k) => firstKeys.has(k))
      expect(shared.length).toBeLessThan(2)
      await room2.leave()
      await room.leave()
    } finally {
      await server.stop()
    }
  })

  it('should give an entity the same key in every zone room that holds it', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 20, seed: 5, zones: { columns: 2, rows: 1 } })
    try {
      const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
      await until('both zone rooms', () => zoneRoom(0) !== undefined && zoneRoom(1) !== undefined, 15_000)
      const z0 = zoneRoom(0)!
      const z1 = zoneRoom(1)!
      // a bot of zone 0 near the border (x 800): zone 1 mirrors it as a ghost, under the same key
      const eid = z0.arena.spawnBot(770, 800, { vx: 0, vy: 0 })
      const key = z0.keyOf(eid)
      expect(key).toMatch(KEY)
      await until('the ghost in zone 1', () => z1.entityOf(key) !== -1)
      expect(z1.border!.isGhost(z1.entityOf(key))).toBe(true)
      expect(z1.border!.gidOf(z1.entityOf(key))).toBe(z0.border!.gidOf(eid))
      // and the key is not the global id (which counts the zone's spawns)
      expect(key).not.toBe(String(z0.border!.gidOf(eid)))
    } finally {
      await server.stop()
    }
  })
})
