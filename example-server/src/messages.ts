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
