import { Client, type Room } from '@colyseus/sdk'
import { describe, expect, it } from 'vitest'
import { getJson, startProcess } from '../scripts/processes'
import { arenaRooms } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'
import { PLAYER_REMOVED_CLOSE_CODE, type AttentionMessage } from '../src/state'

// Debug mode shows a client what it may not see (the whole world, other clients' sets, why an entity
// was left out). Without ATTENTION_DEBUG=1 none of it may leave the server: no /debug route answers
// and no message carries more than the client's own attention overlay.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Joined {
  room: Room
  /** Every message the room received, by type. */
  messages: Map<string, unknown[]>
  /** Patch bytes received (state patch frames only). */
  patchBytes(): number
}

/** Joins like the demo page: asking for the overlay, and for the full-state figure unless `chart` is false. */
async function join(url: string, chart = true): Promise<Joined> {
  const room = await new Client(url).joinOrCreate('arena')
  room.send('overlay')
  if (chart) room.send('full-state')
  const messages = new Map<string, unknown[]>()
  room.onMessage('*', (type, payload: unknown) => {
    const k = String(type)
    messages.set(k, [...(messages.get(k) ?? []), payload])
  })
  let patchBytes = 0
  const conn = room.connection as unknown as { events: { onmessage?: ((e: MessageEvent) => void) | null } }
  const inner = conn.events.onmessage
  conn.events.onmessage = (e: MessageEvent) => {
    const data = e.data as ArrayBuffer
    // Protocol.ROOM_STATE_PATCH, modifier bits stripped
    if (data.byteLength > 0 && (new Uint8Array(data, 0, 1)[0]! & 0x1f) === 15) patchBytes += data.byteLength
    inner?.(e)
  }
  return { room, messages, patchBytes: () => patchBytes }
}

async function debugAnswers(server: RunningServer, j: Joined): Promise<number[]> {
  const base = `http://127.0.0.1:${server.port}/debug`
  const ids = `room=${encodeURIComponent(j.room.roomId)}&session=${encodeURIComponent(j.room.sessionId)}`
  // explained: the client's own entity, by its key
  const room = arenaRooms.get(j.room.roomId)!
  const self = encodeURIComponent(room.keyOf(room.playerEntity(j.room.sessionId)))
  const urls = [`${base}/world?${ids}`, `${base}/interest?${ids}`, `${base}/explain?${ids}&entity=${self}`]
  return Promise.all(urls.map(async (u) => (await fetch(u)).status))
}

describe('debug data', () => {
  it('should serve no debug data and send no world data without ATTENTION_DEBUG', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 120, seed: 5 })
    try {
      const j = await join(`http://127.0.0.1:${server.port}`)
      await sleep(1500)
      expect(await debugAnswers(server, j)).toEqual([404, 404, 404])
      expect([...j.messages.keys()].filter((t) => t !== 'attention' && t !== 'destroyed')).toEqual([])
      const attention = (j.messages.get('attention') ?? []) as AttentionMessage[]
      expect(attention.length).toBeGreaterThan(2)
      const room = arenaRooms.get(j.room.roomId)!
      const self = room.playerEntity(j.room.sessionId)
      for (const m of attention) {
        // only the overlay of this client's own set: no debug flag, no world, no one else's set
        expect(Object.keys(m).sort()).toEqual(['budget', 'fov', 'fullBps', 'members', 'radius', 'self'])
        expect(m.self).toBe(room.keyOf(self))
      }
      const held = (j.room.state as { entities: Map<string, unknown> }).entities.size
      expect(held).toBeLessThan(room.arena.live.size / 2)
      await j.room.leave()
    } finally {
      await server.stop()
    }
  })

  it('should serve the whole world and say so in the attention message with debug on', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 120, seed: 5, debug: true })
    try {
      const j = await join(`http://127.0.0.1:${server.port}`, false)
      await sleep(800)
      expect(await debugAnswers(server, j)).toEqual([200, 200, 200])
      const room = arenaRooms.get(j.room.roomId)!
      const self = room.playerEntity(j.room.sessionId)
      const worldUrl = `http://127.0.0.1:${server.port}/debug/world?room=${j.room.roomId}&session=${j.room.sessionId}`
      // compare within one engine tick: the room keeps ticking while the answer travels
      let checked = false
      for (let attempt = 0; attempt < 20 && !checked; attempt++) {
        const world = (await (await fetch(worldUrl)).json()) as { tick: number; keys: string[]; bands: number[] }
        if (world.tick !== room.arena.attention.tick) continue
        expect(world.keys.length).toBe(room.arena.live.size)
        expect(world.bands.filter((b) => b >= 0).length).toBe(room.arena.attention.memberCount(self))
        checked = true
      }
      expect(checked).toBe(true)
      const attention = (j.messages.get('attention') ?? []) as AttentionMessage[]
      expect(attention.length).toBeGreaterThan(0)
      expect(attention.every((m) => m.debug === true)).toBe(true)
      // the full-state figure goes only to clients that ask for it (the meter runs only for them)
      expect(attention.every((m) => m.fullBps === undefined)).toBe(true)
      await j.room.leave()
    } finally {
      await server.stop()
    }
  })

  it('should report a full-state cost close to what a client of the room without the plugin receives', async () => {
    const measure = async (attention: boolean): Promise<{ patchBps: number; fullBps: number }> => {
      const server = await startServer({ port: 0, host: '127.0.0.1', bots: 200, seed: 9, attention })
      try {
        const j = await join(`http://127.0.0.1:${server.port}`)
        await sleep(2500) // bots get going
        const b0 = j.patchBytes()
        const m0 = (j.messages.get('attention') ?? []).length
        const t0 = performance.now()
        await sleep(3000)
        const patchBps = ((j.patchBytes() - b0) * 1000) / (performance.now() - t0)
        const reports = ((j.messages.get('attention') ?? []) as AttentionMessage[]).slice(m0).map((m) => m.fullBps ?? Number.NaN)
        await j.room.leave()
        return { patchBps, fullBps: reports.length > 0 ? reports.reduce((a, b) => a + b, 0) / reports.length : Number.NaN }
      } finally {
        await server.stop()
      }
    }
    const withPlugin = await measure(true)
    const baseline = await measure(false)
    console.log(`full-state figure ${Math.round(withPlugin.fullBps)} B/s; a plugin-less client received ${Math.round(baseline.patchBps)} B/s; with the plugin ${Math.round(withPlugin.patchBps)} B/s`)
    // the same world without the plugin: what its client really receives is what the plugin's room says it would
    expect(withPlugin.fullBps / baseline.patchBps).toBeGreaterThan(0.85)
    expect(withPlugin.fullBps / baseline.patchBps).toBeLessThan(1.15)
    expect(withPlugin.patchBps).toBeLessThan(withPlugin.fullBps / 3)
  })
})

describe('debug routes in a zoned world', () => {
  it('should end the seat of a player the despawn route removed, leaving no session bound to its entity', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 20, seed: 5, debug: true, zones: { columns: 1, rows: 1 } })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const deadline = Date.now() + 10_000
      while (![...arenaRooms.values()].some((r) => r.zone !== null)) {
        if (Date.now() > deadline) throw new Error('the zone room did not come up')
        await sleep(50)
      }
      const victim = await new Client(url).join('arena', { zone: 0 })
      victim.onMessage('*', () => {})
      let left: { code: number; reason?: string } | null = null
      victim.onLeave((code, reason) => (left = { code, reason }))
      const room = arenaRooms.get(victim.roomId)!
      const victimEid = room.playerEntity(victim.sessionId)
      expect(victimEid).toBeGreaterThan(0)
      await getJson(`${url}/debug/despawn?zone=0&key=${encodeURIComponent(room.keyOf(victimEid))}`)
      expect(room.playerEntity(victim.sessionId)).toBe(-1)
      // the victim is told, and its seat ends (no reconnection attempt)
      const deadline2 = Date.now() + 3000
      while (left === null && Date.now() < deadline2) await sleep(20)
      expect(left).toEqual({ code: PLAYER_REMOVED_CLOSE_CODE, reason: 'arena: your player was removed from the game' })
      await sleep(100)
      expect(room.clients.get(victim.sessionId)).toBeUndefined()
      // bitECS hands the freed id to the next player at once: nothing of the victim's touches it
      const next = await new Client(url).join('arena', { zone: 0 })
      next.onMessage('*', () => {})
      const nextEid = room.playerEntity(next.sessionId)
      expect(nextEid).toBe(victimEid)
      await sleep(300)
      expect(room.arena.live.has(nextEid)).toBe(true)
      expect(room.playerEntity(next.sessionId)).toBe(nextEid)
      await next.leave()
    } finally {
      await server.stop()
    }
  })

  it('should listen on 127.0.0.1 only with debug on and no HOST given', async () => {
    const server = await startServer({ port: 0, bots: 10, debug: true })
    try {
      expect(server.host).toBe('127.0.0.1')
    } finally {
      await server.stop()
    }
    const proc = await startProcess({ ATTENTION_DEBUG: '1', HOST: '', BOTS: '10' })
    try {
      await proc.waitFor(/arena listening/)
      // the two lines are two writes: the second may come in a later chunk of the pipe
      await proc.waitFor(/debug routes on/)
      expect(proc.output()).toMatch(/arena listening on http:\/\/127\.0\.0\.1:\d+ /)
      expect(proc.output()).toMatch(/debug routes on: listening on 127\.0\.0\.1 only/)
      expect((await fetch(`${proc.url}/`)).status).toBe(200)
    } finally {
      await proc.stop()
    }
    // a host given is kept (another loopback address here)
    const given = await startServer({ port: 0, host: '127.0.0.2', bots: 10, debug: true })
    try {
      expect(given.host).toBe('127.0.0.2')
    } finally {
      await given.stop()
    }
  })
})
