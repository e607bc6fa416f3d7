/** A validated `move` message: desired direction, each component in [-1, 1]. */
export interface MoveInput {
  dx: number
  dy: number
}

/** A validated `face` message: heading in radians. */
export interface FaceInput {
  angle: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const inUnit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= -1 && v <= 1

/** Parses a `move` payload; returns null (with the reason in `why`) when malformed. */
export function parseMove(msg: unknown): MoveInput | string {
  if (!isObject(msg)) return 'move: payload must be an object { dx, dy }'
  const { dx, dy } = msg
  if (!inUnit(dx) || !inUnit(dy)) return 'move: dx and dy must be finite numbers in [-1, 1]'
  return { dx, dy }
}

/** Parses a `face` payload. */
export function parseFace(msg: unknown): FaceInput | string {
  if (!isObject(msg)) return 'face: payload must be an object { angle }'
  const { angle } = msg
  if (typeof angle !== 'number' || !Number.isFinite(angle) || Math.abs(angle) > 1000) {
    return 'face: angle must be a finite number of radians (|angle| <= 1000)'
  }
  return { angle }
}

/**
 * Parses the payload of an on/off message (`overlay`, `full-state`): none or `true` turns it on,
 * `false` off; anything else is an error naming the message.
 */
export function parseSwitch(type: string, msg: unknown): boolean | string {
  if (msg === undefined || msg === true) return true
  if (msg === false) return false
  return `${type}: payload must be absent, true or false`
}

/**
 * Per-client token bucket: `rate` messages per second, bursts up to `burst`. Messages beyond it are
 * dropped (the client stays connected and the room is unaffected).
 */
export interface FloodGate {
  /** True when a message from `session` at time `now` (ms) may be handled. */
  allow(session: string, now: number): boolean
  forget(session: string): void
}

/** Creates a flood gate. */
export function createFloodGate(rate: number, burst: number): FloodGate {
  const tokens = new Map<string, { t: number; left: number }>()
  return {
    allow(session, now) {
      let b = tokens.get(session)
      if (b === undefined) {
        b = { t: now, left: burst }
        tokens.set(session, b)
      }
      b.left = Math.min(burst, b.left + ((now - b.t) / 1000) * rate)
      b.t = now
      if (b.left < 1) return false
      b.left -= 1
      return true
    },
    forget(session) {
      tokens.delete(session)
    },
  }
}

/**
 * Logs each (session, kind of reason) once, so a misbehaving client cannot flood the log either: a
 * reason's kind is what precedes its first ':' (`move`, `unknown`, ...), never the client's data
 * (an unknown message type is part of the reason after the kind: 48 types would be 48 lines).
 */
export interface OnceLogger {
  warn(session: string, reason: string): void
  /** Number of rejected messages per kind of reason so far. */
  readonly counts: Map<string, number>
  forget(session: string): void
}

/** Creates a once-per-(session, kind of reason) logger writing to `sink`. */
export function createOnceLogger(sink: (line: string) => void): OnceLogger {
  const seen = new Map<string, Set<string>>()
  const counts = new Map<string, number>()
  return {
    counts,
    warn(session, reason) {
      const key = reason.split(':')[0] ?? reason
      counts.set(key, (counts.get(key) ?? 0) + 1)
      let s = seen.get(session)
      if (s === undefined) {
        s = new Set()
        seen.set(session, s)
      }
      if (s.has(key)) return
      s.add(key)
      sink(`[arena] rejected message from ${session}: ${reason} (further ones are dropped silently)`)
    },
    forget(session) {
      seen.delete(session)
    },
  }
}

/** What {@link ClientGuard.admit} decided about one message. */
export const Verdict = { Handle: 0, Drop: 1, Kick: 2 } as const
/** One of {@link Verdict}. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict]

/**
 * Per-client message limits. Inside the rate (`rate` per second, bursts up to `burst`) messages are
 * handled; beyond it they are dropped and the client stays. A client that sends more than
 * `kickRate` messages within one second, or more than `maxStrikes` rejected (invalid or unknown)
 * messages within ten seconds, is not a game client: the room drops it.
 */
export interface ClientGuard {
  /** Decides about a message from `session` arriving at `now` (ms). */
  admit(session: string, now: number): Verdict
  /** Counts a rejected message; true when the client has now used up its strikes. */
  strike(session: string, now: number): boolean
  forget(session: string): void
}

/** Options of {@link createClientGuard}. */
export interface GuardOptions {
  rate: number
  burst: number
  kickRate: number
  maxStrikes: number
}

interface GuardState {
  second: number
  inSecond: number
  strikeWindow: number
  strikes: number
}

/** Creates a client guard; its token bucket is {@link createFloodGate}. */
export function createClientGuard(o: GuardOptions): ClientGuard {
  const gate = createFloodGate(o.rate, o.burst)
  const state = new Map<string, GuardState>()
  const get = (session: string, now: number): GuardState => {
    let s = state.get(session)
    if (s === undefined) state.set(session, (s = { second: now, inSecond: 0, strikeWindow: now, strikes: 0 }))
    return s
  }
  return {
    admit(session, now) {
      const s = get(session, now)
      if (now - s.second >= 1000) {
        s.second = now
        s.inSecond = 0
      }
      if (++s.inSecond > o.kickRate) return Verdict.Kick
      return gate.allow(session, now) ? Verdict.Handle : Verdict.Drop
    },
    strike(session, now) {
      const s = get(session, now)
      if (now - s.strikeWindow >= 10_000) {
        s.strikeWindow = now
        s.strikes = 0
      }
      return ++s.strikes > o.maxStrikes
    },
    forget(session) {
      state.delete(session)
      gate.forget(session)
    },
  }
}
