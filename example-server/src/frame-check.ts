// Owns the screening of raw client frames: what a well-behaved @colyseus/sdk client sends to the
// arena, checked byte by byte before Colyseus decodes anything.

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

/** Big-endian unsigned integer of `bytes` bytes at `i`, or Infinity when it runs past the frame. */
function readLength(b: Uint8Array, i: number, bytes: number): number {
  if (i + bytes > b.length) return Number.POSITIVE_INFINITY
  let v = 0
  for (let k = 0; k < bytes; k++) v = v * 256 + b[i + k]!
  return v
}

/** Offset just past `len` bytes starting at `start`, or -1 past the frame. */
const sized = (b: Uint8Array, start: number, len: number): number => (start + len <= b.length ? start + len : -1)

/** Offset just past `count` msgpack values starting at `start`, or -1. */
function skipItems(b: Uint8Array, start: number, count: number, depth: number): number {
  let o = start
  for (let k = 0; k < count && o !== -1; k++) o = skipMsgpack(b, o, depth)
  return o
}

/**
 * Offset just past the msgpack value starting at `at`, or -1 when it is malformed, runs past the
 * frame, or nests deeper than {@link MAX_DEPTH}. Walks the structure only; decodes nothing.
 */
function skipMsgpack(b: Uint8Array, at: number, depth: number): number {
  if (at >= b.length || depth > MAX_DEPTH) return -1
  const p = b[at]!
  if (p <= 0x7f || p >= 0xe0 || p === 0xc0 || p === 0xc2 || p === 0xc3) return at + 1
  if (p >= 0x80 && p <= 0x8f) return skipItems(b, at + 1, 2 * (p - 0x80), depth + 1)
  if (p >= 0x90 && p <= 0x9f) return skipItems(b, at + 1, p - 0x90, depth + 1)
  if (p >= 0xa0 && p <= 0xbf) return sized(b, at + 1, p - 0xa0)
  switch (p) {
    case 0xc4: // bin 8
    case 0xd9: // str 8
      return sized(b, at + 2, readLength(b, at + 1, 1))
    case 0xc5:
    case 0xda:
      return sized(b, at + 3, readLength(b, at + 1, 2))
    case 0xc6:
    case 0xdb:
      return sized(b, at + 5, readLength(b, at + 1, 4))
    case 0xc7: // ext 8/16/32: length, type byte, data
      return sized(b, at + 3, readLength(b, at + 1, 1))
    case 0xc8:
      return sized(b, at + 4, readLength(b, at + 1, 2))
    case 0xc9:
      return sized(b, at + 6, readLength(b, at + 1, 4))
    case 0xca:
      return sized(b, at + 1, 4)
    case 0xcb:
      return sized(b, at + 1, 8)
    case 0xcc:
    case 0xd0:
      return sized(b, at + 1, 1)
    case 0xcd:
    case 0xd1:
      return sized(b, at + 1, 2)
    case 0xce:
    case 0xd2:
      return sized(b, at + 1, 4)
    case 0xcf:
    case 0xd3:
      return sized(b, at + 1, 8)
    case 0xd4: // fixext 1/2/4/8/16: type byte, data
      return sized(b, at + 2, 1)
    case 0xd5:
      return sized(b, at + 2, 2)
    case 0xd6:
      return sized(b, at + 2, 4)
    case 0xd7:
      return sized(b, at + 2, 8)
    case 0xd8:
      return sized(b, at + 2, 16)
    case 0xdc: // array 16/32, map 16/32
      return at + 3 <= b.length ? skipItems(b, at + 3, readLength(b, at + 1, 2), depth + 1) : -1
    case 0xdd:
      return at + 5 <= b.length ? skipItems(b, at + 5, readLength(b, at + 1, 4), depth + 1) : -1
    case 0xde:
      return at + 3 <= b.length ? skipItems(b, at + 3, 2 * readLength(b, at + 1, 2), depth + 1) : -1
    case 0xdf:
      return at + 5 <= b.length ? skipItems(b, at + 5, 2 * readLength(b, at + 1, 4), depth + 1) : -1
    default:
      return -1 // 0xc1: never used
  }
}
