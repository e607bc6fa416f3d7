import { Client, type Room } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'

// Real server on 127.0.0.1, real @colyseus/sdk clients: every client's decoded entities must equal
// what the server put in its StateView within one patch, and never hold anything else.

let server: RunningServer
let url: string

beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', bots: 250, seed: 7 })
  url = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.stop()
})

interface Watched {
  room: Room
  session: string
  team: number
  /** Keys the client holds that were never in its view in the last patches (leaks). */
  leaks: string[]
  checks: number
  mismatches: number
}

const keysOf = (room: Room): string[] => {
  const entities = (room.state as { entities?: Map<string, unknown> } | undefined)?.entities
  return entities ? [...entities.keys()].sort() : []
}
const ready = (room: Room): boolean => (room.state as { entities?: unknown } | undefined)?.entities !== undefined
const sameKeys = (a: string[], b: string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i])
/** Registers the arena's server messages so the SDK doesn't warn; returns the room. */
const listen = (room: Room): Room => {
  room.onMessage('attention', () => {})
  room.onMessage('destroyed', () => {})
  return room
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('arena room with the attention plugin', () => {
  it('should keep every client equal to its server-side interest set, without leaks, through churn, joins, leaves and a reconnect', async () => {
    const client = new Client(url)
    const rooms: Room[] = []
    for (let i = 0; i < 4; i++) rooms.push(listen(await client.joinOrCreate('arena')))
    const arena = arenaRooms.get(rooms[0]!.roomId) as ArenaRoom
    expect(arena).toBeDefined()

    // per session, the view contents (sorted keys) after each of the last patches
    const history = new Map<string, string[][]>()
    // forbidden per session: hidden entities, and TeamOnly entities of another team
    let viewEqualsSet = 0
    let viewChecks = 0
    arena.afterSync = (r) => {
      for (const c of r.clients) {
        const keys = r.plugins.attention.viewMembers(c.sessionId).map(String).sort()
        const h = history.get(c.sessionId) ?? []
        h.push(keys)
        if (h.length > 4) h.shift()
        history.set(c.sessionId, h)
        // server side: once nothing waits for the entry budget, the view holds exactly the set,
        // less members whose id was despawned and reused since the tick (the new entity was never selected)
        if (r.plugins.attention.pendingOf(c.sessionId) === 0) {
          const o = r.playerEntity(c.sessionId)
          const set: string[] = []
          const sys = r.arena.attention
          for (let i = 0; i < sys.memberCount(o); i++) {
            const e = sys.memberAt(o, i)
            if (sys.memberGenerationAt(o, i) === sys.generationOf(e)) set.push(String(e))
          }
          viewChecks++
          if (sameKeys(set.sort(), keys)) viewEqualsSet++
        }
      }
    }

    const watched: Watched[] = rooms.map((room) => ({ room, session: room.sessionId, team: 0, leaks: [], checks: 0, mismatches: 0 }))
    const forbidden = (w: Watched, key: string): boolean => {
      const eid = Number(key)
      const a = arena.arena
      const mood = a.mood[eid]
      if (mood === 'ghost') return true
      if (mood === 'scout') {
        const own = arena.playerEntity(w.session)
        return a.C.Team.id[eid] !== a.C.Team.id[own]
      }
      return false
    }
    const check = (w: Watched): void => {
      if (!ready(w.room)) return
      const keys = keysOf(w.room)
      const h = history.get(w.session)
      if (h === undefined || h.length === 0) return
      w.checks++
      if (!h.some((snap) => sameKeys(snap, keys))) w.mismatches++
      const allowed = new Set(h.flat())
      for (const k of keys) if (!allowed.has(k) || forbidden(w, k)) w.leaks.push(k)
    }

    const started = Date.now()
    let churned = 0
    let joined: Watched | null = null
    let left = false
    let reconnected = false
    while (Date.now() - started < 6000) {
      await sleep(20)
      // churn: despawn a bot near a player and spawn one right away (bitECS recycles the id)
      const a = arena.arena
      const players = rooms.map((r) => arena.playerEntity(r.sessionId)).filter((e) => e !== -1)
      const p = players[churned % players.length]!
      const sys = a.attention
      for (let i = 0; i < sys.memberCount(p); i++) {
        const e = sys.memberAt(p, i)
        if (a.kindOf(e) === 'bot' && a.mood[e] !== 'loud') {
          a.despawn(e)
          const again = a.spawnBot(a.C.Position.x[p]! + 30, a.C.Position.y[p]! + 30)
          if (again === e) churned++
          break
        }
      }
      // drive players around
      for (const r of rooms) r.send('move', { dx: Math.sin(Date.now() / 700), dy: Math.cos(Date.now() / 900) })
      for (const w of watched) check(w)
      if (joined) check(joined)
      const t = Date.now() - started
      if (!joined && t > 1500) {
        const room = listen(await client.joinOrCreate('arena'))
        joined = { room, session: room.sessionId, team: 0, leaks: [], checks: 0, mismatches: 0 }
        rooms.push(room)
      }
      if (!left && t > 2500) {
        left = true
        const leaving = watched.splice(1, 1)[0]!
        rooms.splice(rooms.indexOf(leaving.room), 1)
        await leaving.room.leave(true)
      }
      if (!reconnected && t > 3500) {
        reconnected = true
        const dropped = watched[0]!
        const back = dropped.room
        back.reconnection.minUptime = 0
        const reconnectedOnce = new Promise<void>((ok) => back.onReconnect(() => ok()))
        // an unclean close: the server keeps the seat (allowReconnection), the SDK reconnects by itself
        back.connection.close(4010, 'test drop')
        await Promise.race([reconnectedOnce, sleep(8000).then(() => Promise.reject(new Error('no reconnection within 8 s')))])
        expect(back.sessionId).toBe(dropped.session)
        // the reconnected client gets its full current set back
        await sleep(300)
        const h = history.get(back.sessionId)!
        expect(h.some((snap) => sameKeys(snap, keysOf(back)))).toBe(true)
        expect(keysOf(back).length).toBeGreaterThan(2)
      }
    }
    arena.afterSync = null
    const all = joined ? [...watched, joined] : watched
    for (const w of all) {
      expect(w.leaks, `leaks for ${w.session}`).toEqual([])
      expect(w.checks).toBeGreaterThan(50)
      // "within one patch": the decoded keys match one of the last few view snapshots every time
      expect(w.mismatches, `mismatches for ${w.session}`).toBe(0)
    }
    expect(churned).toBeGreaterThan(10)
    expect(viewChecks).toBeGreaterThan(100)
    expect(viewEqualsSet).toBe(viewChecks)
    for (const r of rooms) await r.leave(true)
  })
})
