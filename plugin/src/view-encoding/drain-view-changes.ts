import type { Iterator } from '@colyseus/schema'
import { $getByIndex, $refId, ARRAY_SNAPSHOT, encode, OPERATION, SWITCH_TO_STRUCTURE, type ChangeKey, type ChangeTreeLike, type EncoderLike, type ViewChanges } from './schema-internals'

/*
 * Owns: emitting a view's pending adds and removes (`view.changes`) as the first half of schema's
 * `encodeView` does, for the direct path (indexed-encoding.ts).
 */

/**
 * True when every entry of `view.changes` is one {@link drainViewChanges} emits as schema would:
 * field and element indices, and element bindings; not the whole-array snapshot key.
 */
export function drainable(changes: ViewChanges): boolean {
  snapshot = false
  changes.forEach(findSnapshot)
  return !snapshot
}

let snapshot = false
function findSnapshot(inner: Map<ChangeKey, number>): void {
  if (inner.has(ARRAY_SNAPSHOT)) snapshot = true
}

/** The drain's state while Map.forEach walks the entries (a module-level context: no closure, no iterator). */
const ctx = {
  self: undefined as unknown as EncoderLike,
  changes: undefined as unknown as ViewChanges,
  bytes: undefined as unknown as Uint8Array,
  it: undefined as unknown as Iterator,
  tree: undefined as unknown as ChangeTreeLike,
}

/**
 * Emits a view's pending adds and removes (`view.changes`) into `bytes` at `it.offset`, as the
 * first half of schema's `encodeView` does: per changed object in the map's (topological) order a
 * structure switch, then each entry's operation at the entry's current index. An element bound
 * this patch but removed from its collection in the same patch is dropped with its own pending
 * entry (it never reached the client). Returns the buffer written to (grown ahead as schema does).
 * Walks the maps with `forEach` and module-level callbacks: a `for...of` over `keys()` allocates an
 * iterator per map, per view, per patch.
 */
export function drainViewChanges(self: EncoderLike, changes: ViewChanges, bytes: Uint8Array, it: Iterator): Uint8Array {
  ctx.self = self
  ctx.changes = changes
  ctx.bytes = bytes
  ctx.it = it
  // an entry deleted while the walk runs (a cancelled binding's child) is not visited, as with for...of
  changes.forEach(drainObject, ctx)
  changes.clear()
  const out = ctx.bytes
  ctx.self = undefined as unknown as EncoderLike
  ctx.changes = undefined as unknown as ViewChanges
  ctx.bytes = undefined as unknown as Uint8Array
  ctx.tree = undefined as unknown as ChangeTreeLike
  return out
}

/** One changed object's entries: its structure switch, then each entry. */
function drainObject(this: typeof ctx, inner: Map<ChangeKey, number>, refId: number): void {
  if (inner.size === 0) return
  const tree = this.self.root.changeTrees[refId]
  // a detached object: nothing to send
  if (tree === undefined) return
  const it = this.it
  const bytes = (this.bytes = this.self.ensureCapacity(this.bytes, it.offset))
  bytes[it.offset++] = SWITCH_TO_STRUCTURE
  encode.number(bytes, tree.ref[$refId]!, it)
  this.tree = tree
  inner.forEach(drainEntry, this)
}

/** One entry of the current object: its operation at the entry's current index. */
function drainEntry(this: typeof ctx, op: number, key: ChangeKey): void {
  const tree = this.tree
  let index: number
  if (typeof key === 'number') index = key
  else {
    const at = key.indexInParent(tree.ref)
    // moved to another parent since
    if (at === undefined) return
    index = at
    if (op === OPERATION.ADD && tree.getChange(index) === OPERATION.DELETE) {
      this.changes.delete(key.ref[$refId]!)
      return
    }
  }
  // an index whose value is gone (removed from the state after view.add) is sent as a delete
  const operation = (tree.refTarget[$getByIndex](index) !== undefined && op) || OPERATION.DELETE
  const d = tree.encDescriptor
  d.encoder(this.self, this.bytes, tree, index, operation, this.it, false, true, d.metadata)
}
