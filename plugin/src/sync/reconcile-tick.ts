import type { EntityRegistry } from './entity-registry'
import type { SetReader } from './set-reader'
import { nextStamp, reservePending, type SyncScratch } from './sync-scratch'
import { dropEntry, retagEntry } from './view-sync'
import { admitEntrants, collectEntrants, isSendable, isTracked } from './view-entrants'
import { recordSlot, type ViewRecord } from './view-record'

/**
 * Applies one engine tick's exited / band-changed / entered lists to a view, with the result of a
 * full reconcile (reconcile-full.ts). Valid only when the view was synced right after the previous
 * tick, so that every entry was a member at its band and every sendable member was in the view
 * unless some waited for the entry budget (the caller checks the tick and the member count), and
 * when entries whose id was recycled since are already gone (sync-pass.ts). A sendable member the
 * view lacks then either just entered, or waited for the budget (`r.pending > 0`), or was held
 * back (`r.held > 0`, view-bounds.ts), or was tracked since (`s.tracked`); in the last three cases the entrants are collected from the whole set.
 * Returns the number of entrants still waiting.
 */
export function reconcileTick(
  r: ViewRecord,
  sets: SetReader,
  registry: EntityRegistry,
  tags: readonly [number, number, number],
  entryBudget: number,
  s: SyncScratch,
): number {
  const o = r.observer
  const mark = s.mark
  const at = s.markIndex
  const nIn = sets.enteredCount(o)
  const nOut = sets.exitedCount(o)
  const nBand = sets.bandChangedCount(o)

  // exits; an id that left and entered again with the generation of its entry is still the same
  // member, so it keeps its entry (and is retagged below) as a full reconcile would do
  let st = nextStamp(s)
  for (let k = 0; k < nIn; k++) mark[sets.enteredAt(o, k)] = st
  for (let k = 0; k < nOut; k++) {
    const e = sets.exitedAt(o, k)
    const j = recordSlot(r, e)
    if (j === -1) continue
    if (mark[e] === st && r.gens[j] === sets.generationOf(e) && registry.holds(e, r.gens[j]!)) continue
    dropEntry(r, j, registry, tags)
  }

  // entities whose member index we need: entries whose band changed, and entrants
  const backlog = r.pending > 0 || r.held > 0 || s.tracked
  st = nextStamp(s)
  let need = 0
  for (let k = 0; k < nBand; k++) {
    const e = sets.bandChangedAt(o, k)
    if (recordSlot(r, e) === -1 || mark[e] === st) continue
    mark[e] = st
    at[e] = -1
    need++
  }
  for (let k = 0; k < nIn; k++) {
    const e = sets.enteredAt(o, k)
    if (mark[e] === st) continue
    if (recordSlot(r, e) === -1 && (backlog || !isTracked(sets, registry, e))) {
      // an instance tracked before the entity lost Position stands for it no more (said once)
      if (!backlog && registry.instances[e] !== undefined) s.staleTracked = e
      continue
    }
    mark[e] = st
    at[e] = -1
    need++
  }
  if (need > 0) {
    const n = sets.memberCount(o)
    for (let i = 0, found = 0; i < n && found < need; i++) {
      const e = sets.memberAt(o, i)
      if (mark[e] !== st) continue
      at[e] = i
      found++
    }
  }

  // retag entries, gather entrants (member indices); clearing the mark handles each id once
  reservePending(s, nIn)
  let p = 0
  for (let k = 0; k < nBand + nIn; k++) {
    const e = k < nBand ? sets.bandChangedAt(o, k) : sets.enteredAt(o, k - nBand)
    if (mark[e] !== st) continue
    mark[e] = 0
    const i = at[e]!
    const j = recordSlot(r, e)
    if (j === -1) {
      // (an entrant got here tracked at its current generation: a stale instance was noted above)
      if (i !== -1 && isSendable(sets, registry, o, i)) s.pending[p++] = i
    } else if (i === -1 || sets.memberGenerationAt(o, i) !== r.gens[j]) dropEntry(r, j, registry, tags)
    else retagEntry(r, j, sets.bandAt(o, i), registry, tags, s)
  }

  if (backlog) p = collectEntrants(r, sets, registry, s)
  else if (p > entryBudget) sortAscending(s.pending, p)
  return admitEntrants(r, sets, registry, tags, entryBudget, s, p)
}

/** Insertion sort of `a[0, n)`: entrants in member order, as a full reconcile lists them. */
function sortAscending(a: Int32Array, n: number): void {
  for (let k = 1; k < n; k++) {
    const v = a[k]!
    let q = k
    while (q > 0 && a[q - 1]! > v) {
      a[q] = a[q - 1]!
      q--
    }
    a[q] = v
  }
}
