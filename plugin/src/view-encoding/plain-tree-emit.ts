import type { Iterator } from '@colyseus/schema'
import { $refId, DEFAULT_VIEW_TAG, dirtyHighOf, encode, opAt, SWITCH_TO_STRUCTURE, type ChangeTreeLike } from './schema-internals'

/*
 * Owns: what one plain Schema tree (`isPlainSchemaTree` in schema-internals.ts) emits in a view
 * pass, from schema's tables, without its per-object context setup and per-field callbacks: the
 * bytes of `encodeChangeCb` + `Schema[$filter]` for a view that sees the tree and holds a given
 * set of the custom tags of its changed fields. Nothing else of the view matters, so the direct
 * pass emits it once per held tag set (pass-cache.ts).
 */

/** The union of the custom tags of a tree's changed fields (0 when the class has no field filter). */
export function wantedTags(tree: ChangeTreeLike): number {
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
export function emitTree(enc: unknown, tree: ChangeTreeLike, wanted: number, held: number, buffer: Uint8Array, it: Iterator): void {
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
