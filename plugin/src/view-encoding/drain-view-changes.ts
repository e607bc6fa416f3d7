import type { Iterator } from '@colyseus/schema'
import { $getByIndex, $refId, ARRAY_SNAPSHOT, encode, OPERATION, SWITCH_TO_STRUCTURE, type EncoderLike, type ViewChanges } from './schema-internals'

/*
 * Owns: emitting a view's pending adds and removes (`view.changes`) as the first half of schema's
 * `encodeView` does, for the direct path (indexed-encoding.ts).
 */

/**
 * True when every entry of `view.changes` is one {@link drainViewChanges} emits as schema would:
 * field and element indices, and element bindings; not the whole-array snapshot key.
 */
export function drainable(changes: ViewChanges): boolean {
  for (const inner of changes.values()) if (inner.has(ARRAY_SNAPSHOT)) return false
  return true
}

/**
 * Emits a view's pending adds and removes (`view.changes`) into `bytes` at `it.offset`, as the
 * first half of schema's `encodeView` does: per changed object in the map's (topological) order a
 * structure switch, then each entry's operation at the entry's current index. An element bound
 * this patch but removed from its collection in the same patch is dropped with its own pending
 * entry (it never reached the client). Returns the buffer written to (grown ahead as schema does).
 */
export function drainViewChanges(self: EncoderLike, changes: ViewChanges, bytes: Uint8Array, it: Iterator): Uint8Array {
  const trees = self.root.changeTrees
  // keys, then get: iterating entries would allocate a [key, value] pair per entry
  for (const refId of changes.keys()) {
    const inner = changes.get(refId)!
    if (inner.size === 0) continue
    const tree = trees[refId]
    // a detached object: nothing to send
    if (tree === undefined) continue
    const d = tree.encDescriptor
    bytes = self.ensureCapacity(bytes, it.offset)
    bytes[it.offset++] = SWITCH_TO_STRUCTURE
    encode.number(bytes, tree.ref[$refId]!, it)
    for (const key of inner.keys()) {
      const op = inner.get(key)!
      let index: number
      if (typeof key === 'number') index = key
      else {
        const at = key.indexInParent(tree.ref)
        // moved to another parent since
        if (at === undefined) continue
        index = at
        if (op === OPERATION.ADD && tree.getChange(index) === OPERATION.DELETE) {
          changes.delete(key.ref[$refId]!)
          continue
        }
      }
      // an index whose value is gone (removed from the state after view.add) is sent as a delete
      const operation = (tree.refTarget[$getByIndex](index) !== undefined && op) || OPERATION.DELETE
      d.encoder(self, bytes, tree, index, operation, it, false, true, d.metadata)
    }
  }
  changes.clear()
  return bytes
}
