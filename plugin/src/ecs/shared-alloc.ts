// Owns: where the engine's per-entity and per-observer arrays live. The default puts them on the
// ordinary heap; option `threads` puts the arrays the observer threads share (observer-threads.ts)
// on SharedArrayBuffers, and a worker rebuilds the same structures over the same memory by calling
// the same factories, in the same order, with a replaying allocator.

/** Typed arrays by kind, for {@link ArrayAlloc}. */
export interface ArrayAlloc {
  /** True when the arrays are on SharedArrayBuffers. */
  readonly shared: boolean
  u8(length: number, fill?: number): Uint8Array
  u16(length: number, fill?: number): Uint16Array
  u32(length: number, fill?: number): Uint32Array
  i32(length: number, fill?: number): Int32Array
  f32(length: number, fill?: number): Float32Array
  f64(length: number, fill?: number): Float64Array
}

type Kind = 'u8' | 'u16' | 'u32' | 'i32' | 'f32' | 'f64'
type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array
const CTORS = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  i32: Int32Array,
  f32: Float32Array,
  f64: Float64Array,
} as const

/**
 * A copy of `a` on the ordinary heap with room for `length` elements (the rest zero): how scratch
 * arrays grow by doubling, between observers or patches, never inside a hot loop.
 */
export function grownCopy<T extends Typed>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length)
  b.set(a)
  return b
}

/** Arrays on the ordinary heap (every system without threads). */
export const heapAlloc: ArrayAlloc = {
  shared: false,
  u8: (n, v) => (v === undefined ? new Uint8Array(n) : new Uint8Array(n).fill(v)),
  u16: (n, v) => (v === undefined ? new Uint16Array(n) : new Uint16Array(n).fill(v)),
  u32: (n, v) => (v === undefined ? new Uint32Array(n) : new Uint32Array(n).fill(v)),
  i32: (n, v) => (v === undefined ? new Int32Array(n) : new Int32Array(n).fill(v)),
  f32: (n, v) => (v === undefined ? new Float32Array(n) : new Float32Array(n).fill(v)),
  f64: (n, v) => (v === undefined ? new Float64Array(n) : new Float64Array(n).fill(v)),
}

/** A shared allocator and the arrays it made, in order (what a worker replays). */
export interface RecordingAlloc extends ArrayAlloc {
  readonly made: Typed[]
}

/** Arrays on SharedArrayBuffers, recorded in the order they were made. */
export function createSharedAlloc(): RecordingAlloc {
  const made: Typed[] = []
  const make = <K extends Kind>(kind: K, n: number, v: number | undefined): InstanceType<(typeof CTORS)[K]> => {
    const C = CTORS[kind]
    const OnBuffer = C as unknown as new (buffer: SharedArrayBuffer, offset: number, length: number) => InstanceType<(typeof CTORS)[K]>
    const a = new OnBuffer(new SharedArrayBuffer(Math.max(1, n) * C.BYTES_PER_ELEMENT), 0, n)
    if (v !== undefined) a.fill(v)
    made.push(a)
    return a
  }
  return {
    shared: true,
    made,
    u8: (n, v) => make('u8', n, v),
    u16: (n, v) => make('u16', n, v),
    u32: (n, v) => make('u32', n, v),
    i32: (n, v) => make('i32', n, v),
    f32: (n, v) => make('f32', n, v),
    f64: (n, v) => make('f64', n, v),
  }
}

/**
 * An allocator that hands back `arrays` (a {@link RecordingAlloc}'s, received by a worker) in
 * order, checking kind and length, and never fills them: the memory is the main thread's.
 */
export function createReplayAlloc(arrays: readonly Typed[]): ArrayAlloc {
  let next = 0
  const take = <K extends Kind>(kind: K, n: number): InstanceType<(typeof CTORS)[K]> => {
    const a = arrays[next++]
    if (!(a instanceof CTORS[kind]) || a.length !== n) {
      throw new Error(`colyseus-attention: observer thread setup out of step at shared array ${next - 1} (wanted ${kind}[${n}])`)
    }
    return a as InstanceType<(typeof CTORS)[K]>
  }
  return {
    shared: true,
    u8: (n) => take('u8', n),
    u16: (n) => take('u16', n),
    u32: (n) => take('u32', n),
    i32: (n) => take('i32', n),
    f32: (n) => take('f32', n),
    f64: (n) => take('f64', n),
  }
}
