import { matchMaker } from '@colyseus/core'
import { Client, type Room } from '@colyseus/sdk'
import { createEntityKeys } from 'colyseus-attention'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getJson, startProcess, startRedis, zonesOf, type ServerProcess, type TestRedis } from '../scripts/processes'
import { arenaRooms } from '../src/arena-room'
import { startServer } from '../src/server'

// A zoned arena (2x1 zones) on two server processes sharing a real redis-server on 127.0.0.1,
// with real @colyseus/sdk clients. Zone 0 is x < 800, zone 1 is x >= 800; the border margin is 280.
// `npm test` runs this file on its own, after the others: three processes and a redis-server share
// two cores badly with a dozen real-server suites, and a second process that registers late gets no
// zone (the server places them after at most 15 s).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// one entity key secret for the whole world (every process): an entity keeps its key from zone to zone
const ENV = { ZONES: '2x1', BOTS: '30', SEED: '3', ATTENTION_DEBUG: '1', CLUSTER_PROCESSES: '2', ENTITY_KEY_SECRET: createEntityKeys().secret }

let redis: TestRedis
let procs: ServerProcess[] = []
const clients: Room[] = []

interface EntityLike {
  x?: number
  y?: number
  cx?: number
  cy?: number
  kind?: string
}
const entitiesOf = (room: Room): Map<string, EntityLike> => (room.state as { entities?: Map<string, EntityLike> } | undefined)?.entities ?? new Map()
const keysOf = (room: Room): string[] => [...entitiesOf(room).keys()]

/** Joins zone `zone` at (x, y) facing `angle`, through process `via`. */
async function joinAt(via: ServerProcess, zone: number, x: number, y: number, angle: number): Promise<Room> {
  const room = await new Client(via.url).join('arena', { zone, x, y })
  room.onMessage('destroyed', () => {})
  room.onMessage('handover', () => {})
  room.send('face', { angle })
  clients.push(room)
  return room
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now()
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
  return Date.now() - t0
}

async function spawnIn(zone: number, q: string): Promise<string> {
  const z = (await zonesOf(procs)).find((r) => r.zone === zone)!
  return (await getJson<{ key: string }>(`${z.proc.url}/debug/spawn?zone=${zone}&${q}`)).key
}

beforeAll(async () => {
  redis = await startRedis()
  procs = await Promise.all([startProcess({ ...ENV, REDIS_URL: redis.url }), startProcess({ ...ENV, REDIS_URL: redis.url })])
  await until('both zone rooms', async () => (await zonesOf(procs)).length === 2, 20_000)
}, 60_000)

afterAll(async () => {
  for (const r of clients) await Promise.race([r.leave().catch(() => {}), sleep(500)])
  for (const p of procs) await p.stop()
  await redis?.stop()
})

describe('zoned arena on several processes', () => {
  it('should place the zone rooms on different processes', async () => {
    const zones = await zonesOf(procs)
    expect(new Set(zones.map((z) => z.proc.port)).size).toBe(2)
  })

  it('should show an observer near the border the entities across it within a bounded delay, and never hidden or team-only ones', async () => {
    // the observer joins zone 1 through the process that does NOT host it: any process serves any room
    const zones = await zonesOf(procs)
    const other = procs.find((p) => p !== zones[1]!.proc)!
    const obs = await joinAt(other, 1, 830, 300, Math.PI)
    await until('first patch', () => keysOf(obs).length > 0, 5000)
    const plain = await spawnIn(0, 'x=790&y=300')
    const t0 = Date.now()
    const hidden = await spawnIn(0, 'x=792&y=310&hidden=1')
    const scout1 = await spawnIn(0, 'x=788&y=290&team=1')
    const scout2 = await spawnIn(0, 'x=788&y=295&team=2')
    await until('the plain bot across the border', () => entitiesOf(obs).has(plain), 2000)
    const delay = Date.now() - t0
    expect(delay).toBeLessThan(1000)
    // from now on, at every patch: no hidden or team-only entity of zone 0, whatever the team
    const forbidden = new Set([hidden, scout1, scout2])
    for (const z of await zonesOf(procs)) if (z.zone === 0) for (const k of [...z.hidden, ...z.teamOnly.map(([k]) => k)]) forbidden.add(k)
    let patches = 0
    const leaks: string[] = []
    obs.onStateChange(() => {
      patches++
      for (const k of keysOf(obs)) if (forbidden.has(k)) leaks.push(k)
    })
    await sleep(1500)
    expect(patches).toBeGreaterThan(3)
    expect(leaks).toEqual([])
    const z1 = (await zonesOf(procs)).find((z) => z.zone === 1)!
    expect(z1.stats.ghosts).toBeGreaterThan(0)
    expect(z1.stats.dropped).toBe(0)
  })

  it('should hand over a bot crossing the border with no gap or duplicate for observers on both sides', async () => {
    const a = await joinAt(procs[0]!, 0, 700, 1000, 0)
    const b = await joinAt(procs[1]!, 1, 930, 1000, Math.PI)
    await until('first patches', () => keysOf(a).length > 0 && keysOf(b).length > 0, 5000)
    const before = (await zonesOf(procs)).find((z) => z.zone === 1)!.stats.handedIn
    const key = await spawnIn(0, 'x=770&y=1010&vx=40&vy=0')
    await until('the bot in both views', () => entitiesOf(a).has(key) && entitiesOf(b).has(key), 2000)
    const gaps = { a: 0, b: 0 }
    let dup = 0
    let samples = 0
    const check = (r: Room, side: 'a' | 'b'): void => {
      const es = entitiesOf(r)
      const e = es.get(key)
      if (e === undefined) {
        gaps[side]++
        return
      }
      // a duplicate would be a second entity at the bot's place (coarse position, whole units)
      for (const [k, o] of es) if (k !== key && o.kind === 'bot' && Math.abs((o.cx ?? 0) - (e.cx ?? 0)) <= 1 && Math.abs((o.cy ?? 0) - (e.cy ?? 0)) <= 1) dup++
    }
    a.onStateChange(() => {
      samples++
      check(a, 'a')
    })
    b.onStateChange(() => check(b, 'b'))
    // from x=770 across 800 to about x=850 (still within both observers' focus)
    await sleep(2000)
    expect(samples).toBeGreaterThan(20)
    expect(gaps).toEqual({ a: 0, b: 0 })
    expect(dup).toBe(0)
    const after = (await zonesOf(procs)).find((z) => z.zone === 1)!.stats.handedIn
    expect(after).toBeGreaterThan(before)
  })

  it('should move a player crossing the border to the neighbouring room, keeping its key and what it saw', async () => {
    const watcher = await joinAt(procs[0]!, 0, 740, 600, 0)
    let watcherKey = ''
    // the overlay says which entity is the watcher's own
    watcher.onMessage('attention', (m: { self: string }) => (watcherKey = m.self))
    watcher.send('overlay')
    const player = await joinAt(procs[1]!, 0, 785, 600, Math.PI)
    await until('first patches', () => watcherKey !== '' && entitiesOf(player).has(watcherKey), 5000)
    const seen = new Set(keysOf(player))
    let moved: Room | null = null
    let selfKey = ''
    player.onMessage('handover', (m: { zone: number; key: string; token: string }) => {
      selfKey = m.key
      void new Client(procs[0]!.url).join('arena', { zone: m.zone, resume: m.key, resumeToken: m.token }).then((r) => {
        r.onMessage('destroyed', () => {})
        r.onMessage('handover', () => {})
        clients.push(r)
        moved = r
        void player.leave()
      })
    })
    player.send('move', { dx: 1, dy: 0 })
    await until('the handover', () => moved !== null, 5000)
    const next = moved as unknown as Room
    await until('the new room state', () => keysOf(next).length > 0, 3000)
    expect(next.roomId).not.toBe(player.roomId)
    // the player kept its key, and still sees the watcher (a ghost of zone 0 now)
    expect(entitiesOf(next).has(selfKey)).toBe(true)
    expect(entitiesOf(watcher).has(selfKey)).toBe(true)
    await until('the player still sees the watcher', () => entitiesOf(next).has(watcherKey), 2000)
    const kept = [...seen].filter((k) => entitiesOf(next).has(k)).length
    expect(kept / seen.size).toBeGreaterThan(0.5)
  })

  it('should give a player crossing the border only to the client its old room sent the handover token to', async () => {
    // the victim's key is public (every client near it holds it in its state); an attacker that
    // knows it asks the neighbouring zone for the player over and over, before and during the crossing
    const victim = await joinAt(procs[1]!, 0, 785, 800, Math.PI)
    let self = ''
    // the first overlay says which entity is the victim's (once handed over, this room's say none)
    victim.onMessage('attention', (m: { self: string }) => (self ||= m.self))
    victim.send('overlay')
    await until('the victim key', () => self !== '', 5000)
    const victimKey = self
    const attacker = new Client(procs[0]!.url)
    const won: Room[] = []
    const refusals: string[] = []
    let attacking = true
    const attack = async (extra: Record<string, unknown>): Promise<void> => {
      while (attacking) {
        try {
          const r = await attacker.join('arena', { zone: 1, resume: victimKey, ...extra })
          clients.push(r)
          won.push(r)
        } catch (e) {
          refusals.push(e instanceof Error ? e.message : String(e))
        }
        await sleep(30)
      }
    }
    const attacks = [attack({}), attack({ resumeToken: '0123456789abcdef0123456789abcdef' }), attack({ resumeToken: victimKey })]
    await sleep(300)
    let moved: Room | null = null
    let token = ''
    let resumeError = ''
    victim.onMessage('handover', (m: { zone: number; key: string; token: string }) => {
      token = m.token
      // a slow client: the attacker's joins are in flight well before this one
      void sleep(300)
        .then(() => new Client(procs[0]!.url).join('arena', { zone: m.zone, resume: m.key, resumeToken: m.token }))
        .then(
          (r) => {
            r.onMessage('destroyed', () => {})
            r.onMessage('handover', () => {})
            clients.push(r)
            moved = r
            void victim.leave()
          },
          (e: unknown) => (resumeError = e instanceof Error ? e.message : String(e)),
        )
    })
    victim.send('move', { dx: 1, dy: 0 })
    await until('the victim in the new room (or its refusal)', () => moved !== null || resumeError !== '', 8000)
    await sleep(500)
    attacking = false
    await Promise.all(attacks)
    expect(resumeError).toBe('')
    expect(won.map((r) => r.roomId)).toEqual([])
    expect(refusals.length).toBeGreaterThan(3)
    for (const why of refusals) expect(why).toMatch(/handover token/)
    expect(refusals.some((why) => why.includes('resume needs the handover token'))).toBe(true)
    expect(refusals.some((why) => why.includes('wrong, spent or expired handover token'))).toBe(true)
    // the victim controls its player in the new room
    const next = moved as unknown as Room
    await until('the player in the new room', () => entitiesOf(next).has(victimKey), 3000)
    const x0 = entitiesOf(next).get(victimKey)!.cx!
    next.send('move', { dx: 1, dy: 0 })
    await until('the player moving', () => (entitiesOf(next).get(victimKey)?.cx ?? x0) > x0 + 5, 3000)
    // single use: the token that worked once gives nothing again
    await expect(new Client(procs[0]!.url).join('arena', { zone: 1, resume: victimKey, resumeToken: token })).rejects.toThrow(/handover token/)
  })

  it('should refuse clients creating zone rooms, and keep one room per zone', async () => {
    for (const p of procs) {
      // what the browser asks before it joins: only join here
      expect(await getJson(`${p.url}/arena-info`)).toEqual({ zoned: true })
      const c = new Client(p.url)
      await expect(c.create('arena', { zone: 0 })).rejects.toThrow(/invalid method "create"/)
      await expect(c.joinOrCreate('arena', { zone: 0 })).rejects.toThrow(/invalid method "joinOrCreate"/)
      await expect(c.joinOrCreate('arena', { zone: 7 })).rejects.toThrow(/invalid method "joinOrCreate"/)
    }
    await sleep(300)
    expect((await zonesOf(procs)).map((z) => z.zone).sort()).toEqual([0, 1])
    // joining a zone (or any) still works
    const r = await new Client(procs[0]!.url).join('arena', { zone: 0 })
    clients.push(r)
    r.onMessage('destroyed', () => {})
    r.onMessage('handover', () => {})
    expect((await zonesOf(procs)).find((z) => z.zone === 0)!.roomId).toBe(r.roomId)
  })

  it('should keep serving each zone while Redis is down, report the loss, and resume cross-border traffic when it is back', async () => {
    const obs = await joinAt(procs[1]!, 1, 830, 1400, Math.PI)
    await until('first patch', () => keysOf(obs).length > 0, 5000)
    await redis.kill()
    for (const p of procs) await p.waitFor(/presence link lost/, 10_000)
    let patches = 0
    obs.onStateChange(() => patches++)
    await sleep(1000)
    expect(patches).toBeGreaterThan(10)
    for (const z of await zonesOf(procs)) expect(z.stats.linkUp).toBe(false)
    await redis.restart()
    for (const p of procs) await p.waitFor(/presence link is back/, 15_000)
    const key = await spawnIn(0, 'x=790&y=1400')
    await until('a bot across the border after the outage', () => entitiesOf(obs).has(key), 3000)
    // while the rooms resubscribed to their border channels their zones looked missing for a moment;
    // no zone may get a second room for it (a zone check runs every second)
    await sleep(2000)
    expect((await zonesOf(procs)).map((z) => z.zone).sort()).toEqual([0, 1])
  })

  it('should expire the ghosts of a killed process while the other keeps serving its zone', async () => {
    const zones = await zonesOf(procs)
    expect(zones.map((z) => z.zone).sort(), 'one room per zone').toEqual([0, 1])
    const z0 = zones.find((z) => z.zone === 0)!
    const survivor = zones.find((z) => z.zone === 1)!.proc
    const obs = await joinAt(survivor, 1, 830, 200, Math.PI)
    const key = await spawnIn(0, 'x=790&y=200')
    await until('the ghost', () => entitiesOf(obs).has(key), 3000)
    z0.proc.kill()
    // the TTL is 1 s; the survivor also recreates zone 0's room meanwhile, which can stall it for a
    // moment, so the bounds leave room (a CI run once saw the ghost outlive 5 s: not explained yet)
    const gone = await until('the ghost to expire', () => !entitiesOf(obs).has(key), 10_000)
    expect(gone).toBeLessThan(8000)
    let patches = 0
    obs.onStateChange(() => patches++)
    await sleep(2000)
    // the survivor keeps serving its zone: patches with changes keep coming (how many depends on
    // what moves near the observer; a dead or stuck server sends none)
    expect(patches).toBeGreaterThan(3)
  })
})

describe('zoned arena without Redis', () => {
  it('should refuse to start with a clear error naming the Redis URL', async () => {
    const p = await startProcess({ ...ENV, REDIS_URL: 'redis://127.0.0.1:1' }, false)
    // with the socket's own reason, not ioredis' "Connection is closed."
    await p.waitFor(/Redis is not reachable at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*\. Start redis-server/, 15_000)
    await until('exit', () => p.child.exitCode !== null, 5000)
    expect(p.child.exitCode).toBe(1)
  })
})

describe('zone rooms in one process', () => {
  it('should refuse to create a second room for a zone that has a live one, whoever asks', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 10, seed: 3, zones: { columns: 2, rows: 1 } })
    try {
      const zoneRooms = () => [...arenaRooms.values()].filter((r) => r.zone !== null)
      await until('both zone rooms', () => zoneRooms().length === 2, 10_000)
      // the server's own matchmaker call (what a client's create could reach before) meets the room's check
      await expect(matchMaker.createRoom('arena', { zone: 0 })).rejects.toThrow(/zone 0 already has a live room/)
      await expect(new Client(`http://127.0.0.1:${server.port}`).create('arena', { zone: 1 })).rejects.toThrow(/invalid method "create"/)
      await sleep(300)
      expect(zoneRooms().map((r) => r.zone!.zone).sort()).toEqual([0, 1])
      // as the browser joins: any zone
      const r = await new Client(`http://127.0.0.1:${server.port}`).join('arena')
      expect(zoneRooms().map((z) => z.roomId)).toContain(r.roomId)
      await r.leave()
    } finally {
      await server.stop()
    }
    // the matchmaker's client methods are the process's: a one-room server started next offers them all again
    expect(matchMaker.controller.exposedMethods).toContain('joinOrCreate')
  })
})
