import type { Iterator, StateView } from '@colyseus/schema'
import { drainable, drainViewChanges } from './drain-view-changes'
import { closePatchWindow, watchPatchWindow, type PatchWindow } from './patch-window'
import { pendingChanges, type EncodeView, type EncoderLike, type ListLike, type NodeLike, type RootLike } from './schema-internals'
import { emitSchemaViewPass } from './schema-view-pass'
import { joinViewBytes } from './view-bytes'
import { createViewChangeLists, type ViewChangeLists } from './view-change-lists'

/*
 * Owns: the indexed path (speed; optional, and only on tested schema versions).
 *
 * `Encoder.encodeView` (schema 5.0.x) encodes a view in two steps: the view's own pending adds and
 * removes (`view.changes`), then a pass over EVERY changed tree of the room (`root.changes`) that
 * skips the trees the view cannot see. With one view per client that pass costs
 * clients x changed entities per patch, although each view sees only its few dozen members.
 *
 * Here the room's change list is split once per patch into one list per view (view-change-lists.ts),
 * each a subsequence of `root.changes` in the same order. Swapping a view's list in for the duration
 * of its `encodeView` makes schema emit exactly the bytes it would have emitted, at a cost
 * proportional to what the view sees. With `direct` the view pass is emitted directly
 * (schema-view-pass.ts: plain Schema objects from its own tables, any other tree of the list, such
 * as the entity map when entities come and go, by schema's per-tree logic in tree-view-pass.ts),
 * and so are the view's pending adds and removes (drain-view-changes.ts), without schema's encodeView. The shared pass walks only unfiltered trees.
 * A state or view change between the shared encode and a view's encode (patch-window.ts) hands the
 * rest of the patch to schema's own pass.
 */

/** The indexed path's state for one encoder. */
export interface IndexedEncoding {
  readonly root: RootLike
  readonly direct: boolean
  /** The per-view lists, and with the direct pass the bytes of their plain trees. */
  readonly lists: ViewChangeLists
  readonly window: PatchWindow
  readonly ownEncodeView: EncodeView
  readonly ownEncode: EncoderLike['encode']
  readonly grow: (buffer: Uint8Array, used: number) => Uint8Array
  /**
   * Set while schema's encodeView runs for a view the direct pass emits: the encode() wrapper then
   * emits view `passViewId`'s list; `passEmpty` is the empty list swapped in for root.changes meanwhile.
   */
  passing: boolean
  passViewId: number
  passView: StateView | undefined
  readonly passEmpty: ListLike
  /** Schema changed its change list inside encodeView once: indexing is off for good. */
  disabled: boolean
  /** Patches whose views were encoded from per-view lists. */
  indexedPatches: number
  /** View passes emitted directly. */
  directPasses: number
}

/** Sets up the indexed path on `enc` (whose own encodeView and encode are passed in, unwrapped). */
export function createIndexedEncoding(enc: EncoderLike, direct: boolean, ownEncodeView: EncodeView, ownEncode: EncoderLike['encode']): IndexedEncoding {
  const root = enc.root
  return {
    root,
    direct,
    lists: createViewChangeLists(root, direct),
    window: watchPatchWindow(root),
    ownEncodeView,
    ownEncode,
    grow: (buffer, used) => enc._resizeBuffer(buffer, used),
    passing: false,
    passViewId: -1,
    passView: undefined,
    passEmpty: { next: undefined, tail: undefined, nextPosition: 0 },
    disabled: false,
    indexedPatches: 0,
    directPasses: 0,
  }
}

/**
 * True when the lists describe what a pass would walk. Streams add trees to a view inside
 * encodeView; a pending filter refresh can enqueue trees: both change what a pass walks after the
 * lists were built, so schema's own walk runs instead.
 */
export function indexable(s: IndexedEncoding): boolean {
  return !s.disabled && s.root.streamTrees.size === 0 && s.root.pendingFilterRefresh.length === 0
}

/** Distributes the patch's changes to the views' lists (emitting their plain trees with `self`). */
function rebuild(s: IndexedEncoding, self: EncoderLike, epoch: number): void {
  s.lists.build(epoch, self)
  s.indexedPatches++
}

/** The direct view pass of `view` (id `id`) over its list of this patch, into `buffer` at `it.offset`. */
function directPass(s: IndexedEncoding, self: EncoderLike, view: StateView, id: number, buffer: Uint8Array, it: Iterator): Uint8Array {
  const l = s.lists
  return emitSchemaViewPass(self, l.idsOf(id), l.countOf(id), l.tree, l.cache, view, buffer, it, s.grow)
}

/** The shared encode of a patch: distributes its changes to the views, and walks only unfiltered ones. */
export function encodeSharedIndexed(s: IndexedEncoding, self: EncoderLike, epoch: number, it?: Iterator, buffer?: Uint8Array, initialOffset?: number): Uint8Array {
  rebuild(s, self, epoch)
  const real = s.root.changes
  s.root.changes = s.lists.shared
  try {
    return s.ownEncode.call(self, it, undefined, buffer, initialOffset)
  } finally {
    s.root.changes = real
    s.window.open = true
  }
}

/**
 * The view pass schema's encodeView asks encode() for while `s.passing`: the direct pass. encodeView
 * reads only the ranges it wrote from what this returns, so the buffer itself does (no subarray object).
 */
export function viewPassInEncode(s: IndexedEncoding, self: EncoderLike, buffer: Uint8Array | undefined, it: Iterator): Uint8Array {
  s.passing = false
  const view = s.passView!
  s.passView = undefined
  return directPass(s, self, view, s.passViewId, buffer ?? self.sharedBuffer, it)
}

/** Encodes `view` from its own list of this patch (the caller checked the window and `indexable`). */
export function encodeViewIndexed(s: IndexedEncoding, self: EncoderLike, view: StateView, sharedOffset: number, it: Iterator, bytes: Uint8Array | undefined, epoch: number): Uint8Array {
  if (s.lists.stale(epoch)) rebuild(s, self, epoch)
  const root = s.root
  const real = root.changes
  const id = view.id
  const plain = s.direct
  if (plain) s.directPasses++
  const pending = pendingChanges(view)
  if (plain && (pending.size === 0 || drainable(pending))) {
    // schema's encodeView without its set-up: the view's pending adds and removes, then the
    // view pass (ours), joined to the shared part
    const viewOffset = it.offset
    let buf = bytes ?? self.sharedBuffer
    if (pending.size !== 0) buf = drainViewChanges(self, pending, buf, it)
    buf = directPass(s, self, view, id, buf, it)
    return joinViewBytes(buf, sharedOffset, viewOffset, it.offset)
  }
  // schema drains view.changes, then runs its view pass over root.changes: the view's own list,
  // or for the direct pass an empty one (viewPassInEncode emits the pass)
  const mine = plain ? s.passEmpty : s.lists.listOf(id)
  const tail = mine.tail
  root.changes = mine
  if (plain) {
    s.passing = true
    s.passViewId = id
    s.passView = view
  }
  let out: Uint8Array
  try {
    out = s.ownEncodeView.call(self, view, sharedOffset, it, bytes)
  } finally {
    root.changes = real
    s.passing = false
    s.passView = undefined
  }
  if (mine.tail !== tail) rescue(s, real, mine, tail)
  if (mine === s.passEmpty) {
    mine.next = undefined
    mine.tail = undefined
    mine.nextPosition = 0
  }
  return out
}

/** The patch's changes are discarded: the window shuts, the lists let go of their trees. */
export function discardIndexed(s: IndexedEncoding): void {
  closePatchWindow(s.window)
  s.lists.release()
}

/**
 * Schema enqueued trees while encoding a view (never seen with 5.0.34): they landed on our list.
 * Move them to the real one, where they belong, and stop indexing from now on.
 */
function rescue(s: IndexedEncoding, real: ListLike, mine: ListLike, tail: NodeLike | undefined): void {
  let n = tail === undefined ? mine.next : tail.next
  if (tail !== undefined) tail.next = undefined
  while (n !== undefined) {
    const next = n.next
    n.prev = real.tail
    n.next = undefined
    n.position = real.nextPosition++
    if (real.tail === undefined) real.next = n
    else real.tail.next = n
    real.tail = n
    n = next
  }
  s.disabled = true
  console.warn('colyseus-attention: @colyseus/schema changed its change list inside encodeView; per-view change lists are off for this room')
}
