import type { EntityRegistry } from './entity-registry'
import type { SetReader } from './set-reader'
import { reservePending, type SyncScratch } from './sync-scratch'
import { holdBack } from './view-bounds'
import { addEntry } from './view-sync'
import { recordSlot, type ViewRecord } from './view-record'

/** True when entity id `e` has a tracked instance of its current generation (a cheap pre-filter). */
export function isTracked(sets: SetReader, registry: EntityRegistry, e: number): boolean {
  return registry.holds(e, sets.generationOf(e))
}

/**
 * True when member `i` of `o` can be sent: the entity the engine selected still carries its id
 * (its generation is the current one) and its tracked instance is of that generation. An id
 * removed and reused between the tick and the patch fails here: the new entity was never selected.
 */
export function isSendable(sets: SetReader, registry: EntityRegistry, o: number, i: number): boolean {
  const e = sets.memberAt(o, i)
  const g = sets.memberGenerationAt(o, i)
  return g === sets.generationOf(e) && registry.holds(e, g)
}

/**
 * Notes in `s.staleTracked` member `i` of `o` when it is the entity the tick selected but its
 * tracked instance was tracked with an older generation of its id (the entity lost Position since
 * `track()`: a respawn, or its id reused): it is sent to no one until tracked again, so the plugin
 * says so once. Called only for members that are not sendable.
 */
export function noteStale(sets: SetReader, registry: EntityRegistry, o: number, i: number, s: SyncScratch): void {
  const e = sets.memberAt(o, i)
  if (registry.instances[e] === undefined) return
  const g = sets.memberGenerationAt(o, i)
  if (g === sets.generationOf(e) && registry.generation[e] !== g) s.staleTracked = e
}

/** Writes the member index of every sendable member the view lacks to `s.pending`, in member order; returns how many. */
export function collectEntrants(r: ViewRecord, sets: SetReader, registry: EntityRegistry, s: SyncScratch): number {
  const o = r.observer
  const n = sets.memberCount(o)
  reservePending(s, n)
  const pending = s.pending
  let p = 0
  for (let i = 0; i < n; i++) {
    const e = sets.memberAt(o, i)
    if (recordSlot(r, e) !== -1) continue
    if (isSendable(sets, registry, o, i)) pending[p++] = i
    else noteStale(sets, registry, o, i, s)
  }
  return p
}

/**
 * Adds the `p` entrants in `s.pending` (member indices, in member order), at most `entryBudget`:
 * the observer first, then what it owns, then the other unscored members (always-relevant ones out
 * of range), then by score, but none the view may not receive (view-bounds.ts). Sets and returns
 * `r.pending`, the number still waiting.
 */
export function admitEntrants(
  r: ViewRecord,
  sets: SetReader,
  registry: EntityRegistry,
  tags: readonly [number, number, number],
  entryBudget: number,
  s: SyncScratch,
  p: number,
): number {
  const o = r.observer
  const pending = s.pending
  p = holdBack(r, sets, registry, s, p)
  let take = p
  if (p > entryBudget) {
    // partial selection sort of the best `entryBudget`; ties go to the earlier index, so the
    // choice depends on the input order: callers pass member order
    take = entryBudget
    for (let k = 0; k < take; k++) {
      let best = k
      let bestScore = priority(sets, o, pending[k]!)
      for (let q = k + 1; q < p; q++) {
        const sc = priority(sets, o, pending[q]!)
        if (sc > bestScore) {
          best = q
          bestScore = sc
        }
      }
      const t = pending[k]!
      pending[k] = pending[best]!
      pending[best] = t
    }
  }
  for (let k = 0; k < take; k++) {
    const i = pending[k]!
    const e = sets.memberAt(o, i)
    addEntry(r, e, sets.memberGenerationAt(o, i), sets.bandAt(o, i), registry, tags, s)
  }
  r.pending = p - take
  return r.pending
}

/** Entry priority of member `i`: the observer, then what it owns, then unscored members, then by score. */
function priority(sets: SetReader, o: number, i: number): number {
  const e = sets.memberAt(o, i)
  if (e === o) return Infinity
  if (sets.owns(o, e)) return 2e30
  const s = sets.scoreAt(o, i)
  return s === s ? s : 1e30
}
