import { RoomInternalState, type Client } from '@colyseus/core'
import { $changes, $filter, $getByIndex, $refId, encode, OPERATION, Schema, type Encoder, type Iterator, type StateView } from '@colyseus/schema'

/*
 * Owns: every @colyseus/schema and Colyseus internal the plugin relies on (the view-encoding hook,
 * and the sync layer's own view edits in sync/schema-tags.ts), and nothing else. The other files
 * read schema's objects only through the stand-in types below, call only the helpers below for
 * copied logic, and use only the constants below. Each name
 * here is pinned by test/view-encoding/schema-contract.test.ts against the installed schema: a
 * release that renames a field, moves an op byte or changes a constant fails that test (and the
 * version gate, version-gate.ts, keeps the hook off on releases nobody has run it against).
 *
 * Checked against @colyseus/schema 5.0.34 (src/encoder/ChangeTree.ts, Root.ts, Encoder.ts,
 * StateView.ts, encoding/spec.ts) and @colyseus/core 0.18.17 (Room.ts).
 */

export { $getByIndex, $refId, encode, OPERATION }

/** schema's structure-switch byte (encoding/spec.ts SWITCH_TO_STRUCTURE). */
export const SWITCH_TO_STRUCTURE = 255
/** schema's DEFAULT_VIEW_TAG: the tag of a field marked `.view()` without one. */
export const DEFAULT_VIEW_TAG = -1
/** schema's key for "every live element of the array" in a view's pending changes (`view.changes`). */
export const ARRAY_SNAPSHOT = -1

/** `Schema[$filter]`: the field filter of every Schema class that declares no filter of its own. */
export const SCHEMA_FILTER: unknown = (Schema as unknown as Record<PropertyKey, unknown>)[$filter]

/** A TypeDescriptor's per-field encoder (the `encodeSchemaOperation` / `encodeKeyValueOperation` shape). */
export type FieldEncoder = (enc: unknown, bytes: Uint8Array, tree: unknown, index: number, op: number, it: Iterator, all: boolean, view: boolean, metadata: unknown) => void

/** The parts of a ChangeTree's `encDescriptor` (its class's TypeDescriptor) the hook reads. */
export interface EncDescriptorLike {
  /** Per field index: its `.view(tag)` tag (DEFAULT_VIEW_TAG for `.view()`), undefined when untagged. */
  readonly tags: readonly (number | undefined)[]
  /** Per field index: its property name (undefined for a hole); empty for collections. */
  readonly names: readonly (string | undefined)[]
  /** Per field index: its type, a string for a primitive (`'float32'`), an object or class otherwise. */
  readonly types: readonly unknown[]
  /**
   * The class's field filter, `(ref, index, view) => boolean`: undefined (no filtered field),
   * SCHEMA_FILTER for plain Schema classes, or a collection's own (is the element visible).
   */
  readonly filter: ((ref: unknown, index: number, view: StateView) => boolean) | undefined
  /** True for a Schema class; not true (absent) for a collection. */
  readonly isSchema?: boolean
  /** Schema classes: bit i set when field i (< 32) carries a `.view()` tag. */
  readonly filterBitmask: number
  readonly hasAnyFullStateOnly: boolean
  readonly metadata: unknown
  readonly encoder: FieldEncoder
}

/**
 * The one stand-in for schema's ChangeTree: the tree of one Schema instance or collection.
 * Field names are schema's own (5.0.x); ChangeTree keeps them public in JavaScript.
 */
export interface ChangeTreeLike {
  /** The tracked object; its `[$refId]` is what the wire calls the structure. */
  readonly ref: { readonly [$refId]?: number }
  /** What `$getByIndex` reads: the value now at a field or element index. */
  readonly refTarget: { [$getByIndex](index: number): unknown }
  /** The operation recorded this patch at `index`, if any. */
  getChange(index: number): number | undefined
  readonly isFiltered: boolean
  /** Visible to a view through its parent; schema decides (and memoises) per view. */
  readonly isVisibilitySharedWithParent: boolean
  /** True for a Schema instance; not true (false or absent) for a collection. */
  readonly _isSchema: boolean
  /** Schema trees: dirty bits of fields 0-31 (dirtyLow) and 32-63 (dirtyHigh). */
  readonly dirtyLow: number
  readonly dirtyHigh: number
  /** Per-field ops when the class has more than 8 fields; undefined otherwise (see {@link opAt}). */
  readonly ops?: ArrayLike<number>
  /** Packed ops of classes of at most 8 fields: one byte per field, fields 0-3 low, 4-7 high. */
  readonly opsLow: number
  readonly opsHigh: number
  /** Visibility bitmap: the view with id `id` sees the tree iff bit {@link viewBit} of slot {@link viewSlot} is set. */
  visibleViews?: number[]
  /** Per custom tag bit: the bitmap (same layout) of the views that hold the tree with that tag. */
  tagViews?: Map<number, number[]>
  /** Subscription bitmap (same layout): the views `view.subscribe`d to the collection. */
  subscribedViews?: number[]
  readonly encDescriptor: EncDescriptorLike
  /** The Root of the state the tree is attached to (undefined while detached). */
  readonly root?: unknown
  /** The parent object (a Schema instance or a collection), undefined for the state root or a detached tree. */
  readonly parent?: object
  /** The tree's field (Schema parent) or journal / element index (collection parent) in its parent. */
  readonly parentIndex?: number
  /**
   * The other holders of an instance held in several places (schema's `extraParents`, the 2nd+
   * links of its parent chain; `parent` / `parentIndex` is the latest one): undefined for a tree
   * with one holder. A link stays after its holder lets go while another holder remains
   * (see {@link holdsChild}).
   */
  readonly extraParents?: ParentLinkLike
  /** True until the tree was first encoded: the shared pass will introduce it whole. */
  readonly isNew: boolean
  /** The tree is filtered, or its class declares `.view()` fields (schema then keeps view entries for it). */
  readonly hasFilteredFields: boolean
  /** True for an ArraySchema (its view entries are keyed by the child's tree, not its slot). */
  readonly isArray: boolean
  readonly isStreamCollection: boolean
  /** The tree's current index in `parent` (an element's slot moves as its array reindexes). */
  indexInParent(parent: unknown): number | undefined
  /** Collections: the operation recorded this patch per element index, in wire order. */
  readonly collDirty?: Map<number, number>
  /** Collections: pure ops (CLEAR, REVERSE) as `[position among collDirty, op]`; undefined or empty when none. */
  readonly collPureOps?: readonly (readonly [number, number])[]
  /** True when the tree has changes recorded this patch (fields, elements or pure ops). */
  has(): boolean
  /** Calls `cb(ctx, index, op)` for each change recorded this patch, pure ops (CLEAR, REVERSE) as `(-op, op)`, in wire order. */
  forEachWithCtx<C>(ctx: C, cb: (ctx: C, index: number, op: number | undefined) => void): void
  /** Calls `cb(ctx, child)` for each child tree (a field or element holding a Schema or collection). */
  forEachChildWithCtx<C>(ctx: C, cb: (ctx: C, child: ChangeTreeLike, at: unknown) => void): void
}

/** One link of a tree's extra parents (schema's `ParentChain`): a holder and the tree's index in it. */
export interface ParentLinkLike {
  readonly ref: object
  readonly index: number
  readonly next?: ParentLinkLike
}

/** A node of schema's change list (`ChangeTreeNode`). */
export interface NodeLike {
  changeTree: ChangeTreeLike | undefined
  next: NodeLike | undefined
  prev: NodeLike | undefined
  position: number
}

/** schema's change list (`ChangeTreeList`): `root.changes`, in topological order. */
export interface ListLike {
  next: NodeLike | undefined
  tail: NodeLike | undefined
  nextPosition: number
}

/** The parts of schema's Root the hook reads or wraps. */
export interface RootLike {
  /** Every state change enqueues its tree here (wrapped to watch the patch window). */
  enqueueChangeTree: (tree: unknown, node?: unknown) => void
  /** Called by a view's first add (wrapped to watch the view). */
  registerView: (view: StateView) => void
  /** Live trees by ref id. */
  changeTrees: Record<number, ChangeTreeLike | undefined>
  /** This patch's changed trees; swapped for the duration of a pass. */
  changes: ListLike
  pendingFilterRefresh: unknown[]
  streamTrees: Set<unknown>
  /** Registered views by view id. */
  activeViews: Map<number, WeakRef<StateView> | undefined>
}

/** The encodeView signature (schema 5.0: `bytes` is the shared buffer by default). */
export type EncodeView = (view: StateView, sharedOffset: number, it: Iterator, bytes?: Uint8Array) => Uint8Array

/** The parts of schema's Encoder the hook reads, calls or wraps (two of them protected in TypeScript). */
export interface EncoderLike {
  root: RootLike
  sharedBuffer: Uint8Array
  /** Protected: grows the shared buffer after an overflowing pass (and warns, as schema does). */
  _resizeBuffer: (buffer: Uint8Array, used: number) => Uint8Array
  /** Protected: grows `buffer` ahead of a write at `offset`. */
  ensureCapacity: (buffer: Uint8Array, offset: number) => Uint8Array
  encodeView: EncodeView
  discardChanges: () => void
  encode: (it?: Iterator, view?: StateView, buffer?: Uint8Array, initialOffset?: number) => Uint8Array
}

/** A key of a view's pending changes: a field or element index, or a child's tree (an element binding). */
export type ChangeKey = number | { readonly ref: { readonly [$refId]?: number }; indexInParent(parent: unknown): number | undefined }
/** A view's pending adds and removes (`view.changes`): per ref id, operation per key, in topological order. */
export type ViewChanges = Map<number, Map<ChangeKey, number>>

/** A view's pending adds and removes, as schema keeps them. */
export function pendingChanges(view: StateView): ViewChanges {
  return view.changes as unknown as ViewChanges
}

/**
 * Gives a new, empty `view` another store for its pending changes: any object with the `Map`
 * methods schema's StateView and encoder call on `view.changes` (`get`, `set`, `has`, `delete`,
 * `clear`, `size`, `keys`, `forEach`), which they read through the field at each use.
 */
export function replacePendingChanges(view: StateView, store: ViewChanges): void {
  if (view.changes.size !== 0) throw new Error('colyseus-attention: replacePendingChanges needs a view with nothing pending')
  ;(view as unknown as { changes: ViewChanges }).changes = store
}

/** The ChangeTree of a Schema instance or collection (`ref[$changes]`), or undefined for anything else. */
export function treeOf(ref: unknown): ChangeTreeLike | undefined {
  return (ref as { [$changes]?: ChangeTreeLike } | null | undefined)?.[$changes]
}

/** The tree of `tree`'s parent, or undefined at the state root (or for a detached tree). */
export function parentTreeOf(tree: ChangeTreeLike): ChangeTreeLike | undefined {
  return tree.parent === undefined ? undefined : treeOf(tree.parent)
}

/**
 * True when `parent` (a Schema or collection tree) holds `tree` at `index` now: a copy of schema's
 * `isEdgeLive` (changeTree/parentChain.ts). Schema keeps a holder's link in the child's parent
 * chain after the holder lets go while another holder remains, so the chain alone does not say
 * who holds the child. An array is read from its live `items` (the slot first, then a scan: a
 * recorded slot goes stale as the array reorders). Allocates nothing.
 */
export function holdsChild(parent: ChangeTreeLike, index: number, tree: ChangeTreeLike): boolean {
  if (parent.isArray) {
    const items = (parent.refTarget as unknown as { items: readonly unknown[] }).items
    if (treeOf(items[index]) === tree) return true
    for (let i = 0; i < items.length; i++) if (treeOf(items[i]) === tree) return true
    return false
  }
  return treeOf(parent.refTarget[$getByIndex](index)) === tree
}

/** The ref id the wire calls `tree`'s object by. */
export function refIdOf(tree: ChangeTreeLike): number {
  return tree.ref[$refId]!
}

/** The view's id (its bit in every tree's bitmaps), or -1 before its first add binds it to a Root. */
export function viewIdOf(view: StateView): number {
  return (view as unknown as { id: number }).id
}

/** True when view `id` sees `tree` (StateView.isVisible). */
export function isVisibleTo(tree: ChangeTreeLike, id: number): boolean {
  const arr = tree.visibleViews
  const slot = viewSlot(id)
  return arr !== undefined && slot < arr.length && (arr[slot]! & viewBit(id)) !== 0
}

/** Sets (`on`) or clears view `id`'s visibility bit on `tree` (StateView.markVisible / unmarkVisible). */
export function setVisibleTo(tree: ChangeTreeLike, id: number, on: boolean): void {
  const slot = viewSlot(id)
  let arr = tree.visibleViews
  if (!on) {
    if (arr !== undefined && slot < arr.length) arr[slot]! &= ~viewBit(id)
    return
  }
  if (arr === undefined) arr = tree.visibleViews = []
  while (arr.length <= slot) arr.push(0)
  arr[slot]! |= viewBit(id)
}

/** Clears the custom tag bits `dropped` and sets `added` for view `id` on `tree` (StateView.removeTag / addTag). */
export function writeTagBits(tree: ChangeTreeLike, id: number, dropped: number, added: number): void {
  const slot = viewSlot(id)
  const bit = viewBit(id)
  let map = tree.tagViews
  if (map === undefined) {
    if (added === 0) return
    map = tree.tagViews = new Map()
  }
  for (let bits = dropped; bits !== 0; bits &= bits - 1) {
    const arr = map.get(bits & -bits)
    if (arr !== undefined && slot < arr.length) arr[slot]! &= ~bit
  }
  for (let bits = added; bits !== 0; bits &= bits - 1) {
    const b = bits & -bits
    let arr = map.get(b)
    if (arr === undefined) {
      arr = []
      map.set(b, arr)
    }
    while (arr.length <= slot) arr.push(0)
    arr[slot]! |= bit
  }
}

/** `[slot, ~bit]` for {@link clearTagBitsCb}: forEach with a hoisted callback and this-argument allocates nothing. */
const clearMask = { slot: 0, keep: 0 }
function clearTagBitsCb(this: typeof clearMask, arr: number[]): void {
  if (this.slot < arr.length) arr[this.slot]! &= this.keep
}

/** Clears every custom tag bit view `id` holds on `tree` (StateView.removeAllTagsOnTree). */
export function clearAllTagBits(tree: ChangeTreeLike, id: number): void {
  const map = tree.tagViews
  if (map === undefined) return
  clearMask.slot = viewSlot(id)
  clearMask.keep = ~viewBit(id)
  map.forEach(clearTagBitsCb, clearMask)
}

/** The Root a view is bound to (`view._root`, set by its first add), or undefined before. */
function rootOfView(view: StateView): RootLike | undefined {
  return (view as unknown as { _root?: RootLike })._root
}

/** Stands in for the Root's tree table while {@link clearAndDisposeViews} runs schema's `dispose()`. */
const NO_TREES: Record<number, ChangeTreeLike | undefined> = Object.freeze({})

/**
 * Disposes views as StateView.dispose does (unregisters each from its Root, clears its bit from
 * every tree of the Root, puts its id back on the Root's free list, and unregisters the finalizer
 * that would otherwise do the same when the view is collected), with the clear done here. schema's
 * `dispose()` walks the Root's tree table by `for...in` for each view; here one walk over
 * `Object.values` of the table clears the bits of every view disposed together, then schema's
 * `dispose()` runs on each with the table swapped for an empty one, so that it does the rest
 * without walking it again. Public as `disposeViews` (dispose-views.ts, behind the version gate).
 */
export function clearAndDisposeViews(views: readonly StateView[]): void {
  let root: RootLike | undefined
  let masks: number[] | undefined
  for (const view of views) {
    const r = rootOfView(view)
    if (r === undefined) view.dispose() // never bound: nothing to clear
    else if (root === undefined || r === root) {
      root = r
      masks ??= []
      const slot = viewSlot(viewIdOf(view))
      while (masks.length <= slot) masks.push(0)
      masks[slot]! |= viewBit(viewIdOf(view))
    }
  }
  if (root === undefined) return
  clearViewBits(root, masks!)
  const trees = root.changeTrees
  root.changeTrees = NO_TREES
  try {
    for (const view of views) if (rootOfView(view) === root) view.dispose()
  } finally {
    root.changeTrees = trees
  }
  // views of another Root (not the case of a room's views, which share its state's): the same again
  const rest = views.filter((v) => rootOfView(v) !== undefined)
  if (rest.length > 0) clearAndDisposeViews(rest)
}

/** Per slot, the bits {@link clearViewBits} clears, and the first slot with any (the words before it are skipped). */
const clearing = { masks: [] as number[], first: 0 }

/** Clears the bits `masks` (per slot) from the visibility, subscription and tag bitmaps of every tree of `root`. */
function clearViewBits(root: RootLike, masks: number[]): void {
  clearing.masks = masks
  clearing.first = masks.findIndex((m) => m !== 0)
  const trees = Object.values(root.changeTrees)
  for (let i = 0; i < trees.length; i++) {
    const tree = trees[i]
    if (tree === undefined) continue
    if (tree.visibleViews !== undefined) clearMasks(tree.visibleViews)
    if (tree.subscribedViews !== undefined) clearMasks(tree.subscribedViews)
    if (tree.tagViews !== undefined) tree.tagViews.forEach(clearMasks)
  }
  clearing.masks = []
}

function clearMasks(arr: number[]): void {
  const masks = clearing.masks
  const n = Math.min(arr.length, masks.length)
  for (let s = clearing.first; s < n; s++) arr[s]! &= ~masks[s]!
}

/** Skipped by schema's full-sync walk (`@patchOnly`, `@deprecated()` fields): metadata key `$fullSyncSkipIndexes`. */
const FULL_SYNC_SKIP = '~__fullSyncSkipIndexes'

/**
 * True when `tree` is a Schema instance whose fields all hold primitives (no child tree to
 * introduce or hide) and none of which schema's full-sync walk skips: what the sync layer's own
 * view edits (sync/schema-tags.ts) cover.
 */
export function isFlatSchemaTree(tree: ChangeTreeLike): boolean {
  if (tree._isSchema !== true) return false
  const d = tree.encDescriptor
  const skips = (d.metadata as Record<string, readonly number[] | undefined> | undefined)?.[FULL_SYNC_SKIP]
  if (skips !== undefined && skips.length > 0) return false
  for (let i = 0; i < d.names.length; i++) if (d.names[i] !== undefined && typeof d.types[i] !== 'string') return false
  return true
}

/** True when every field of a Schema `tree` holds a value (not undefined or null): the fields `forEachLive` walks. */
export function allFieldsLive(tree: ChangeTreeLike): boolean {
  const names = tree.encDescriptor.names
  const ref = tree.ref as unknown as Record<string, unknown>
  for (let i = 0; i < names.length; i++) {
    const name = names[i]
    if (name !== undefined && (ref[name] === undefined || ref[name] === null)) return false
  }
  return true
}

/** The visibility-bitmap slot of view `id` (StateView._slot). */
export function viewSlot(id: number): number {
  return id >> 5
}

/** The bit of view `id` in its slot (StateView._bit). */
export function viewBit(id: number): number {
  return 1 << (id & 31)
}

/** The view id of bit `bits & -bits` in the slot starting at id `base` (the inverse of viewSlot/viewBit). */
export function lowestViewId(base: number, bits: number): number {
  return base + 31 - Math.clz32(bits & -bits)
}

/** The dirty word schema reads for fields 32-63: classes of at most 8 fields keep only the low one. */
export function dirtyHighOf(tree: ChangeTreeLike): number {
  return tree.ops === undefined ? 0 : tree.dirtyHigh
}

/** The operation recorded on field `i` of a Schema tree: a copy of `ChangeTree._opAt`. */
export function opAt(tree: ChangeTreeLike, i: number): number | undefined {
  const ops = tree.ops
  if (ops !== undefined) return ops[i]
  return ((i < 4 ? tree.opsLow : tree.opsHigh) >>> ((i & 3) << 3)) & 0xff
}

/** True when the direct pass can emit `tree` itself: a Schema instance with schema's own field filter. */
export function isPlainSchemaTree(tree: ChangeTreeLike): boolean {
  const d = tree.encDescriptor
  return (
    tree._isSchema === true &&
    !tree.isVisibilitySharedWithParent &&
    typeof tree.dirtyLow === 'number' &&
    typeof tree.dirtyHigh === 'number' &&
    d !== undefined &&
    typeof d.encoder === 'function' &&
    (d.filter === undefined || d.filter === SCHEMA_FILTER) &&
    d.hasAnyFullStateOnly === false
  )
}

/** True when `e` has the shape of a schema 5.0 Encoder this hook relies on (field shapes only: see the version gate). */
export function isEncoderLike(e: Partial<EncoderLike> | undefined): e is EncoderLike {
  const root = e?.root as Partial<RootLike> | undefined
  const list = root?.changes as Partial<ListLike> | undefined
  return (
    typeof e?.encodeView === 'function' &&
    typeof root?.changeTrees === 'object' &&
    typeof e.discardChanges === 'function' &&
    typeof e.encode === 'function' &&
    typeof e._resizeBuffer === 'function' &&
    typeof e.ensureCapacity === 'function' &&
    typeof root.enqueueChangeTree === 'function' &&
    typeof root.registerView === 'function' &&
    e.sharedBuffer instanceof Uint8Array &&
    list !== undefined &&
    list !== null &&
    'next' in list &&
    'tail' in list &&
    typeof list.nextPosition === 'number' &&
    Array.isArray(root.pendingFilterRefresh) &&
    root.streamTrees instanceof Set &&
    root.activeViews instanceof Map
  )
}

/**
 * The schema Encoder of a Colyseus room: `room._serializer.encoder` (private in Colyseus 0.18,
 * which has no public accessor). Undefined before the room has a state, or with a serializer
 * other than schema's.
 * @param room - a Colyseus `Room`.
 * @returns the room's encoder, or undefined.
 * @example
 * // in a room that manages its own StateViews
 * override onBeforePatch() { installViewEncoding(roomEncoder(this)!) }
 */
export function roomEncoder(room: unknown): Encoder | undefined {
  const enc = (room as { _serializer?: { encoder?: unknown } } | null | undefined)?._serializer?.encoder
  return typeof enc === 'object' && enc !== null ? (enc as Encoder) : undefined
}

/**
 * Registers `view` with `root` now (schema's `StateView._bindRoot`, which its first `add` would
 * call): while a root has no registered view, schema sends `.stream()` collections' elements in
 * the shared patch, to every client. Returns false when the installed schema has no such method.
 */
export function bindViewToRoot(view: StateView, root: unknown): boolean {
  const bind = (view as unknown as { _bindRoot?: (root: unknown) => void })._bindRoot
  if (typeof bind !== 'function' || typeof root !== 'object' || root === null) return false
  bind.call(view, root)
  return true
}

/**
 * The parts of Colyseus' SchemaSerializer (`room._serializer`, private) the sync layer wraps:
 * `getFullState(client)` encodes the state a client receives when it joins or reconnects (the
 * shared part and `encodeAllView(client.view)`); `applyPatches(clients)` encodes and sends one
 * patch (Room.broadcastPatch, after onBeforePatch), consuming every encoded view's pending changes.
 */
export interface SerializerLike {
  getFullState: (client?: unknown, timing?: unknown) => Uint8Array
  applyPatches: (clients: unknown, state: unknown, timing?: unknown) => boolean
  /** Sends the `@unreliable` fields' changes (Colyseus 0.18; on a timer of its own with `unreliablePatchRate`). */
  applyUnreliablePatches?: (clients: unknown) => boolean
  /** The serializer's encoder (whether it has `@unreliable` changes queued). */
  encoder?: { hasUnreliableChanges?: boolean }
}

/**
 * The client of session `sessionId` in a room's `clients` (Colyseus' ClientArray: `get`, or
 * `getById`, which 0.18.17 marks deprecated), or undefined.
 */
export function clientOf(clients: unknown, sessionId: string): Client | undefined {
  const c = clients as { get?: (id: string) => Client | undefined; getById?: (id: string) => Client | undefined }
  if (typeof c.get === 'function') return c.get(sessionId)
  return typeof c.getById === 'function' ? c.getById(sessionId) : undefined
}

/**
 * True while a Colyseus room is being created (`room._internalState` is `RoomInternalState.CREATING`):
 * an async `onCreate` has not returned yet, though the room's patch timer may run.
 */
export function roomCreating(room: unknown): boolean {
  return (room as { _internalState?: unknown } | null | undefined)?._internalState === RoomInternalState.CREATING
}

/**
 * The schema serializer of a Colyseus room (`room._serializer`), or undefined before the room has a
 * state or with a serializer without schema's `getFullState` and `applyPatches`.
 */
export function roomSerializer(room: unknown): SerializerLike | undefined {
  const s = (room as { _serializer?: Partial<SerializerLike> } | null | undefined)?._serializer
  return typeof s === 'object' && s !== null && typeof s.getFullState === 'function' && typeof s.applyPatches === 'function' ? (s as SerializerLike) : undefined
}
