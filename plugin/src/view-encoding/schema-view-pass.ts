import type { Iterator, StateView } from '@colyseus/schema'
import { copyEmission, type PassCache } from './pass-cache'
import type { ChangeTreeLike } from './schema-internals'
import { emitTreeForView } from './tree-view-pass'

/*
 * Owns: the direct view pass. It is the view pass of `Encoder.encodeView` for Schema objects,
 * without schema's per-object context setup, visibility re-check and per-field callbacks. It runs
 * over a view's own change list (indexed-encoding.ts), whose objects are all visible to the view.
 * Plain Schema instances (`isPlainSchemaTree` in schema-internals.ts) were emitted once per held
 * tag set when the lists were built (plain-tree-emit.ts, pass-cache.ts): the pass copies their
 * bytes. Any other tree of the list (a collection, a tree visible through its parent) goes through
 * tree-view-pass.ts, schema's own per-tree logic, in its place in the list. It emits the bytes
 * schema's `encodeChangeCb` + `Schema[$filter]` would: same objects in the same order, same fields
 * in the same order, same lazy structure switch. The differential test in
 * `test/view-encoding/byte-equality.test.ts` holds it to byte equality with the stock encoder.
 */

/**
 * Emits the view pass for `view` over its list of this patch (emissions `ids[0, count)` of the
 * patch's pass cache, `treeOf` resolving a tree ordinal) into `buffer` at `it.offset`: a plain
 * Schema tree's bytes were emitted once per held tag set when the lists were built, and are
 * copied; any other tree is emitted now, for this view. Like schema, writes past the end are
 * dropped and the pass is redone into a buffer grown by `grow` (which also warns, as schema does).
 * @returns the buffer written to (grown when it was too small); the pass ends at `it.offset`.
 */
export function emitSchemaViewPass(
  enc: unknown,
  ids: Int32Array,
  count: number,
  treeOf: (ord: number) => unknown,
  cache: PassCache,
  view: StateView,
  buffer: Uint8Array,
  it: Iterator,
  grow: (buffer: Uint8Array, used: number) => Uint8Array,
): Uint8Array {
  const start = it.offset
  for (;;) {
    const length = cache.length
    for (let k = 0; k < count; k++) {
      const id = ids[k]!
      // not a plain Schema tree: schema's own logic for this one tree, for this view
      if (length[id]! < 0) emitTreeForView(enc, treeOf(cache.ord[id]!) as ChangeTreeLike, view, buffer, it)
      else copyEmission(cache, id, buffer, it)
    }
    if (it.offset <= buffer.byteLength) return buffer
    buffer = grow(buffer, it.offset)
    it.offset = start
  }
}
