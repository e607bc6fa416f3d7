// Owns the wire format of the border exchange: one summary message per zone per publish, and one
// handover message per batch of entities crossing into a neighbour. Little-endian, fixed-size
// records, sent base64 in a string because presence pub/sub is JSON-only.
//
// header (24 bytes): u8 magic, u8 version, u16 source zone, u32 seq, f64 sentAt (ms, epoch),
//                    u16 record count, u8 fields per record, u8 message flags (1: keyframe),
//                    u32 source instance (random per exchange: a room that replaces a dead one,
//                    or a duplicate, never refreshes the other's ghosts)
// record (32 + 4 * fields bytes): u32 gid, u16 team, u8 flags, u8 pad,
//                    f32 x, y, vx, vy, salience weight, salience nimbus, f32 fields[]

/** First byte of every message. */
export const BORDER_MAGIC = 0xa7
/** Format version. */
export const BORDER_VERSION = 1
/** Header size in bytes. */
export const HEADER_BYTES = 24
/** Record size without fields, in bytes. */
export const RECORD_BYTES = 32

/** Record flags. */
export const RecordFlag = {
  /** The entity has Salience (weight and nimbus are meaningful). */
  Salience: 1,
  /** The entity is team-only (only in handover messages; summaries never carry it). */
  TeamOnly: 2,
  /** The entity is hidden (only in handover messages). */
  Hidden: 4,
  /** The entity left the border (or despawned) since the last summary: drop its ghost. */
  Gone: 8,
} as const

/** Message flags. */
export const MessageFlag = {
  /** A keyframe lists every border entity; a delta only those that changed (ghosts not listed in a keyframe are dropped). */
  Keyframe: 1,
} as const

/** A growable encode buffer with its write cursor (reused across publishes). */
export interface BorderWriter {
  bytes: Uint8Array
  view: DataView
  offset: number
  count: number
  fields: number
}

/** Creates a writer for records carrying `fields` float32 fields. */
export function createBorderWriter(fields: number): BorderWriter {
  const bytes = new Uint8Array(4096)
  return { bytes, view: new DataView(bytes.buffer), offset: 0, count: 0, fields }
}

/** Starts a message: writes the header (the count is patched by {@link finishMessage}). */
export function beginMessage(w: BorderWriter, source: number, instance: number, seq: number, sentAt: number, flags = 0): void {
  w.offset = HEADER_BYTES
  w.count = 0
  const v = w.view
  v.setUint8(0, BORDER_MAGIC)
  v.setUint8(1, BORDER_VERSION)
  v.setUint16(2, source, true)
  v.setUint32(4, seq >>> 0, true)
  v.setFloat64(8, sentAt, true)
  v.setUint8(18, w.fields)
  v.setUint8(19, flags)
  v.setUint32(20, instance >>> 0, true)
}

/** Appends one record; `fields` holds at least `w.fields` values. */
export function writeRecord(
  w: BorderWriter,
  gid: number,
  team: number,
  flags: number,
  x: number,
  y: number,
  vx: number,
  vy: number,
  salience: number,
  nimbus: number,
  fields: Float32Array,
): void {
  const size = RECORD_BYTES + 4 * w.fields
  if (w.offset + size > w.bytes.length) grow(w, w.offset + size)
  const v = w.view
  let o = w.offset
  v.setUint32(o, gid >>> 0, true)
  v.setUint16(o + 4, team, true)
  v.setUint8(o + 6, flags)
  v.setUint8(o + 7, 0)
  v.setFloat32(o + 8, x, true)
  v.setFloat32(o + 12, y, true)
  v.setFloat32(o + 16, vx, true)
  v.setFloat32(o + 20, vy, true)
  v.setFloat32(o + 24, salience, true)
  v.setFloat32(o + 28, nimbus, true)
  o += RECORD_BYTES
  for (let i = 0; i < w.fields; i++, o += 4) v.setFloat32(o, fields[i]!, true)
  w.offset = o
  w.count++
}

/** Patches the record count and returns the message as base64 text. */
export function finishMessage(w: BorderWriter): string {
  w.view.setUint16(16, w.count, true)
  return Buffer.from(w.bytes.buffer, w.bytes.byteOffset, w.offset).toString('base64')
}

function grow(w: BorderWriter, need: number): void {
  let n = w.bytes.length * 2
  while (n < need) n *= 2
  const b = new Uint8Array(n)
  b.set(w.bytes.subarray(0, w.offset))
  w.bytes = b
  w.view = new DataView(b.buffer)
}

/** A decoded message header; records are read in place with the `record*` readers. */
export interface BorderMessage {
  view: DataView
  source: number
  seq: number
  sentAt: number
  count: number
  fields: number
  flags: number
  instance: number
}

/**
 * Decodes and validates a message received on the channel. Returns a reason string when it is
 * malformed (not a string, too long, bad base64, wrong magic or version, sizes that don't add up,
 * a non-finite number): the caller drops it and counts it.
 */
export function readMessage(data: unknown, expectedFields: number, maxBytes: number): BorderMessage | string {
  if (typeof data !== 'string') return 'not a string'
  if (data.length > Math.ceil(maxBytes / 3) * 4) return 'oversized'
  const buf = Buffer.from(data, 'base64')
  if (buf.length < HEADER_BYTES) return 'short'
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
  if (view.getUint8(0) !== BORDER_MAGIC || view.getUint8(1) !== BORDER_VERSION) return 'bad magic or version'
  const count = view.getUint16(16, true)
  const fields = view.getUint8(18)
  if (fields !== expectedFields) return 'field count mismatch'
  if (buf.length !== HEADER_BYTES + count * (RECORD_BYTES + 4 * fields)) return 'length mismatch'
  const sentAt = view.getFloat64(8, true)
  if (!Number.isFinite(sentAt)) return 'bad timestamp'
  for (let i = 0; i < count; i++) {
    const o = recordOffset(fields, i)
    for (let k = o + 8; k < o + RECORD_BYTES + 4 * fields; k += 4) if (!Number.isFinite(view.getFloat32(k, true))) return 'non-finite value'
  }
  return { view, source: view.getUint16(2, true), seq: view.getUint32(4, true), sentAt, count, fields, flags: view.getUint8(19), instance: view.getUint32(20, true) }
}

/** Byte offset of record `i`. */
export function recordOffset(fields: number, i: number): number {
  return HEADER_BYTES + i * (RECORD_BYTES + 4 * fields)
}
