import { Client, type Room } from '@colyseus/sdk'
import { addComponent } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { startServer, type RunningServer } from '../src/server'
import { createOnceLogger } from '../src/messages'
import type { AttentionMessage } from '../src/state'

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
/** Resolves once `cond()` holds, polling every 10 ms; throws naming `what` after 5 s. */
const until = async (cond: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 5000
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}
const join = async (client: Client): Promise<Room> => {
  const room = await client.joinOrCreate('arena')
  room.onMessage('destroyed', () => {})
  return room
}
/** Collects the `attention` messages a client receives from now on. */
const overlays = (room: Room): AttentionMessage[] => {
  const heard: AttentionMessage[] = []
  room.onMessage('attention', (m: AttentionMessage) => heard.push(m))
  return heard
}

describe('arena message validation', () => {
  it('should reject malformed, out-of-range, unknown and flooding messages without hurting the room or other clients', async () => {
    const client = new Client(url)
    const bad = await join(client)
    const good = await join(client)
    const badOverlays = overlays(bad)
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
      const overlayPayloads: unknown[] = [null, 1, 'yes', {}, [true], { on: true }]
      for (const p of overlayPayloads) bad.send('overlay', p)
      for (const p of overlayPayloads) bad.send('full-state', p)
      bad.send('teleport', { x: 0, y: 0 })
      bad.send(7 as unknown as string, {})
      await sleep(300)
      // nothing moved the bad player: every move was rejected
      expect(P.x[badEid]).toBeCloseTo(start.x, 3)
      expect(P.y[badEid]).toBeCloseTo(start.y, 3)
      expect(arena.rejected.counts.get('move')).toBe(payloads.length)
      expect(arena.rejected.counts.get('face')).toBe(5)
      expect(arena.rejected.counts.get('unknown')).toBe(2)
      expect(arena.rejected.counts.get('overlay')).toBe(overlayPayloads.length)
      expect(arena.rejected.counts.get('full-state')).toBe(overlayPayloads.length)
      // no malformed `full-state` message started the full-state meter
      expect((arena as unknown as { fullState: unknown }).fullState).toBeNull()

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
      expect(entities.has(arena.keyOf(goodEid))).toBe(true)
      // and so does the bad one, once it behaves (after its bucket refills)
      await sleep(1500)
      bad.send('move', { dx: -1, dy: 0 })
      await sleep(400)
      expect(P.x[badEid]!).toBeLessThan(start.x - 5)
      // no malformed `overlay` message opted it in
      expect(badOverlays).toEqual([])
    } finally {
      console.warn = warn
    }
    await bad.leave(true)
    await good.leave(true)
  })
})

describe('the rejected-message log', () => {
  it('should log one line per client per kind of reason, whatever the client puts in the reason', () => {
    const lines: string[] = []
    const log = createOnceLogger((l) => void lines.push(l))
    // what a client controls goes after the kind: 48 made-up message types, bad moves, twice over
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 48; i++) log.warn('a', `unknown: message type "t${round}-${i}"`)
      log.warn('a', 'move: payload must be an object { dx, dy }')
      log.warn('a', 'move: dx and dy must be finite numbers in [-1, 1]')
    }
    log.warn('b', 'unknown: message type "x"')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain('unknown: message type "t0-0"')
    expect(log.counts.get('unknown')).toBe(97)
    expect(log.counts.get('move')).toBe(4)
    // a session that left is forgotten: its next line is logged again
    log.forget('a')
    log.warn('a', 'unknown: message type "again"')
    expect(lines).toHaveLength(4)
  })
})

describe('arena overlay opt-in', () => {
  it('should send the attention overlay only to clients that asked for it, until they ask to stop', async () => {
    const client = new Client(url)
    const asked = await join(client)
    const never = await join(client)
    const askedTrue = await join(client)
    const arena = arenaRooms.get(asked.roomId) as ArenaRoom
    const heard = overlays(asked)
    const heardTrue = overlays(askedTrue)
    // everything the other client receives besides patches, by type
    const neverGot: string[] = []
    never.onMessage('*', (type) => neverGot.push(String(type)))
    let neverPatches = 0
    never.onStateChange(() => neverPatches++)
    asked.send('overlay')
    askedTrue.send('overlay', true)
    await sleep(1500)
    // every fifth patch at 20 Hz: about 6 in 1.5 s
    expect(heard.length).toBeGreaterThanOrEqual(3)
    expect(heardTrue.length).toBeGreaterThanOrEqual(3)
    expect(heard.every((m) => m.self === arena.keyOf(arena.playerEntity(asked.sessionId)) && m.members.length > 0)).toBe(true)
    // a count budget only: the message names it and no byte budget; with a byte budget it names that too
    expect(heard.every((m) => m.budget === 24 && m.byteBudget === undefined)).toBe(true)
    const observer = arena.playerEntity(asked.sessionId)
    arena.arena.C.Observer.byteBudget[observer] = 4000
    const before = heard.length
    await sleep(600)
    expect(heard.length).toBeGreaterThan(before)
    expect(heard.at(-1)!.byteBudget).toBe(4000)
    arena.arena.C.Observer.byteBudget[observer] = 0
    expect(neverGot.filter((t) => t === 'attention')).toEqual([])
    expect(neverPatches).toBeGreaterThan(10)

    asked.send('overlay', false)
    await sleep(300) // one may have been on its way
    const stoppedAt = heard.length
    const otherAt = heardTrue.length
    await sleep(1000)
    expect(heard.length).toBe(stoppedAt)
    expect(heardTrue.length).toBeGreaterThan(otherAt)
    expect(neverGot.filter((t) => t === 'attention')).toEqual([])
    for (const r of [asked, never, askedTrue]) await r.leave(true)
  })

  it('should spread the overlay messages over the patches: each client every fifth patch, a fifth of them per patch', async () => {
    const client = new Client(url)
    const rooms: Room[] = []
    for (let i = 0; i < 10; i++) {
      const r = await join(client)
      overlays(r)
      rooms.push(r)
    }
    const arena = arenaRooms.get(rooms[0]!.roomId) as ArenaRoom
    // the patch each server-side `attention` send belongs to
    let patch = 0
    arena.afterSync = () => patch++
    const sentAt = new Map<string, number[]>()
    for (const c of arena.clients) {
      const send = c.send.bind(c) as (type: unknown, ...rest: unknown[]) => void
      ;(c as unknown as { send: typeof send }).send = (type, ...rest) => {
        if (type === 'attention') sentAt.set(c.sessionId, [...(sentAt.get(c.sessionId) ?? []), patch])
        send(type, ...rest)
      }
    }
    for (const r of rooms) r.send('overlay')
    await sleep(2000)
    arena.afterSync = null
    expect(sentAt.size).toBe(rooms.length)
    const perPatch = new Map<number, number>()
    for (const patches of sentAt.values()) {
      for (const p of patches) perPatch.set(p, (perPatch.get(p) ?? 0) + 1)
      // every fifth patch, once it asked
      for (let i = 1; i < patches.length; i++) expect(patches[i]! - patches[i - 1]!).toBe(5)
    }
    expect(Math.max(...perPatch.values())).toBe(rooms.length / 5)
    for (const r of rooms) await r.leave(true)
  })
})

describe('room-wide figures', () => {
  it('should count and meter only the entities every client may see, and keep the meter through on/off toggles', async () => {
    // no bots (no shots coming and going): the players and the beacons
    const quiet = await startServer({ port: 0, host: '127.0.0.1', bots: 0, seed: 3 })
    try {
      const room = await new Client(`http://127.0.0.1:${quiet.port}`).joinOrCreate('arena')
      room.onMessage('*', () => {})
      const arena = arenaRooms.get(room.roomId) as ArenaRoom
      const { world, C } = arena.arena
      const total = (): number => (room.state as { total: number }).total
      await until(() => total() > 0, 'the first count')
      const base = total()
      room.send('full-state')
      const meter = (): { copies: Map<number, unknown> } | null => (arena as unknown as { fullState: { copies: Map<number, unknown> } | null }).fullState
      await until(() => meter() !== null, 'the meter')
      // a hidden bot and a team-only one, moving: nothing room-wide may change for them
      const hidden = arena.arena.spawnBot(800, 800, { vx: -30, vy: 0 })
      addComponent(world, hidden, C.Hidden)
      const scout = arena.arena.spawnBot(900, 800, { vx: 30, vy: 0 })
      addComponent(world, scout, C.Team)
      C.Team.id[scout] = 2
      addComponent(world, scout, C.TeamOnly)
      await sleep(400)
      expect(total()).toBe(base)
      expect(meter()!.copies.has(hidden)).toBe(false)
      expect(meter()!.copies.has(scout)).toBe(false)
      // a public one counts (the control)
      const bot = arena.arena.spawnBot(700, 800)
      await until(() => total() === base + 1, 'the public bot counted')
      expect(meter()!.copies.has(bot)).toBe(true)
      // toggled off and on again within the grace period: the same meter, not a rebuilt one
      const m = meter()
      room.send('full-state', false)
      await sleep(100)
      room.send('full-state', true)
      await sleep(100)
      expect(meter()).toBe(m)
      await room.leave(true)
    } finally {
      await quiet.stop()
    }
  })
})
