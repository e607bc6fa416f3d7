import type { Iterator, StateView } from '@colyseus/schema'

/*
 * Owns: the shared-view repeat fix (correctness; always on, whatever the schema version).
 *
 * Colyseus encodes a patch with view changes but no state changes per client, not per view, and
 * `encodeView` consumes `view.changes`: a second client sharing the view in that patch was sent
 * nothing. A second `encodeView` of one view with the same iterator in the same patch, nothing
 * pending on it, is answered with the bytes of the first.
 */

/** One view's bytes, and the patch they belong to. */
interface RepeatSlot {
  bytes: Uint8Array | undefined
  patch: number
}

/**
 * Each view's bytes in the current patch (one iterator, one epoch). A slot per view, rewritten in
 * place: a Map emptied every patch would reallocate and regrow its table for every view, every
 * patch (some 30 KB of garbage per patch at 500 views).
 */
export interface RepeatCache {
  it: Iterator | null
  epoch: number
  /** Bumped when the iterator or the epoch changes: slots of older patches are stale. */
  patch: number
  readonly slots: WeakMap<StateView, RepeatSlot>
  /** The slots written in the current patch, so that a new patch lets go of their bytes. */
  readonly used: RepeatSlot[]
  usedCount: number
}

/** Creates an empty repeat cache (one per encoder). */
export function createRepeatCache(): RepeatCache {
  return { it: null, epoch: 0, patch: 0, slots: new WeakMap(), used: [], usedCount: 0 }
}

/**
 * The bytes `view` was given earlier in this patch (same iterator `it`, same patch `epoch`, nothing
 * pending on the view since), or undefined; a new patch empties the cache.
 */
export function repeatedBytes(c: RepeatCache, view: StateView, it: Iterator, epoch: number): Uint8Array | undefined {
  if (it === c.it && epoch === c.epoch) {
    if (view.changes.size !== 0) return undefined
    const s = c.slots.get(view)
    return s !== undefined && s.patch === c.patch ? s.bytes : undefined
  }
  c.it = it
  c.epoch = epoch
  c.patch++
  // the bytes of the last patch may pin a slab (view-bytes.ts): drop them
  for (let k = 0; k < c.usedCount; k++) c.used[k]!.bytes = undefined
  c.usedCount = 0
  return undefined
}

/** Keeps `bytes` as what `view` was given in the current patch. */
export function rememberBytes(c: RepeatCache, view: StateView, bytes: Uint8Array): void {
  let s = c.slots.get(view)
  if (s === undefined) {
    s = { bytes, patch: c.patch }
    c.slots.set(view, s)
  } else {
    s.bytes = bytes
    s.patch = c.patch
  }
  if (c.usedCount === c.used.length) c.used.push(s)
  else c.used[c.usedCount] = s
  c.usedCount++
}
