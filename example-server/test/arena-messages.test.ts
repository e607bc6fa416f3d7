import { Client, type Room } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'

let server: RunningServer
let url: string
beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', bots: 60, seed: 3 })
  url = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const join = async (client: Client): Promise<Room> => {
  const room = await client.joinOrCreate('arena')
  room.onMessage('attention', () => {})
  room.onMessage('destroyed', () => {})
  return room
}

describe('arena message validation', () => {
  it('should reject malformed, out-of-range, unknown and flooding messages without hurting the room or other clients', async () => {
    const client = new Client(url)
    const bad = await join(client)
    const good = await join(client)
    const arena = arenaRooms.get(bad.roomId) as ArenaRoom
    const badEid = arena.playerEntity(bad.sessionId)
    const goodEid = arena.playerEntity(good.sessionId)
    const P = arena.arena.C.Position
    const start = { x: P.x[badEid]!, y: P.y[badEid]! }
    const logged: string[] = []
    const warn = console.warn
    console.warn = (line: string) => logged.push(String(line))
    try {
      const payloads: unknown[] = [
        null,
        42,
        'left',
        [1, 0],
        {},
        { dx: '1', dy: 0 },
        { dx: NaN, dy: 0 },
        { dx: Infinity, dy: 0 },
        { dx: 2, dy: 0 },
        { dx: 0, dy: -1.5 },
        { dx: 1 },
      ]
      for (const p of payloads) bad.send('move', p)
      for (const p of [null, {}, { angle: 'north' }, { angle: NaN }, { angle: 1e9 }]) bad.send('face', p)
      bad.send('teleport', { x: 0, y: 0 })
      bad.send(7 as unknown as string, {})
      await sleep(300)
      // nothing moved the bad player: every move was rejected
      expect(P.x[badEid]).toBeCloseTo(start.x, 3)
      expect(P.y[badEid]).toBeCloseTo(start.y, 3)
      expect(arena.rejected.counts.get('move')).toBe(payloads.length)
      expect(arena.rejected.counts.get('face')).toBe(5)
      expect(arena.rejected.counts.get('unknown')).toBe(2)

      // a flood: far more than 30 messages per second; the excess is dropped, logged once
      for (let i = 0; i < 400; i++) bad.send('face', { angle: i / 100 })
      await sleep(300)
      expect(arena.rejected.counts.get('flood') ?? 0).toBeGreaterThan(300)
      const floodLines = logged.filter((l) => l.includes('flood'))
      expect(floodLines.length).toBe(1)
      // one line per distinct reason and session, never one per message
      expect(logged.length).toBeLessThan(25)

      // the room keeps serving: the good client moves and keeps receiving patches
      const gx = P.x[goodEid]!
      good.send('move', { dx: 1, dy: 0 })
      await sleep(400)
      expect(P.x[goodEid]!).toBeGreaterThan(gx + 5)
      const entities = (good.state as { entities: Map<string, unknown> }).entities
      expect(entities.has(String(goodEid))).toBe(true)
      // and so does the bad one, once it behaves (after its bucket refills)
      await sleep(1500)
      bad.send('move', { dx: -1, dy: 0 })
      await sleep(400)
      expect(P.x[badEid]!).toBeLessThan(start.x - 5)
    } finally {
      console.warn = warn
    }
    await bad.leave(true)
    await good.leave(true)
  })
})
