import { Client, type Room } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'

// Level of detail and entry budget, observed through real clients.

let server: RunningServer
let url: string
const ENTRY_BUDGET = 6
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', bots: 400, seed: 11, entryBudget: ENTRY_BUDGET })
  url = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
type Decoded = { x?: number; hp?: number; cx: number }
const entitiesOf = (room: Room): Map<string, Decoded> | undefined =>
  (room.state as { entities?: Map<string, Decoded> } | undefined)?.entities
const join = async (client: Client): Promise<Room> => {
  const room = await client.joinOrCreate('arena')
  room.onMessage('destroyed', () => {})
  return room
}

describe('arena level of detail', () => {
  it('should send motion fields only at medium/high attention and detail fields only at high, following band changes', async () => {
    const client = new Client(url)
    const room = await join(client)
    const arena = arenaRooms.get(room.roomId) as ArenaRoom
    // per patch: key -> band of what the view holds
    const bandsHistory: Map<string, number>[] = []
    arena.afterSync = (r) => {
      const o = r.playerEntity(room.sessionId)
      const sys = r.arena.attention
      const m = new Map<string, number>()
      for (let i = 0; i < sys.memberCount(o); i++) m.set(r.keyOf(sys.memberAt(o, i)), sys.bandAt(o, i))
      bandsHistory.push(m)
      if (bandsHistory.length > 4) bandsHistory.shift()
    }
    const seenShape = new Map<string, Set<string>>()
    let checked = 0
    let wrong = 0
    let ticks = 0
    const examples: string[] = []
    const started = Date.now()
    while (Date.now() - started < 4000) {
      await sleep(25)
      // stay under the room's 30 messages per second
      if (++ticks % 3 === 0) {
        room.send('move', { dx: Math.cos(Date.now() / 500), dy: Math.sin(Date.now() / 500) })
        room.send('face', { angle: (Date.now() / 300) % (2 * Math.PI) })
      }
      const entities = entitiesOf(room)
      if (!entities || bandsHistory.length === 0) continue
      for (const [key, e] of entities) {
        const shape = e.hp !== undefined ? (e.x !== undefined ? 'high' : 'bad') : e.x !== undefined ? 'medium' : 'low'
        const band = ['low', 'medium', 'high']
        checked++
        // the decoded shape must match the band of one of the last patches
        if (!bandsHistory.some((h) => h.has(key) && band[h.get(key)!] === shape)) {
          wrong++
          if (examples.length < 5) examples.push(`${key}: decoded ${shape}, server bands ${JSON.stringify(bandsHistory.map((h) => h.get(key)))}`)
        }
        const s = seenShape.get(key) ?? new Set()
        s.add(shape)
        seenShape.set(key, s)
      }
    }
    arena.afterSync = null
    expect(checked).toBeGreaterThan(500)
    expect(wrong, examples.join('\n')).toBe(0)
    const shapes = new Set([...seenShape.values()].flatMap((s) => [...s]))
    expect(shapes.has('low')).toBe(true)
    expect(shapes.has('medium')).toBe(true)
    expect(shapes.has('high')).toBe(true)
    // some entity changed band while in view, and its fields followed
    expect([...seenShape.values()].some((s) => s.size > 1)).toBe(true)
    await room.leave(true)
  })

  it('should fill a joining client highest-attention first, at most the entry budget per patch', async () => {
    const client = new Client(url)
    // someone is already in the room (so it stays alive), then a new client joins it
    const first = await join(client)
    const arena = arenaRooms.get(first.roomId) as ArenaRoom
    // order check on the server: whenever entities wait, none waiting outranks one already sent
    let orderViolations = 0
    let waitingPatches = 0
    let session = ''
    arena.afterSync = (r) => {
      if (session === '' || r.plugins.attention.pendingOf(session) === 0) return
      waitingPatches++
      const o = r.playerEntity(session)
      const sys = r.arena.attention
      const inView = new Set(r.plugins.attention.viewMembers(session))
      let minSent = Infinity
      let maxWaiting = -Infinity
      for (let i = 0; i < sys.memberCount(o); i++) {
        const s = sys.scoreAt(o, i)
        if (Number.isNaN(s)) continue
        if (inView.has(sys.memberAt(o, i))) minSent = Math.min(minSent, s)
        else maxWaiting = Math.max(maxWaiting, s)
      }
      if (maxWaiting > minSent) orderViolations++
    }
    const room = await client.joinById(first.roomId)
    session = room.sessionId
    room.onMessage('destroyed', () => {})
    const sizes: number[] = []
    room.onStateChange(() => {
      const n = entitiesOf(room)?.size ?? 0
      if (sizes[sizes.length - 1] !== n) sizes.push(n)
    })
    await sleep(1500)
    arena.afterSync = null
    const o = arena.playerEntity(room.sessionId)
    const setSize = arena.arena.attention.memberCount(o)
    expect(setSize).toBeGreaterThan(ENTRY_BUDGET * 2)
    // the set arrived in several patches, each adding at most the entry budget
    expect(sizes.length).toBeGreaterThan(2)
    for (let i = 0; i < sizes.length; i++) expect(sizes[i]! - (sizes[i - 1] ?? 0)).toBeLessThanOrEqual(ENTRY_BUDGET)
    expect(sizes[sizes.length - 1]).toBe(entitiesOf(room)!.size)
    expect(waitingPatches).toBeGreaterThan(0)
    expect(orderViolations).toBe(0)
    await room.leave(true)
    await first.leave(true)
  })
})
