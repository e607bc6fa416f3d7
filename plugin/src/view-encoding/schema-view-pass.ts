import type { Iterator, StateView } from '@colyseus/schema'
import { copyRemembered, remember, type PassCache, type PassCacheState } from './pass-cache'
import { $refId, DEFAULT_VIEW_TAG, dirtyHighOf, encode, opAt, SWITCH_TO_STRUCTURE, viewBit, viewSlot, type ChangeTreeLike } from './schema-internals'
import { emitTreeForView } from './tree-view-pass'

/*
 * Owns: the direct view pass. It is the view pass of `Encoder.encodeView` for Schema objects,
 * without schema's per-object context setup, visibility re-check and per-field callbacks. It runs
 * over a view's own change list (indexed-encoding.ts), whose objects are all visible to the view.
 * Plain Schema instances (`isPlainSchemaTree` in schema-internals.ts) are emitted from the tables
 * here and their bytes cached for the next views; any other tree of the list (a collection, a tree
 * visible through its parent) goes through tree-view-pass.ts, schema's own per-tree logic, in its
 * place in the list. It emits the bytes schema's `encodeChangeCb` + `Schema[$filter]` would: same objects in the same order,
 * same fields in the same order, same lazy structure switch. The differential test in
 * `test/view-encoding/byte-equality.test.ts` holds it to byte equality with the stock encoder.
 */

/**
 * The tag bits among `wanted` that the view at (slot, bit) holds on the tree (what
 * StateView.hasTagOnTree tests bit by bit), so each field's check is one AND.
 */
function heldTags(tv: Map<number, number[]> | undefined, wanted: number, slot: number, bit: number): number {
  if (tv === undefined) return 0
  let held = 0
  for (let bits = wanted; bits !== 0; bits &= bits - 1) {
    const b = bits & -bits
    const arr = tv.get(b)
    if (arr !== undefined && slot < arr.length && (arr[slot]! & bit) !== 0) held |= b
  }
  return held
}

/** The union of the custom tags of a tree's changed fields (0 when the class has no field filter). */
function wantedTags(tree: ChangeTreeLike): number {
  const desc = tree.encDescriptor
  if (desc.filter === undefined) return 0
  const tags = desc.tags
  const high = dirtyHighOf(tree)
  let wanted = 0
  for (let half = 0; half < 2; half++) {
    for (let bits = half === 0 ? tree.dirtyLow : high; bits !== 0; bits &= bits - 1) {
      const tag = tags[half * 32 + 31 - Math.clz32(bits & -bits)]
      if (tag !== undefined && tag !== DEFAULT_VIEW_TAG) wanted |= tag
    }
  }
  return wanted
}

/** Emits one tree's view-pass fields for a view holding the tags `held` (among `wanted`) on it. */
function emitTree(enc: unknown, tree: ChangeTreeLike, wanted: number, held: number, buffer: Uint8Array, it: Iterator): void {
  const desc = tree.encDescriptor
  const tags = desc.tags
  const filtered = tree.isFiltered
  const high = dirtyHighOf(tree)
  const low = tree.dirtyLow
  let switched = false
  for (let half = 0; half < 2; half++) {
    for (let bits = half === 0 ? low : high; bits !== 0; bits &= bits - 1) {
      const i = half * 32 + 31 - Math.clz32(bits & -bits)
      const tag = tags[i]
      // the view pass emits filtered fields only: every field of a filtered tree, tagged ones elsewhere
      if (!filtered && tag === undefined) continue
      const op = opAt(tree, i)
      if (op === undefined) continue
      // Schema[$filter]: untagged and default-tagged fields pass (the tree is visible), custom tags need the view's tag
      if (wanted !== 0 && tag !== undefined && tag !== DEFAULT_VIEW_TAG && (held & tag) === 0) continue
      if (!switched) {
        buffer[it.offset++] = SWITCH_TO_STRUCTURE
        encode.number(buffer, tree.ref[$refId]!, it)
        switched = true
      }
      desc.encoder(enc, buffer, tree, i, op, it, false, true, desc.metadata)
    }
  }
}

/**
 * Emits the view pass for `view` (id `viewId`) over its list of changed trees (ordinals
 * `ords[0, count)` of the patch's changed trees, `treeOf` resolving one; `sole[ord]` the custom
 * tag every view listing the tree holds, or 0; `plain[ord]` 1 for a plain Schema tree: see
 * ViewChangeLists), into `buffer` at
 * `it.offset`. Like schema, writes past the end are dropped and the pass is redone into a buffer
 * grown by `grow` (which also warns, as schema does).
 * @returns the buffer written to (grown when it was too small); the pass ends at `it.offset`.
 */
export function emitSchemaViewPass(
  enc: unknown,
  ords: Int32Array,
  count: number,
  treeOf: (ord: number) => unknown,
  sole: Int32Array,
  plain: Uint8Array,
  view: StateView,
  viewId: number,
  buffer: Uint8Array,
  it: Iterator,
  grow: (buffer: Uint8Array, used: number) => Uint8Array,
  cache: PassCache,
): Uint8Array {
  const c = cache as PassCacheState
  const start = it.offset
  const slot = viewSlot(viewId)
  const bit = viewBit(viewId)
  for (;;) {
    for (let k = 0; k < count; k++) {
      const ord = ords[k]!
      if (plain[ord] === 0) {
        // not a plain Schema tree: schema's own logic for this one tree; what it emits depends on
        // the view, so nothing is cached
        emitTreeForView(enc, treeOf(ord) as ChangeTreeLike, view, buffer, it)
        continue
      }
      const known = c.stamp[ord] === c.build
      const only = sole[ord]!
      let tree: ChangeTreeLike | undefined
      let wanted: number
      if (known) wanted = c.wanted[ord]!
      else {
        tree = treeOf(ord) as ChangeTreeLike
        wanted = wantedTags(tree)
      }
      // the custom tags among the changed ones this view holds on the tree
      let held = 0
      if (only !== 0 && wanted === only) {
        // every changed field carries this one tag, and the view is in the list because it holds it
        held = only
      } else if (wanted !== 0 && known && (wanted & (wanted - 1)) === 0) {
        // one tag bit: its bitmap was fetched by the first view
        const arr = c.holder[ord]
        held = arr !== undefined && slot < arr.length && (arr[slot]! & bit) !== 0 ? wanted : 0
      } else if (wanted !== 0) {
        tree ??= treeOf(ord) as ChangeTreeLike
        held = heldTags(tree.tagViews, wanted, slot, bit)
      }
      if (known && c.held[ord] === held) {
        // same tags as the view that emitted it first: same bytes
        copyRemembered(c, ord, buffer, it)
        continue
      }
      tree ??= treeOf(ord) as ChangeTreeLike
      const at = it.offset
      emitTree(enc, tree, wanted, held, buffer, it)
      if (!known && it.offset <= buffer.length) remember(c, ord, tree, wanted, held, buffer, at, it.offset)
    }
    if (it.offset <= buffer.byteLength) return buffer
    buffer = grow(buffer, it.offset)
    it.offset = start
  }
}
