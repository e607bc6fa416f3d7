// Owns the soak's client population: real @colyseus/sdk clients that join, move, leave and come
// back, and drop their socket (the sdk reconnects by itself), at random. It also tells dropped and
// stuck clients from the ones that merely left on purpose.
import { Client, type Room } from '@colyseus/sdk'
import { withTimeout } from '../load/bot-clients'
import type { Prng } from '../lib/prng'
import type { Holding } from './protocol'

/** Per-second probabilities of what a connected client does, besides moving. */
export interface Behaviour {
  /** Leaves (consented) and joins again as a new client 0.5-3 s later. */
  leave: number
  /** Drops its socket without a word (the sdk reconnects to the same seat). */
  drop: number
}

/** Problems seen with the clients. */
export interface ClientTrouble {
  /** Joins that failed or timed out. */
  joinFailures: number
  /** Clients the server disconnected, or whose reconnection failed. */
  dropped: number
  /** Episodes of a connected client receiving nothing for 5 s, or a reconnection taking over 15 s. */
  stuck: number
  samples: string[]
}

/** The crowd of soak clients. */
export interface SoakCrowd {
  /** Advances every client's behaviour by one step of `dtMs`; call it every 100 ms. */
  step(now: number, dtMs: number): void
  /** What each connected, up-to-date client holds. */
  holdings(now: number): Holding[]
  readonly trouble: ClientTrouble
  /** Counts of what the clients did. */
  readonly actions: { joins: number; leaves: number; drops: number; reconnects: number; messages: number }
  /** Clients connected right now. */
  connected(): number
  /** A client's history in words (joined, reconnections), for leak reports. */
  describe(session: string, now: number): string
  /** Leaves every room. */
  close(): Promise<void>
}

const enum Phase {
  Away,
  Joining,
  In,
  Reconnecting,
  /** Reconnected, waiting for the full state. */
  Reconnected,
}

interface Member {
  phase: Phase
  room: Room | null
  /** When an away client joins again. */
  wakeAt: number
  lastMessageAt: number
  droppedAt: number
  stuckNoted: boolean
  /** True while this client leaves on purpose (its onLeave is expected). */
  leaving: boolean
  dx: number
  dy: number
}

const STUCK_SILENCE_MS = 5000
const STUCK_RECONNECT_MS = 15_000
const JOIN_TIMEOUT_MS = 20_000

/**
 * Creates `count` clients of ws://127.0.0.1:port; they join over the first steps (20 at a time).
 * @param rng - drives every random choice.
 */
export function createSoakCrowd(o: { port: number; count: number; rng: Prng; behaviour: Behaviour }): SoakCrowd {
  const endpoint = `ws://127.0.0.1:${o.port}`
  const { rng, behaviour } = o
  const trouble: ClientTrouble = { joinFailures: 0, dropped: 0, stuck: 0, samples: [] }
  const actions = { joins: 0, leaves: 0, drops: 0, reconnects: 0, messages: 0 }
  const members: Member[] = []
  const pending = new Set<Promise<unknown>>()
  const history = new Map<string, { joinedAt: number; reconnects: number[] }>()
  let closing = false
  const say = (line: string): void => {
    if (trouble.samples.length < 20) trouble.samples.push(line)
  }
  for (let i = 0; i < o.count; i++) {
    members.push({ phase: Phase.Away, room: null, wakeAt: 0, lastMessageAt: 0, droppedAt: 0, stuckNoted: false, leaving: false, dx: 0, dy: 0 })
  }
  const track = (p: Promise<unknown>): void => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const goAway = (m: Member, now: number): void => {
    m.phase = Phase.Away
    m.room = null
    m.wakeAt = now + rng.range(500, 3000)
  }

  const join = (m: Member, i: number): void => {
    m.phase = Phase.Joining
    actions.joins++
    track(
      withTimeout(new Client(endpoint).joinOrCreate('arena'), JOIN_TIMEOUT_MS, `client ${i} did not join within ${JOIN_TIMEOUT_MS / 1000} s`).then(
        (room) => {
          room.onMessage('*', () => {})
          if (closing) return room.leave(true)
          m.room = room
          m.phase = Phase.In
          history.set(room.sessionId, { joinedAt: performance.now(), reconnects: [] })
          m.leaving = false
          m.stuckNoted = false
          m.lastMessageAt = performance.now()
          room.reconnection.minUptime = 0
          const heard = (): void => {
            m.lastMessageAt = performance.now()
            actions.messages++
          }
          room.onStateChange(() => {
            heard()
            // back in: only once the state sent after the reconnection has been decoded (until
            // then the client holds what it had when it dropped)
            if (m.phase === Phase.Reconnected && m.room === room) m.phase = Phase.In
          })
          room.onMessage('attention', heard)
          room.onMessage('destroyed', heard)
          room.onMessage('*', heard)
          // half the clients ask for the overlay like the demo page (the room keeps the request
          // through reconnections and forgets it on leave); the others, like a game's, never do
          if (i % 2 === 0) room.send('overlay')
          room.onReconnect(() => {
            if (m.room !== room) return
            actions.reconnects++
            m.phase = Phase.Reconnected
            history.get(room.sessionId)?.reconnects.push(performance.now())
          })
          room.onLeave((code, reason) => {
            if (m.room !== room) return
            if (!m.leaving && !closing) {
              trouble.dropped++
              say(`client ${i} (${room.sessionId}) left with code ${code}${reason ? ` (${String(reason)})` : ''}`)
            }
            goAway(m, performance.now())
          })
        },
        (e: unknown) => {
          trouble.joinFailures++
          say(`client ${i}: join failed: ${(e as Error).message}`)
          goAway(m, performance.now())
        },
      ),
    )
  }

  return {
    trouble,
    actions,
    connected: () => members.filter((m) => m.phase === Phase.In).length,
    describe(session, now) {
      const h = history.get(session)
      if (h === undefined) return 'unknown client'
      const ago = (t: number): string => `${((now - t) / 1000).toFixed(1)} s ago`
      const r = h.reconnects
      return `joined ${ago(h.joinedAt)}, ${r.length === 0 ? 'never reconnected' : `reconnected ${r.length}x, last ${ago(r[r.length - 1]!)}`}`
    },
    step(now, dtMs) {
      if (closing) return
      let joining = 0
      for (const m of members) if (m.phase === Phase.Joining) joining++
      const p = dtMs / 1000
      members.forEach((m, i) => {
        if (m.phase === Phase.Away) {
          if (now >= m.wakeAt && joining < 20) {
            joining++
            join(m, i)
          }
          return
        }
        const room = m.room
        if (room === null) return
        if (m.phase === Phase.Reconnecting || m.phase === Phase.Reconnected) {
          if (!m.stuckNoted && now - m.droppedAt > STUCK_RECONNECT_MS) {
            m.stuckNoted = true
            trouble.stuck++
            say(`client ${i} (${room.sessionId}) not reconnected ${STUCK_RECONNECT_MS / 1000} s after its drop`)
          }
          return
        }
        if (m.phase !== Phase.In) return
        if (!room.connection.isOpen) return
        if (!m.stuckNoted && now - m.lastMessageAt > STUCK_SILENCE_MS) {
          m.stuckNoted = true
          trouble.stuck++
          say(`client ${i} (${room.sessionId}) heard nothing for ${STUCK_SILENCE_MS / 1000} s`)
        }
        const r = rng.next()
        if (r < behaviour.leave * p) {
          m.leaving = true
          actions.leaves++
          track(withTimeout(room.leave(true), 5000, 'leave').catch(() => goAway(m, performance.now())))
          return
        }
        if (r < (behaviour.leave + behaviour.drop) * p) {
          actions.drops++
          m.phase = Phase.Reconnecting
          m.droppedAt = now
          m.stuckNoted = false
          // half close with "may try to reconnect", half vanish without a close frame (1006)
          const ws = (room.connection as unknown as { transport: { ws?: { terminate?: () => void } } }).transport.ws
          if (rng.next() < 0.5 || ws?.terminate === undefined) room.connection.close(4010, 'soak drop')
          else ws.terminate()
          return
        }
        if (rng.next() < 0.1) {
          m.dx = rng.range(-1, 1)
          m.dy = rng.range(-1, 1)
        }
        room.send('move', { dx: m.dx, dy: m.dy })
        if (rng.next() < 0.05) room.send('face', { angle: Math.atan2(m.dy, m.dx) })
      })
    },
    holdings(now) {
      const out: Holding[] = []
      for (const m of members) {
        const room = m.room
        if (m.phase !== Phase.In || room === null || !room.connection.isOpen || now - m.lastMessageAt > 1000) continue
        const entities = (room.state as { entities?: Map<string, unknown> } | undefined)?.entities
        if (entities === undefined) continue
        out.push([room.sessionId, [...entities.keys()]])
      }
      return out
    },
    async close() {
      closing = true
      await Promise.allSettled([...pending])
      await Promise.all(
        members.map(async (m) => {
          const room = m.room
          if (room === null) return
          m.leaving = true
          if (m.phase === Phase.Reconnecting) room.reconnection.enabled = false
          await withTimeout(room.leave(true), 5000, 'leave').catch(() => 0)
        }),
      )
    },
  }
}
