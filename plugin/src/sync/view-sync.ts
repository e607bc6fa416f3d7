import type { Ref, StateView } from '@colyseus/schema'
import type { AttentionSystem } from '../ecs/types'
import type { EntityRegistry } from './entity-registry'

/**
 * One StateView and what it holds: the entities added to it, the generation they were added
 * with and the band (view tag) they were added at. Clients bound to the same observer share it.
 */
export interface ViewRecord {
  readonly view: StateView
  readonly observer: number
  /** Session ids of the clients using this view. */
  readonly sessions: string[]
  /** Entities in the view, in no order; `slot[eid]` is the index, or -1. */
  eids: Uint32Array
  gens: Uint32Array
  bands: Uint8Array
  count: number
  readonly slot: Int32Array
  /** Entities that still wait for the entry budget after the last sync. */
  pending: number
}

/** Creates an empty record around `view`. */
export function createViewRecord(view: StateView, observer: number, capacity: number): ViewRecord {
  return {
    view,
    observer,
    sessions: [],
    eids: new Uint32Array(64),
    gens: new Uint32Array(64),
    bands: new Uint8Array(64),
    count: 0,
    slot: new Int32Array(capacity).fill(-1),
    pending: 0,
  }
}

/** Appends `eid` to the record (growing its arrays by doubling). */
export function recordAdd(r: ViewRecord, eid: number, gen: number, band: number): void {
  if (r.count === r.eids.length) {
    const n = r.count * 2
    const eids = new Uint32Array(n)
    eids.set(r.eids)
    r.eids = eids
    const gens = new Uint32Array(n)
    gens.set(r.gens)
    r.gens = gens
    const bands = new Uint8Array(n)
    bands.set(r.bands)
    r.bands = bands
  }
  r.slot[eid] = r.count
  r.eids[r.count] = eid
  r.gens[r.count] = gen
  r.bands[r.count] = band
  r.count++
}

/** Removes the entry at index `i` (the last entry fills the hole). */
export function recordRemoveAt(r: ViewRecord, i: number): void {
  const eid = r.eids[i]!
  const last = --r.count
  if (i !== last) {
    const moved = r.eids[last]!
    r.eids[i] = moved
    r.gens[i] = r.gens[last]!
    r.bands[i] = r.bands[last]!
    r.slot[moved] = i
  }
  r.slot[eid] = -1
}

/**
 * Adds `instance` to `view` at band tag `tag`, or changes its tag from `oldTag`.
 *
 * Fact (schema 5.0.34, checked by experiment): `view.remove(obj, tag)` also clears the object's
 * visibility in the view, so later changes to its untagged fields and its deletion from the map
 * would no longer reach the client. After dropping tags we therefore `view.add(obj)` again, which
 * restores visibility and keeps the remaining tags. Never `view.remove(obj)` + `view.add(obj, t)`
 * in one patch: the add cancels the remove and the dropped fields stay visible.
 */
export function applyTag(view: StateView, instance: Ref, oldTag: number, tag: number): void {
  const dropped = oldTag & ~tag
  if (dropped !== 0) {
    view.remove(instance, dropped)
    view.add(instance)
  }
  if (tag !== 0 && (tag & ~oldTag) !== 0) view.add(instance, tag)
}

/**
 * Removes `instance` from `view` entirely. Fact (schema 5.0.34, checked by experiment):
 * `view.remove(obj)` without a tag leaves the object's custom tag bits set for this view, so a later
 * `view.add(obj)` at the default tag would start sending the old tagged fields again. Clearing the
 * tags first (`view.remove(obj, tag)`) prevents that.
 */
export function removeFromView(view: StateView, instance: Ref, tag: number): void {
  if (tag !== 0) view.remove(instance, tag)
  view.remove(instance)
}

/** Scratch shared by every sync pass (one plugin instance, one thread). */
export interface SyncScratch {
  mark: Uint32Array
  markIndex: Int32Array
  stamp: number
  pending: Int32Array
  /** Highest band any view holds each entity at (-1: in no view), rebuilt by every sync. */
  watch: Int8Array
  /** Entities whose `watch` is set, to reset them at the next sync. */
  watched: Uint32Array
  watchedN: number
  /** Sync pass number, and the pass each entity was last refreshed in. */
  pass: number
  refreshed: Uint32Array
  refresh: ((eid: number, band: number) => void) | null
}

/** Creates sync scratch for `capacity` entity ids. */
export function createSyncScratch(capacity: number): SyncScratch {
  return {
    mark: new Uint32Array(capacity),
    markIndex: new Int32Array(capacity),
    stamp: 0,
    pending: new Int32Array(64),
    watch: new Int8Array(capacity).fill(-1),
    watched: new Uint32Array(capacity),
    watchedN: 0,
    pass: 0,
    refreshed: new Uint32Array(capacity),
    refresh: null,
  }
}

/** Starts a sync pass: forgets the previous pass' watch bands. */
export function beginSyncPass(s: SyncScratch): void {
  for (let i = 0; i < s.watchedN; i++) s.watch[s.watched[i]!] = -1
  s.watchedN = 0
  if (++s.pass === 0x3fffffff) {
    s.refreshed.fill(0)
    s.pass = 1
  }
}

/** Records that a view holds `eid` at `band`. */
function watchAt(s: SyncScratch, eid: number, band: number): void {
  const w = s.watch[eid]!
  if (w === -1) s.watched[s.watchedN++] = eid
  if (band > w) s.watch[eid] = band
}

/** Lets the game refresh `eid` before a view receives it at a new band (once per pass). */
function refreshFor(s: SyncScratch, eid: number, band: number): void {
  if (s.refresh === null || s.refreshed[eid] === s.pass) return
  s.refreshed[eid] = s.pass
  s.refresh(eid, band)
}

/**
 * Brings one view in line with its observer's interest set: removes what left (or was recycled),
 * retags what changed band, then adds entrants, at most `entryBudget`, rule members (self, owned)
 * first and then by score. Returns the number of entrants still waiting.
 */
export function syncView(
  r: ViewRecord,
  system: AttentionSystem,
  registry: EntityRegistry,
  tags: readonly [number, number, number],
  entryBudget: number,
  s: SyncScratch,
): number {
  const o = r.observer
  const view = r.view
  const n = system.memberCount(o)
  if (++s.stamp === 0x3fffffff) {
    s.mark.fill(0)
    s.stamp = 1
  }
  const st = s.stamp
  for (let i = 0; i < n; i++) {
    const e = system.memberAt(o, i)
    s.mark[e] = st
    s.markIndex[e] = i
  }

  // exits and band changes; iterate backwards so swap-removal never skips an entry
  for (let j = r.count - 1; j >= 0; j--) {
    const e = r.eids[j]!
    const inst = registry.instances[e]
    // the instance this view holds is still the registered one (untrack already removed it otherwise)
    const tracked = inst !== undefined && registry.generation[e] === r.gens[j]
    if (!tracked || system.generationOf(e) !== r.gens[j] || s.mark[e] !== st) {
      if (tracked) removeFromView(view, inst!, tags[r.bands[j]!]!)
      recordRemoveAt(r, j)
      continue
    }
    const band = system.bandAt(o, s.markIndex[e]!)
    const old = r.bands[j]!
    if (band !== old) {
      if ((tags[band]! & ~tags[old]!) !== 0) refreshFor(s, e, band)
      applyTag(view, inst!, tags[old]!, tags[band]!)
      r.bands[j] = band
    }
    watchAt(s, e, band)
  }

  // entrants: members with a tracked instance of the right generation that the view lacks
  let p = 0
  for (let i = 0; i < n; i++) {
    const e = system.memberAt(o, i)
    if (r.slot[e] !== -1) continue
    if (registry.instances[e] === undefined || registry.generation[e] !== system.generationOf(e)) continue
    if (p === s.pending.length) {
      const grown = new Int32Array(p * 2)
      grown.set(s.pending)
      s.pending = grown
    }
    s.pending[p++] = i
  }
  let take = p
  if (p > entryBudget) {
    // partial selection sort of the best `entryBudget` by priority (NaN score = rule member = first)
    take = entryBudget
    for (let k = 0; k < take; k++) {
      let best = k
      let bestScore = priority(system, o, s.pending[k]!)
      for (let q = k + 1; q < p; q++) {
        const sc = priority(system, o, s.pending[q]!)
        if (sc > bestScore) {
          best = q
          bestScore = sc
        }
      }
      const t = s.pending[k]!
      s.pending[k] = s.pending[best]!
      s.pending[best] = t
    }
  }
  for (let k = 0; k < take; k++) {
    const i = s.pending[k]!
    const e = system.memberAt(o, i)
    const band = system.bandAt(o, i)
    const inst = registry.instances[e]!
    const tag = tags[band]!
    refreshFor(s, e, band)
    if (tag === 0) view.add(inst)
    else view.add(inst, tag)
    watchAt(s, e, band)
    recordAdd(r, e, system.generationOf(e), band)
  }
  r.pending = p - take
  return r.pending
}

/** Entry priority of member `i`: rule members (self, owned, unscored) first, then by score. */
function priority(system: AttentionSystem, o: number, i: number): number {
  if (system.memberAt(o, i) === o) return Infinity
  const s = system.scoreAt(o, i)
  return s === s ? s : 1e30
}

/** Removes every entity from the record's view (observer gone or client rebinding). */
export function clearView(r: ViewRecord, registry: EntityRegistry, tags: readonly [number, number, number]): void {
  for (let j = r.count - 1; j >= 0; j--) {
    const e = r.eids[j]!
    const inst = registry.instances[e]
    if (inst !== undefined && registry.generation[e] === r.gens[j]) removeFromView(r.view, inst, tags[r.bands[j]!]!)
    recordRemoveAt(r, j)
  }
}
