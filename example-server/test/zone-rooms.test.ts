import { describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer } from '../src/server'

// Every zone of a zoned world has a room: the server creates one for a zone that has none, within
// a few seconds, however young the room it lost was.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const zoneRoom = (zone: number): ArenaRoom | undefined => [...arenaRooms.values()].find((r) => r.zone?.zone === zone)

describe('zone rooms', () => {
  it('should create a zone room again when it is lost soon after its creation', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, zones: { columns: 2, rows: 1 } })
    try {
      const t0 = Date.now()
      while (zoneRoom(1) === undefined) {
        if (Date.now() - t0 > 15_000) throw new Error('timed out waiting for zone 1')
        await sleep(20)
      }
      const first = zoneRoom(1)!
      const lostAt = Date.now()
      // the room goes (its process would crash) a moment after it was made
      await first.disconnect()
      let again: ArenaRoom | undefined
      while ((again = zoneRoom(1)) === undefined || again === first) {
        if (Date.now() - lostAt > 15_000) break
        await sleep(50)
      }
      expect(again).toBeDefined()
      expect(again).not.toBe(first)
      // within two creation windows and the server's two looks a second apart
      expect(Date.now() - lostAt).toBeLessThan(13_000)
    } finally {
      await server.stop()
    }
  })
})
