import type { Ref } from '@colyseus/schema'
import { treeOf } from '../view-encoding/schema-internals'
import type { EntityRegistry } from './entity-registry'
import type { SetReader } from './set-reader'
import type { SyncScratch } from './sync-scratch'
import { dropEntry } from './view-sync'
import type { ViewRecord } from './view-record'

/*
 * Owns what a view may hold whatever the engine selected: the `maxRange` bound, and instances
 * that are in the room's state. Members kept out are counted in `r.held`, so the next sync looks
 * for them again among every member (they are in no entered list when they come back in range).
 */

/** True unless `maxRange` is set and entity `e` is farther than it from observer `o` (the observer itself always passes). */
export function withinRange(s: SyncScratch, o: number, e: number): boolean {
  if (s.maxRange2 === Infinity || e === o) return true
  const p = s.positions!
  const dx = p.x[e]! - p.x[o]!
  const dy = p.y[e]! - p.y[o]!
  const dz = p.z[e]! - p.z[o]!
  // written so that NaN positions fail: an entity nobody can place is not sent
  return dx * dx + dy * dy + dz * dz <= s.maxRange2
}

/** True when `instance` is attached to a state (schema refuses `view.add` of a detached one). */
export function isInState(instance: Ref): boolean {
  const tree = treeOf(instance)
  return tree !== undefined && tree.root !== undefined
}

/**
 * Removes from `s.pending[0, p)` the entrants the view may not receive now (beyond `maxRange`, or
 * their instance left the state); sets `r.held` to how many, and returns how many remain.
 */
export function holdBack(r: ViewRecord, sets: SetReader, registry: EntityRegistry, s: SyncScratch, p: number): number {
  const o = r.observer
  const pending = s.pending
  let k = 0
  for (let q = 0; q < p; q++) {
    const i = pending[q]!
    const e = sets.memberAt(o, i)
    if (!withinRange(s, o, e)) continue
    if (!isInState(registry.instances[e]!)) {
      if (s.detached++ === 0) s.detachedEid = e
      continue
    }
    pending[k++] = i
  }
  r.held = p - k
  return k
}

/** Drops the view's entries now beyond `maxRange` (before the view is reconciled) and counts them in `r.held`. */
export function dropBeyondRange(r: ViewRecord, registry: EntityRegistry, tags: readonly [number, number, number], s: SyncScratch): void {
  if (s.maxRange2 === Infinity) return
  const o = r.observer
  // backwards: swap-removal never skips an entry
  for (let j = r.count - 1; j >= 0; j--) {
    if (withinRange(s, o, r.eids[j]!)) continue
    dropEntry(r, j, registry, tags)
    r.held++
  }
}
