import type { Iterator } from '@colyseus/schema'
import type { ChangeTreeLike } from './schema-internals'

/*
 * Owns: the direct pass's per-patch memory of what each changed tree emitted, so views holding the
 * same tags on a tree copy its bytes instead of encoding them again.
 */

/**
 * The bytes each changed tree emitted in this patch, kept for the next views: what a tree emits
 * depends on the view only through the tags the view holds on it, so every view holding the same
 * tags gets a copy of the first one's bytes. Indexed by the tree's ordinal in the patch's lists
 * (view-change-lists.ts); entries are valid for one build (`reset`).
 */
export interface PassCache {
  /** Starts a patch whose lists number their trees 0..trees-1. */
  reset(trees: number): void
}

/** The cache's state, read by the pass (schema-view-pass.ts). */
export interface PassCacheState extends PassCache {
  stamp: Int32Array
  wanted: Int32Array
  held: Int32Array
  start: Int32Array
  length: Int32Array
  /** When `wanted` is one tag bit: the tree's per-view bitmap of that tag (undefined: no view holds it). */
  holder: (number[] | undefined)[]
  bytes: Uint8Array
  used: number
  build: number
}

/** Creates an empty pass cache (one per encoder). */
export function createPassCache(): PassCache {
  const c: PassCacheState = {
    stamp: new Int32Array(0),
    wanted: new Int32Array(0),
    held: new Int32Array(0),
    start: new Int32Array(0),
    length: new Int32Array(0),
    holder: [],
    bytes: new Uint8Array(4096),
    used: 0,
    build: 0,
    reset(trees: number): void {
      c.build = (c.build + 1) | 0
      if (c.build === 0) {
        c.stamp.fill(0)
        c.build = 1
      }
      c.used = 0
      // let go of the previous patch's bitmaps (they belong to trees that may be gone), keeping
      // the array's storage
      c.holder.fill(undefined)
      if (trees > c.stamp.length) {
        const n = Math.max(trees, c.stamp.length * 2, 64)
        c.stamp = new Int32Array(n)
        c.wanted = new Int32Array(n)
        c.held = new Int32Array(n)
        c.start = new Int32Array(n)
        c.length = new Int32Array(n)
      }
    },
  }
  return c
}

/** Keeps `buffer[from, to)` as tree `ord`'s bytes for a view holding `held`. */
export function remember(c: PassCacheState, ord: number, tree: ChangeTreeLike, wanted: number, held: number, buffer: Uint8Array, from: number, to: number): void {
  const n = to - from
  if (c.used + n > c.bytes.length) {
    const grown = new Uint8Array(Math.max(c.bytes.length * 2, c.used + n))
    grown.set(c.bytes.subarray(0, c.used))
    c.bytes = grown
  }
  const bytes = c.bytes
  const at = c.used
  for (let k = 0; k < n; k++) bytes[at + k] = buffer[from + k]!
  c.used = at + n
  c.stamp[ord] = c.build
  c.wanted[ord] = wanted
  c.held[ord] = held
  c.start[ord] = at
  c.length[ord] = n
  while (c.holder.length <= ord) c.holder.push(undefined)
  c.holder[ord] = (wanted & (wanted - 1)) === 0 ? tree.tagViews?.get(wanted) : undefined
}

/** Appends tree `ord`'s remembered bytes at `it.offset` (past the end: only moves the offset, as schema does). */
export function copyRemembered(c: PassCacheState, ord: number, buffer: Uint8Array, it: Iterator): void {
  const len = c.length[ord]!
  const at = it.offset
  if (at + len <= buffer.length) {
    const bytes = c.bytes
    const from = c.start[ord]!
    for (let b = 0; b < len; b++) buffer[at + b] = bytes[from + b]!
  }
  it.offset = at + len
}
