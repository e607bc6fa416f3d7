import type { Ref, StateView } from '@colyseus/schema'
import {
  allFieldsLive,
  clearAllTagBits,
  DEFAULT_VIEW_TAG,
  isFlatSchemaTree,
  isVisibleTo,
  OPERATION,
  parentTreeOf,
  pendingChanges,
  refIdOf,
  setVisibleTo,
  treeOf,
  viewIdOf,
  writeTagBits,
  type ChangeKey,
  type ChangeTreeLike,
  type EncDescriptorLike,
  type ViewChanges,
} from '../view-encoding/schema-internals'
import { ancestorEntries, copyEntries, isAdapterEntries, ownEntries, privatizeEntries, shareEntries, type Entries } from './view-entries'

/*
 * Owns the sync layer's own edits of a StateView: an entity entering a view, leaving it, and
 * changing band tags, written the way schema 5.0.34's view.add / view.remove write them (visibility
 * and tag bitmaps, entries in `view.changes`), without their per-call allocations (closures, an
 * inner Map per object and per ancestor, ~0.6-0.8 KB per call). The internals come from
 * view-encoding/schema-internals.ts; the entry maps from view-entries.ts.
 *
 * Which fields an edit queues depends only on the class and the tags, so each entity's entries are
 * one immutable map shared by every view and object: `view.changes.set(refId, shared)` allocates
 * nothing. Ancestors (the state, the entity collection) get the view's pooled private map.
 *
 * - enter (view.add(obj, tag)): the object and its ancestors visible; per filtered ancestor an ADD
 *   of the child's key; the tag bits; an ADD for every field the tag shows (a new object: the
 *   shared encode pass sends its fields, only tagged ones are queued).
 * - exit (view.remove(obj, tag) + view.remove(obj)): visibility and every tag bit cleared; empty
 *   entries for filtered ancestors without one (keeps `view.changes` topological); a DELETE for
 *   each tagged field and for the object's key in its collection.
 * - band change: tag bits; an ADD per field that becomes visible, a DELETE per field that stops.
 *   Visibility and untagged fields are not re-sent (the stock remove/add pair re-queues them):
 *   the decoded state is the same, with fewer bytes.
 *
 * Each returns false, having changed nothing, where it does not apply: the view not yet bound, an
 * iterable view, tags beyond 16 bits, an object holding child trees or unset fields, a stream
 * element, an object with entries already pending this patch. The caller then uses
 * view.add / view.remove, after {@link privatizeEntry}.
 */

/** Per class: its custom-tagged fields, and the shared entry maps of each edit. */
interface ClassTags {
  /** Field indices with a custom tag, and their tags. */
  readonly fields: Int32Array
  readonly fieldTags: Int32Array
  /** Per field index, its tag (undefined: untagged) and its name (undefined: a hole). */
  readonly tags: readonly (number | undefined)[]
  readonly names: readonly (string | undefined)[]
  /** Every custom-tagged field holds a primitive (no subtree to hide or introduce). */
  readonly taggedPrimitive: boolean
  /** Every field holds a primitive and none is skipped by full sync: enter and exit apply. */
  readonly flat: boolean
  /** `old | new << 16` to the entries a band change from `old` to `new` queues (null: none). */
  readonly transitions: Map<number, Entries | null>
  /** Entering with `tag`: `tag` for a known object, `tag | NEW` for one not yet encoded. */
  readonly enters: Map<number, Entries>
  /** Leaving with `tag`. */
  readonly exits: Map<number, Entries>
}

const NEW = 0x10000
const byDescriptor = new WeakMap<EncDescriptorLike, ClassTags>()

function classTags(tree: ChangeTreeLike): ClassTags {
  const d = tree.encDescriptor
  let c = byDescriptor.get(d)
  if (c !== undefined) return c
  const fields: number[] = []
  const tags: number[] = []
  let taggedPrimitive = true
  for (let index = 0; index < d.tags.length; index++) {
    const tag = d.tags[index]
    if (tag === undefined || tag === DEFAULT_VIEW_TAG) continue
    fields.push(index)
    tags.push(tag)
    if (typeof d.types[index] !== 'string') taggedPrimitive = false
  }
  c = {
    fields: Int32Array.from(fields),
    fieldTags: Int32Array.from(tags),
    tags: d.tags,
    names: d.names,
    taggedPrimitive,
    flat: isFlatSchemaTree(tree),
    transitions: new Map(),
    enters: new Map(),
    exits: new Map(),
  }
  byDescriptor.set(d, c)
  return c
}

/** The entries of a band change from `oldTag` to `tag`: ADD for fields that become visible, DELETE for those that stop. */
function transition(c: ClassTags, oldTag: number, tag: number): Entries | null {
  const key = oldTag | (tag << 16)
  let m = c.transitions.get(key)
  if (m !== undefined) return m
  m = new Map()
  for (let k = 0; k < c.fields.length; k++) {
    const was = (c.fieldTags[k]! & oldTag) !== 0
    const now = (c.fieldTags[k]! & tag) !== 0
    if (was !== now) m.set(c.fields[k]!, now ? OPERATION.ADD : OPERATION.DELETE)
  }
  m = m.size === 0 ? null : shareEntries(m)
  c.transitions.set(key, m)
  return m
}

/**
 * The entries of entering with `tag` (0: the default tag), as view.add queues them: for a known
 * object every untagged, `.view()` and `tag`-sharing field (all set: the caller checked); for a new
 * one only the tag-sharing fields (the shared pass sends the rest).
 */
function enterEntries(c: ClassTags, tag: number, isNew: boolean): Entries {
  const key = isNew ? tag | NEW : tag
  let m = c.enters.get(key)
  if (m !== undefined) return m
  m = new Map()
  for (let i = 0; i < c.names.length; i++) {
    if (c.names[i] === undefined) continue
    const t = c.tags[i]
    const custom = t !== undefined && t !== DEFAULT_VIEW_TAG
    if (custom ? (t & tag) !== 0 : !isNew) m.set(i, OPERATION.ADD)
  }
  shareEntries(m)
  c.enters.set(key, m)
  return m
}

/** The entries of leaving with `tag`: a DELETE for each field sharing a bit with it. */
function exitEntries(c: ClassTags, tag: number): Entries {
  let m = c.exits.get(tag)
  if (m !== undefined) return m
  m = new Map()
  for (let k = 0; k < c.fields.length; k++) if ((c.fieldTags[k]! & tag) !== 0) m.set(c.fields[k]!, OPERATION.DELETE)
  shareEntries(m)
  c.exits.set(tag, m)
  return m
}

/** The tree's ancestors: `chain[0]` is the tree, then its parent, up to the state root. */
const chain: ChangeTreeLike[] = []

/** Fills {@link chain} from `tree` up; returns its length. */
function collectChain(tree: ChangeTreeLike): number {
  let n = 0
  for (let t: ChangeTreeLike | undefined = tree; t !== undefined; t = parentTreeOf(t)) chain[n++] = t
  return n
}

/** The key of `tree` in its parent's entries: the element's tree under an array, its index otherwise. */
function keyInParent(parent: ChangeTreeLike, tree: ChangeTreeLike): ChangeKey {
  return parent.isArray ? tree : tree.parentIndex!
}

/** The flat entity tree of `instance` for view `id`, or undefined when the edits below do not apply. */
function flatTree(id: number, view: StateView, instance: Ref, tag: number): ChangeTreeLike | undefined {
  if (id < 0 || view.iterable || (tag & ~0xffff) !== 0) return undefined
  const tree = treeOf(instance)
  if (tree === undefined || tree.parent === undefined) return undefined
  return classTags(tree).flat ? tree : undefined
}

/**
 * Adds `instance`, which `view` does not see, with custom tags `tag` (0: the default tag): the
 * same decoded state on the client as `view.add(instance, tag)`, no allocation in the steady state.
 * @returns false when the fast path does not apply (nothing was changed): use view.add.
 */
export function enterView(view: StateView, instance: Ref, tag: number): boolean {
  const id = viewIdOf(view)
  const tree = flatTree(id, view, instance, tag)
  if (tree === undefined || isVisibleTo(tree, id) || !allFieldsLive(tree)) return false
  const changes = pendingChanges(view)
  const refId = refIdOf(tree)
  if (changes.has(refId)) return false
  const depth = collectChain(tree)
  const parent = chain[1]!
  if (parent.isStreamCollection || changes.get(refIdOf(parent))?.has(keyInParent(parent, tree)) === true) return false
  const c = classTags(tree)

  // ancestors root first, so that view.changes stays topological
  for (let k = depth - 1; k >= 1; k--) {
    const a = chain[k]!
    const child = chain[k - 1]!
    setVisibleTo(a, id, true)
    if (!a.hasFilteredFields) continue
    const index = child.parentIndex!
    const fieldTag = a.encDescriptor.tags[index]
    // the parent's field holding the child carries the tag: the parent gets it too
    if (tag !== 0 && fieldTag !== undefined && fieldTag !== DEFAULT_VIEW_TAG && (fieldTag & tag) !== 0) writeTagBits(a, id, 0, tag)
    // a child the view already sees is already bound on its clients (they received it when it
    // became visible, or in their full state on joining): schema queues the binding again, we don't
    if (child !== tree && isVisibleTo(child, id)) continue
    if (a.getChange(index) === OPERATION.DELETE) continue
    ancestorEntries(view, changes, a).set(keyInParent(a, child), OPERATION.ADD)
  }
  setVisibleTo(tree, id, true)
  if (tag !== 0) writeTagBits(tree, id, 0, tag)
  // a new object at the default tag: the shared pass introduces it, schema queues nothing
  if (tree.isNew && tag === 0) return true
  changes.set(refId, enterEntries(c, tag, tree.isNew))
  return true
}

/**
 * Removes `instance`, held with custom tags `tag`, from `view`: the same decoded state on the
 * client as `view.remove(instance, tag)` + `view.remove(instance)`, no allocation in the steady state.
 * @param fields - false: queue no deletes for the object's tagged fields (see {@link dropBandChange}).
 * @returns false when the fast path does not apply (nothing was changed): use view.remove.
 */
export function exitView(view: StateView, instance: Ref, tag: number, fields = true): boolean {
  const id = viewIdOf(view)
  const tree = flatTree(id, view, instance, tag)
  if (tree === undefined || !tree.isFiltered) return false
  const changes = pendingChanges(view)
  const refId = refIdOf(tree)
  if (changes.has(refId)) return false
  const parent = parentTreeOf(tree)!
  const key = keyInParent(parent, tree)
  // a Schema parent (no collection key to delete), a stream, or this object's key pending (same-patch add): stock
  if (parent._isSchema === true || parent.isStreamCollection || changes.get(refIdOf(parent))?.has(key) === true) return false

  setVisibleTo(tree, id, false)
  // the collection's entries before the object's, as schema orders them; schema also queues empty
  // entries for the ancestors above (to keep the order should one of them be bound later this
  // patch), which only matters for an ancestor the clients do not hold: one the view sees they do
  const own = ancestorEntries(view, changes, parent)
  if (fields) changes.set(refId, exitEntries(classTags(tree), tag))
  own.set(key, OPERATION.DELETE)
  clearAllTagBits(tree, id)
  return true
}

/**
 * Moves `instance`, which `view` already sees with tags `oldTag`, to tags `tag` (custom tag bits,
 * 0 for none): the same decoded state on the client as the stock remove/add sequence, no allocation
 * in the steady state.
 * @returns false when the fast path does not apply (nothing was changed): use view.add/remove.
 */
export function retagInView(view: StateView, instance: Ref, oldTag: number, tag: number): boolean {
  const id = viewIdOf(view)
  if (id < 0 || ((oldTag | tag) & ~0xffff) !== 0) return false
  const tree = treeOf(instance)
  if (tree === undefined) return false
  const c = classTags(tree)
  if (!c.taggedPrimitive) return false
  const entries = transition(c, oldTag, tag)
  if (entries !== null) {
    // a field that becomes visible while schema deletes it this patch: the stock path knows not to send it
    for (let k = 0; k < c.fields.length; k++) {
      const t = c.fieldTags[k]!
      if ((t & tag) !== 0 && (t & oldTag) === 0 && tree.getChange(c.fields[k]!) === OPERATION.DELETE) return false
    }
  }
  writeTagBits(tree, id, oldTag & ~tag, tag & ~oldTag)
  if (entries === null) return true
  const changes = pendingChanges(view)
  const refId = refIdOf(tree)
  const pending = changes.get(refId)
  if (pending === undefined) changes.set(refId, entries)
  else {
    // an entry from earlier this patch (or an undrained one): merge into a private map
    copyEntries(entries, ownEntries(changes, refId, pending))
  }
  return true
}

/**
 * Queues in `view`, which sees `instance` with custom tags `tag`, a DELETE of every custom-tagged
 * field `tag` does not show: what a client that reconnects needs. The sdk's resync keeps every field
 * of an object its full state still shows, so a field its band stopped showing while it was away
 * (its DELETE went to the other clients of a shared view, or was dropped with the pending changes
 * the full state delivered) would stay on it, frozen. A DELETE of a field the client does not hold
 * changes nothing. No allocation: the entries are the class's shared map.
 * @returns false when it does not apply (nothing was changed): the view not bound, the object not
 * in it, or a tagged field holding a child tree.
 */
export function deleteHiddenFields(view: StateView, instance: Ref, tag: number): boolean {
  const id = viewIdOf(view)
  if (id < 0 || (tag & ~0xffff) !== 0) return false
  const tree = treeOf(instance)
  if (tree === undefined || !isVisibleTo(tree, id)) return false
  const c = classTags(tree)
  if (!c.taggedPrimitive) return false
  // from every custom tag to `tag`: a DELETE for each field `tag` does not show, nothing else
  const entries = transition(c, 0xffff, tag)
  if (entries === null) return true
  const changes = pendingChanges(view)
  const refId = refIdOf(tree)
  const pending = changes.get(refId)
  if (pending === undefined) changes.set(refId, entries)
  else copyEntries(entries, ownEntries(changes, refId, pending))
  return true
}

/**
 * Drops the entries a band change queued for `instance` in `view` this patch, when it is about to
 * leave the view: schema's own band change binds the object again (an ADD of its key), so its
 * removal in the same patch drops the object's pending entries, field deletes included. That holds
 * for two band changes in one patch as well (their merged entries).
 * @param anyEntries - drop the object's entries whoever queued them (after schema's removal).
 * @returns true when there were such entries.
 */
export function dropBandChange(view: StateView, instance: Ref, anyEntries = false): boolean {
  const tree = treeOf(instance)
  if (tree === undefined) return false
  const changes = pendingChanges(view)
  const refId = refIdOf(tree)
  const pending = changes.get(refId)
  if (pending === undefined || !(anyEntries || isAdapterEntries(pending))) return false
  changes.delete(refId)
  return true
}

/** Before schema edits `instance`'s pending entries in `view` (view.add/remove): private copies of shared maps. */
export function privatizeEntry(view: StateView, instance: Ref): void {
  const tree = treeOf(instance)
  if (tree !== undefined) privatizeEntries(view, tree, tree._isSchema === true && classTags(tree).flat)
}

/** What {@link stripChildTags} walks with: the view's id and pending changes, and the first class it stripped. */
const strip = { id: 0, changes: undefined as ViewChanges | undefined, found: undefined as string | undefined }

/**
 * After schema's own `view.add(instance, tag)` with a custom tag: takes back, for `view`, what that
 * add gave the instance's descendants of a class with custom-tagged fields (`.view(tag)`): their
 * tag bits, and the ADDs it queued for those fields. Schema gives the tag to every descendant, and
 * a band change or exit clears the entity's own bits only: such a child's tagged fields would stay
 * on the client at every band, reach it with their new values, and be in a joining client's full
 * state. track() refuses a class that declares such a child, but the declared types do not bound
 * the run-time ones (a subclass in a `t.ref(Base)` field, or as an element of a collection), so a
 * child's own tagged fields are never sent, at any band; its untagged fields go with its holder.
 * Allocates nothing (a module-level callback and context); the walk is the one schema's add made.
 * @returns the class name of the first descendant stripped, or undefined when there was none.
 */
export function stripChildTags(view: StateView, instance: Ref): string | undefined {
  const tree = treeOf(instance)
  const id = viewIdOf(view)
  if (tree === undefined || id < 0) return undefined
  strip.id = id
  strip.changes = pendingChanges(view)
  strip.found = undefined
  tree.forEachChildWithCtx(strip, stripChild)
  const found = strip.found
  strip.changes = undefined
  strip.found = undefined
  return found
}

function stripChild(ctx: typeof strip, child: ChangeTreeLike): void {
  if (child._isSchema === true) {
    const c = classTags(child)
    if (c.fields.length > 0) {
      clearAllTagBits(child, ctx.id)
      const refId = refIdOf(child)
      const pending = ctx.changes!.get(refId)
      if (pending !== undefined) {
        let own: Map<ChangeKey, number> | undefined
        for (let k = 0; k < c.fields.length; k++) {
          const f = c.fields[k]!
          if (pending.get(f) !== OPERATION.ADD) continue
          own ??= ownEntries(ctx.changes!, refId, pending)
          own.delete(f)
        }
      }
      ctx.found ??= (child.ref as object).constructor?.name || 'a child schema'
    }
  }
  child.forEachChildWithCtx(ctx, stripChild)
}
