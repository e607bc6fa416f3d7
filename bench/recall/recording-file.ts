import { readFileSync, writeFileSync } from 'node:fs'
import type { DeclaredTraits, Recording } from './recording'

const MAGIC = 'ATTNREC1'

type Arrays = Pick<Recording, 'kind' | 'players' | 'x' | 'y' | 'vx' | 'vy' | 'angle'>
const ARRAY_KEYS = ['kind', 'players', 'x', 'y', 'vx', 'vy', 'angle'] as const satisfies readonly (keyof Arrays)[]

/** Declared trait arrays in file order, with their element type (after the base arrays). */
const DECLARED_KEYS = [
  ['salience', 'f32'],
  ['nimbus', 'f32'],
  ['team', 'u16'],
  ['teamOnly', 'u8'],
  ['owner', 'i32'],
  ['hidden', 'u8'],
  ['target', 'i32'],
] as const satisfies readonly (readonly [keyof DeclaredTraits, string])[]

interface Header {
  dt: number
  ticks: number
  entityCount: number
  worldSize: number
  seed: number
  interactions: number
  spawns: number
  lengths: number[]
  /** Names of the declared trait arrays stored after the base arrays, in file order (absent in older files). */
  declared?: string[]
  viewRadius?: number
  family?: string
}

/**
 * Saves a recording as one binary file: magic, a JSON header (scalars, array lengths, which optional
 * sections follow), then the typed arrays back to back (little-endian, each 4-byte aligned). Files
 * written before the optional sections existed still load with {@link readRecording}.
 * @param path - file to write.
 * @param rec - the recording.
 */
export function writeRecording(path: string, rec: Recording): void {
  const arrays: ArrayBufferView[] = [
    ...ARRAY_KEYS.map((k) => rec[k]),
    rec.interactions.tick,
    rec.interactions.a,
    rec.interactions.b,
    rec.interactions.kind,
    rec.spawns.tick,
    rec.spawns.entity,
  ]
  const declared: string[] = []
  if (rec.declared !== undefined) {
    for (const [k] of DECLARED_KEYS) {
      const a = rec.declared[k]
      if (a === undefined) continue
      declared.push(k)
      arrays.push(a)
    }
  }
  const h: Header = {
    dt: rec.dt,
    ticks: rec.ticks,
    entityCount: rec.entityCount,
    worldSize: rec.worldSize,
    seed: rec.seed,
    interactions: rec.interactions.count,
    spawns: rec.spawns.count,
    lengths: arrays.map((a) => a.byteLength),
  }
  if (rec.declared !== undefined) h.declared = declared
  if (rec.viewRadius !== undefined) h.viewRadius = rec.viewRadius
  if (rec.family !== undefined) h.family = rec.family
  const header = JSON.stringify(h)
  const headBytes = Buffer.from(header, 'utf8')
  const head = Buffer.concat([Buffer.from(`${MAGIC}${headBytes.length.toString().padStart(10, '0')}`), headBytes])
  const pad = (n: number): number => (4 - (n % 4)) % 4
  const parts: Buffer[] = [head, Buffer.alloc(pad(head.length))]
  for (const a of arrays) {
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.alloc(pad(a.byteLength)))
  }
  writeFileSync(path, Buffer.concat(parts))
}

/** Loads a recording written by {@link writeRecording} (any version: the optional sections may be absent). */
export function readRecording(path: string): Recording {
  const buf = readFileSync(path)
  if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error(`${path} is not a recording written by writeRecording (its first bytes are not ${MAGIC})`)
  const len = Number(buf.toString('latin1', MAGIC.length, MAGIC.length + 10))
  const start = MAGIC.length + 10
  const h = JSON.parse(buf.toString('utf8', start, start + len)) as Header
  let off = start + len
  off += (4 - (off % 4)) % 4
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
  let i = 0
  const take = <T>(make: (b: ArrayBuffer) => T): T => {
    const n = h.lengths[i++]!
    const out = make(bytes.slice(off, off + n).buffer)
    off += n + ((4 - (n % 4)) % 4)
    return out
  }
  const f32 = (b: ArrayBuffer): Float32Array => new Float32Array(b)
  const i32 = (b: ArrayBuffer): Int32Array => new Int32Array(b)
  const u16 = (b: ArrayBuffer): Uint16Array => new Uint16Array(b)
  const u8 = (b: ArrayBuffer): Uint8Array => new Uint8Array(b)
  const rec: Recording = {
    dt: h.dt,
    ticks: h.ticks,
    entityCount: h.entityCount,
    worldSize: h.worldSize,
    seed: h.seed,
    kind: take(u8),
    players: take(i32),
    x: take(f32),
    y: take(f32),
    vx: take(f32),
    vy: take(f32),
    angle: take(f32),
    interactions: { count: h.interactions, tick: take(i32), a: take(i32), b: take(i32), kind: take(u8) },
    spawns: { count: h.spawns, tick: take(i32), entity: take(i32) },
  }
  if (h.declared !== undefined) {
    const d: DeclaredTraits = {}
    const makers: Record<string, (b: ArrayBuffer) => ArrayBufferView> = { f32, i32, u16, u8 }
    for (const [k, type] of DECLARED_KEYS) {
      if (!h.declared.includes(k)) continue
      ;(d as Record<string, ArrayBufferView>)[k] = take(makers[type]!)
    }
    rec.declared = d
  }
  if (h.viewRadius !== undefined) rec.viewRadius = h.viewRadius
  if (h.family !== undefined) rec.family = h.family
  return rec
}
