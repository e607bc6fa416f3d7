import type { AttentionSystem } from '../ecs/types'
import type { EntityRegistry } from './entity-registry'
import { reconcileFull } from './reconcile-full'
import { reconcileTick } from './reconcile-tick'
import { createSetReader, type SetReader } from './set-reader'
import type { SyncScratch } from './sync-scratch'
import { dropBarred } from './view-bounds'
import { dropEntry } from './view-sync'
import { adoptRecord, disownRecord, LAPSED_BINDING, observerGone, recordSlot, type ViewRecord } from './view-record'
import { publishWatch, resetWatch } from './watch-bands'

/**
 * One sync pass: makes every record's view hold its observer's interest set. A view synced after
 * the previous engine tick, whose member count moved exactly by that tick's entered and exited
 * counts, applies the tick's lists ({@link reconcileTick}); any other view (new, rebound, its
 * observer re-added, engine ticks skipped or repeated) is reconciled from its whole set.
 */
export function syncViews(
  records: readonly ViewRecord[],
  system: AttentionSystem,
  registry: EntityRegistry,
  tags: readonly [number, number, number],
  entryBudget: number,
  s: SyncScratch,
): void {
  if (++s.pass === 0x3fffffff) {
    s.refreshed.fill(0)
    s.pass = 1
  }
  if (s.reader === null || s.reader.system !== system) s.reader = createSetReader(system)
  const sets = s.reader
  const full = s.fullReconcile
  if (full) resetWatch(s.bands)
  else {
    adoptRecords(records, s)
    dropRecycled(records, sets, registry, tags, s)
  }
  const tick = system.tick
  s.detached = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    const o = r.observer
    const orphaned = observerGone(r, sets)
    if (orphaned || !sets.isObserver(o)) {
      // an observer id that lost its Observer since the bind may stand for another player now:
      // its set is not this view's (the plugin warns once and forgets the view as a shared one); a
      // binding that lapsed before its id became an observer was said when it lapsed
      if (orphaned && r.sessions.length > 0 && r.observerGen !== LAPSED_BINDING) s.orphanedObserver = o
      clearView(r, registry, tags)
      r.pending = 0
      r.held = 0
      r.synced = -1
      continue
    }
    dropBarred(r, sets, registry, tags, s)
    const n = sets.memberCount(o)
    // the count check catches a set emptied in between (observer removed and added again)
    if (!full && r.synced !== -1 && r.synced === tick - 1 && r.members - sets.exitedCount(o) + sets.enteredCount(o) === n) {
      reconcileTick(r, sets, registry, tags, entryBudget, s)
    } else reconcileFull(r, sets, registry, tags, entryBudget, s)
    r.synced = tick
    r.members = n
  }
  if (!full) publishWatch(s.bands)
  s.tracked = false
}

/** Removes every entity from the record's view (observer gone or client rebinding). */
export function clearView(r: ViewRecord, registry: EntityRegistry, tags: readonly [number, number, number]): void {
  for (let j = r.count - 1; j >= 0; j--) dropEntry(r, j, registry, tags)
}

/** Counts new records' entries in the watch bands, and uncounts records the plugin dropped. */
function adoptRecords(records: readonly ViewRecord[], s: SyncScratch): void {
  const known = s.known
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    r.seen = s.pass
    if (r.holdings === s.bands) continue
    disownRecord(r)
    adoptRecord(r, s.bands)
    known.push(r)
  }
  for (let k = known.length - 1; k >= 0; k--) {
    const r = known[k]!
    if (r.seen === s.pass) continue
    // its last client left: the plugin disposed the view
    disownRecord(r)
    known[k] = known[known.length - 1]!
    known.pop()
  }
}

/**
 * Drops view entries whose id was removed or recycled since the last sync, or whose instance is no
 * longer the registered one. A removal after the engine's tick shows in no exit list; the entities
 * held by some view are those `watch` lists.
 */
function dropRecycled(records: readonly ViewRecord[], sets: SetReader, registry: EntityRegistry, tags: readonly [number, number, number], s: SyncScratch): void {
  const b = s.bands
  for (let k = 0; k < b.watchedN; k++) {
    const e = b.watched[k]!
    const gen = sets.generationOf(e)
    if (registry.holds(e, gen)) continue
    // no instance of the current generation: no view may keep any entry of this id
    for (let i = 0; i < records.length; i++) {
      const j = recordSlot(records[i]!, e)
      if (j !== -1) dropEntry(records[i]!, j, registry, tags)
    }
  }
}
