import { Client, type Room } from '@colyseus/sdk'
import { describe, expect, it } from 'vitest'
import { startProcess } from '../scripts/processes'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer } from '../src/server'
import { PLAYER_REMOVED_CLOSE_CODE } from '../src/state'

// Who holds a seat in an arena room: a client whose player entity is removed loses its seat (and is
// told why), and a full room, or a server whose rooms are all full, refuses the join with an error.
// Real server on 127.0.0.1, real @colyseus/sdk clients.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Resolves once `cond()` holds, polling every 10 ms; throws naming `what` after `ms`. */
const until = async (what: string, cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
/** Joins, registering the arena's messages; counts the patches and records the leave. */
const join = async (client: Client, options?: Record<string, unknown>) => {
  const room = await client.joinOrCreate('arena', options)
  room.onMessage('*', () => {})
  const seen = { patches: 0, left: null as { code: number; reason?: string } | null }
  room.onStateChange(() => seen.patches++)
  room.onLeave((code, reason) => (seen.left = { code, reason }))
  return { room, seen }
}
const REMOVED = { code: PLAYER_REMOVED_CLOSE_CODE, reason: 'arena: your player was removed from the game' }

describe('arena seats', () => {
  it('should end the seat of a client whose player is removed, saying why, and keep the others playing', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 40, seed: 3 })
    try {
      const client = new Client(`http://127.0.0.1:${server.port}`)
      const a = await join(client)
      const b = await join(client)
      const arena = arenaRooms.get(a.room.roomId) as ArenaRoom
      const aEid = arena.playerEntity(a.room.sessionId)
      const bEid = arena.playerEntity(b.room.sessionId)
      await until('first patches', () => a.seen.patches > 2 && b.seen.patches > 2)

      // the game removes A's player (its own rules: a death without respawn, a kick to the lobby)
      arena.arena.despawn(aEid)
      await until('A told', () => a.seen.left !== null)
      expect(a.seen.left).toEqual(REMOVED)
      expect(arena.playerEntity(a.room.sessionId)).toBe(-1)
      await until('the seat freed', () => arena.clients.length === 1)
      expect(arena.clients.get(a.room.sessionId)).toBeUndefined()

      // B plays on: it moves, and keeps receiving patches
      const P = arena.arena.C.Position
      const x = P.x[bEid]!
      const patches = b.seen.patches
      b.room.send('move', { dx: 1, dy: 0 })
      await until('B moved', () => P.x[bEid]! > x + 5)
      await until('B patched', () => b.seen.patches > patches + 3)
      expect(b.seen.left).toBeNull()
      // and A does not come back by itself (the sdk does not reconnect on that code)
      await sleep(300)
      expect(arena.clients.length).toBe(1)
      await b.room.leave()
    } finally {
      await server.stop()
    }
  })

  it('should end the seat of a client whose player was removed while it was reconnecting, once it is back', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 40, seed: 3 })
    try {
      const client = new Client(`http://127.0.0.1:${server.port}`)
      const a = await join(client)
      const arena = arenaRooms.get(a.room.roomId) as ArenaRoom
      const eid = arena.playerEntity(a.room.sessionId)
      await until('first patches', () => a.seen.patches > 2)
      const room: Room = a.room
      room.reconnection.minUptime = 0
      // time for the server to see the drop before the sdk comes back
      room.reconnection.minDelay = 400
      let reconnected = false
      room.onReconnect(() => (reconnected = true))
      // an unclean close: the room keeps the seat for a reconnection
      room.connection.close(4010, 'test drop')
      await until('the drop seen by the room', () => arena.clients.get(room.sessionId) === undefined)
      arena.arena.despawn(eid)
      await until('A told', () => a.seen.left !== null, 8000)
      expect(reconnected).toBe(true)
      expect(a.seen.left).toEqual(REMOVED)
      await until('the seat freed', () => arena.clients.length === 0)
    } finally {
      await server.stop()
    }
  })

  it('should refuse joins beyond maxClients and maxRooms with a clear error, keeping the room and its players', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 20, seed: 3, maxClients: 2, maxRooms: 1 })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const a = await join(new Client(url))
      const b = await join(new Client(url))
      expect(b.room.roomId).toBe(a.room.roomId)
      const arena = arenaRooms.get(a.room.roomId) as ArenaRoom
      await until('first patches', () => a.seen.patches > 2 && b.seen.patches > 2)

      // the room is full, and this process may hold no other: joinOrCreate is refused with the reason
      await expect(new Client(url).joinOrCreate('arena')).rejects.toThrow('arena: the server is full (1 rooms of 2 players: maxRooms, maxClients); try again later')
      // the limits are the server's: a join's options do not raise them
      await expect(new Client(url).joinOrCreate('arena', { maxClients: 50, maxRooms: 9 })).rejects.toThrow(/the server is full/)
      // a join by id or by name finds no seat either
      await expect(new Client(url).joinById(a.room.roomId)).rejects.toThrow(/is locked/)
      await expect(new Client(url).join('arena')).rejects.toThrow(/no rooms found/)
      // a crowd at once: every join refused, nothing else made
      const crowd = await Promise.allSettled(Array.from({ length: 20 }, () => new Client(url).joinOrCreate('arena')))
      expect(crowd.every((r) => r.status === 'rejected')).toBe(true)
      expect(arenaRooms.size).toBe(1)
      expect(arena.clients.length).toBe(2)

      // the players were not hurt: both still receive patches, neither left
      const pa = a.seen.patches
      const pb = b.seen.patches
      await until('both patched', () => a.seen.patches > pa + 3 && b.seen.patches > pb + 3)
      expect(a.seen.left).toBeNull()
      expect(b.seen.left).toBeNull()

      // a seat that frees up is taken again
      await b.room.leave()
      await until('the seat freed', () => arena.clients.length === 1)
      const c = await join(new Client(url))
      expect(c.room.roomId).toBe(a.room.roomId)
      await c.room.leave()
      await a.room.leave()
    } finally {
      await server.stop()
    }
  })

  it('should refuse a bad maxClients or maxRooms at start, naming the option and its range', async () => {
    await expect(startServer({ port: 0, host: '127.0.0.1', maxClients: 0 })).rejects.toThrow('startServer: arena option maxClients must be an integer in [1, 2000]; got 0')
    await expect(startServer({ port: 0, host: '127.0.0.1', maxRooms: 1.5 })).rejects.toThrow('startServer: arena option maxRooms must be an integer in [1, 256]; got 1.5')
    const proc = await startProcess({ MAX_CLIENTS: 'lots', BOTS: '10' }, false)
    try {
      await proc.waitFor(/MAX_CLIENTS/)
      expect(proc.output()).toContain('MAX_CLIENTS must be an integer in [1, 2000]; got lots')
    } finally {
      await proc.stop()
    }
  })

  it('should hand a player over to a full zone room, refusing only fresh joins there', async () => {
    // one seat per zone room: zone 1 is full before the player walks in
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, debug: true, zones: { columns: 2, rows: 1 }, maxClients: 1 })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
      await until('both zone rooms', () => zoneRoom(0) !== undefined && zoneRoom(1) !== undefined, 15_000)
      const joinZone = async (options: Record<string, unknown>): Promise<Room> => {
        const room = await new Client(url).join('arena', options)
        room.onMessage('destroyed', () => {})
        room.onMessage('handover', () => {})
        return room
      }
      await joinZone({ zone: 1 })
      await expect(joinZone({ zone: 1 })).rejects.toThrow('arena: zone 1 is full (1 players: maxClients); try again later')
      // a player just left of the border (x 800), walking right
      const player = await joinZone({ zone: 0, x: 785, y: 600 })
      let moved: Room | null = null
      let refused: unknown = null
      player.onMessage('handover', (m: { zone: number; key: string; token: string }) => {
        joinZone({ zone: m.zone, resume: m.key, resumeToken: m.token }).then((r) => (moved = r), (e: unknown) => (refused = e))
      })
      player.send('face', { angle: 0 })
      player.send('move', { dx: 1, dy: 0 })
      await until('the handover', () => moved !== null || refused !== null, 8000)
      expect(refused).toBeNull()
      const z1 = zoneRoom(1)!
      expect(z1.clients.length).toBe(2)
      expect(z1.playerEntity((moved as unknown as Room).sessionId)).not.toBe(-1)
      // and still no fresh seat
      await expect(joinZone({ zone: 1 })).rejects.toThrow(/zone 1 is full/)
    } finally {
      await server.stop()
    }
  })

  it('should drop a despawned zone entity from the full-state meter (its key outlives its global id)', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, zones: { columns: 2, rows: 1 } })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
      await until('both zone rooms', () => zoneRoom(0) !== undefined && zoneRoom(1) !== undefined, 15_000)
      const z0 = zoneRoom(0)!
      const watcher = await new Client(url).join('arena', { zone: 0 })
      watcher.onMessage('*', () => {})
      watcher.send('full-state')
      const meter = () => (z0 as unknown as { fullState: { state: { entities: Map<string, unknown> } } | null }).fullState
      await until('the meter', () => meter() !== null)
      const bots = Array.from({ length: 20 }, (_, i) => z0.arena.spawnBot(100 + 10 * i, 100, { vx: 0, vy: 0 }))
      const keys = bots.map((e) => z0.keyOf(e))
      await until('the bots in the meter', () => keys.every((k) => meter()!.state.entities.has(k)))
      for (const e of bots) z0.arena.despawn(e)
      await until('the bots gone from the meter', () => keys.every((k) => !meter()!.state.entities.has(k)))
      await watcher.leave()
    } finally {
      await server.stop()
    }
  })

  describe('a player crossing into another zone', () => {
    const zoned = async () => {
      const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, debug: true, zones: { columns: 2, rows: 1 } })
      const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
      await until('both zone rooms', () => zoneRoom(0) !== undefined && zoneRoom(1) !== undefined, 15_000)
      const url = `http://127.0.0.1:${server.port}`
      // a player just left of the border (x 800), walking right, until its room hands it over
      const room = await new Client(url).join('arena', { zone: 0, x: 785, y: 600 })
      room.onMessage('destroyed', () => {})
      const seen = { handover: null as { zone: number; key: string; token: string } | null, left: null as { code: number; reason?: string } | null }
      room.onMessage('handover', (m: { zone: number; key: string; token: string }) => (seen.handover = m))
      room.onLeave((code, reason) => (seen.left = { code, reason }))
      room.send('face', { angle: 0 })
      room.send('move', { dx: 1, dy: 0 })
      await until('the handover message', () => seen.handover !== null, 8000)
      const z1 = zoneRoom(1)!
      const key = seen.handover!.key
      // (the message may come before the new room took the player over from its ghost)
      await until('the player taken over next door', () => z1.entityOf(key) !== -1 && z1.border!.isGhost(z1.entityOf(key)) === false)
      return { server, url, room, seen, z0: zoneRoom(0)!, z1, handover: seen.handover! }
    }

    it('should give it back to its client when it comes back before the client claimed it next door', async () => {
      const { server, url, room, seen, z0, z1, handover } = await zoned()
      try {
        // a knockback next door sends the player back across the border before its client claims it
        z1.arena.setInput(z1.entityOf(handover.key), -1, 0)
        await until('the player given back', () => z0.playerEntity(room.sessionId) !== -1, 5000)
        expect(z0.playerEntity(room.sessionId)).toBe(z0.entityOf(handover.key))
        // the claim that comes late is refused, and the client plays on where it is
        await expect(new Client(url).join('arena', { zone: 1, resume: handover.key, resumeToken: handover.token })).rejects.toThrow(/no player .* was handed over to this zone/)
        const eid = z0.playerEntity(room.sessionId)
        const y = z0.arena.C.Position.y[eid]!
        room.send('move', { dx: 0, dy: 1 })
        await until('the player moving', () => z0.arena.C.Position.y[eid]! > y + 5)
        expect(seen.left).toBeNull()
      } finally {
        await server.stop()
      }
    })

    it('should send the handover to a client that was away when its player crossed, once it is back', async () => {
      const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, debug: true, zones: { columns: 2, rows: 1 } })
      try {
        const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
        await until('both zone rooms', () => zoneRoom(0) !== undefined && zoneRoom(1) !== undefined, 15_000)
        const url = `http://127.0.0.1:${server.port}`
        const room = await new Client(url).join('arena', { zone: 0, x: 790, y: 600 })
        room.onMessage('destroyed', () => {})
        let handover: { zone: number; key: string; token: string } | null = null
        room.onMessage('handover', (m: { zone: number; key: string; token: string }) => (handover = m))
        const z0 = zoneRoom(0)!
        await until('the player', () => z0.playerEntity(room.sessionId) !== -1)
        room.reconnection.minUptime = 0
        // away long enough for its player to cross (10 units at 60 u/s) meanwhile
        room.reconnection.minDelay = 1500
        let back = false
        room.onReconnect(() => (back = true))
        z0.arena.setInput(z0.playerEntity(room.sessionId), 1, 0)
        room.connection.close(4010, 'test drop')
        await until('the crossing', () => z0.playerEntity(room.sessionId) === -1, 5000)
        expect(back).toBe(false)
        await until('the handover message, once back', () => handover !== null, 10_000)
        expect(back).toBe(true)
        const h = handover as unknown as { zone: number; key: string; token: string }
        const next = await new Client(url).join('arena', { zone: h.zone, resume: h.key, resumeToken: h.token })
        next.onMessage('*', () => {})
        expect(zoneRoom(1)!.playerEntity(next.sessionId)).toBe(zoneRoom(1)!.entityOf(h.key))
      } finally {
        await server.stop()
      }
    })

    it('should end its client\'s seat, saying why, when the player is lost before the client claimed it', async () => {
      const { server, url, seen, z1, handover } = await zoned()
      try {
        // the player is removed next door before its client comes: its claim finds nothing
        z1.arena.despawn(z1.entityOf(handover.key))
        await expect(new Client(url).join('arena', { zone: 1, resume: handover.key, resumeToken: handover.token })).rejects.toThrow(/no player .* was handed over to this zone/)
        // the old room gives up on the handover and tells the client, rather than keep it seated with nothing
        await until('the seat ended', () => seen.left !== null, 20_000)
        expect(seen.left).toEqual({ code: PLAYER_REMOVED_CLOSE_CODE, reason: 'arena: your player was lost crossing into another zone (removed there, or never claimed)' })
      } finally {
        await server.stop()
      }
    }, 30_000)
  })
})
