import type { EntityRegistry } from './entity-registry'
import type { SetReader } from './set-reader'
import { nextStamp, type SyncScratch } from './sync-scratch'
import { dropEntry, retagEntry } from './view-sync'
import { admitEntrants, collectEntrants } from './view-entrants'
import type { ViewRecord } from './view-record'
import { raiseWatch } from './watch-bands'

/**
 * Brings one view in line with its observer's whole interest set: removes what left (or was
 * recycled, or untracked), retags what changed band, then adds entrants up to the entry budget.
 * Costs a pass over the set and one over the view. Returns the number of entrants still waiting.
 */
export function reconcileFull(
  r: ViewRecord,
  sets: SetReader,
  registry: EntityRegistry,
  tags: readonly [number, number, number],
  entryBudget: number,
  s: SyncScratch,
): number {
  const o = r.observer
  const n = sets.memberCount(o)
  const st = nextStamp(s)
  for (let i = 0; i < n; i++) {
    const e = sets.memberAt(o, i)
    s.mark[e] = st
    s.markIndex[e] = i
  }

  // iterate backwards so swap-removal never skips an entry
  for (let j = r.count - 1; j >= 0; j--) {
    const e = r.eids[j]!
    // kept only while it is the very entity the engine selected (same generation as the member)
    if (!registry.holds(e, r.gens[j]!) || s.mark[e] !== st || sets.generationOf(e) !== r.gens[j] || sets.memberGenerationAt(o, s.markIndex[e]!) !== r.gens[j]) {
      dropEntry(r, j, registry, tags)
      continue
    }
    const band = sets.bandAt(o, s.markIndex[e]!)
    retagEntry(r, j, band, registry, tags, s)
    if (s.fullReconcile) raiseWatch(s.bands, e, band)
  }

  return admitEntrants(r, sets, registry, tags, entryBudget, s, collectEntrants(r, sets, registry, s))
}
