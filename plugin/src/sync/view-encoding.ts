import type { Encoder, Iterator, StateView } from '@colyseus/schema'
import { emitSchemaViewPass, isPlainSchemaTree, type SchemaTreeLike } from './schema-view-pass'

/*
 * Per-view change lists for the schema encoder.
 *
 * `Encoder.encodeView` (schema 5.0.x) encodes a view in two steps: the view's own pending adds and
 * removes (`view.changes`), then a pass over EVERY changed tree of the room (`root.changes`) that
 * skips the trees the view cannot see. With one view per client that pass costs
 * clients x changed entities per patch, although each view sees only its few dozen members.
 *
 * Here the room's change list is walked once per patch, and each changed tree is appended to the
 * list of every view whose visibility bit it carries (the bitmaps schema keeps on each tree). Each
 * view's list is a subsequence of `root.changes` in the same order, so swapping it in for the
 * duration of that view's `encodeView` makes schema emit exactly the bytes it would have emitted,
 * at a cost proportional to what the view sees. The differential test in
 * `test/sync/view-encoding.test.ts` checks byte equality against the stock encoder.
 *
 * The same hook also answers a second `encodeView` of one view within one patch with the bytes of
 * the first: Colyseus' path for patches with view changes but no state changes encodes per client,
 * and `encodeView` clears `view.changes`, so a second client sharing the view was sent nothing.
 */

/** The parts of schema's ChangeTree this module reads. */
interface TreeLike {
  visibleViews?: number[]
  readonly isVisibilitySharedWithParent: boolean
  readonly isFiltered: boolean
  /** Schema trees: dirty field bits 0-31 and 32-63 of the reliable recorder. */
  readonly _isSchema: boolean
  readonly dirtyLow: number
  readonly dirtyHigh: number
  /** Per view tag bit: the views (bitmap, like visibleViews) that hold the tree with that tag. */
  readonly tagViews?: Map<number, number[]>
  /** Per field index: its `.view(tag)` tag, undefined when untagged. */
  readonly encDescriptor: { readonly tags: readonly (number | undefined)[] }
}

/** schema's DEFAULT_VIEW_TAG: a field marked `.view()` without a tag. */
const DEFAULT_VIEW_TAG = -1

/**
 * Which views a changed Schema tree can emit something to in a view pass, besides being visible:
 * -1 every view that sees it (a changed field that is untagged in a filtered tree, or carries the
 * default tag), 0 none, else the union of the custom tags of its changed fields (a view emits
 * only if it holds one of them on the tree). Mirrors encodeChangeCb + Schema[$filter].
 */
function changedTags(tree: TreeLike): number {
  if (typeof tree.dirtyLow !== 'number' || typeof tree.dirtyHigh !== 'number') return -1
  const tags = tree.encDescriptor.tags
  let union = 0
  for (let half = 0; half < 2; half++) {
    for (let bits = half === 0 ? tree.dirtyLow : tree.dirtyHigh; bits !== 0; bits &= bits - 1) {
      const tag = tags[half * 32 + 31 - Math.clz32(bits & -bits)]
      if (tag === undefined) {
        if (tree.isFiltered) return -1
      } else if (tag === DEFAULT_VIEW_TAG) return -1
      else union |= tag
    }
  }
  return union
}

/** Node and list shapes of schema's `root.changes` (ChangeTreeNode / ChangeTreeList). */
interface NodeLike {
  changeTree: TreeLike | undefined
  next: NodeLike | undefined
  prev: NodeLike | undefined
  position: number
}
interface ListLike {
  next: NodeLike | undefined
  tail: NodeLike | undefined
  nextPosition: number
}
interface RootLike {
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
  /** Restores the encoder's own methods. */
  uninstall(): void
}

const installed = new WeakMap<object, ViewEncodingHook>()
let warned = false

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

/** Options of {@link installViewEncoding}. */
export interface ViewEncodingOptions {
  /** Encode each view from its own change list (the speed-up); false keeps only the repeat fix. @defaultValue true */
  indexed?: boolean
  /**
   * With `indexed`: emit the view pass of plain Schema objects directly (same bytes, less
   * overhead per object); false leaves it to schema's own pass over the view's list. @defaultValue true
   */
  direct?: boolean
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
  if (typeof indexed !== 'boolean') throw new TypeError(`colyseus-attention: indexed must be a boolean; got ${String(indexed)}`)
  const direct = options.direct ?? true
  if (typeof direct !== 'boolean') throw new TypeError(`colyseus-attention: direct must be a boolean; got ${String(direct)}`)
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

  // Per view id: a list in schema's shape, rebuilt once per patch from pooled nodes.
  const lists: ListLike[] = []
  const empty: ListLike = { next: undefined, tail: undefined, nextPosition: 0 }
  // the changed trees the shared pass can emit something for (unfiltered ones)
  const shared: ListLike = { next: undefined, tail: undefined, nextPosition: 0 }
  const listEpoch: number[] = []
  const pool: NodeLike[] = []
  let used = 0
  // what the lists were built from: a patch epoch (bumped by discard and by the shared encode)
  // and the change list's own head, tail and length counter
  let epoch = 1
  let builtEpoch = 0
  // lists are emptied lazily: a list whose stamp is not the current build's is empty
  let buildNo = 1
  let builtHead: NodeLike | undefined
  let builtTail: NodeLike | undefined
  let builtPosition = -1
  // the repeat cache: the iterator and epoch of the patch, and each view's bytes in it
  let repeatIt: Iterator | null = null
  let repeatEpoch = 0
  const repeatBytes = new Map<StateView, Uint8Array>()
  const counters = { indexedPatches: 0, directPasses: 0, fallbacks: 0, repeats: 0 }
  // per view id: 1 when its list this build holds an object the direct pass cannot emit
  const listMixed: number[] = []
  // the list and view id of the view being encoded, for the encode() wrapper's direct pass
  let passList: ListLike | null = null
  let passViewId = -1

  const listOf = (id: number): ListLike => {
    while (lists.length <= id) {
      lists.push({ next: undefined, tail: undefined, nextPosition: 0 })
      listEpoch.push(0)
      listMixed.push(0)
    }
    const l = lists[id]!
    if (listEpoch[id] !== buildNo) {
      listEpoch[id] = buildNo
      listMixed[id] = 0
      l.next = undefined
      l.tail = undefined
      l.nextPosition = 0
    }
    return l
  }

  /** Appends `tree` to view `id`'s list; `plain` when the direct pass can emit it. */
  const append = (id: number, tree: TreeLike, plain: boolean): void => {
    // listOf first: it resets a list (and its flag) on its first use in a build
    link(id < lists.length && listEpoch[id] === buildNo ? lists[id]! : listOf(id), tree)
    if (!plain) listMixed[id] = 1
  }

  /** Appends `tree` to list `l`, from the node pool. */
  const link = (l: ListLike, tree: TreeLike): void => {
    let n = pool[used]
    if (n === undefined) {
      n = { changeTree: undefined, next: undefined, prev: undefined, position: 0 }
      pool.push(n)
    }
    used++
    n.changeTree = tree
    n.next = undefined
    n.position = l.nextPosition++
    if (l.tail === undefined) l.next = n
    else l.tail.next = n
    l.tail = n
  }

  /** Lets go of the trees the lists point to (they may be detached after the patch). */
  const release = (): void => {
    for (let i = 0; i < used; i++) pool[i]!.changeTree = undefined
    used = 0
  }

  // scratch: per-view bitmaps of one tree's changed tags (at most 32 tag bits)
  const holders: (number[] | undefined)[] = new Array<number[] | undefined>(32).fill(undefined)

  /** Distributes every changed tree to the lists of the views that can see it. */
  const build = (): void => {
    buildNo++
    release()
    shared.next = undefined
    shared.tail = undefined
    shared.nextPosition = 0
    let viewIds = 0
    for (let n = root.changes.next; n !== undefined; n = n.next) {
      const tree = n.changeTree!
      // the shared pass emits only what is not filtered, and only unfiltered trees have such fields
      if (!tree.isFiltered) link(shared, tree)
      if (tree.isVisibilitySharedWithParent) {
        // visible through its parent, decided (and memoised) by schema per view: give it to every
        // view and let schema's own check run, as it would without this hook
        if (viewIds === 0) viewIds = maxViewIds()
        for (let id = 0; id < viewIds; id++) append(id, tree, false)
        continue
      }
      const vv = tree.visibleViews
      if (vv === undefined) continue
      // a Schema tree whose changed fields are all tagged goes only to views holding one of the tags
      const tagsChanged = tree._isSchema ? changedTags(tree) : -1
      if (tagsChanged === 0) continue
      const tv = tagsChanged === -1 ? undefined : tree.tagViews
      if (tagsChanged !== -1 && tv === undefined) continue
      const plain = direct && isPlainSchemaTree(tree as unknown as SchemaTreeLike)
      // the per-view bitmaps of the changed fields' tags, fetched once per tree
      let holderN = 0
      if (tv !== undefined) {
        for (let t = tagsChanged; t !== 0; t &= t - 1) {
          const arr = tv.get(t & -t)
          if (arr !== undefined) holders[holderN++] = arr
        }
      }
      for (let slot = 0, base = 0; slot < vv.length; slot++, base += 32) {
        let bits = vv[slot]! | 0
        if (tv !== undefined) {
          let held = 0
          for (let h = 0; h < holderN; h++) {
            const arr = holders[h]!
            if (slot < arr.length) held |= arr[slot]!
          }
          bits &= held
        }
        for (; bits !== 0; bits &= bits - 1) append(base + 31 - Math.clz32(bits & -bits), tree, plain)
      }
    }
    for (let h = 0; h < holders.length; h++) holders[h] = undefined
    builtEpoch = epoch
    builtHead = root.changes.next
    builtTail = root.changes.tail
    builtPosition = root.changes.nextPosition
  }

  /** One past the highest view id schema has handed out (ids are dense, lowest free first). */
  const maxViewIds = (): number => {
    let max = -1
    for (const id of root.activeViews.keys()) if (id > max) max = id
    return max + 1
  }

  const stale = (): boolean =>
    builtEpoch !== epoch || builtHead !== root.changes.next || builtTail !== root.changes.tail || builtPosition !== root.changes.nextPosition

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

  const encodeView: EncodeView = function (this: EncoderLike, view, sharedOffset, it, bytes) {
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
    if (!indexable()) {
      counters.fallbacks++
      out = ownEncodeView.call(this, view, sharedOffset, it, bytes)
    } else {
      if (stale()) {
        build()
        counters.indexedPatches++
      }
      const real = root.changes
      // a view that never held anything has no id and sees nothing
      const mine = view.id < 0 ? empty : listOf(view.id)
      const tail = mine.tail
      root.changes = mine
      if (direct && (view.id < 0 || listMixed[view.id] === 0)) {
        passList = mine
        passViewId = view.id
        counters.directPasses++
      }
      try {
        out = ownEncodeView.call(this, view, sharedOffset, it, bytes)
      } finally {
        root.changes = real
        passList = null
      }
      if (mine.tail !== tail) rescue(real, mine, tail)
    }
    repeatBytes.set(view, out)
    return out
  }

  enc.encodeView = encodeView
  enc.discardChanges = function (this: EncoderLike) {
    epoch++
    release()
    return ownDiscard.call(this)
  }
  const grow = (buffer: Uint8Array, used: number): Uint8Array => enc._resizeBuffer(buffer, used)
  enc.encode = function (this: EncoderLike, it, view, buffer, initialOffset) {
    if (view === undefined) {
      epoch++
      if (!indexable()) return ownEncode.call(this, it, view, buffer, initialOffset)
      // the patch starts: distribute its changes to the views, and walk only unfiltered ones here
      build()
      counters.indexedPatches++
      const real = root.changes
      root.changes = shared
      try {
        return ownEncode.call(this, it, view, buffer, initialOffset)
      } finally {
        root.changes = real
      }
    } else if (passList !== null && it !== undefined && initialOffset === undefined) {
      // the view pass of encodeView, over a list the direct pass can emit
      const list = passList
      passList = null
      return emitSchemaViewPass(this, list.next, passViewId, buffer ?? this.sharedBuffer, it, grow)
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
    uninstall() {
      enc.encodeView = ownEncodeView
      enc.discardChanges = ownDiscard
      enc.encode = ownEncode
      installed.delete(encoder)
    },
  }
  installed.set(encoder, hook)
  return hook
}
