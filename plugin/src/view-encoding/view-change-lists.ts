import { addByteEmission, addTreeEmission, createPassCache, grownInt32, resetPassCache, type PassCache } from './pass-cache'
import { wantedTags } from './plain-tree-emit'
import { DEFAULT_VIEW_TAG, isPlainSchemaTree, lowestViewId, type ChangeTreeLike, type ListLike, type NodeLike, type RootLike } from './schema-internals'

/*
 * Owns: the per-view change lists of the indexed path (indexed-encoding.ts). Once per patch the
 * room's change list (`root.changes`) is walked once; each changed tree gets an ordinal, and goes
 * to the list of every view whose visibility bit it carries (the bitmaps schema keeps on each
 * tree), or, when all its changed fields are tagged, of every view holding one of those tags on
 * it. Each list is a subsequence of `root.changes` in the same order: what schema's own view pass
 * would visit and emit something for. A list names emissions (pass-cache.ts): with the direct
 * pass a plain Schema tree is emitted here, once per distinct set of tags its views hold on it,
 * while its bitmaps are being read, and the views copy the bytes; any other tree has one emission
 * without bytes, emitted by each view in its turn. (The build runs before schema's shared pass,
 * which only reads the trees it emits: a plain tree emits the same bytes on either side of it.)
 * Schema's own pass needs a list in `root.changes`' shape, built from the emissions' trees on
 * demand (nodes from a pool reused every patch). Everything is emptied lazily by a build stamp.
 */

/**
 * Which views a changed Schema tree can emit something to in a view pass, besides being visible:
 * -1 every view that sees it (a changed field that is untagged in a filtered tree, or carries the
 * default tag), 0 none, else the union of the custom tags of its changed fields (a view emits
 * only if it holds one of them on the tree). Mirrors encodeChangeCb + Schema[$filter].
 */
function changedTags(tree: ChangeTreeLike): number {
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

/** What the lists read of schema's Root. */
export type ListsRoot = Pick<RootLike, 'changes' | 'activeViews'>

/** The per-view lists of one encoder, rebuilt by `build()` once per patch. */
export interface ViewChangeLists {
  /** The changed trees the shared pass can emit something for (unfiltered ones). */
  readonly shared: ListLike
  /** The list of a view that never held anything (it has no id and sees nothing). */
  readonly empty: ListLike
  /**
   * Distributes the room's current changes to the views (with the direct pass, emitting the plain
   * trees with encoder `enc`); stamps what they were built from.
   */
  build(epoch: number, enc: unknown): void
  /** True when the change list or the patch epoch moved since the last build. */
  stale(epoch: number): boolean
  /** View `id`'s list of this build in `root.changes`' shape (built on first call per build). */
  listOf(id: number): ListLike
  /** View `id`'s list of this build as emissions of `cache`: valid up to `countOf(id)`. */
  idsOf(id: number): Int32Array
  /** How many trees view `id`'s list holds in this build. */
  countOf(id: number): number
  /** The changed tree with ordinal `ord` in this build. */
  tree(ord: number): ChangeTreeLike
  /** This build's emissions (pass-cache.ts). */
  readonly cache: PassCache
  /** Lets go of the trees the lists point to (they may be detached after the patch). */
  release(): void
  /** How many distinct trees this build's view lists hold (their ordinals are 0..trees-1). */
  readonly trees: number
}

const NO_IDS = new Int32Array(0)

/**
 * Creates the lists for the encoder whose Root is `root`.
 * @param direct - whether the direct pass is on (else no tree is emitted by the build).
 */
export function createViewChangeLists(root: ListsRoot, direct: boolean): ViewChangeLists {
  // Per view id: its emissions this build, how many, and the build they belong to.
  const emits: Int32Array[] = []
  const counts: number[] = []
  const emitsBuild: number[] = []
  // Per view id: its list in root.changes' shape, and the build it was made for.
  const lists: ListLike[] = []
  const listBuild: number[] = []
  // Per ordinal: the changed tree.
  const trees: ChangeTreeLike[] = []
  let treeN = 0
  const cache = createPassCache()
  const empty: ListLike = { next: undefined, tail: undefined, nextPosition: 0 }
  const shared: ListLike = { next: undefined, tail: undefined, nextPosition: 0 }
  const pool: NodeLike[] = []
  let used = 0
  // lists are emptied lazily: a list whose stamp is not the current build's is empty
  let buildNo = 1
  // what the lists were built from: the patch epoch and the change list's head, tail and counter
  let builtEpoch = 0
  let builtHead: NodeLike | undefined
  let builtTail: NodeLike | undefined
  let builtPosition = -1

  /** Grows the per-view tables to hold view `id`. */
  const ensure = (id: number): void => {
    while (emits.length <= id) {
      emits.push(new Int32Array(16))
      counts.push(0)
      emitsBuild.push(0)
      lists.push({ next: undefined, tail: undefined, nextPosition: 0 })
      listBuild.push(0)
    }
  }

  /** Appends emission `e` to view `id`'s list. */
  const append = (id: number, e: number): void => {
    if (id >= emits.length) ensure(id)
    let n = counts[id]!
    if (emitsBuild[id] !== buildNo) {
      // first append of this build: the list starts empty
      emitsBuild[id] = buildNo
      n = 0
    }
    let a = emits[id]!
    if (n === a.length) emits[id] = a = grownInt32(a, a.length * 2)
    a[n] = e
    counts[id] = n + 1
  }

  const countOf = (id: number): number => (id >= 0 && id < emits.length && emitsBuild[id] === buildNo ? counts[id]! : 0)

  /** Appends `tree` to list `l`, from the node pool. */
  const link = (l: ListLike, tree: ChangeTreeLike): void => {
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

  const listOf = (id: number): ListLike => {
    if (id < 0) return empty
    ensure(id)
    const l = lists[id]!
    if (listBuild[id] !== buildNo) {
      listBuild[id] = buildNo
      l.next = undefined
      l.tail = undefined
      l.nextPosition = 0
      const a = emits[id]!
      const n = countOf(id)
      for (let k = 0; k < n; k++) link(l, trees[cache.ord[a[k]!]!]!)
    }
    return l
  }

  /** Lets go of the trees the lists point to (they may be detached after the patch). */
  const release = (): void => {
    for (let i = 0; i < used; i++) pool[i]!.changeTree = undefined
    used = 0
    for (let i = 0; i < treeN; i++) trees[i] = undefined as unknown as ChangeTreeLike
    treeN = 0
  }

  // scratch of one tree: the per-view bitmaps of the tags of its changed fields (at most 32 tag
  // bits) and the tag of each; the held tag sets emitted for it so far and their emissions
  const holders: (number[] | undefined)[] = new Array<number[] | undefined>(32).fill(undefined)
  const holderTag = new Int32Array(32)
  const holderWord = new Int32Array(32)
  let seenHeld: Int32Array = new Int32Array(8)
  let seenId: Int32Array = new Int32Array(8)

  /** Distributes every changed tree to the lists of the views that can see it. */
  const build = (epoch: number, enc: unknown): void => {
    buildNo++
    release()
    resetPassCache(cache)
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
        const ord = treeN
        trees[treeN++] = tree
        const e = addTreeEmission(cache, ord)
        for (let id = 0; id < viewIds; id++) append(id, e)
        continue
      }
      const vv = tree.visibleViews
      if (vv === undefined) continue
      // a Schema tree whose changed fields are all tagged goes only to views holding one of the tags
      const tagsChanged = tree._isSchema ? changedTags(tree) : -1
      if (tagsChanged === 0) continue
      const listTags = tagsChanged === -1 ? 0 : tagsChanged
      if (listTags !== 0 && tree.tagViews === undefined) continue
      const plain = direct && isPlainSchemaTree(tree)
      // what the view pass filters a plain tree's fields by: the custom tags of its changed fields
      const wanted = plain ? wantedTags(tree) : 0
      // the per-view bitmaps of those tags, fetched once per tree
      let holderN = 0
      const allTags = listTags | wanted
      if (allTags !== 0) {
        const tv = tree.tagViews
        if (tv !== undefined) {
          for (let t = allTags; t !== 0; t &= t - 1) {
            const arr = tv.get(t & -t)
            if (arr === undefined) continue
            holderTag[holderN] = t & -t
            holders[holderN++] = arr
          }
        }
      }
      const ord = treeN
      trees[treeN++] = tree
      let treeEmission = -1
      let seenN = 0
      for (let slot = 0, base = 0; slot < vv.length; slot++, base += 32) {
        let bits = vv[slot]! | 0
        // most words are empty: an entity is seen by a few views of the room
        if (bits === 0) continue
        let listed = 0
        for (let h = 0; h < holderN; h++) {
          const arr = holders[h]!
          const w = slot < arr.length ? arr[slot]! | 0 : 0
          holderWord[h] = w
          if ((holderTag[h]! & listTags) !== 0) listed |= w
        }
        if (listTags !== 0) bits &= listed
        for (; bits !== 0; bits &= bits - 1) {
          const bit = bits & -bits
          let e: number
          if (!plain) {
            if (treeEmission === -1) treeEmission = addTreeEmission(cache, ord)
            e = treeEmission
          } else {
            // the custom tags among the changed ones this view holds on the tree (Schema[$filter])
            let held = 0
            if (wanted !== 0) {
              for (let h = 0; h < holderN; h++) if ((holderWord[h]! & bit) !== 0) held |= holderTag[h]! & wanted
            }
            let k = 0
            while (k < seenN && seenHeld[k] !== held) k++
            if (k < seenN) e = seenId[k]!
            else {
              // a tag set no view before held on this tree: emit its bytes
              e = addByteEmission(cache, ord, enc, tree, wanted, held)
              if (seenN === seenHeld.length) {
                seenHeld = grownInt32(seenHeld, seenN * 2)
                seenId = grownInt32(seenId, seenN * 2)
              }
              seenHeld[seenN] = held
              seenId[seenN++] = e
            }
          }
          append(lowestViewId(base, bit), e)
        }
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

  return {
    shared,
    empty,
    build,
    stale: (epoch) =>
      builtEpoch !== epoch || builtHead !== root.changes.next || builtTail !== root.changes.tail || builtPosition !== root.changes.nextPosition,
    listOf,
    idsOf: (id) => (countOf(id) === 0 ? NO_IDS : emits[id]!),
    countOf,
    tree: (ord) => trees[ord]!,
    cache,
    release,
    get trees() {
      return treeN
    },
  }
}
