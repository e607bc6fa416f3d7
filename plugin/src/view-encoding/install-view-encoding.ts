import { $getByIndex, $refId, encode, OPERATION, type Encoder, type Iterator, type StateView } from '@colyseus/schema'
import { createPassCache, emitSchemaViewPass, joinViewBytes, SWITCH_TO_STRUCTURE } from './schema-view-pass'
import { describeValue } from '../ecs/validate'
import { createViewChangeLists, type ListLike, type NodeLike } from './view-change-lists'

/*
 * Per-view change lists for the schema encoder.
 *
 * `Encoder.encodeView` (schema 5.0.x) encodes a view in two steps: the view's own pending adds and
 * removes (`view.changes`), then a pass over EVERY changed tree of the room (`root.changes`) that
 * skips the trees the view cannot see. With one view per client that pass costs
 * clients x changed entities per patch, although each view sees only its few dozen members.
 *
 * Here the room's change list is split once per patch into one list per view (view-change-lists.ts),
 * each a subsequence of `root.changes` in the same order. Swapping a view's list in for the duration
 * of its `encodeView` makes schema emit exactly the bytes it would have emitted, at a cost
 * proportional to what the view sees; when the list holds only plain Schema objects the view pass is
 * emitted directly (schema-view-pass.ts), and so are the view's pending adds and removes
 * (drainViewChanges), without schema's encodeView. The shared pass walks only unfiltered trees. The
 * differential test in `test/view-encoding/byte-equality.test.ts` checks byte equality with the stock encoder.
 *
 * The same hook also answers a second `encodeView` of one view within one patch with the bytes of
 * the first: Colyseus' path for patches with view changes but no state changes encodes per client,
 * and `encodeView` clears `view.changes`, so a second client sharing the view was sent nothing.
 */

/** The parts of a ChangeTree that draining `view.changes` reads. */
interface DrainTreeLike {
  readonly ref: { readonly [$refId]?: number }
  readonly refTarget: { [$getByIndex](index: number): unknown }
  getChange(index: number): number | undefined
  readonly encDescriptor: {
    readonly metadata: unknown
    readonly encoder: (enc: unknown, bytes: Uint8Array, tree: unknown, index: number, op: number, it: Iterator, all: boolean, view: boolean, metadata: unknown) => void
  }
}
/** A key of `view.changes`' inner maps: a field or element index, or a child's tree (an element binding). */
type ChangeKey = number | { readonly ref: { readonly [$refId]?: number }; indexInParent(parent: unknown): number | undefined }
/** Schema 5.0's key for "every live element of the array" in `view.changes`. */
const ARRAY_SNAPSHOT = -1

interface RootLike {
  enqueueChangeTree: (tree: unknown, node?: unknown) => void
  registerView: (view: StateView) => void
  changeTrees: Record<number, DrainTreeLike | undefined>
  changes: ListLike
  pendingFilterRefresh: unknown[]
  streamTrees: Set<unknown>
  activeViews: Map<number, unknown>
}
type EncodeView = (view: StateView, sharedOffset: number, it: Iterator, bytes?: Uint8Array) => Uint8Array
interface EncoderLike {
  root: RootLike
  sharedBuffer: Uint8Array
  _resizeBuffer: (buffer: Uint8Array, used: number) => Uint8Array
  ensureCapacity: (buffer: Uint8Array, offset: number) => Uint8Array
  encodeView: EncodeView
  discardChanges: () => void
  encode: (it?: Iterator, view?: StateView, buffer?: Uint8Array, initialOffset?: number) => Uint8Array
}

/** What {@link installViewEncoding} returns: counters for tests and benchmarks, and the uninstall. */
export interface ViewEncodingHook {
  /** Patches whose views were encoded from per-view lists. */
  readonly indexedPatches: number
  /** View passes emitted directly (every object of the view's list a plain Schema instance). */
  readonly directPasses: number
  /** `encodeView` calls that went to schema's own pass (not indexed, streams, pending filter refresh). */
  readonly fallbacks: number
  /** Second encodes of one view in one patch answered from the first. */
  readonly repeats: number
  /**
   * Patches in which the state or a view changed after the shared `encode()` (or the first
   * `encodeView`) and before a view's `encodeView`: their remaining views were encoded by schema's
   * own pass, which reads the state as it is then.
   */
  readonly reorderedPatches: number
  /** Restores the encoder's own methods. */
  uninstall(): void
}

const installed = new WeakMap<object, ViewEncodingHook>()
let warned = false
let reorderWarned = false

/** True when `encoder` has the schema 5.0 internals this module relies on. */
function recognised(e: Partial<EncoderLike> | undefined): e is EncoderLike {
  const root = e?.root as Partial<RootLike> | undefined
  const list = root?.changes as Partial<ListLike> | undefined
  return (
    typeof e?.encodeView === 'function' &&
    typeof (root as { changeTrees?: unknown } | undefined)?.changeTrees === 'object' &&
    typeof e.discardChanges === 'function' &&
    typeof e.encode === 'function' &&
    typeof e._resizeBuffer === 'function' &&
    typeof e.ensureCapacity === 'function' &&
    typeof (root as { enqueueChangeTree?: unknown } | undefined)?.enqueueChangeTree === 'function' &&
    typeof (root as { registerView?: unknown } | undefined)?.registerView === 'function' &&
    e.sharedBuffer instanceof Uint8Array &&
    list !== undefined &&
    list !== null &&
    'next' in list &&
    'tail' in list &&
    typeof list.nextPosition === 'number' &&
    Array.isArray(root!.pendingFilterRefresh) &&
    root!.streamTrees instanceof Set &&
    root!.activeViews instanceof Map
  )
}

type ViewChanges = Map<number, Map<ChangeKey, number>>

/**
 * True when every entry of `view.changes` is one {@link drainViewChanges} emits as schema would:
 * field and element indices, and element bindings; not the whole-array snapshot key.
 */
function drainable(changes: ViewChanges): boolean {
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
function drainViewChanges(self: EncoderLike, changes: ViewChanges, bytes: Uint8Array, it: Iterator): Uint8Array {
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

/** Options of {@link installViewEncoding}. */
export interface ViewEncodingOptions {
  /** Encode each view from its own change list (the speed-up); false keeps only the repeat fix. @defaultValue true */
  indexed?: boolean
  /**
   * With `indexed`: emit the view pass of plain Schema objects directly (same bytes, less
   * overhead per object); false leaves it to schema's own pass over the view's list. @defaultValue true
   */
  direct?: boolean
  /**
   * Called once per distinct view per patch with the length of the patch that view's clients
   * receive (shared part and view part, WebSocket framing not included): what a byte budget
   * measures. Must not throw or allocate much: it runs inside the encode.
   */
  onViewBytes?: (view: StateView, bytes: number) => void
}

/**
 * Makes `encoder.encodeView` walk only the changes each view can see (byte-identical output), and
 * answers a repeated encode of one view within a patch from the first. Idempotent per encoder:
 * a second call returns the first hook, whatever its options.
 * Returns null, and leaves the encoder as it is, when its internals are not the ones of
 * `@colyseus/schema` 5.0 (a warning is logged once).
 * @param encoder - the room's encoder (the plugin finds its room's own).
 * @param options - `indexed: false` keeps schema's own pass and only fixes repeated encodes.
 * @returns the hook, with counters and `uninstall`, or null.
 * @experimental Relies on @colyseus/schema 5.0 internals; the plugin installs it on its room.
 * @example
 * const encoder = new Encoder(state)
 * installViewEncoding(encoder)
 */
export function installViewEncoding(encoder: Encoder, options: ViewEncodingOptions = {}): ViewEncodingHook | null {
  const indexed = options.indexed ?? true
  if (typeof indexed !== 'boolean') throw new TypeError(`colyseus-attention: indexed must be a boolean; got ${describeValue(indexed)}`)
  const direct = options.direct ?? true
  if (typeof direct !== 'boolean') throw new TypeError(`colyseus-attention: direct must be a boolean; got ${describeValue(direct)}`)
  const onViewBytes = options.onViewBytes ?? null
  if (onViewBytes !== null && typeof onViewBytes !== 'function') {
    throw new TypeError(`colyseus-attention: onViewBytes must be a function; got ${describeValue(onViewBytes)}`)
  }
  const known = installed.get(encoder)
  if (known !== undefined) return known
  const enc = encoder as unknown as Partial<EncoderLike>
  if (!recognised(enc)) {
    if (!warned) {
      warned = true
      console.warn('colyseus-attention: @colyseus/schema internals not recognised; views are encoded by schema alone (correct, slower)')
    }
    return null
  }
  const root = enc.root
  const ownEncodeView = enc.encodeView
  const ownDiscard = enc.discardChanges
  const ownEncode = enc.encode

  const lists = createViewChangeLists(root, direct)
  // the bytes each tree emitted in this patch's direct passes, for the next views
  const passCache = createPassCache()
  // the patch epoch: bumped by discardChanges and by the shared encode
  let epoch = 1
  // the repeat cache: the iterator and epoch of the patch, and each view's bytes in it
  let repeatIt: Iterator | null = null
  let repeatEpoch = 0
  const repeatBytes = new Map<StateView, Uint8Array>()
  const counters = { indexedPatches: 0, directPasses: 0, fallbacks: 0, repeats: 0, reorderedPatches: 0 }

  // The lists are built from the state and the views as they are at the shared encode. A change
  // to either before a view's encodeView in the same patch would make the lists stale in ways no
  // list stamp shows (a field of a tree already listed, a tree the view no longer sees), so the
  // window between the shared encode and discardChanges is watched: every state change goes
  // through root.enqueueChangeTree, every view change through view.add / view.remove (each view
  // gets its watchers when schema registers it, on its first add). A change in the window hands
  // the rest of the patch to schema's own pass, which reads the state and the views as they are
  // then. (Colyseus encodes views without a shared encode only in patches without state changes,
  // and does not discard those: no window opens for them.)
  let open = false
  let moved = false
  const ownEnqueue = root.enqueueChangeTree
  const hadOwnEnqueue = Object.prototype.hasOwnProperty.call(root, 'enqueueChangeTree')
  root.enqueueChangeTree = function (this: RootLike, tree: unknown, node?: unknown) {
    if (open) noteMove()
    // an undefined node lets schema's default (the tree's own node) apply
    return ownEnqueue.call(this, tree, node)
  }
  const watched = new WeakSet<StateView>()
  const watchView = (v: StateView): void => {
    if (watched.has(v)) return
    watched.add(v)
    const ownAdd = v.add
    const ownRemove = v.remove
    const w = v as unknown as { add: (o: unknown, tag?: number, more?: boolean) => unknown; remove: (o: unknown, tag?: number, more?: boolean) => unknown }
    w.add = function (this: StateView, obj: unknown, tag?: number, more?: boolean) {
      if (open) noteMove()
      return (ownAdd as (o: unknown, tag?: number, more?: boolean) => unknown).call(this, obj, tag, more)
    }
    w.remove = function (this: StateView, obj: unknown, tag?: number, more?: boolean) {
      if (open) noteMove()
      return (ownRemove as (o: unknown, tag?: number, more?: boolean) => unknown).call(this, obj, tag, more)
    }
  }
  const ownRegister = root.registerView
  const hadOwnRegister = Object.prototype.hasOwnProperty.call(root, 'registerView')
  root.registerView = function (this: RootLike, view: StateView) {
    // a view bound by its first add, which is a change when the window is open
    if (open) noteMove()
    watchView(view)
    return ownRegister.call(this, view)
  }
  root.activeViews.forEach((ref) => {
    const v = (ref as WeakRef<StateView> | undefined)?.deref?.()
    if (v !== undefined) watchView(v)
  })
  /** Opens the watch window: the shared part of this patch is encoded. */
  const openWindow = (): void => {
    open = true
  }
  const noteMove = (): void => {
    if (moved || inside) return
    moved = true
    counters.reorderedPatches++
    if (!reorderWarned) {
      reorderWarned = true
      console.warn(
        'colyseus-attention: the state or a StateView changed between encode() and encodeView() of one patch; ' +
          'the views of such patches are encoded by schema itself. Make every change before encode() ' +
          "(in a Colyseus room: in onBeforePatch or earlier), then encode the shared part and each view.",
      )
    }
  }
  // set while schema's encodeView runs for a view the direct pass emits (the encode() wrapper
  // then emits view passViewId's list); the empty list swapped in for root.changes meanwhile
  let passing = false
  let passViewId = -1
  const passEmpty: ListLike = { next: undefined, tail: undefined, nextPosition: 0 }

  /** Distributes the patch's changes to the views' lists; the pass cache starts over with them. */
  const rebuild = (): void => {
    lists.build(epoch)
    passCache.reset(lists.trees)
    counters.indexedPatches++
  }
  const grow = (buffer: Uint8Array, used: number): Uint8Array => enc._resizeBuffer(buffer, used)
  /** The direct view pass of view `id` over its list of this patch, into `buffer` at `it.offset`. */
  const directPass = (self: EncoderLike, id: number, buffer: Uint8Array, it: Iterator): Uint8Array =>
    emitSchemaViewPass(self, lists.ordsOf(id), lists.countOf(id), lists.tree, lists.sole, id, buffer, it, grow, passCache)

  let disabled = false
  /**
   * Schema enqueued trees while encoding a view (never seen with 5.0.34): they landed on our list.
   * Move them to the real one, where they belong, and stop indexing from now on.
   */
  const rescue = (real: ListLike, mine: ListLike, tail: NodeLike | undefined): void => {
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
    disabled = true
    console.warn('colyseus-attention: @colyseus/schema changed its change list inside encodeView; per-view change lists are off for this room')
  }

  /**
   * Streams add trees to a view inside encodeView; a pending filter refresh can enqueue trees: both
   * change what a pass walks after the lists were built, so schema's own walk runs instead.
   */
  const indexable = (): boolean => indexed && !disabled && root.streamTrees.size === 0 && root.pendingFilterRefresh.length === 0

  // schema's own encode calls may add to views (streams) or enqueue trees: not the caller's doing
  let inside = false
  const encodeView: EncodeView = function (this: EncoderLike, view, sharedOffset, it, bytes) {
    inside = true
    try {
      return encodeViewIn.call(this, view, sharedOffset, it, bytes)
    } finally {
      inside = false
    }
  }
  const encodeViewIn: EncodeView = function (this: EncoderLike, view, sharedOffset, it, bytes) {
    // a second client sharing this view in the same patch: same bytes (view.changes were consumed)
    if (it === repeatIt && repeatEpoch === epoch && view.changes.size === 0) {
      const again = repeatBytes.get(view)
      if (again !== undefined) {
        counters.repeats++
        return again
      }
    } else if (it !== repeatIt || repeatEpoch !== epoch) {
      repeatIt = it
      repeatEpoch = epoch
      repeatBytes.clear()
    }
    let out: Uint8Array
    if (moved || !indexable()) {
      counters.fallbacks++
      out = ownEncodeView.call(this, view, sharedOffset, it, bytes)
    } else {
      if (lists.stale(epoch)) rebuild()
      const real = root.changes
      const id = view.id
      const plain = direct && !lists.mixed(id)
      if (plain) counters.directPasses++
      const pending = view.changes as unknown as ViewChanges
      if (plain && (pending.size === 0 || drainable(pending))) {
        // schema's encodeView without its set-up: the view's pending adds and removes, then the
        // view pass (ours), joined to the shared part
        const viewOffset = it.offset
        let buf = bytes ?? this.sharedBuffer
        if (pending.size !== 0) buf = drainViewChanges(this, pending, buf, it)
        buf = directPass(this, id, buf, it)
        out = joinViewBytes(buf, sharedOffset, viewOffset, it.offset)
      } else {
        // schema drains view.changes, then runs its view pass over root.changes: the view's own
        // list, or for the direct pass an empty one (the encode() wrapper below emits the pass)
        const mine = plain ? passEmpty : lists.listOf(id)
        const tail = mine.tail
        root.changes = mine
        if (plain) {
          passing = true
          passViewId = id
        }
        try {
          out = ownEncodeView.call(this, view, sharedOffset, it, bytes)
        } finally {
          root.changes = real
          passing = false
        }
        if (mine.tail !== tail) rescue(real, mine, tail)
        if (mine === passEmpty) {
          passEmpty.next = undefined
          passEmpty.tail = undefined
          passEmpty.nextPosition = 0
        }
      }
    }
    repeatBytes.set(view, out)
    if (onViewBytes !== null) onViewBytes(view, out.length)
    return out
  }

  enc.encodeView = encodeView
  enc.discardChanges = function (this: EncoderLike) {
    open = false
    moved = false
    epoch++
    lists.release()
    return ownDiscard.call(this)
  }
  enc.encode = function (this: EncoderLike, it, view, buffer, initialOffset) {
    if (view === undefined) {
      epoch++
      if (!indexable()) return ownEncode.call(this, it, view, buffer, initialOffset)
      // the patch starts: distribute its changes to the views, and walk only unfiltered ones here
      rebuild()
      const real = root.changes
      root.changes = lists.shared
      try {
        return ownEncode.call(this, it, view, buffer, initialOffset)
      } finally {
        root.changes = real
        openWindow()
      }
    } else if (passing && it !== undefined && initialOffset === undefined) {
      // the view pass of encodeView, over a list the direct pass can emit. encodeView reads only
      // the ranges it wrote from what this returns, so the buffer itself does (no subarray object)
      passing = false
      return directPass(this, passViewId, buffer ?? this.sharedBuffer, it)
    }
    return ownEncode.call(this, it, view, buffer, initialOffset)
  }

  const hook: ViewEncodingHook = {
    get indexedPatches() {
      return counters.indexedPatches
    },
    get directPasses() {
      return counters.directPasses
    },
    get fallbacks() {
      return counters.fallbacks
    },
    get repeats() {
      return counters.repeats
    },
    get reorderedPatches() {
      return counters.reorderedPatches
    },
    uninstall() {
      open = false
      if (hadOwnEnqueue) root.enqueueChangeTree = ownEnqueue
      else delete (root as Partial<RootLike>).enqueueChangeTree
      if (hadOwnRegister) root.registerView = ownRegister
      else delete (root as Partial<RootLike>).registerView
      enc.encodeView = ownEncodeView
      enc.discardChanges = ownDiscard
      enc.encode = ownEncode
      installed.delete(encoder)
    },
  }
  installed.set(encoder, hook)
  return hook
}
