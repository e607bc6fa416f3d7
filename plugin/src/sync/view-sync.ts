import type { Ref, StateView } from '@colyseus/schema'
import type { EntityRegistry } from './entity-registry'
import { dropBandChange, enterView, exitView, privatizeEntry, retagInView, stripChildTags } from './schema-tags'
import type { SyncScratch } from './sync-scratch'
import { recordAdd, recordRemoveAt, recordSetBand, type ViewRecord } from './view-record'
import { raiseWatch } from './watch-bands'

/**
 * Changes the band tag of `instance` in `view` from `oldTag` to `tag`. The view's tags are
 * rewritten in place (schema-tags.ts); wherever that does not apply, through view.add /
 * view.remove as follows.
 *
 * Fact (schema 5.0.34, checked by experiment): `view.remove(obj, tag)` also clears the object's
 * visibility in the view, so later changes to its untagged fields and its deletion from the map
 * would no longer reach the client. After dropping tags we therefore `view.add(obj)` again, which
 * restores visibility and keeps the remaining tags. Never `view.remove(obj)` + `view.add(obj, t)`
 * in one patch: the add cancels the remove and the dropped fields stay visible. A tagged add
 * gives the tag to every descendant too: {@link stripChildTags} takes it back from children with
 * tagged fields of their own.
 * @returns the class of a child whose tagged fields were held back (stripChildTags), or undefined.
 */
export function applyTag(view: StateView, instance: Ref, oldTag: number, tag: number): string | undefined {
  if (retagInView(view, instance, oldTag, tag)) return undefined
  privatizeEntry(view, instance)
  const dropped = oldTag & ~tag
  if (dropped !== 0) {
    view.remove(instance, dropped)
    view.add(instance)
  }
  if (tag === 0 || (tag & ~oldTag) === 0) return undefined
  view.add(instance, tag)
  return stripChildTags(view, instance)
}

/**
 * Removes `instance` from `view` entirely (schema-tags.ts, or view.remove where that does not
 * apply). Fact (schema 5.0.34, checked by experiment):
 * `view.remove(obj)` without a tag leaves the object's custom tag bits set for this view, so a later
 * `view.add(obj)` at the default tag would start sending the old tagged fields again. Clearing the
 * tags first (`view.remove(obj, tag)`) prevents that.
 */
export function removeFromView(view: StateView, instance: Ref, tag: number): void {
  const banded = dropBandChange(view, instance)
  if (exitView(view, instance, tag, !banded)) return
  privatizeEntry(view, instance)
  if (tag !== 0) view.remove(instance, tag)
  view.remove(instance)
  if (banded) dropBandChange(view, instance, true)
}

/**
 * Adds `instance`, which `view` does not see, at band tag `tag` (schema-tags.ts, or view.add where
 * that does not apply, then {@link stripChildTags}).
 * @returns the class of a child whose tagged fields were held back, or undefined.
 */
export function addToView(view: StateView, instance: Ref, tag: number): string | undefined {
  if (enterView(view, instance, tag)) return undefined
  privatizeEntry(view, instance)
  if (tag === 0) {
    view.add(instance)
    return undefined
  }
  view.add(instance, tag)
  return stripChildTags(view, instance)
}

/** Removes entry `j` from the record and, when its instance is still the registered one, from the view. */
export function dropEntry(r: ViewRecord, j: number, registry: EntityRegistry, tags: readonly [number, number, number]): void {
  const e = r.eids[j]!
  const inst = registry.instances[e]
  // untrack already removed an instance that is no longer registered
  if (inst !== undefined && registry.holds(e, r.gens[j]!)) removeFromView(r.view, inst, tags[r.bands[j]!]!)
  recordRemoveAt(r, j)
}

/** Moves entry `j` (a tracked instance) to `band`. */
export function retagEntry(r: ViewRecord, j: number, band: number, registry: EntityRegistry, tags: readonly [number, number, number], s: SyncScratch): void {
  const old = r.bands[j]!
  if (band === old) return
  const e = r.eids[j]!
  if ((tags[band]! & ~tags[old]!) !== 0) refreshFor(s, e, band)
  const stripped = applyTag(r.view, registry.instances[e]!, tags[old]!, tags[band]!)
  if (stripped !== undefined) noteStripped(s, e, stripped)
  recordSetBand(r, j, band)
}

/** Adds tracked entity `e` to the view at `band`. */
export function addEntry(r: ViewRecord, e: number, gen: number, band: number, registry: EntityRegistry, tags: readonly [number, number, number], s: SyncScratch): void {
  const inst = registry.instances[e]!
  const tag = tags[band]!
  refreshFor(s, e, band)
  const stripped = addToView(r.view, inst, tag)
  if (stripped !== undefined) noteStripped(s, e, stripped)
  recordAdd(r, e, gen, band)
  if (s.fullReconcile) raiseWatch(s.bands, e, band)
}

/** Notes, for a once-only warning, an entity with a child whose tagged fields were held back. */
export function noteStripped(s: SyncScratch, e: number, childClass: string): void {
  if (s.strippedEid !== -1) return
  s.strippedEid = e
  s.strippedClass = childClass
}

/**
 * Lets the game refresh `eid` before a view receives it at a new band: once per pass, and again when
 * a later view of the pass receives it at a higher band (a game that writes only the fields of the
 * band it is told would otherwise send that view stale ones).
 */
function refreshFor(s: SyncScratch, eid: number, band: number): void {
  if (s.refresh === null || (s.refreshed[eid] === s.pass && s.refreshedBand[eid]! >= band)) return
  s.refreshed[eid] = s.pass
  s.refreshedBand[eid] = band
  try {
    s.refresh(eid, band)
  } catch (err) {
    // the game's callback: a throw must not stop the pass (the views after this one would keep
    // last sync's entries); the entity goes out with the values it has, and the plugin reports it
    if (s.refreshErrorEid === -1) {
      s.refreshError = err
      s.refreshErrorEid = eid
    }
  }
}
