import type { Iterator } from '@colyseus/schema'
import type { ChangeTreeLike } from './schema-internals'
import { emitTree } from './plain-tree-emit'
import { copyBytes } from './view-bytes'

/*
 * Owns: the direct pass's emissions of one patch. What a plain Schema tree emits in a view pass
 * depends on the view only through the custom tags the view holds on it, so the lists' build
 * (view-change-lists.ts) emits each changed tree once per distinct set of held tags, right when it
 * reads the tree's bitmaps (the tree is in cache then), and every view's list names emissions:
 * the view pass (schema-view-pass.ts) copies their bytes. A tree the direct pass has no table
 * for gets one emission without bytes (length -1): each view emits it in its turn through
 * tree-view-pass.ts. Emissions are numbered 0..count-1 per build; everything is kept across
 * builds and grown by doubling (PERFORMANCE.md, "No allocation per tick").
 */

/** A patch's emissions (one per encoder, owned by its lists). */
export interface PassCache {
  /** Per emission: the ordinal of its tree in the patch's lists. */
  ord: Int32Array
  /** Per emission: where its bytes start in `bytes`. */
  start: Int32Array
  /** Per emission: how many bytes it emitted, or -1 for a tree emitted per view (tree-view-pass.ts). */
  length: Int32Array
  bytes: Uint8Array
  /** Bytes of `bytes` in use this build. */
  used: number
  /** Emissions of this build. */
  count: number
}

/** The iterator emissions are written with (module level: no object per emission). */
const at: Iterator = { offset: 0 }

/** Bytes kept free before a tree is emitted, so that a redo in a larger buffer is rare. */
const HEADROOM = 1024

/** Creates an empty cache. */
export function createPassCache(): PassCache {
  return { ord: new Int32Array(256), start: new Int32Array(256), length: new Int32Array(256), bytes: new Uint8Array(16 * 1024), used: 0, count: 0 }
}

/** Starts a new build: no emissions. */
export function resetPassCache(c: PassCache): void {
  c.used = 0
  c.count = 0
}

/** A copy of `a` with room for `n` entries (how this module's tables grow by doubling). */
export function grownInt32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n)
  b.set(a)
  return b
}

/** A new emission of tree `ord` (its bytes not yet set): returns its number. */
function addEmission(c: PassCache, ord: number): number {
  const id = c.count
  if (id === c.ord.length) {
    c.ord = grownInt32(c.ord, id * 2)
    c.start = grownInt32(c.start, id * 2)
    c.length = grownInt32(c.length, id * 2)
  }
  c.ord[id] = ord
  c.count = id + 1
  return id
}

/** An emission of tree `ord` that each view emits itself in its turn (tree-view-pass.ts). */
export function addTreeEmission(c: PassCache, ord: number): number {
  const id = addEmission(c, ord)
  c.start[id] = 0
  c.length[id] = -1
  return id
}

/** Makes room for `n` more bytes after the used ones. */
function reserve(c: PassCache, n: number): void {
  if (c.used + n <= c.bytes.length) return
  const grown = new Uint8Array(Math.max(c.bytes.length * 2, c.used + n))
  grown.set(c.bytes.subarray(0, c.used))
  c.bytes = grown
}

/**
 * Emits plain Schema tree `tree` (ordinal `ord`) as its view pass emits it for a view holding the
 * custom tags `held` among the changed ones, `wanted` (emitTree in schema-view-pass.ts), and keeps
 * the bytes: returns the emission's number.
 */
export function addByteEmission(c: PassCache, ord: number, enc: unknown, tree: ChangeTreeLike, wanted: number, held: number): number {
  const id = addEmission(c, ord)
  const from = c.used
  reserve(c, HEADROOM)
  for (;;) {
    at.offset = from
    // writes past the end of a typed array are dropped: redo in a buffer large enough
    emitTree(enc, tree, wanted, held, c.bytes, at)
    if (at.offset <= c.bytes.length) break
    reserve(c, at.offset - from + HEADROOM)
  }
  c.start[id] = from
  c.length[id] = at.offset - from
  c.used = at.offset
  return id
}

/** Appends emission `id`'s bytes at `it.offset` (past the end: only moves the offset, as schema does). */
export function copyEmission(c: PassCache, id: number, buffer: Uint8Array, it: Iterator): void {
  const len = c.length[id]!
  const to = it.offset
  if (to + len <= buffer.length) copyBytes(buffer, to, c.bytes, c.start[id]!, len)
  it.offset = to + len
}
