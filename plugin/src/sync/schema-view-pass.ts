import { $filter, $refId, encode, Schema, type Iterator } from '@colyseus/schema'

/*
 * The view pass of `Encoder.encodeView` for Schema objects, without schema's per-object context
 * setup, visibility re-check and per-field callbacks. It runs only over a view's own change list
 * (view-encoding.ts), whose objects are all visible to the view, and only when every object in it
 * is a plain Schema instance (see `isPlainSchemaTree`); otherwise schema's own pass runs. It emits
 * the bytes schema's `encodeChangeCb` + `Schema[$filter]` would: same objects in the same order,
 * same fields in the same order, same lazy structure switch. The differential test in
 * `test/sync/view-encoding.test.ts` holds it to byte equality with the stock encoder.
 */

/** Schema 5.0's structure-switch byte. */
const SWITCH_TO_STRUCTURE = 255
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

/** Emits one tree's view-pass fields for the view at (slot, bit). */
function emitTree(enc: unknown, tree: SchemaTreeLike, slot: number, bit: number, buffer: Uint8Array, it: Iterator): void {
  const desc = tree.encDescriptor
  const tags = desc.tags
  const filtered = tree.isFiltered
  const ops = tree.ops
  // schema reads packed ops (classes of at most 8 fields) from the low dirty word only
  const high = ops === undefined ? 0 : tree.dirtyHigh
  const low = tree.dirtyLow
  // the custom tags of the changed fields, then which of them this view holds on the tree
  let wanted = 0
  if (desc.filter !== undefined) {
    for (let half = 0; half < 2; half++) {
      for (let bits = half === 0 ? low : high; bits !== 0; bits &= bits - 1) {
        const tag = tags[half * 32 + 31 - Math.clz32(bits & -bits)]
        if (tag !== undefined && tag !== DEFAULT_VIEW_TAG) wanted |= tag
      }
    }
  }
  const held = wanted === 0 ? 0 : heldTags(tree.tagViews, wanted, slot, bit)
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
 * Emits the view pass for `viewId` over a list of plain Schema trees visible to it, into `buffer`
 * at `it.offset`. Like schema, writes past the end are dropped and the pass is redone into a
 * buffer grown by `grow` (which also warns, as schema does).
 * @returns the buffer written to, as `buffer.subarray(0, it.offset)` (schema's `encode` contract).
 */
export function emitSchemaViewPass(
  enc: unknown,
  first: { changeTree: unknown; next: unknown } | undefined,
  viewId: number,
  buffer: Uint8Array,
  it: Iterator,
  grow: (buffer: Uint8Array, used: number) => Uint8Array,
): Uint8Array {
  const start = it.offset
  const slot = viewId >> 5
  const bit = 1 << (viewId & 31)
  for (;;) {
    for (let n = first; n !== undefined; n = n.next as typeof first) emitTree(enc, n.changeTree as SchemaTreeLike, slot, bit, buffer, it)
    if (it.offset <= buffer.byteLength) return buffer.subarray(0, it.offset)
    buffer = grow(buffer, it.offset)
    it.offset = start
  }
}
