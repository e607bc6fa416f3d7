import { addComponent, hasComponent } from 'bitecs'
import type express from 'express'
import { arenaRooms, type ArenaRoom } from './arena-room'

type Req = express.Request
type Res = express.Response

/** Finds the room and the client's observer entity named by the query, or answers 404. */
function locate(req: Req, res: Res): { room: ArenaRoom; observer: number } | null {
  const room = arenaRooms.get(String(req.query.room ?? ''))
  if (room === undefined) {
    res.status(404).json({ error: 'no such room' })
    return null
  }
  const session = String(req.query.session ?? '')
  const observer = room.playerEntity(session)
  // a request sent just before the player crossed into another zone: nothing to show here any more
  if (observer === -1 && room.wasHandedOver(session)) {
    res.status(204).end()
    return null
  }
  if (observer === -1) {
    res.status(404).json({ error: 'no such session in this room' })
    return null
  }
  return { room, observer }
}

/**
 * The `/debug/world` answer: every live entity of the room (column arrays, one index per entity),
 * with its band in the asking client's interest set (-1: not a member).
 */
export interface DebugWorld {
  tick: number
  keys: string[]
  x: number[]
  y: number[]
  kinds: string[]
  teams: number[]
  bands: number[]
}

/**
 * Debug endpoints (only mounted with ATTENTION_DEBUG=1): the server-side interest set of a client,
 * the whole world as that client's debug layer draws it, and the engine's explanation of one entity
 * for that client. They show what a client may not see: never mount them in production. They are
 * unauthenticated GETs open to any origin, so with debug on the server listens on 127.0.0.1 unless
 * given a host (startServer).
 */
export function mountDebugRoutes(app: express.Application): void {
  app.use('/debug', (_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    next()
  })
  app.get('/debug/interest', (req, res) => {
    const found = locate(req, res)
    if (found === null) return
    const { room, observer } = found
    const sys = room.arena.attention
    const members: string[] = []
    const weights: number[] = []
    const bands: number[] = []
    for (let i = 0; i < sys.memberCount(observer); i++) {
      members.push(room.keyOf(sys.memberAt(observer, i)))
      weights.push(sys.weightAt(observer, i))
      bands.push(sys.bandAt(observer, i))
    }
    const session = String(req.query.session)
    res.json({
      tick: sys.tick,
      self: room.keyOf(observer),
      budget: room.arena.C.Observer.budget[observer],
      members,
      weights,
      bands,
      // what the client's StateView holds right now (members still waiting for the entry budget are not in it yet)
      view: room.plugins.attention.viewMembers(session).map((e) => room.keyOf(e)),
      pending: room.plugins.attention.pendingOf(session),
      total: room.arena.live.size,
    })
  })
  app.get('/debug/world', (req, res) => {
    const found = locate(req, res)
    if (found === null) return
    const { room, observer } = found
    const { arena } = room
    const sys = arena.attention
    const bandOf = new Map<number, number>()
    for (let i = 0; i < sys.memberCount(observer); i++) bandOf.set(sys.memberAt(observer, i), sys.bandAt(observer, i))
    const world: DebugWorld = { tick: sys.tick, keys: [], x: [], y: [], kinds: [], teams: [], bands: [] }
    for (const eid of arena.live) {
      world.keys.push(room.keyOf(eid))
      world.x.push(Math.round(arena.C.Position.x[eid]! * 10) / 10)
      world.y.push(Math.round(arena.C.Position.y[eid]! * 10) / 10)
      world.kinds.push(arena.kindOf(eid))
      world.teams.push(arena.C.Team.id[eid] ?? 0)
      world.bands.push(bandOf.get(eid) ?? -1)
    }
    res.json(world)
  })
  // zoned world: the zone rooms of this process, their border exchange counters, and the keys of
  // their hidden and team-only entities (what must never reach another zone's clients)
  app.get('/debug/zones', (_req, res) => {
    const rooms = []
    for (const room of arenaRooms.values()) {
      if (room.zone === null || room.border === null) continue
      const C = room.arena.C
      const hidden: string[] = []
      const teamOnly: [string, number][] = []
      for (const eid of room.arena.live) {
        if (hasComponent(room.arena.world, eid, C.Hidden)) hidden.push(room.keyOf(eid))
        else if (hasComponent(room.arena.world, eid, C.TeamOnly)) teamOnly.push([room.keyOf(eid), C.Team.id[eid]!])
      }
      rooms.push({ roomId: room.roomId, zone: room.zone.zone, clients: room.clients.length, entities: room.arena.live.size, stats: room.border.stats, hidden, teamOnly, tickMs: room.tickTimes.slice(-200) })
    }
    res.json({ pid: process.pid, rooms })
  })
  // spawns a bot moving at a constant velocity in a zone room of this process (tests and tools)
  app.get('/debug/spawn', (req, res) => {
    const zone = Number(req.query.zone)
    const room = [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
    if (room === undefined) {
      res.status(404).json({ error: 'no room of that zone in this process' })
      return
    }
    const n = (k: string): number => Number(req.query[k] ?? 0)
    const { world, C } = room.arena
    const eid = room.arena.spawnBot(n('x'), n('y'), { vx: n('vx'), vy: n('vy') })
    if (req.query.hidden === '1') addComponent(world, eid, C.Hidden)
    if (req.query.team !== undefined) {
      addComponent(world, eid, C.Team)
      C.Team.id[eid] = n('team')
      addComponent(world, eid, C.TeamOnly)
    }
    res.json({ key: room.keyOf(eid) })
  })
  // despawns a local entity of a zone room of this process by key (a player too: its client's seat
  // ends, as on any removal of a player's entity)
  app.get('/debug/despawn', (req, res) => {
    const zone = Number(req.query.zone)
    const room = [...arenaRooms.values()].find((r) => r.zone?.zone === zone)
    const eid = room === undefined ? -1 : room.entityOf(String(req.query.key ?? ''))
    if (room === undefined || eid === -1 || !room.arena.live.has(eid)) {
      res.status(404).json({ error: 'no such entity in a zone room of this process' })
      return
    }
    room.arena.despawn(eid)
    res.json({ ok: true })
  })
  app.get('/debug/explain', (req, res) => {
    const found = locate(req, res)
    if (found === null) return
    const entity = found.room.entityOf(String(req.query.entity ?? ''))
    if (entity === -1) {
      res.status(404).json({ error: 'entity must be the key of a live entity of this room' })
      return
    }
    res.json(found.room.arena.attention.explain(found.observer, entity))
  })
}
