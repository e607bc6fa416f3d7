import { Client, type Room } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { parseArenaOptions } from '../src/arena-options'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { checkFrame, MAX_FRAME_BYTES } from '../src/frame-check'
import { createClientGuard, Verdict } from '../src/messages'
import { startServer, type RunningServer } from '../src/server'

// WebSocket-level fuzz against a real server on 127.0.0.1: raw `ws` sockets send what no real client
// sends (garbage, text, truncated and oversized frames, unused protocol codes), sdk clients send
// unknown message types and floods, joins carry bad options. Meanwhile three well-behaved sdk clients
// move around: they must keep receiving patches, never hold an entity outside their view, and the
// server must stay up; every offender is dropped with a reason.

let server: RunningServer
let base: string

beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', bots: 150, seed: 11 })
  base = `127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A seeded PRNG (mulberry32), so a failing frame can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Closed {
  code: number
  reason: string
}

/** A raw WebSocket joined to the arena (seat reserved over HTTP, JOIN_ROOM acknowledged). */
async function rawJoin(): Promise<{ ws: WebSocket; closed: Promise<Closed> }> {
  const res = await fetch(`http://${base}/matchmake/joinOrCreate/arena`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const seat = (await res.json()) as { processId: string; roomId: string; sessionId: string }
  const ws = new WebSocket(`ws://${base}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`)
  const closed = new Promise<Closed>((ok) => ws.on('close', (code, reason) => ok({ code, reason: reason.toString() })))
  await new Promise((ok, fail) => {
    ws.once('message', ok)
    ws.once('error', fail)
  })
  ws.send(Uint8Array.of(10)) // JOIN_ROOM acknowledgement, as the sdk sends it
  return { ws, closed }
}

/** Resolves with the close, or rejects after `ms`. */
const within = <T,>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: nothing within ${ms} ms`)))])

/** A `move` frame as the sdk encodes it: ROOM_DATA, fixstr "move", then msgpack. */
const MOVE_HEAD = [13, 0xa4, 0x6d, 0x6f, 0x76, 0x65]

/** Frames no real client sends, each with the close code the server must answer with. */
function badFrames(): { name: string; frame: Uint8Array | string; code: number }[] {
  const rnd = prng(12)
  const frames: { name: string; frame: Uint8Array | string; code: number }[] = [
    { name: 'text frame', frame: 'hello server', code: 4002 },
    { name: 'empty frame', frame: new Uint8Array(0), code: 4002 },
    { name: 'data frame without a type', frame: Uint8Array.of(13), code: 4002 },
    { name: 'truncated type', frame: Uint8Array.of(13, 0xa4, 0x6d), code: 4002 },
    { name: 'str8 type past the end', frame: Uint8Array.of(13, 0xd9, 200, 0x41), code: 4002 },
    { name: 'truncated msgpack map', frame: Uint8Array.of(...MOVE_HEAD, 0x82, 0xa2), code: 4002 },
    { name: 'never-used msgpack byte', frame: Uint8Array.of(...MOVE_HEAD, 0xc1), code: 4002 },
    { name: 'msgpack array claiming 2^32-1 items', frame: Uint8Array.of(...MOVE_HEAD, 0xdd, 255, 255, 255, 255, 1), code: 4002 },
    { name: 'deeply nested arrays', frame: Uint8Array.of(...MOVE_HEAD, ...new Array<number>(40).fill(0x91), 1), code: 4002 },
    { name: 'request frame', frame: Uint8Array.of(21, 1, 0xa4, 0x6d, 0x6f, 0x76, 0x65), code: 4002 },
    { name: 'bytes frame', frame: Uint8Array.of(17, 0xa4, 0x6d, 0x6f, 0x76, 0x65, 1, 2, 3), code: 4002 },
    { name: 'input frame', frame: Uint8Array.of(19, 1, 2, 3), code: 4002 },
    { name: 'unreliable input frame', frame: Uint8Array.of(20, 1, 2, 3), code: 4002 },
    { name: 'control frame with a tail', frame: Uint8Array.of(18, 1, 2), code: 4002 },
    { name: 'message above the arena limit (300 B)', frame: Uint8Array.of(...MOVE_HEAD, 0xc4, 255, ...new Array<number>(292).fill(7)), code: 4002 },
    // above the transport's maxPayload: ws itself closes with 1009 (message too big)
    { name: 'oversized message (64 KiB)', frame: new Uint8Array(64 * 1024).fill(13), code: 1009 },
  ]
  // random garbage, whose first byte is no code a client sends (10, 12, 13, 18)
  for (let i = 0; i < 12; i++) {
    const bytes = new Uint8Array(1 + Math.floor(rnd() * 200))
    for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(rnd() * 256)
    while ([10, 12, 13, 18].includes(bytes[0]!)) bytes[0] = Math.floor(rnd() * 256)
    frames.push({ name: `garbage #${i}`, frame: bytes, code: 4002 })
  }
  // random bytes after a valid `move` header: malformed or not, never a crash
  for (let i = 0; i < 12; i++) {
    const tail = new Uint8Array(1 + Math.floor(rnd() * 60))
    for (let k = 0; k < tail.length; k++) tail[k] = Math.floor(rnd() * 256)
    frames.push({ name: `move with random payload #${i}`, frame: Uint8Array.of(...MOVE_HEAD, ...tail), code: -1 })
  }
  return frames
}

interface Good {
  room: Room
  session: string
  patches: number
  checks: number
  leaks: string[]
}

const keysOf = (room: Room): string[] => {
  const entities = (room.state as { entities?: Map<string, unknown> } | undefined)?.entities
  return entities ? [...entities.keys()] : []
}

describe('arena under a WebSocket-level fuzz', () => {
  it('should drop every offender with a reason while the other clients keep receiving patches, without a leak or a crash', async () => {
    const sdk = new Client(`http://${base}`)
    const goods: Good[] = []
    for (let i = 0; i < 3; i++) {
      const room = await sdk.joinOrCreate('arena')
      room.onMessage('destroyed', () => {})
      const g: Good = { room, session: room.sessionId, patches: 0, checks: 0, leaks: [] }
      room.onStateChange(() => g.patches++)
      goods.push(g)
    }
    const arena = arenaRooms.get(goods[0]!.room.roomId) as ArenaRoom
    const warn = console.warn
    const error = console.error
    const logged: string[] = []
    console.warn = (...a: unknown[]) => logged.push(a.map(String).join(' '))
    console.error = (...a: unknown[]) => logged.push(a.map(String).join(' '))

    // the server side of the leak check (as in arena-sync.test.ts): what each view held in the last
    // patches; a client may hold only keys from those, and never a hidden or other-team entity
    const history = new Map<string, Set<string>[]>()
    arena.afterSync = (r) => {
      for (const c of r.clients) {
        const h = history.get(c.sessionId) ?? []
        h.push(new Set(r.plugins.attention.viewMembers(c.sessionId).map((e) => r.keyOf(e))))
        if (h.length > 20) h.shift() // a second of patches: the clients share this busy process
        history.set(c.sessionId, h)
      }
    }
    const forbidden = (session: string, key: string): boolean => {
      const eid = arena.entityOf(key)
      const a = arena.arena
      if (eid === -1) return false
      if (a.mood[eid] === 'ghost') return true
      return a.mood[eid] === 'scout' && a.C.Team.id[eid] !== a.C.Team.id[arena.playerEntity(session)]
    }
    const check = (): void => {
      for (const g of goods) {
        const h = history.get(g.session)
        if (h === undefined || h.length === 0) continue
        g.checks++
        for (const k of keysOf(g.room)) if (!h.some((s) => s.has(k)) || forbidden(g.session, k)) g.leaks.push(k)
      }
    }
    let driving = true
    const drive = (async () => {
      for (let i = 0; driving && i < 2000; i++) {
        for (const g of goods) g.room.send('move', { dx: Math.sin(i / 7), dy: Math.cos(i / 11) })
        check()
        await sleep(50)
      }
    })()

    try {
      await sleep(500)
      const before = goods.map((g) => g.patches)

      // 1. raw frames no client sends: each socket is closed with a code and (4002) a reason
      for (const f of badFrames()) {
        const { ws, closed } = await rawJoin()
        ws.send(f.frame)
        if (f.code === -1) {
          // random payload after a valid header: either dropped as malformed or handled as a (bad) move
          const r = await Promise.race([closed, sleep(300).then(() => null)])
          if (r !== null) expect(r.code, f.name).toBe(4002)
          else {
            // still connected: leave as the sdk does (a dropped socket would keep its seat for 20 s)
            ws.send(Uint8Array.of(12))
            expect((await within(closed, 3000, f.name)).code).toBe(4000)
          }
          continue
        }
        const r = await within(closed, 3000, f.name)
        expect(r.code, f.name).toBe(f.code)
        if (f.code === 4002) expect(r.reason, f.name).toMatch(/^protocol: /)
      }

      // 2. a raw socket that floods: thousands of valid `move` frames at once
      {
        const { ws, closed } = await rawJoin()
        const move = Uint8Array.of(...MOVE_HEAD, 0x82, 0xa2, 0x64, 0x78, 0x00, 0xa2, 0x64, 0x79, 0x00)
        for (let i = 0; i < 3000; i++) ws.send(move)
        const r = await within(closed, 5000, 'raw flood')
        expect(r.code).toBe(4002)
        expect(r.reason).toMatch(/^flood: /)
      }

      // 3. sdk clients: a flood, and unknown message types; each hears why (onError) and is not reconnected
      for (const attack of ['flood', 'unknown'] as const) {
        const bad = await sdk.joinOrCreate('arena')
        bad.onMessage('*', () => {})
        const errors: string[] = []
        bad.onError((_code, message) => errors.push(String(message)))
        const left = new Promise<Closed>((ok) => bad.onLeave((code, reason) => ok({ code, reason: String(reason ?? '') })))
        if (attack === 'flood') for (let i = 0; i < 2000; i++) bad.send('move', { dx: 0, dy: 0 })
        else for (let i = 0; i < 80; i++) bad.send(`teleport-${i % 5}`, { x: 1e9, y: -1e9 })
        const r = await within(left, 5000, attack)
        expect(r.code, attack).toBe(4002)
        expect(errors.join(' '), attack).toMatch(attack === 'flood' ? /flood/ : /too many rejected messages/)
      }

      // 4. joins with bad options: refused at matchmaking, naming the option
      const badOptions: [unknown, RegExp][] = [
        [{ bots: 'lots' }, /bots must be an integer/],
        [{ bots: 1e12 }, /bots must be an integer in \[0, 20000\]; got 1000000000000/],
        [{ tickMs: 'NaN' }, /tickMs must be an integer in \[10, 1000\]; got "NaN"/],
        [{ tickMs: 0.01 }, /tickMs/],
        [{ tickMs: -1 }, /tickMs/],
        [{ entryBudget: 1e9 }, /entryBudget/],
        [{ seed: { $gt: 1 } }, /seed/],
        [{ attention: 'yes' }, /attention must be a boolean/],
        [Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])), /at most 32 keys/],
      ]
      for (const [options, why] of badOptions) {
        await expect(sdk.joinOrCreate('arena', options as Record<string, unknown>), JSON.stringify(options).slice(0, 60)).rejects.toThrow(why)
        await expect(sdk.create('arena', options as Record<string, unknown>)).rejects.toThrow(why)
      }
      // an array as options, nested or large values, over plain HTTP (Colyseus reads any body size;
      // the room refuses to keep it)
      for (const body of ['[1,2,3]', '{"a":{"b":{"c":[1,2]}}}', JSON.stringify({ junk: 'x'.repeat(2_000_000) })]) {
        const res = await fetch(`http://${base}/matchmake/joinOrCreate/arena`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        expect(res.status).toBe(400)
      }
      // a socket to a room that does not exist, and one without a seat
      for (const path of ['/nope/nope?sessionId=x', '/']) {
        const ws = new WebSocket(`ws://${base}${path}`)
        const r = await within(new Promise<Closed>((ok) => ws.on('close', (code, reason) => ok({ code, reason: reason.toString() }))), 3000, path)
        expect(r.code).toBeGreaterThanOrEqual(1000)
      }

      // the well-behaved clients kept receiving patches through all of it (20 per second)
      const during = goods.map((g, i) => g.patches - before[i]!)
      for (const d of during) expect(d).toBeGreaterThan(20)
      const mid = goods.map((g) => g.patches)
      await sleep(1000)
      for (const [i, g] of goods.entries()) expect(g.patches - mid[i]!).toBeGreaterThan(10)
      // every offender is gone from the room, its player entity too: only the three good clients remain
      expect(arena.clients.length).toBe(3)
      let players = 0
      for (const eid of arena.arena.live) if (arena.arena.kindOf(eid) === 'player') players++
      expect(players).toBe(3)
      // and the server still takes new clients
      const late = await sdk.joinOrCreate('arena')
      await sleep(300)
      expect(keysOf(late).length).toBeGreaterThan(0)
      await late.leave(true)
    } finally {
      driving = false
      await drive
      arena.afterSync = null
      console.warn = warn
      console.error = error
    }
    for (const g of goods) {
      expect(g.leaks, `leaks for ${g.session}`).toEqual([])
      expect(g.checks).toBeGreaterThan(40)
    }
    // each offender is logged a bounded number of times, never once per message
    expect(logged.length).toBeLessThan(400)
    for (const g of goods) await g.room.leave(true)
  })
})

describe('checkFrame', () => {
  it('should accept what the sdk sends and name what it never sends', () => {
    // join ack, leave, ping; `move` {dx: 1, dy: 0} as msgpackr record; a numeric type without payload
    for (const ok of [[10], [12], [18], [...MOVE_HEAD, 0xd4, 0x72, 0x40, 0x92, 0xa2, 0x64, 0x78, 0xa2, 0x64, 0x79, 0x01, 0x00], [13, 7], [13, 0xa4, 0x6d, 0x6f, 0x76, 0x65, 0xc0]]) {
      expect(checkFrame(Uint8Array.from(ok)), JSON.stringify(ok)).toBeNull()
    }
    expect(checkFrame(new Uint8Array(0))).toMatch(/empty/)
    expect(checkFrame(new Uint8Array(MAX_FRAME_BYTES + 1).fill(13))).toMatch(/at most 256/)
    expect(checkFrame(Uint8Array.of(99))).toMatch(/unexpected frame code 99/)
    expect(checkFrame(Uint8Array.of(13, 0xa9, 0x61))).toMatch(/truncated message type/)
    expect(checkFrame(Uint8Array.of(...MOVE_HEAD, 0x92, 0x01))).toMatch(/malformed or truncated msgpack/)
    expect(checkFrame(Uint8Array.of(...MOVE_HEAD, 0xc1))).toMatch(/malformed/)
  })
})

describe('parseArenaOptions', () => {
  it('should return valid options and name the option, the value and the range otherwise', () => {
    expect(parseArenaOptions(undefined)).toEqual({})
    expect(parseArenaOptions({ tickMs: 50, bots: 10, attention: false, name: 'ann' })).toEqual({ tickMs: 50, bots: 10, attention: false, name: 'ann' })
    expect(parseArenaOptions({ tickMs: '24' })).toBe('arena option tickMs must be an integer in [10, 1000]; got "24"')
    expect(parseArenaOptions({ entryBudget: Number.NaN })).toBe('arena option entryBudget must be an integer in [1, 65535]; got NaN')
    expect(parseArenaOptions('x')).toBe('arena options must be an object; got "x"')
    expect(parseArenaOptions({ nested: { a: 1 } })).toMatch(/option nested must be a number, a boolean or a string/)
    expect(parseArenaOptions({ engineThreads: 9 })).toBe('arena option engineThreads must be an integer in [1, 8]; got 9')
    expect(parseArenaOptions({ engineThreads: 2, scorer: 'learned' })).toMatch(/engineThreads must be 1 with scorer "learned"/)
    expect(parseArenaOptions({ engineThreads: 2 })).toEqual({ engineThreads: 2 })
    expect(parseArenaOptions({ enginePipelined: true })).toBe('arena option enginePipelined needs engineThreads of 2 or more; got engineThreads 1')
    expect(parseArenaOptions({ engineThreads: 2, enginePipelined: 'yes' })).toBe('arena option enginePipelined must be a boolean; got "yes"')
    expect(parseArenaOptions({ engineThreads: 2, enginePipelined: true })).toEqual({ engineThreads: 2, enginePipelined: true })
  })

  it('should refuse engine threads the server cannot run, at start, naming the option', async () => {
    await expect(startServer({ port: 0, host: '127.0.0.1', engineThreads: 0 })).rejects.toThrow('startServer: arena option engineThreads must be an integer in [1, 8]; got 0')
    await expect(startServer({ port: 0, host: '127.0.0.1', engineThreads: 2, scorer: 'learned' })).rejects.toThrow(/engineThreads must be 1 with scorer "learned"/)
    await expect(startServer({ port: 0, host: '127.0.0.1', enginePipelined: true, engineThreads: 1 })).rejects.toThrow(/enginePipelined needs engineThreads of 2 or more; got engineThreads 1/)
    await expect(startServer({ port: 0, host: '127.0.0.1', enginePipelined: true, scorer: 'learned' })).rejects.toThrow(/engineThreads must be 1 with scorer "learned"/)
  })
})

describe('createClientGuard', () => {
  it('should handle messages within the rate, drop the excess, and kick a flood or a client out of strikes', () => {
    const g = createClientGuard({ rate: 10, burst: 5, kickRate: 20, maxStrikes: 3 })
    const verdicts: Verdict[] = []
    for (let i = 0; i < 21; i++) verdicts.push(g.admit('a', 1000))
    expect(verdicts.slice(0, 5).every((v) => v === Verdict.Handle)).toBe(true)
    expect(verdicts.slice(5, 20).every((v) => v === Verdict.Drop)).toBe(true)
    expect(verdicts[20]).toBe(Verdict.Kick)
    // a new second, the bucket refilled
    expect(g.admit('a', 2500)).toBe(Verdict.Handle)
    expect([g.strike('b', 0), g.strike('b', 1), g.strike('b', 2), g.strike('b', 3)]).toEqual([false, false, false, true])
    // strikes expire after ten seconds
    expect(g.strike('b', 20_000)).toBe(false)
  })
})
