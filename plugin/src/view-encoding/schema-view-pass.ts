import { $filter, $refId, encode, Schema, type Iterator } from '@colyseus/schema'

/*
 * The view pass of `Encoder.encodeView` for Schema objects, without schema's per-object context
 * setup, visibility re-check and per-field callbacks. It runs only over a view's own change list
 * (view-encoding.ts), whose objects are all visible to the view, and only when every object in it
 * is a plain Schema instance (see `isPlainSchemaTree`); otherwise schema's own pass runs. It emits
 * the bytes schema's `encodeChangeCb` + `Schema[$filter]` would: same objects in the same order,
 * same fields in the same order, same lazy structure switch. The differential test in
 * `test/view-encoding/byte-equality.test.ts` holds it to byte equality with the stock encoder.
 */

/** Schema 5.0's structure-switch byte. */
export const SWITCH_TO_STRUCTURE = 255
/** Schema 5.0's DEFAULT_VIEW_TAG: a field marked `.view()` without a tag. */
export const DEFAULT_VIEW_TAG = -1
const schemaFilter = (Schema as unknown as Record<string, unknown>)[$filter]

/** The parts of a Schema ChangeTree the pass reads. */
export interface SchemaTreeLike {
  readonly ref: { readonly [$refId]?: number }
  readonly isFiltered: boolean
  readonly isVisibilitySharedWithParent: boolean
  readonly _isSchema: boolean
  readonly dirtyLow: number
  readonly dirtyHigh: number
  /** Per-field operations when the class has more than 8 fields, else packed in opsLow/opsHigh. */
  readonly ops?: ArrayLike<number>
  readonly opsLow: number
  readonly opsHigh: number
  readonly tagViews?: Map<number, number[]>
  readonly encDescriptor: {
    readonly tags: readonly (number | undefined)[]
    readonly filter: unknown
    readonly hasAnyFullStateOnly: boolean
    readonly metadata: unknown
    readonly encoder: (enc: unknown, bytes: Uint8Array, tree: unknown, index: number, op: number, it: Iterator, all: boolean, view: boolean, metadata: unknown) => void
  }
}

/** True when the pass can emit `tree` itself: a Schema instance with schema's own field filter. */
export function isPlainSchemaTree(tree: SchemaTreeLike): boolean {
  const d = tree.encDescriptor
  return (
    tree._isSchema === true &&
    !tree.isVisibilitySharedWithParent &&
    typeof tree.dirtyLow === 'number' &&
    typeof tree.dirtyHigh === 'number' &&
    d !== undefined &&
    typeof d.encoder === 'function' &&
    (d.filter === undefined || d.filter === schemaFilter) &&
    d.hasAnyFullStateOnly === false
  )
}

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
function wantedTags(tree: SchemaTreeLike): number {
  const desc = tree.encDescriptor
  if (desc.filter === undefined) return 0
  const tags = desc.tags
  const high = tree.ops === undefined ? 0 : tree.dirtyHigh
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
function emitTree(enc: unknown, tree: SchemaTreeLike, wanted: number, held: number, buffer: Uint8Array, it: Iterator): void {
  const desc = tree.encDescriptor
  const tags = desc.tags
  const filtered = tree.isFiltered
  const ops = tree.ops
  // schema reads packed ops (classes of at most 8 fields) from the low dirty word only
  const high = ops === undefined ? 0 : tree.dirtyHigh
  const low = tree.dirtyLow
  let switched = false
  for (let half = 0; half < 2; half++) {
    for (let bits = half === 0 ? low : high; bits !== 0; bits &= bits - 1) {
      const i = half * 32 + 31 - Math.clz32(bits & -bits)
      const tag = tags[i]
      // the view pass emits filtered fields only: every field of a filtered tree, tagged ones elsewhere
      if (!filtered && tag === undefined) continue
      const op = ops !== undefined ? ops[i] : ((i < 4 ? tree.opsLow : tree.opsHigh) >>> ((i & 3) << 3)) & 0xff
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
 * The bytes each changed tree emitted in this patch, kept for the next views: what a tree emits
 * depends on the view only through the tags the view holds on it, so every view holding the same
 * tags gets a copy of the first one's bytes. Indexed by the tree's ordinal in the patch's lists
 * (view-change-lists.ts); entries are valid for one build (`reset`).
 */
export interface PassCache {
  /** Starts a patch whose lists number their trees 0..trees-1. */
  reset(trees: number): void
}

interface PassCacheState extends PassCache {
  stamp: Int32Array
  wanted: Int32Array
  held: Int32Array
  start: Int32Array
  length: Int32Array
  /** When `wanted` is one tag bit: the tree's per-view bitmap of that tag (undefined: no view holds it). */
  holder: (number[] | undefined)[]
  bytes: Uint8Array
  used: number
  build: number
}

/** Creates an empty pass cache (one per encoder). */
export function createPassCache(): PassCache {
  const c: PassCacheState = {
    stamp: new Int32Array(0),
    wanted: new Int32Array(0),
    held: new Int32Array(0),
    start: new Int32Array(0),
    length: new Int32Array(0),
    holder: [],
    bytes: new Uint8Array(4096),
    used: 0,
    build: 0,
    reset(trees: number): void {
      c.build = (c.build + 1) | 0
      if (c.build === 0) {
        c.stamp.fill(0)
        c.build = 1
      }
      c.used = 0
      // let go of the previous patch's bitmaps (they belong to trees that may be gone), keeping
      // the array's storage
      c.holder.fill(undefined)
      if (trees > c.stamp.length) {
        const n = Math.max(trees, c.stamp.length * 2, 64)
        c.stamp = new Int32Array(n)
        c.wanted = new Int32Array(n)
        c.held = new Int32Array(n)
        c.start = new Int32Array(n)
        c.length = new Int32Array(n)
      }
    },
  }
  return c
}

/** Keeps `buffer[from, to)` as tree `ord`'s bytes for a view holding `held`. */
function remember(c: PassCacheState, ord: number, tree: SchemaTreeLike, wanted: number, held: number, buffer: Uint8Array, from: number, to: number): void {
  const n = to - from
  if (c.used + n > c.bytes.length) {
    const grown = new Uint8Array(Math.max(c.bytes.length * 2, c.used + n))
    grown.set(c.bytes.subarray(0, c.used))
    c.bytes = grown
  }
  const bytes = c.bytes
  const at = c.used
  for (let k = 0; k < n; k++) bytes[at + k] = buffer[from + k]!
  c.used = at + n
  c.stamp[ord] = c.build
  c.wanted[ord] = wanted
  c.held[ord] = held
  c.start[ord] = at
  c.length[ord] = n
  while (c.holder.length <= ord) c.holder.push(undefined)
  c.holder[ord] = (wanted & (wanted - 1)) === 0 ? tree.tagViews?.get(wanted) : undefined
}

/** Appends tree `ord`'s remembered bytes at `it.offset` (past the end: only moves the offset, as schema does). */
function copyRemembered(c: PassCacheState, ord: number, buffer: Uint8Array, it: Iterator): void {
  const len = c.length[ord]!
  const at = it.offset
  if (at + len <= buffer.length) {
    const bytes = c.bytes
    const from = c.start[ord]!
    for (let b = 0; b < len; b++) buffer[at + b] = bytes[from + b]!
  }
  it.offset = at + len
}

/**
 * Emits the view pass for `viewId` over its list of plain Schema trees visible to it (ordinals
 * `ords[0, count)` of the patch's changed trees, `treeOf` resolving one; `sole[ord]` the custom
 * tag every view listing the tree holds, or 0: see ViewChangeLists.sole), into `buffer` at
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
  viewId: number,
  buffer: Uint8Array,
  it: Iterator,
  grow: (buffer: Uint8Array, used: number) => Uint8Array,
  cache: PassCache,
): Uint8Array {
  const c = cache as PassCacheState
  const start = it.offset
  const slot = viewId >> 5
  const bit = 1 << (viewId & 31)
  for (;;) {
    for (let k = 0; k < count; k++) {
      const ord = ords[k]!
      const known = c.stamp[ord] === c.build
      const only = sole[ord]!
      let tree: SchemaTreeLike | undefined
      let wanted: number
      if (known) wanted = c.wanted[ord]!
      else {
        tree = treeOf(ord) as SchemaTreeLike
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
        tree ??= treeOf(ord) as SchemaTreeLike
        held = heldTags(tree.tagViews, wanted, slot, bit)
      }
      if (known && c.held[ord] === held) {
        // same tags as the view that emitted it first: same bytes
        copyRemembered(c, ord, buffer, it)
        continue
      }
      tree ??= treeOf(ord) as SchemaTreeLike
      const at = it.offset
      emitTree(enc, tree, wanted, held, buffer, it)
      if (!known && it.offset <= buffer.length) remember(c, ord, tree, wanted, held, buffer, at, it.offset)
    }
    if (it.offset <= buffer.byteLength) return buffer
    buffer = grow(buffer, it.offset)
    it.offset = start
  }
}

/** Bytes of one slab that patches are cut from. */
const SLAB = 64 * 1024
let slab = new ArrayBuffer(SLAB)
let slabUsed = 0

/**
 * A fresh Uint8Array of `n` bytes, cut from a shared slab (as Node's Buffer pool does): one object
 * per patch instead of an ArrayBuffer each. A slab is never written again once cut, and lives as
 * long as a patch cut from it is referenced.
 */
function allocBytes(n: number): Uint8Array {
  if (n > SLAB >> 3) return new Uint8Array(n)
  if (slabUsed + n > SLAB) {
    slab = new ArrayBuffer(SLAB)
    slabUsed = 0
  }
  const out = new Uint8Array(slab, slabUsed, n)
  slabUsed += (n + 7) & ~7
  return out
}

/**
 * What `Encoder.encodeView` returns: the shared part `bytes[0, sharedEnd)` followed by the view's
 * part `bytes[viewStart, viewEnd)`, in a buffer of its own (it may be sent after the next encode).
 */
export function joinViewBytes(bytes: Uint8Array, sharedEnd: number, viewStart: number, viewEnd: number): Uint8Array {
  const n = viewEnd - viewStart
  const out = allocBytes(sharedEnd + n)
  for (let k = 0; k < sharedEnd; k++) out[k] = bytes[k]!
  // a loop up to a few KiB: set() would need a subarray object per view
  if (n > 4096) out.set(bytes.subarray(viewStart, viewEnd), sharedEnd)
  else for (let k = 0; k < n; k++) out[sharedEnd + k] = bytes[viewStart + k]!
  return out
}
