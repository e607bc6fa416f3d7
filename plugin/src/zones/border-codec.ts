// Owns the wire format of the border exchange: one summary message per zone per publish, and one
// handover message per batch of entities crossing into a neighbour. Little-endian records whose
// size depends on their flags, sent base64 in a string because presence pub/sub is JSON-only.
//
// header (28 bytes): u8 magic, u8 version, u16 source zone, u32 seq, f64 sentAt (ms, epoch),
//                    u16 record count, u8 fields per record, u8 message flags (1: keyframe,
//                    2: more parts of this summary follow),
//                    u32 source instance (random per exchange: a room that replaces a dead one,
//                    or a duplicate, never refreshes the other's ghosts),
//                    u32 layout (a hash of the grid and the field formats: both sides must agree)
// record:            u32 gid, u8 flags; a Gone record ends here (5 bytes; flags Gone, plus
//                    Adopted when its publisher had adopted the entity in a handover). Then
//                    u16 team                      when flags has Team (the entity has a Team,
//                                                  0 included),
//                    u16 x, y on the source zone's position frame and f16 vx, vy, or
//                    f32 x, y, vx, vy when flags has Wide (handovers: exact),
//                    f32 z and f16 vz (f32 when Wide) when flags has Height (z or vz not 0),
//                    f32 salience weight, nimbus   when flags has Salience,
//                    the fields, each in its declared format (f32 4 bytes, f16 / u16 / i16 2,
//                    u8 / i8 1).
//
// Version 1 sent every record whole (32 bytes + 4 per field): 52 bytes for the example's 5
// fields, against 19 to 29 now (docs/scaling.md, "Message format"). Two additions kept version 2,
// as the bytes' layout was unchanged and a reader without them read their records as it did
// (failing closed): a Team of id 0 (it read it as no Team) and the Adopted flag on a Gone (it
// ignored it, and let an unconfirmed ghost expire). Version 3 added the Height block and summaries
// in parts (the More flag): a version 2 reader would misread both, so versions do not mix.

import { zoneBounds, zoneCount, type ZoneGrid } from './zone-grid'

/** First byte of every message. */
export const BORDER_MAGIC = 0xa7
/** Format version. */
export const BORDER_VERSION = 3
/** Header size in bytes. */
export const HEADER_BYTES = 28
/** Size of a Gone record, in bytes. */
export const GONE_BYTES = 5

/** Record flags. */
export const RecordFlag = {
  /** The entity has Salience (weight and nimbus follow the kinematics). */
  Salience: 1,
  /** The entity is team-only (only in handover messages; summaries never carry it). */
  TeamOnly: 2,
  /** The entity is hidden (only in handover messages). */
  Hidden: 4,
  /**
   * The publisher no longer publishes the entity (it left the border, despawned, turned hidden or
   * team-only, was handed over...): drop its ghost. Nothing follows the flags.
   */
  Gone: 8,
  /** The entity has a Team: its id (0 included) follows the flags. Without it the entity has no Team. */
  Team: 16,
  /**
   * Position and velocity are four f32, not u16 on the source zone's frame and f16: in handovers
   * (the new owner simulates from them, so they cross exactly), outside the frame, or frames off.
   */
  Wide: 32,
  /**
   * With Gone only: the publisher adopted the entity in a handover and no longer publishes it
   * (hidden, team-only, despawned, off the border, handed on to a third zone), maybe before any of
   * its summaries listed it; not set when it handed the entity back to the zone it came from. That
   * zone drops the ghost it kept when it handed the entity over, even one no summary has confirmed
   * yet. A Gone without it removes only ghosts its publishing instance confirmed (it may be older
   * than a ghost left by a handover).
   */
  Adopted: 64,
  /**
   * z and its velocity follow the position and velocity: f32 z, and vz as f16, or f32 with Wide.
   * Without it both are 0 (a 2D game pays nothing for them).
   */
  Height: 128,
} as const

/** Message flags. */
export const MessageFlag = {
  /** A keyframe lists every border entity; a delta only those that changed (ghosts not listed in a keyframe are dropped). */
  Keyframe: 1,
  /**
   * A summary too large for one message goes in parts, each within the message limits and with
   * the next sequence number; every part but the last has this flag (a keyframe's ghosts are
   * swept once its last part is applied).
   */
  More: 2,
  /**
   * An empty summary a room sends, while its own summaries do not come back to it, only to learn
   * when its link is back (its echo): it says nothing of its ghosts, and a neighbour that applied
   * it as a summary would keep them (a ghost of an entity hidden since included) for as long as
   * the probes get out.
   */
  Probe: 4,
} as const

/** Most records in one message (the header's count is 16 bits). */
export const MAX_RECORDS = 65535

/** How a game field travels: a float (32 or 16 bits), or an integer of 8 or 16 bits (rounded to the nearest and clamped to its range). */
export type BorderFieldFormat = 'f32' | 'f16' | 'u8' | 'i8' | 'u16' | 'i16'

/** The formats in the order of their wire codes. */
export const FIELD_FORMATS: readonly BorderFieldFormat[] = ['f32', 'f16', 'u8', 'i8', 'u16', 'i16']
const FORMAT_BYTES = [4, 2, 1, 1, 2, 2]
const F32 = 0
const F16 = 1
const U8 = 2
const I8 = 3
const U16 = 4
// 5: i16 (the default case of every switch below)

/** Field formats resolved to their codes, with the record sizes they give. */
export interface FieldLayout {
  codes: Uint8Array
  /** Bytes of all the fields of one record. */
  bytes: number
  /** Hash of the codes, carried in every header. */
  hash: number
}

/**
 * Resolves field formats (validated by the options) to codes. The hash also covers the grid when
 * one is given (the position frames depend on it).
 */
export function fieldLayout(formats: readonly BorderFieldFormat[], grid?: ZoneGrid): FieldLayout {
  const codes = new Uint8Array(formats.length)
  let bytes = 0
  const words: number[] = [formats.length]
  for (let i = 0; i < formats.length; i++) {
    const c = FIELD_FORMATS.indexOf(formats[i]!)
    codes[i] = c
    bytes += FORMAT_BYTES[c]!
    words.push(c)
  }
  if (grid !== undefined) {
    words.push(grid.columns, grid.rows)
    for (const size of [grid.width, grid.height]) {
      f64[0] = size
      words.push(w32[0]!, w32[1]!)
    }
  }
  // FNV-1a over the words
  let hash = 0x811c9dc5
  for (const w of words) hash = Math.imul((hash ^ w) >>> 0, 0x01000193) >>> 0
  return { codes, bytes, hash }
}

/**
 * Where a record's u16 position points: per zone, a frame twice the zone's size centred on it, in
 * 65,535 steps a side (0.024 units for an 800-unit zone). A position outside its zone's frame, or
 * every position when a step would be coarser than a quarter of the exchange's tolerance, goes
 * as two f32 instead.
 */
export interface PositionFrames {
  /** Per zone: the frame's lower corner. */
  ox: Float64Array
  oy: Float64Array
  /** Units per step. */
  sx: number
  sy: number
  /** False: every position goes as f32. */
  enabled: boolean
}

const STEPS = 65535

/** The frames of `grid`'s zones; `tolerance` is the exchange's position tolerance. */
export function positionFrames(grid: ZoneGrid, tolerance: number): PositionFrames {
  const w = grid.width / grid.columns
  const h = grid.height / grid.rows
  const n = zoneCount(grid)
  const ox = new Float64Array(n)
  const oy = new Float64Array(n)
  for (let z = 0; z < n; z++) {
    const b = zoneBounds(grid, z)
    ox[z] = b.minX - w / 2
    oy[z] = b.minY - h / 2
  }
  const sx = (2 * w) / STEPS
  const sy = (2 * h) / STEPS
  return { ox, oy, sx, sy, enabled: Math.max(sx, sy) <= tolerance / 4 }
}

// float <-> IEEE 754 half precision, by hand (DataView has no float16 accessors before Node 24)
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
// a double's two words (the grid's sizes in the layout hash)
const f64 = new Float64Array(1)
const w32 = new Uint32Array(f64.buffer)
const HALF_MAX = 65504

/** The 16 bits of the half-precision float nearest to `v` (ties to even; beyond the range: the largest finite half; NaN stays NaN). */
export function toHalfBits(v: number): number {
  if (v !== v) return 0x7e00
  if (v > HALF_MAX) v = HALF_MAX
  else if (v < -HALF_MAX) v = -HALF_MAX
  f32[0] = v
  const x = u32[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = ((x >>> 23) & 0xff) - 112 // rebias 127 -> 15
  const mant = x & 0x7fffff
  if (exp >= 1) {
    let h = sign | (exp << 10) | (mant >>> 13)
    const rest = mant & 0x1fff
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++
    // rounding up past the largest half: clamp (the input was clamped to it already)
    return (h & 0x7fff) >= 0x7c00 ? sign | 0x7bff : h
  }
  if (exp < -10) return sign // below half of the smallest subnormal
  // subnormal half: the implicit bit joins the mantissa
  const m = mant | 0x800000
  const shift = 14 - exp
  let h = m >>> shift
  const rest = m & ((1 << shift) - 1)
  const halfway = 1 << (shift - 1)
  if (rest > halfway || (rest === halfway && (h & 1) === 1)) h++
  return sign | h
}

/** The number a half's 16 bits stand for. */
export function fromHalfBits(h: number): number {
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  const s = (h & 0x8000) !== 0 ? -1 : 1
  if (exp === 0) return s * mant * 5.960464477539063e-8 // 2^-24
  if (exp === 31) return mant === 0 ? s * Infinity : NaN
  return s * (1 + mant / 1024) * 2 ** (exp - 15)
}

/** `v` as a half float: how a record carries velocities. */
export function roundToHalf(v: number): number {
  return fromHalfBits(toHalfBits(v))
}

/** `v` as a neighbour will read it in format code `c` (what the publisher remembers as sent). */
export function quantize(c: number, v: number): number {
  switch (c) {
    case F32:
      return Math.fround(v)
    case F16:
      return roundToHalf(v)
    default:
      return clampInt(c, v)
  }
}

function clampInt(c: number, v: number): number {
  const r = Math.round(v)
  if (r !== r) return 0
  const lo = c === U8 || c === U16 ? 0 : c === I8 ? -128 : -32768
  const hi = c === U8 ? 255 : c === I8 ? 127 : c === U16 ? 65535 : 32767
  // (+ 0: -0 reads back as 0)
  return r < lo ? lo : r > hi ? hi : r + 0
}

/** A growable encode buffer with its write cursor (reused across publishes). */
export interface BorderWriter {
  bytes: Uint8Array
  view: DataView
  offset: number
  count: number
  layout: FieldLayout
  frames: PositionFrames
  /** Zone of the message being written (its records' positions are on this zone's frame). */
  source: number
  /** The position and velocity of the last record written, as the neighbours will read them. */
  sentX: number
  sentY: number
  sentZ: number
  sentVx: number
  sentVy: number
  sentVz: number
}

/** Creates a writer for records carrying fields laid out as `layout`. */
export function createBorderWriter(layout: FieldLayout, frames: PositionFrames): BorderWriter {
  const bytes = new Uint8Array(4096)
  return { bytes, view: new DataView(bytes.buffer), offset: 0, count: 0, layout, frames, source: 0, sentX: 0, sentY: 0, sentZ: 0, sentVx: 0, sentVy: 0, sentVz: 0 }
}

/** Starts a message: writes the header (the count is patched by {@link finishMessage}). */
export function beginMessage(w: BorderWriter, source: number, instance: number, seq: number, sentAt: number, flags = 0): void {
  w.offset = HEADER_BYTES
  w.count = 0
  w.source = source
  const v = w.view
  v.setUint8(0, BORDER_MAGIC)
  v.setUint8(1, BORDER_VERSION)
  v.setUint16(2, source, true)
  v.setUint32(4, seq >>> 0, true)
  v.setFloat64(8, sentAt, true)
  v.setUint8(18, w.layout.codes.length)
  v.setUint8(19, flags)
  v.setUint32(20, instance >>> 0, true)
  v.setUint32(24, w.layout.hash, true)
}

/** Largest record of `layout`, in bytes: a message must have room for the header and one. */
export function maxRecordBytes(layout: FieldLayout): number {
  // gid and flags, team, wide kinematics, wide height, salience, fields
  return 5 + 2 + 16 + 8 + 8 + layout.bytes
}

/**
 * Appends one record. `team` is the entity's Team id (0 is a team), or -1 when it has no Team.
 * `fields` holds the values already quantized by {@link quantize} (so the publisher's memory of
 * what it sent is what the neighbours read); the position and velocity the neighbours will read
 * are left in `w.sentX`, `sentY`, `sentZ`, `sentVx`, `sentVy`, `sentVz`. `exact` sends position
 * and velocity as f32 (a handover: rounding could put an entity back across the border it crossed).
 */
export function writeRecord(
  w: BorderWriter,
  gid: number,
  team: number,
  flags: number,
  x: number,
  y: number,
  z: number,
  vx: number,
  vy: number,
  vz: number,
  salience: number,
  nimbus: number,
  fields: Float32Array,
  exact = false,
): void {
  const layout = w.layout
  if (w.offset + maxRecordBytes(layout) > w.bytes.length) grow(w, w.offset + maxRecordBytes(layout))
  const v = w.view
  let o = w.offset
  const fr = w.frames
  const ox = fr.ox[w.source]!
  const oy = fr.oy[w.source]!
  const qx = Math.round((x - ox) / fr.sx)
  const qy = Math.round((y - oy) / fr.sy)
  // (NaN fails these tests and goes wide. The exchange's publisher writes no record with a number
  // that is not finite; the receiver drops a message with one as non-finite)
  const narrow = !exact && fr.enabled && qx >= 0 && qx <= STEPS && qy >= 0 && qy <= STEPS
  // (NaN is not 0: it goes, and the receiver drops the message, as for x)
  const height = z !== 0 || vz !== 0
  flags &= ~(RecordFlag.Team | RecordFlag.Wide | RecordFlag.Adopted | RecordFlag.Height)
  // team 0 is a team: only a negative team stands for none
  if (team >= 0) flags |= RecordFlag.Team
  if (!narrow) flags |= RecordFlag.Wide
  if (height) flags |= RecordFlag.Height
  v.setUint32(o, gid >>> 0, true)
  v.setUint8(o + 4, flags)
  o += 5
  if (team >= 0) {
    v.setUint16(o, team, true)
    o += 2
  }
  if (narrow) {
    v.setUint16(o, qx, true)
    v.setUint16(o + 2, qy, true)
    v.setUint16(o + 4, toHalfBits(vx), true)
    v.setUint16(o + 6, toHalfBits(vy), true)
    w.sentX = Math.fround(ox + qx * fr.sx)
    w.sentY = Math.fround(oy + qy * fr.sy)
    w.sentVx = roundToHalf(vx)
    w.sentVy = roundToHalf(vy)
    o += 8
  } else {
    v.setFloat32(o, x, true)
    v.setFloat32(o + 4, y, true)
    v.setFloat32(o + 8, vx, true)
    v.setFloat32(o + 12, vy, true)
    w.sentX = Math.fround(x)
    w.sentY = Math.fround(y)
    w.sentVx = Math.fround(vx)
    w.sentVy = Math.fround(vy)
    o += 16
  }
  w.sentZ = 0
  w.sentVz = 0
  if (height) {
    v.setFloat32(o, z, true)
    w.sentZ = Math.fround(z)
    if (narrow) {
      v.setUint16(o + 4, toHalfBits(vz), true)
      w.sentVz = roundToHalf(vz)
      o += 6
    } else {
      v.setFloat32(o + 4, vz, true)
      w.sentVz = Math.fround(vz)
      o += 8
    }
  }
  if ((flags & RecordFlag.Salience) !== 0) {
    v.setFloat32(o, salience, true)
    v.setFloat32(o + 4, nimbus, true)
    o += 8
  }
  const codes = layout.codes
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!
    const f = fields[i]!
    switch (c) {
      case F32:
        v.setFloat32(o, f, true)
        o += 4
        break
      case F16:
        v.setUint16(o, toHalfBits(f), true)
        o += 2
        break
      case U8:
        v.setUint8(o, clampInt(c, f))
        o += 1
        break
      case I8:
        v.setInt8(o, clampInt(c, f))
        o += 1
        break
      case U16:
        v.setUint16(o, clampInt(c, f), true)
        o += 2
        break
      default:
        v.setInt16(o, clampInt(c, f), true)
        o += 2
    }
  }
  w.offset = o
  w.count++
}

/**
 * Appends a Gone record: the entity is no longer published (left the border, despawned, hidden...).
 * `adopted`: the publisher adopted it in a handover and has not handed it back to the zone it came
 * from ({@link RecordFlag.Adopted}).
 */
export function writeGone(w: BorderWriter, gid: number, adopted = false): void {
  if (w.offset + GONE_BYTES > w.bytes.length) grow(w, w.offset + GONE_BYTES)
  w.view.setUint32(w.offset, gid >>> 0, true)
  w.view.setUint8(w.offset + 4, adopted ? RecordFlag.Gone | RecordFlag.Adopted : RecordFlag.Gone)
  w.offset += GONE_BYTES
  w.count++
}

/** True when a record of up to `bytes` bytes still fits the message in `w` within `maxBytes` and {@link MAX_RECORDS}. */
export function fits(w: BorderWriter, bytes: number, maxBytes: number): boolean {
  return w.offset + bytes <= maxBytes && w.count < MAX_RECORDS
}

/**
 * Patches the record count and returns the message as base64 text. `more`: a part of a summary
 * that goes on in the next message ({@link MessageFlag.More}).
 */
export function finishMessage(w: BorderWriter, more = false): string {
  w.view.setUint16(16, w.count, true)
  if (more) w.view.setUint8(19, w.view.getUint8(19) | MessageFlag.More)
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

/** A decoded message header; records are read in turn with {@link readRecord}, from byte {@link HEADER_BYTES}. */
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

/** One decoded record (reused: {@link readRecord} overwrites it). */
export interface BorderRecord {
  gid: number
  flags: number
  /** Team id, -1 when the entity has no Team. */
  team: number
  x: number
  y: number
  /** Height and its velocity: 0 unless the record has {@link RecordFlag.Height}. */
  z: number
  vx: number
  vy: number
  vz: number
  weight: number
  nimbus: number
  /** The record's fields (left as they were by a Gone record). */
  fields: Float32Array
}

export function createBorderRecord(fields: Float32Array): BorderRecord {
  return { gid: 0, flags: 0, team: -1, x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, weight: 0, nimbus: 0, fields }
}

/**
 * Decodes the record at byte `at` of a message from zone `source` into `r`. Returns the offset of
 * the next record, or -1 when the message ends inside this one.
 */
export function readRecord(v: DataView, at: number, layout: FieldLayout, frames: PositionFrames, source: number, r: BorderRecord): number {
  const end = v.byteLength
  if (at + GONE_BYTES > end) return -1
  r.gid = v.getUint32(at, true)
  const flags = v.getUint8(at + 4)
  r.flags = flags
  let o = at + 5
  if ((flags & RecordFlag.Gone) !== 0) return o
  const wide = (flags & RecordFlag.Wide) !== 0
  const height = (flags & RecordFlag.Height) !== 0
  const size = ((flags & RecordFlag.Team) !== 0 ? 2 : 0) + (wide ? 16 : 8) + (height ? (wide ? 8 : 6) : 0) + ((flags & RecordFlag.Salience) !== 0 ? 8 : 0) + layout.bytes
  if (o + size > end) return -1
  if ((flags & RecordFlag.Team) !== 0) {
    r.team = v.getUint16(o, true)
    o += 2
  } else r.team = -1
  if (wide) {
    r.x = v.getFloat32(o, true)
    r.y = v.getFloat32(o + 4, true)
    r.vx = v.getFloat32(o + 8, true)
    r.vy = v.getFloat32(o + 12, true)
    o += 16
  } else {
    // the frame of a zone outside the grid is NaN: the record is dropped as non-finite
    r.x = Math.fround((frames.ox[source] ?? NaN) + v.getUint16(o, true) * frames.sx)
    r.y = Math.fround((frames.oy[source] ?? NaN) + v.getUint16(o + 2, true) * frames.sy)
    r.vx = fromHalfBits(v.getUint16(o + 4, true))
    r.vy = fromHalfBits(v.getUint16(o + 6, true))
    o += 8
  }
  if (height) {
    r.z = v.getFloat32(o, true)
    r.vz = wide ? v.getFloat32(o + 4, true) : fromHalfBits(v.getUint16(o + 4, true))
    o += wide ? 8 : 6
  } else {
    r.z = 0
    r.vz = 0
  }
  if ((flags & RecordFlag.Salience) !== 0) {
    r.weight = v.getFloat32(o, true)
    r.nimbus = v.getFloat32(o + 4, true)
    o += 8
  } else {
    r.weight = 0
    r.nimbus = 0
  }
  const codes = layout.codes
  const out = r.fields
  for (let i = 0; i < codes.length; i++) {
    switch (codes[i]) {
      case F32:
        out[i] = v.getFloat32(o, true)
        o += 4
        break
      case F16:
        out[i] = fromHalfBits(v.getUint16(o, true))
        o += 2
        break
      case U8:
        out[i] = v.getUint8(o)
        o += 1
        break
      case I8:
        out[i] = v.getInt8(o)
        o += 1
        break
      case U16:
        out[i] = v.getUint16(o, true)
        o += 2
        break
      default:
        out[i] = v.getInt16(o, true)
        o += 2
    }
  }
  return o
}

function finiteRecord(r: BorderRecord, n: number): boolean {
  if (!Number.isFinite(r.x) || !Number.isFinite(r.y) || !Number.isFinite(r.vx) || !Number.isFinite(r.vy)) return false
  if (!Number.isFinite(r.z) || !Number.isFinite(r.vz)) return false
  if (!Number.isFinite(r.weight) || !Number.isFinite(r.nimbus)) return false
  for (let i = 0; i < n; i++) if (!Number.isFinite(r.fields[i]!)) return false
  return true
}

/**
 * The sending zone and its fields per record, read from the header alone: what a message that
 * `readMessage` refused as a layout mismatch says of its sender (for the warning).
 */
export function readSender(data: string): { source: number; fields: number } {
  const buf = Buffer.from(data, 'base64')
  return { source: buf.readUInt16LE(2), fields: buf.readUInt8(18) }
}

/**
 * Decodes and validates a message received on the channel. Returns a reason string when it is
 * malformed (not a string, too long, bad base64, wrong magic or version, another grid or field layout,
 * records that don't fill the message exactly, a non-finite number): the caller drops it and
 * counts it. `scratch` is overwritten while the records are checked.
 */
export function readMessage(data: unknown, layout: FieldLayout, frames: PositionFrames, maxBytes: number, scratch: BorderRecord): BorderMessage | string {
  if (typeof data !== 'string') return 'not a string'
  if (data.length > Math.ceil(maxBytes / 3) * 4) return 'oversized'
  const buf = Buffer.from(data, 'base64')
  if (buf.length < HEADER_BYTES) return 'short'
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
  if (view.getUint8(0) !== BORDER_MAGIC || view.getUint8(1) !== BORDER_VERSION) return 'bad magic or version'
  const count = view.getUint16(16, true)
  const fields = view.getUint8(18)
  if (fields !== layout.codes.length || view.getUint32(24, true) !== layout.hash) return 'layout mismatch'
  const sentAt = view.getFloat64(8, true)
  if (!Number.isFinite(sentAt)) return 'bad timestamp'
  const source = view.getUint16(2, true)
  let at = HEADER_BYTES
  for (let i = 0; i < count; i++) {
    at = readRecord(view, at, layout, frames, source, scratch)
    if (at < 0) return 'length mismatch'
    if ((scratch.flags & RecordFlag.Gone) === 0 && !finiteRecord(scratch, fields)) return 'non-finite value'
  }
  if (at !== buf.length) return 'length mismatch'
  return { view, source, seq: view.getUint32(4, true), sentAt, count, fields, flags: view.getUint8(19), instance: view.getUint32(20, true) }
}
