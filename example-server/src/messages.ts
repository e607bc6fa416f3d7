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

/** Logs each (session, reason) once, so a misbehaving client cannot flood the log either. */
export interface OnceLogger {
  warn(session: string, reason: string): void
  /** Number of rejected messages per reason so far. */
  readonly counts: Map<string, number>
  forget(session: string): void
}

/** Creates a once-per-(session, reason) logger writing to `sink`. */
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
      if (s.has(reason)) return
      s.add(reason)
      sink(`[arena] rejected message from ${session}: ${reason} (further ones are dropped silently)`)
    },
    forget(session) {
      seen.delete(session)
    },
  }
}

/** Largest client frame the arena accepts (its messages are a few dozen bytes). */
export const MAX_FRAME_BYTES = 256

// Protocol codes a well-behaved @colyseus/sdk client sends to the arena (from @colyseus/shared-types;
// the arena defines no inputs and no request handlers, so those frames never come from its client).
const JOIN_ROOM = 10
const LEAVE_ROOM = 12
const ROOM_DATA = 13
const PING = 18

/**
 * Checks one raw client frame before Colyseus decodes it. Returns null when it is well formed (a
 * message's payload is validated later, by its parser), else the reason to drop the client: a frame
 * no real client sends (garbage, text, a truncated header, an unused protocol code, an oversized
 * message). Colyseus itself ignores unknown codes and reads a truncated type past the frame's end.
 * @param frame - the WebSocket message as received.
 */
export function checkFrame(frame: Uint8Array): string | null {
  const n = frame.length
  if (n === 0) return 'protocol: empty frame'
  if (n > MAX_FRAME_BYTES) return `protocol: frame of ${n} bytes (at most ${MAX_FRAME_BYTES})`
  const code = frame[0]!
  if (code === JOIN_ROOM || code === LEAVE_ROOM || code === PING) return n === 1 ? null : `protocol: ${n}-byte control frame ${code}`
  if (code !== ROOM_DATA) return `protocol: unexpected frame code ${code}`
  if (n < 2) return 'protocol: data frame without a message type'
  // the message type: a msgpack string (fixstr or str8) or unsigned integer, wholly inside the frame
  const p = frame[1]!
  let end: number
  if (p > 0xa0 && p <= 0xbf) end = 2 + (p - 0xa0)
  else if (p === 0xd9) end = n > 2 ? 3 + frame[2]! : n + 1
  else if (p <= 0x7f) end = 2
  else if (p === 0xcc) end = 3
  else if (p === 0xcd) end = 4
  else if (p === 0xce) end = 6
  else return `protocol: malformed message type (byte 0x${p.toString(16)})`
  if (end > n) return 'protocol: truncated message type'
  // the payload, if any: well-formed msgpack values up to the frame's end (Colyseus would otherwise
  // log a stack trace and close the socket without saying why). A sequence, not one value: the sdk's
  // msgpackr writes a record's structure as an extension followed by its values.
  for (let at = end; at < n; ) {
    at = skipMsgpack(frame, at, 0)
    if (at === -1) return 'protocol: malformed or truncated msgpack payload'
  }
  return null
}

/** Deepest nesting a payload may have. */
const MAX_DEPTH = 8

/**
 * Offset just past the msgpack value starting at `at`, or -1 when it is malformed, runs past the
 * frame, or nests deeper than {@link MAX_DEPTH}. Walks the structure only; decodes nothing.
 */
function skipMsgpack(b: Uint8Array, at: number, depth: number): number {
  const n = b.length
  if (at >= n || depth > MAX_DEPTH) return -1
  const p = b[at]!
  const be = (i: number, bytes: number): number => {
    if (i + bytes > n) return Number.POSITIVE_INFINITY
    let v = 0
    for (let k = 0; k < bytes; k++) v = v * 256 + b[i + k]!
    return v
  }
  const items = (start: number, count: number): number => {
    let o = start
    for (let k = 0; k < count && o !== -1; k++) o = skipMsgpack(b, o, depth + 1)
    return o
  }
  const sized = (start: number, len: number): number => (start + len <= n ? start + len : -1)
  if (p <= 0x7f || p >= 0xe0 || p === 0xc0 || p === 0xc2 || p === 0xc3) return at + 1
  if (p >= 0x80 && p <= 0x8f) return items(at + 1, 2 * (p - 0x80))
  if (p >= 0x90 && p <= 0x9f) return items(at + 1, p - 0x90)
  if (p >= 0xa0 && p <= 0xbf) return sized(at + 1, p - 0xa0)
  switch (p) {
    case 0xc4:
    case 0xd9:
      return sized(at + 2, be(at + 1, 1))
    case 0xc5:
    case 0xda:
      return sized(at + 3, be(at + 1, 2))
    case 0xc6:
    case 0xdb:
      return sized(at + 5, be(at + 1, 4))
    case 0xc7:
      return sized(at + 3, be(at + 1, 1))
    case 0xc8:
      return sized(at + 4, be(at + 1, 2))
    case 0xc9:
      return sized(at + 6, be(at + 1, 4))
    case 0xca:
      return sized(at + 1, 4)
    case 0xcb:
      return sized(at + 1, 8)
    case 0xcc:
    case 0xd0:
      return sized(at + 1, 1)
    case 0xcd:
    case 0xd1:
      return sized(at + 1, 2)
    case 0xce:
    case 0xd2:
      return sized(at + 1, 4)
    case 0xcf:
    case 0xd3:
      return sized(at + 1, 8)
    case 0xd4:
      return sized(at + 2, 1)
    case 0xd5:
      return sized(at + 2, 2)
    case 0xd6:
      return sized(at + 2, 4)
    case 0xd7:
      return sized(at + 2, 8)
    case 0xd8:
      return sized(at + 2, 16)
    case 0xdc:
      return at + 3 <= n ? items(at + 3, be(at + 1, 2)) : -1
    case 0xdd:
      return at + 5 <= n ? items(at + 5, be(at + 1, 4)) : -1
    case 0xde:
      return at + 3 <= n ? items(at + 3, 2 * be(at + 1, 2)) : -1
    case 0xdf:
      return at + 5 <= n ? items(at + 5, 2 * be(at + 1, 4)) : -1
    default:
      return -1 // 0xc1: never used
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
