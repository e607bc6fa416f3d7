import { StateView } from '@colyseus/schema'
import { installedSchemaVersion, isTestedSchemaVersion } from '../view-encoding/version-gate'
import { pendingChanges, refIdOf, replacePendingChanges, type ChangeKey, type ChangeTreeLike, type ViewChanges } from '../view-encoding/schema-internals'
import { EntryTable } from './entry-table'

/*
 * Owns the entry maps the sync layer puts in a view's pending changes (`view.changes`, one map of
 * key to operation per object) without allocating per edit:
 * - shared maps: one immutable map per (class, edit), queued for every view and object it fits
 *   (schema-tags.ts builds them). Only ever queued for flat entity objects (no child trees), so no
 *   shared map sits on an object that is another's ancestor;
 * - pooled maps: per view, one private map per ancestor object (the state, the entity collection),
 *   emptied and queued again once the encoder has consumed the last one (it clears the outer map).
 *   They are {@link EntryTable}s: a `Map` emptied and refilled every patch allocates its table anew.
 * Schema's encoder and the plugin's drain only read inner maps. Before schema itself edits an
 * object's entries (a stock view.add / view.remove), {@link privatizeEntries} swaps any shared map
 * in the object's subtree for a private copy.
 */

/** A view's entries for one object: operation per field or element key. */
export type Entries = Map<ChangeKey, number>

const shared = new WeakSet<Entries>()
/** Per view: its private map of each ancestor object, by ref id. */
const pools = new WeakMap<StateView, Map<number, Entries>>()

/**
 * A StateView for the plugin to manage, its pending changes kept in an {@link EntryTable}: the
 * encoder empties them every patch, and a `Map` would allocate its table anew each time it refills.
 * On a schema release the contract tests have not passed on, the view keeps schema's own `Map`
 * (the swap relies on how schema reads `view.changes`; see version-gate.ts), and so do the pooled maps.
 */
export function createManagedView(): StateView {
  const view = new StateView()
  if (useTables()) replacePendingChanges(view, new EntryTable<number, Entries>() as unknown as ViewChanges)
  return view
}

/** True on a schema release the contract tests cover: only there do views and pooled maps use {@link EntryTable}s (called once per view or pool entry, not per patch). */
function useTables(): boolean {
  return isTestedSchemaVersion(installedSchemaVersion())
}

/** Marks `m` as shared (never edited again) and returns it. */
export function shareEntries(m: Entries): Entries {
  shared.add(m)
  return m
}

/** True when `m` is a shared map (see {@link shareEntries}). */
export function isShared(m: Entries): boolean {
  return shared.has(m)
}

/** Private maps {@link ownEntries} made by merging a band change into the sync layer's own entries. */
const merged = new WeakSet<Entries>()

/** True when `m` holds only entries the sync layer's edits queued: a shared map, or a merge of them. */
export function isAdapterEntries(m: Entries): boolean {
  return shared.has(m) || merged.has(m)
}

/**
 * The private entries of ancestor `tree` in `view`: the pending ones when private, else the view's
 * pooled map for it, emptied (a copy of a shared map's entries) and queued at the end, as schema
 * queues a missing entry.
 */
export function ancestorEntries(view: StateView, changes: ViewChanges, tree: ChangeTreeLike): Entries {
  const refId = refIdOf(tree)
  const pending = changes.get(refId)
  if (pending !== undefined && !shared.has(pending)) return pending
  let pool = pools.get(view)
  if (pool === undefined) {
    pool = new Map()
    pools.set(view, pool)
  }
  let own = pool.get(refId)
  if (own === undefined) {
    own = useTables() ? (new EntryTable<ChangeKey, number>() as unknown as Entries) : new Map()
    pool.set(refId, own)
  } else if (own.size > 0) own.clear() // not pending (checked above): the encoder has consumed it
  if (pending !== undefined) copyEntries(pending, own)
  changes.set(refId, own)
  return own
}

/** Sets every entry of `from` in `to`, in `from`'s order (a forEach over a module-level callback: no closure, no iterator). */
export function copyEntries(from: Entries, to: Entries): void {
  copyTarget = to
  from.forEach(copyEntry)
  copyTarget = undefined
}

let copyTarget: Entries | undefined
function copyEntry(op: number, key: ChangeKey): void {
  copyTarget!.set(key, op)
}

/** A new private map for entries the sync layer's edits queued (counted as such by {@link isAdapterEntries}). */
export function newAdapterEntries(): Entries {
  const own: Entries = new Map()
  merged.add(own)
  return own
}

/** A private copy of `instance`'s entries when they are shared, freshly allocated (a rare merge). */
export function ownEntries(changes: ViewChanges, refId: number, pending: Entries): Entries {
  if (!shared.has(pending)) return pending
  const own = new Map(pending)
  merged.add(own)
  changes.set(refId, own)
  return own
}

/** Before schema edits `tree`'s entries in `view` (a stock view.add / view.remove): private copies of shared maps in its subtree. */
export function privatizeEntries(view: StateView, tree: ChangeTreeLike, flat: boolean): void {
  const changes = pendingChanges(view)
  if (changes.size === 0) return
  privatizeTree(changes, tree, flat)
}

function privatizeTree(changes: ViewChanges, tree: ChangeTreeLike, flat: boolean): void {
  const refId = refIdOf(tree)
  const pending = changes.get(refId)
  if (pending !== undefined && shared.has(pending)) changes.set(refId, new Map(pending))
  // a stock add recurses into child trees: shared maps of flat entities nested below get copied too
  if (!flat) tree.forEachChildWithCtx(changes, privatizeChild)
}

function privatizeChild(changes: ViewChanges, child: ChangeTreeLike): void {
  privatizeTree(changes, child, false)
}
