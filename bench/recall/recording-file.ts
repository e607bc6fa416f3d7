import { readFileSync, writeFileSync } from 'node:fs'
import type { Recording } from './recording'

const MAGIC = 'ATTNREC1'

type Arrays = Pick<Recording, 'kind' | 'players' | 'x' | 'y' | 'vx' | 'vy' | 'angle'>
const ARRAY_KEYS = ['kind', 'players', 'x', 'y', 'vx', 'vy', 'angle'] as const satisfies readonly (keyof Arrays)[]

/**
 * Saves a recording as one binary file: magic, a JSON header (scalars and array lengths), then the
 * typed arrays back to back (little-endian, each 4-byte aligned).
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
  const header = JSON.stringify({
    dt: rec.dt,
    ticks: rec.ticks,
    entityCount: rec.entityCount,
    worldSize: rec.worldSize,
    seed: rec.seed,
    interactions: rec.interactions.count,
    spawns: rec.spawns.count,
    lengths: arrays.map((a) => a.byteLength),
  })
  const head = Buffer.from(`${MAGIC}${header.length.toString().padStart(10, '0')}${header}`)
  const pad = (n: number): number => (4 - (n % 4)) % 4
  const parts: Buffer[] = [head, Buffer.alloc(pad(head.length))]
  for (const a of arrays) {
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.alloc(pad(a.byteLength)))
  }
  writeFileSync(path, Buffer.concat(parts))
}

/** Loads a recording written by {@link writeRecording}. */
export function readRecording(path: string): Recording {
  const buf = readFileSync(path)
  if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new Error(`${path} is not a recording (${MAGIC})`)
  const len = Number(buf.toString('latin1', MAGIC.length, MAGIC.length + 10))
  const start = MAGIC.length + 10
  const h = JSON.parse(buf.toString('utf8', start, start + len)) as {
    dt: number
    ticks: number
    entityCount: number
    worldSize: number
    seed: number
    interactions: number
    spawns: number
    lengths: number[]
  }
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
  const u8 = (b: ArrayBuffer): Uint8Array => new Uint8Array(b)
  return {
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
}
