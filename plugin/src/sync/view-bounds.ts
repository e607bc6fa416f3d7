import type { Ref } from '@colyseus/schema'
import { treeOf } from '../view-encoding/schema-internals'
import type { EntityRegistry } from './entity-registry'
import type { SetReader } from './set-reader'
import type { SyncScratch } from './sync-scratch'
import { dropEntry } from './view-sync'
import type { ViewRecord } from './view-record'

/*
 * Owns what a view may hold whatever the engine selected, checked at every sync against the world
 * as it is then (the selection is as old as the last tick): the `maxRange` bound, the deny rules
 * (Hidden, TeamOnly of another team), and instances that are in the room's state. Members kept out
 * are counted in `r.held`, so the next sync looks for them again among every member (they are in
 * no entered list when they come back in range, or visible).
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
 * Removes from `s.pending[0, p)` the entrants the view may not receive now (beyond `maxRange`,
 * denied, or their instance left the state); sets `r.held` to how many, and returns how many remain.
 */
export function holdBack(r: ViewRecord, sets: SetReader, registry: EntityRegistry, s: SyncScratch, p: number): number {
  const o = r.observer
  const pending = s.pending
  let k = 0
  for (let q = 0; q < p; q++) {
    const i = pending[q]!
    const e = sets.memberAt(o, i)
    if (!withinRange(s, o, e) || sets.isDenied(o, e)) continue
    if (!isInState(registry.instances[e]!)) {
      if (s.detached++ === 0) s.detachedEid = e
      continue
    }
    pending[k++] = i
  }
  r.held = p - k
  return k
}

/**
 * Drops the view's entries the observer may not receive now (before the view is reconciled): beyond
 * `maxRange`, or denied since the tick that selected them (made Hidden, or TeamOnly of another
 * team, between the tick and the patch). Counts them in `r.held`. One deny-flag read per entry.
 */
export function dropBarred(r: ViewRecord, sets: SetReader, registry: EntityRegistry, tags: readonly [number, number, number], s: SyncScratch): void {
  const o = r.observer
  const eids = r.eids
  const denied = sets.isDenied
  // backwards: swap-removal never skips an entry
  for (let j = r.count - 1; j >= 0; j--) {
    const e = eids[j]!
    if (withinRange(s, o, e) && !denied(o, e)) continue
    dropEntry(r, j, registry, tags)
    r.held++
  }
}

/**
 * Drops the view's entries of an entity removed from the world, or of an id reused, since the last
 * sync (the entry's generation, or the tracked instance's, is not the entity's current one): what a
 * sync drops from every view (sync-pass.ts dropRecycled), for a full state between two syncs.
 */
export function dropDead(r: ViewRecord, sets: SetReader, registry: EntityRegistry, tags: readonly [number, number, number]): void {
  const eids = r.eids
  for (let j = r.count - 1; j >= 0; j--) {
    const e = eids[j]!
    const gen = sets.generationOf(e)
    if (r.gens[j] === gen && registry.holds(e, gen)) continue
    dropEntry(r, j, registry, tags)
  }
}
