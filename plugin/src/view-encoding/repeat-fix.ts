import type { Iterator, StateView } from '@colyseus/schema'

/*
 * Owns: the shared-view repeat fix (correctness; always on, whatever the schema version).
 *
 * Colyseus encodes a patch with view changes but no state changes per client, not per view, and
 * `encodeView` consumes `view.changes`: a second client sharing the view in that patch was sent
 * nothing. A second `encodeView` of one view with the same iterator in the same patch, nothing
 * pending on it, is answered with the bytes of the first.
 */

/** Each view's bytes in the current patch (one iterator, one epoch). */
export interface RepeatCache {
  it: Iterator | null
  epoch: number
  readonly bytes: Map<StateView, Uint8Array>
}

/** Creates an empty repeat cache (one per encoder). */
export function createRepeatCache(): RepeatCache {
  return { it: null, epoch: 0, bytes: new Map() }
}

/**
 * The bytes `view` was given earlier in this patch (same iterator `it`, same patch `epoch`, nothing
 * pending on the view since), or undefined; a new patch empties the cache.
 */
export function repeatedBytes(c: RepeatCache, view: StateView, it: Iterator, epoch: number): Uint8Array | undefined {
  if (it === c.it && epoch === c.epoch) return view.changes.size === 0 ? c.bytes.get(view) : undefined
  c.it = it
  c.epoch = epoch
  c.bytes.clear()
  return undefined
}

/** Keeps `bytes` as what `view` was given in the current patch. */
export function rememberBytes(c: RepeatCache, view: StateView, bytes: Uint8Array): void {
  c.bytes.set(view, bytes)
}
