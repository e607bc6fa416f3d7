import type { Iterator, StateView } from '@colyseus/schema'
import { $refId, encode, SWITCH_TO_STRUCTURE, type ChangeTreeLike, type EncDescriptorLike } from './schema-internals'

/*
 * Owns: the view pass of ONE changed tree of any kind, as schema's `Encoder._encodeChannel` (view
 * pass: `hasView`, `emitFiltered`) emits it with its `encodeChangeCb`: the trees the direct pass
 * (schema-view-pass.ts) has no table for, such as the room's filtered entity map when entities
 * come and go, or a tree visible through its parent. Without it one such tree in a view's list
 * sent the whole view through schema's own encodeView; with it the direct pass keeps every other
 * tree of the list and its pass cache. Module-level context and callbacks, as schema's own: the
 * pass allocates nothing (a collection's change map is walked with `forEach`; one with pure ops
 * pending, rare, by schema's `forEachWithCtx`).
 * The differential tests in test/view-encoding/byte-equality*.test.ts hold it to schema's bytes.
 */

/** The one context of the pass (what schema's `_encodeCtx` holds for a view pass). */
const ctx = {
  enc: undefined as unknown,
  buffer: undefined as unknown as Uint8Array,
  it: undefined as unknown as Iterator,
  view: undefined as unknown as StateView,
  tree: undefined as unknown as ChangeTreeLike,
  desc: undefined as unknown as EncDescriptorLike,
  treeIsFiltered: false,
  switched: false,
}

/** The structure switch before a tree's first emitted field (schema's `ensureStructSwitch`; a view pass always emits it). */
function ensureSwitch(c: typeof ctx): void {
  if (c.switched) return
  c.buffer[c.it.offset++] = SWITCH_TO_STRUCTURE
  encode.number(c.buffer, c.tree.ref[$refId]!, c.it)
  c.switched = true
}

/** schema's `encodeChangeCb` for a view pass (not a full sync): one recorded change of the tree. */
function emitChange(c: typeof ctx, index: number, op: number | undefined): void {
  if (index < 0) {
    // a pure op (CLEAR, REVERSE): one byte, in the pass matching the tree's classification
    if (!c.treeIsFiltered) return
    ensureSwitch(c)
    c.buffer[c.it.offset++] = Math.abs(index) & 255
    return
  }
  const d = c.desc
  // a field is filtered iff the tree is, or the field carries a view tag (bitmask up to field 31)
  const filtered = d.isSchema ? c.treeIsFiltered || (index < 32 ? (d.filterBitmask & (1 << index)) !== 0 : d.tags[index] !== undefined) : c.treeIsFiltered
  if (!filtered || op === undefined) return
  if (d.filter !== undefined && !d.filter(c.tree.ref, index, c.view)) return
  ensureSwitch(c)
  d.encoder(c.enc, c.buffer, c.tree, index, op, c.it, false, true, d.metadata)
}

/** {@link emitChange} for one entry of a collection's change map (Map.forEach order: value, key). */
function emitElementChange(this: typeof ctx, op: number, index: number): void {
  emitChange(this, index, op)
}

/**
 * Emits `tree`'s view-pass changes for `view` into `buffer` at `it.offset`, exactly as schema's view
 * pass would for this tree at this point of the list: nothing when the view cannot see it (schema
 * checks, and memoises visibility through the parent), else a structure switch and each filtered
 * change the tree's filter lets through. Writes past the end of `buffer` are dropped and only move
 * `it.offset` (the caller redoes the pass in a larger buffer, as schema does).
 */
export function emitTreeForView(enc: unknown, tree: ChangeTreeLike, view: StateView, buffer: Uint8Array, it: Iterator): void {
  if (!view.isChangeTreeVisible(tree as never) || !tree.has()) return
  ctx.enc = enc
  ctx.buffer = buffer
  ctx.it = it
  ctx.view = view
  ctx.tree = tree
  ctx.desc = tree.encDescriptor
  ctx.treeIsFiltered = tree.isFiltered
  ctx.switched = false
  const dirty = tree.collDirty
  const pure = tree.collPureOps
  // a collection without pure ops: its change map walked by forEach, which (unlike schema's
  // for...of over entries) allocates no [index, op] pair per change, per view, per patch
  if (tree._isSchema !== true && dirty !== undefined && (pure === undefined || pure.length === 0)) dirty.forEach(emitElementChange, ctx)
  else tree.forEachWithCtx(ctx, emitChange)
  // drop the references: the tree may be detached after the patch
  ctx.enc = undefined
  ctx.buffer = undefined as unknown as Uint8Array
  ctx.view = undefined as unknown as StateView
  ctx.tree = undefined as unknown as ChangeTreeLike
  ctx.desc = undefined as unknown as EncDescriptorLike
}
