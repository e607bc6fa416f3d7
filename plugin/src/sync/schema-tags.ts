import { $changes, $refId, OPERATION, type Ref, type StateView } from '@colyseus/schema'

/*
 * Owns the one place where the sync layer writes a StateView's per-object view tags itself, instead
 * of `view.remove(obj, dropped)` + `view.add(obj)` + `view.add(obj, tag)` per band change (which
 * allocate a closure or two, an inner Map and ancestor entries each, ~0.6 KB per change).
 *
 * What a band change must do for a view that already sees the object (schema 5.0.34 internals):
 * - the view's bits in `tree.tagViews` (a Map from each tag bit to a per-view bitmap, indexed by
 *   `view.id >> 5`, bit `1 << (view.id & 31)`): set for the bits gained, cleared for those lost;
 * - an ADD in `view.changes` for every field that becomes visible (its current value, sent once),
 *   a DELETE for every field that stops being visible (the client clears it).
 * Which fields those are depends only on the class and the (old, new) tags, so each such entry set
 * is one immutable Map shared by every view and object: `view.changes.set(refId, shared)` allocates
 * nothing. The encoder only reads inner maps (schema's drain and the plugin's both iterate and
 * clear the outer map). Before schema itself edits an object's entry in a view (view.add/remove),
 * {@link privatizeEntry} swaps a shared map for a private copy.
 *
 * Visibility, the object's map entry and its untagged fields are not re-sent: the client already
 * holds them (the stock pair re-queues them). The decoded state is the same, with fewer bytes.
 * Anything the fast path does not cover (a view not yet bound, a tagged field holding a schema
 * object or being deleted this patch, tags beyond 16 bits) goes through view.add/remove as before.
 */

/** The ChangeTree parts read and written here. */
interface TreeLike {
  readonly ref: Ref
  tagViews?: Map<number, number[]>
  getChange(index: number): number | undefined
  readonly encDescriptor: { readonly tags: readonly (number | undefined)[] }
}

/** Schema 5.0's DEFAULT_VIEW_TAG (a field marked `.view()` without a tag). */
const DEFAULT_VIEW_TAG = -1

/** Per class: its custom-tagged fields, and the shared entry maps by (old, new) tags. */
interface ClassTags {
  /** Field indices with a custom tag, and their tags. */
  readonly fields: Int32Array
  readonly fieldTags: Int32Array
  /** Every custom-tagged field holds a primitive (no subtree to hide or introduce). */
  readonly primitive: boolean
  /** `old | new << 16` to the entries a change from `old` to `new` queues (null: none). */
  readonly transitions: Map<number, Map<number, number> | null>
}

const byDescriptor = new WeakMap<object, ClassTags>()
/** The shared entry maps (never edited after creation). */
const shared = new WeakSet<Map<number, number>>()

function classTags(tree: TreeLike, ref: Ref): ClassTags {
  const d = tree.encDescriptor
  let c = byDescriptor.get(d)
  if (c !== undefined) return c
  const meta = (ref.constructor as unknown as Record<symbol, Record<number, { type?: unknown } | undefined> | undefined>)[Symbol.metadata]
  const fields: number[] = []
  const tags: number[] = []
  let primitive = true
  d.tags.forEach((tag, index) => {
    if (tag === undefined || tag === DEFAULT_VIEW_TAG) return
    fields.push(index)
    tags.push(tag)
    if (typeof meta?.[index]?.type !== 'string') primitive = false
  })
  c = { fields: Int32Array.from(fields), fieldTags: Int32Array.from(tags), primitive, transitions: new Map() }
  byDescriptor.set(d, c)
  return c
}

/** The entries of a change from `oldTag` to `tag`: ADD for fields that become visible, DELETE for those that stop. */
function transition(c: ClassTags, oldTag: number, tag: number): Map<number, number> | null {
  const key = oldTag | (tag << 16)
  let m = c.transitions.get(key)
  if (m !== undefined) return m
  m = new Map()
  for (let k = 0; k < c.fields.length; k++) {
    const was = (c.fieldTags[k]! & oldTag) !== 0
    const now = (c.fieldTags[k]! & tag) !== 0
    if (was !== now) m.set(c.fields[k]!, now ? OPERATION.ADD : OPERATION.DELETE)
  }
  if (m.size === 0) m = null
  else shared.add(m)
  c.transitions.set(key, m)
  return m
}

/** The view's slot and bit in schema's per-view bitmaps, or -1 before its first add. */
function viewId(view: StateView): number {
  return (view as unknown as { id: number }).id
}

/**
 * Moves `instance`, which `view` already sees with tags `oldTag`, to tags `tag` (custom tag bits,
 * 0 for none): the same decoded state on the client as the stock remove/add sequence, no allocation
 * in the steady state.
 * @returns false when the fast path does not apply (nothing was changed): use view.add/remove.
 */
export function retagInView(view: StateView, instance: Ref, oldTag: number, tag: number): boolean {
  const id = viewId(view)
  if (id < 0 || ((oldTag | tag) & ~0xffff) !== 0) return false
  const tree = (instance as unknown as { [$changes]?: TreeLike })[$changes]
  if (tree === undefined) return false
  const c = classTags(tree, instance)
  if (!c.primitive) return false
  const entries = transition(c, oldTag, tag)
  if (entries !== null) {
    // a field schema deletes this patch: the stock path knows not to send it
    for (const index of entries.keys()) if (entries.get(index) === OPERATION.ADD && tree.getChange(index) === OPERATION.DELETE) return false
  }
  writeTagBits(tree, id, oldTag & ~tag, tag & ~oldTag)
  if (entries === null) return true
  const changes = view.changes as unknown as Map<number, Map<number, number>>
  const refId = (instance as unknown as { [$refId]: number })[$refId]
  const pending = changes.get(refId)
  if (pending === undefined) changes.set(refId, entries)
  else {
    // an entry from earlier this patch (or an undrained one): merge into a private map
    const own = shared.has(pending) ? new Map(pending) : pending
    for (const index of entries.keys()) own.set(index, entries.get(index)!)
    if (own !== pending) changes.set(refId, own)
  }
  return true
}

/** Clears `dropped` and sets `added` for view `id` in the tree's tag bitmaps. */
function writeTagBits(tree: TreeLike, id: number, dropped: number, added: number): void {
  const slot = id >> 5
  const bit = 1 << (id & 31)
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

/** Before schema edits `instance`'s pending entries in `view` (view.add/remove): gives it a private copy of a shared map. */
export function privatizeEntry(view: StateView, instance: Ref): void {
  const changes = view.changes as unknown as Map<number, Map<number, number>>
  if (changes.size === 0) return
  const refId = (instance as unknown as { [$refId]?: number })[$refId]
  if (refId === undefined) return
  const pending = changes.get(refId)
  if (pending !== undefined && shared.has(pending)) changes.set(refId, new Map(pending))
}
