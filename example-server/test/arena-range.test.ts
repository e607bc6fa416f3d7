import { Client, type Room } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'

// maxRange as a hard bound, end to end: real server on 127.0.0.1, real @colyseus/sdk clients,
// players moving through 250 bots whose look-ahead, nimbus and hysteresis make the engine select
// entities beyond the bound. No client may ever hold an entity that was beyond it at every recent sync,
// nor be told its id by the attention overlay.

const MAX_RANGE = 120

let server: RunningServer
let url: string

beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', bots: 250, seed: 11, maxRange: MAX_RANGE })
  url = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.stop()
})

const keysOf = (room: Room): string[] => {
  const entities = (room.state as { entities?: Map<string, unknown> } | undefined)?.entities
  return entities ? [...entities.keys()] : []
}
const listen = (room: Room): Room => {
  room.onMessage('destroyed', () => {})
  return room
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('arena room with maxRange', () => {
  it('should never let a client hold an entity beyond maxRange, though the engine selects beyond it', async () => {
    const client = new Client(url)
    const rooms: Room[] = []
    for (let i = 0; i < 4; i++) rooms.push(listen(await client.joinOrCreate('arena')))
    const arena = arenaRooms.get(rooms[0]!.roomId) as ArenaRoom
    const { C, attention: sys } = arena.arena
    const dist = (a: number, b: number): number =>
      Math.hypot(C.Position.x[a]! - C.Position.x[b]!, C.Position.y[a]! - C.Position.y[b]!, C.Position.z[a]! - C.Position.z[b]!)

    // per session, what its view held after each of the last syncs, each entry within the bound then
    const history = new Map<string, Set<string>[]>()
    const serverLeaks: string[] = []
    let selectedBeyond = 0
    let held = 0
    arena.afterSync = (r) => {
      for (const c of r.clients) {
        const o = r.playerEntity(c.sessionId)
        if (o === -1) continue
        const members = r.plugins.attention.viewMembers(c.sessionId)
        for (const e of members) if (e !== o && dist(o, e) > MAX_RANGE) serverLeaks.push(`${e} at ${dist(o, e).toFixed(1)} from ${o}`)
        held += members.length
        for (let i = 0; i < sys.memberCount(o); i++) if (dist(o, sys.memberAt(o, i)) > MAX_RANGE) selectedBeyond++
        const h = history.get(c.sessionId) ?? []
        h.push(new Set(members.map((e) => r.keyOf(e))))
        if (h.length > 4) h.shift()
        history.set(c.sessionId, h)
      }
    }

    // the overlay names members too: only those the client holds (no id beyond the bound)
    const overlayLeaks: string[] = []
    let overlays = 0
    // nor, through its weights, how much of the set it is not sent: they sum to 1 over what it holds
    const weightSums: number[] = []
    const watcher = rooms[0]!
    watcher.onMessage('attention', (m: { members: [string, number, number][] }) => {
      overlays++
      const h = history.get(watcher.sessionId) ?? []
      for (const [k] of m.members) if (!h.some((snap) => snap.has(k))) overlayLeaks.push(k)
      if (m.members.length > 0) weightSums.push(m.members.reduce((a, [, w]) => a + w, 0))
    })
    watcher.send('overlay')

    const clientLeaks: string[] = []
    let checks = 0
    const started = Date.now()
    while (Date.now() - started < 4000) {
      await sleep(20)
      for (const r of rooms) r.send('move', { dx: Math.sin(Date.now() / 500), dy: Math.cos(Date.now() / 650) })
      for (const r of rooms) {
        const h = history.get(r.sessionId)
        if (h === undefined) continue
        checks++
        // a key the client holds must have been in its view (hence within the bound) at a recent sync
        for (const k of keysOf(r)) if (!h.some((snap) => snap.has(k))) clientLeaks.push(`${r.sessionId}: ${k}`)
      }
    }
    arena.afterSync = null
    expect(serverLeaks).toEqual([])
    expect(clientLeaks).toEqual([])
    expect(overlayLeaks).toEqual([])
    expect(overlays).toBeGreaterThan(5)
    expect(weightSums.length).toBeGreaterThan(0)
    // each weight is rounded to 0.001
    for (const w of weightSums) expect(Math.abs(w - 1)).toBeLessThan(0.001 * 40)
    expect(checks).toBeGreaterThan(100)
    // the bound was exercised: the engine selected entities beyond it, and the views were not empty
    expect(selectedBeyond).toBeGreaterThan(0)
    expect(held).toBeGreaterThan(0)
    for (const r of rooms) await r.leave(true)
  })
})
