// Owns the soak's leak oracle, on the server side: after every patch, each client's view must be a
// subset of its observer's interest set (same entity generation, so a recycled id is a different
// entity) with no hidden or other-team entity in it; once a second, what each client holds (sent by
// the parent process) must come from its recent views, and the real StateViews must agree with the
// plugin's record of them.
import { hasComponent } from 'bitecs'
import type { ArenaRoom } from '../../example-server/src/arena-room'
import type { CheckReply, Holding } from './protocol'

/** Patches a client's decoded state may lag behind its view (1 s at the arena's 50 ms). */
export const WINDOW = 20

/** Most leak descriptions kept for the report. */
const MAX_SAMPLES = 20

interface SessionViews {
  /** Patch at which each entity id was last in this session's view, -1 never. */
  lastSeen: Int32Array
  /** Patch since which each entity id has been in the view without a gap. */
  since: Int32Array
  /** The view's members after the last patch. */
  current: number[]
  /** Last patch at which this session had a view. */
  at: number
  /** Last patch at which its client was connected. */
  connectedAt: number
}

/** The server-side oracle; see the file header. */
export interface EntitlementOracle {
  /** Records and checks every client's view; the room calls it after each patch's sync. */
  afterSync(room: ArenaRoom): void
  /** Compares what clients hold with their recent views, and the StateViews with the plugin's record. */
  compare(room: ArenaRoom, holdings: Holding[]): CheckReply
  /** View members outside their entitlement, over the whole run. */
  readonly serverLeaks: number
  readonly patches: number
  readonly samples: string[]
}

/** Creates the oracle for entity ids below `capacity`. */
export function createEntitlementOracle(capacity: number): EntitlementOracle {
  const sessions = new Map<string, SessionViews>()
  const inSet = new Int32Array(capacity)
  // the entity each key named when it was last in a view (the room's keys are opaque and never
  // reused), and that patch: keys out of every view for a minute are forgotten, as sessions are
  const eidOfKey = new Map<string, number>()
  const keySeenAt = new Map<string, number>()
  let stamp = 0
  let patch = 0
  let serverLeaks = 0
  const samples: string[] = []
  const note = (line: string): void => {
    if (samples.length < MAX_SAMPLES) samples.push(line)
  }

  /** True when the arena's visibility rules keep `e` from observer `o` (Hidden, or TeamOnly of another team). */
  const denied = (room: ArenaRoom, o: number, e: number): string | null => {
    const { world, C } = room.arena
    if (hasComponent(world, e, C.Owner) && C.Owner.eid[e] === o) return null
    if (hasComponent(world, e, C.Hidden)) return 'hidden'
    if (!hasComponent(world, e, C.TeamOnly)) return null
    const same = hasComponent(world, e, C.Team) && hasComponent(world, o, C.Team) && C.Team.id[e] === C.Team.id[o]
    return same ? null : 'other-team'
  }

  return {
    get serverLeaks() {
      return serverLeaks
    },
    get patches() {
      return patch
    },
    samples,
    afterSync(room) {
      patch++
      const sys = room.arena.attention
      const plugin = room.plugins.attention
      // the connected clients, then the sessions that wait for their reconnection: their views live on
      for (const c of room.clients) visit(c.sessionId, true)
      for (const [id, s] of sessions) if (s.at !== patch && plugin.observerOf(id) !== -1) visit(id, false)
      // sessions gone for a minute (left, or their reconnection window passed) are forgotten
      if (patch % 200 === 0) {
        for (const [id, s] of sessions) if (patch - s.at > 1200) sessions.delete(id)
        for (const [key, at] of keySeenAt) {
          if (patch - at <= 1200) continue
          keySeenAt.delete(key)
          eidOfKey.delete(key)
        }
      }

      function visit(session: string, connected: boolean): void {
        const o = room.playerEntity(session)
        if (o === -1) return
        let s = sessions.get(session)
        if (s === undefined) {
          s = { lastSeen: new Int32Array(capacity).fill(-1), since: new Int32Array(capacity), current: [], at: 0, connectedAt: 0 }
          sessions.set(session, s)
        }
        s.at = patch
        if (connected) s.connectedAt = patch
        stamp++
        for (let i = 0; i < sys.memberCount(o); i++) {
          const e = sys.memberAt(o, i)
          if (sys.memberGenerationAt(o, i) === sys.generationOf(e)) inSet[e] = stamp
        }
        const members = plugin.viewMembers(session)
        for (const e of members) {
          const key = room.keyOf(e)
          eidOfKey.set(key, e)
          keySeenAt.set(key, patch)
          const why = inSet[e] !== stamp ? 'not in its interest set' : denied(room, o, e)
          if (why !== null) {
            serverLeaks++
            note(`patch ${patch}: view of ${session} (observer ${o}) holds entity ${e}: ${why}`)
          }
          if (s.lastSeen[e] !== patch - 1) s.since[e] = patch
          s.lastSeen[e] = patch
        }
        s.current = members
      }
    },
    compare(room, holdings) {
      const reply: CheckReply = { type: 'check', clients: 0, leaks: 0, stale: 0, missing: 0, viewMismatch: 0, unknown: 0, samples: [] }
      const say = (line: string): void => {
        if (reply.samples.length < 5) reply.samples.push(line)
        note(line)
      }
      for (const [session, keys] of holdings) {
        const s = sessions.get(session)
        if (s === undefined || patch - s.connectedAt > WINDOW) {
          reply.unknown++
          continue
        }
        reply.clients++
        const held = new Set<number>()
        for (const k of keys) {
          const e = eidOfKey.get(k) ?? -1
          held.add(e)
          if (e === -1 || s.lastSeen[e] === -1) {
            reply.leaks++
            say(`client ${session} holds "${k}", never in its view`)
          } else if (s.lastSeen[e]! < patch - WINDOW) {
            reply.stale++
            say(`client ${session} still holds ${k}, out of its view since patch ${s.lastSeen[e]} (now ${patch})`)
          }
        }
        // what has been in the view for the whole window must have reached the client
        for (const e of s.current) if (s.since[e]! <= patch - WINDOW && !held.has(e)) reply.missing++
      }
      // the real StateViews against the plugin's record: an instance visible to a view whose
      // record does not hold it would reach the client
      const plugin = room.plugins.attention
      for (const c of room.clients) {
        const view = c.view
        if (view === undefined) continue
        const members = new Set(plugin.viewMembers(c.sessionId))
        room.state.entities.forEach((inst, key) => {
          const e = room.entityOf(key)
          if (view.has(inst) !== members.has(e)) {
            reply.viewMismatch++
            if (!members.has(e)) {
              serverLeaks++
              say(`StateView of ${c.sessionId} has entity ${key}, which the plugin did not put there`)
            }
          }
        })
      }
      return reply
    },
  }
}
