import type { Ref } from '@colyseus/schema'
import { DEFAULT_VIEW_TAG, holdsChild, treeOf, type ChangeTreeLike } from '../view-encoding/schema-internals'
import type { AttentionSystem } from '../ecs/types'
import type { EntityRegistry } from './entity-registry'

/*
 * Owns the plugin's checks for mistakes that would otherwise fail silently or leak: a system
 * shared by two rooms (or used again after its room closed), an instance outside the room's state
 * or outside a `.view()` collection, held by a second holder (another entity's field, a plain state
 * field) or moved to another collection after track(), or whose class has tagged fields in a child
 * schema. Each check runs at set-up (use,
 * track, bind), never per tick; findSharedInstance is the one meant to run again now and then.
 */

/** The plugin that uses each system: a system belongs to one room. */
const owners = new WeakMap<AttentionSystem, object>()

/** Makes `owner` the one user of `system`; throws when another live plugin (another room) uses it. */
export function claimSystem(system: AttentionSystem, owner: object, ownerRoom: string): void {
  const other = owners.get(system)
  if (other !== undefined && other !== owner) {
    throw new Error(
      `colyseus-attention: this attention system is already used by another room; room ${ownerRoom} needs its own. ` +
        'Budgets would be split between the rooms and the system would tick once per room. Create the world, the ' +
        'components and the system in the room (class fields or onCreate), not at module scope: ' +
        'world = createWorld(); C = createAttentionComponents(n); attention = createAttentionSystem(this.world, { components: this.C })',
    )
  }
  owners.set(system, owner)
}

/** Lets `owner`'s system be used by another plugin. */
export function releaseSystem(system: AttentionSystem | null, owner: object): void {
  if (system !== null && owners.get(system) === owner) owners.delete(system)
}

/** Systems the plugin disposed with their room, by the room's id. */
const retired = new WeakMap<AttentionSystem, string>()

/** Records that `system` was disposed with room `roomId` (the plugin disposes its room's system). */
export function retireSystem(system: AttentionSystem, roomId: string): void {
  retired.set(system, roomId)
}

/** Throws when `system` was disposed with an earlier room: its listeners and worker threads are gone. */
export function checkNotRetired(system: AttentionSystem): void {
  const roomId = retired.get(system)
  if (roomId === undefined) return
  throw new Error(
    `colyseus-attention: this attention system was disposed when room ${roomId}, which used it, closed (the plugin disposes its room's system). ` +
      'A system belongs to one room: create the world, the components and the system in the room (class fields or onCreate), not at module scope.',
  )
}

/**
 * Throws unless `instance` is a schema instance inside the room's state (`root`, when known),
 * held in one place only, by a `.view()` field or a `.view()` collection (without a tag) of an
 * object outside every `.view()` (the state, or a plain object of it): an unfiltered one would
 * reach every client, hidden and other-team entities included; one also held by another entity,
 * or inside one, would reach every client of that entity. Also refuses, once per class, a class
 * with a tagged field in a child schema (bands hold back the entity's own fields only).
 * @returns the instance's holder (its collection, or the Schema whose field holds it), or undefined.
 */
export function checkTrackable(eid: number, instance: Ref, root: unknown): object | undefined {
  const tree = treeOf(instance)
  if (tree === undefined) {
    throw new TypeError(`colyseus-attention: track(${eid}, instance) needs a schema instance (an object of a schema() class); got ${String(instance)}`)
  }
  if (tree.root === undefined || (root !== undefined && tree.root !== root)) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): the instance is not in this room's state. ` +
        `Put it in the state's .view() collection first (this.state.entities.set(key, instance), with a key from createEntityKeys().next()), then track it.`,
    )
  }
  // who holds it now (schema keeps a holder's link after the holder lets go while another holds it)
  const holders = liveHolders(tree)
  if (holders > 1) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): this ${nameOf(instance)} is held in ${holders} places: ${holderList(tree)}. ` +
        `Schema sends an instance held in several places to every client that receives any of its holders (a plain state field: every client), whatever the entity's own interest. ` +
        SHARED_FIX,
    )
  }
  // its one holder (the primary link, when the chain holds no live one: then schema's own flags say)
  const at = holders === 1 ? liveHolder : tree.parent
  const atIndex = holders === 1 ? liveHolderIndex : tree.parentIndex
  liveHolder = undefined
  const edge = at === undefined ? null : classifyEdge(at, atIndex!)
  if (edge === EDGE_INSIDE_FILTERED) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${describeEdge(at!, atIndex!)} holds this ${nameOf(instance)}, and ${holderOf(at!)} is itself behind a .view() field (another entity, or an object a client gets only through its view). ` +
        `Schema shows a child to every client that receives its holder, and a client that receives the child is sent its holder too: ` +
        `the two entities would reach each other's clients. ` +
        SHARED_FIX,
    )
  }
  if (tree.isFiltered !== true || edge === EDGE_PUBLIC) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${where(instance, at, atIndex)} is not marked .view(), so every client would receive every entity in it, ` +
        `hidden and other-team ones included. Mark it in the state schema: ${fix(instance, at, atIndex)}`,
    )
  }
  if (edge === EDGE_TAGGED_COLLECTION) {
    const f = fieldOf(at!, atIndex)
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${where(instance, at, atIndex)} is marked .view(${f?.tag ?? 'tag'}): schema sends every element of a collection marked with a tag ` +
        `to each client that holds the collection, so every client holding one entity would receive all of them, hidden and far ones included. ` +
        `Mark the collection .view() without a tag (${fix(instance, at, atIndex)}); bands choose the fields through the tags of the entity's own fields.`,
    )
  }
  // schema 5.0 sends a stream element whole when it first ships it and keeps no tag for it: a Low
  // member would arrive with its Motion and Detail fields, and later changes to tagged fields reach no one
  const parent = at === undefined ? undefined : treeOf(at)
  const tagged = tree.encDescriptor?.tags.find((t) => t !== undefined && t !== DEFAULT_VIEW_TAG)
  if (parent?.isStreamCollection === true && tagged !== undefined) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${where(instance, at, atIndex)} is a .stream() collection, and ${nameOf(instance)} has fields with view tags (.view(tag)). ` +
        'Schema sends every field of a stream element and keeps no tag for it, so bands cannot hold back those fields: every member would receive them at any band. ' +
        'Use a map (t.map(...).view()) for entities with tagged fields, or leave their fields untagged in a stream.',
    )
  }
  const nested = nestedTaggedField((instance as object).constructor)
  if (nested !== null) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${nameOf(instance)} has a tagged field in a child schema: ${nested.path} (.view(${nested.tag})). ` +
        `A band sets and clears the view tags of the entity's own fields, not of its children's: once a band showed ${nested.path}, the client would keep it and receive its new values ` +
        `at every band, and a joining client's full state would include it. Tag only the entity's own primitive fields; a child schema's fields go at the band of the child's parent field: ` +
        `tag the parent field instead (${nested.field}: ${nested.builder}.view(AttentionTags.Detail), leaving ${nested.child}'s fields untagged), or flatten the child into the entity.`,
    )
  }
  return at
}

/** The advice shared by the messages about an instance held by something besides its `.view()` collection. */
const SHARED_FIX =
  'Entities refer to each other by key (an entity id or map key in a plain field), never by holding another tracked instance: ' +
  "a tracked instance lives only in its .view() collection (e.g. carriedBy: t.uint32() rather than carry: t.ref(Loot))."

/** What an instance's holder is (a parent link of its tree). */
const EDGE_OK = 0
/** The holder's field (or the collection's field) is not marked `.view()`: every client that holds the holder receives it. */
const EDGE_PUBLIC = 1
/** The holding object (the Schema, or the collection's owner) is itself behind a `.view()` field: another entity, or inside one. */
const EDGE_INSIDE_FILTERED = 2
/** A collection marked `.view(tag)` (not `.view()`): schema shares its visibility with every element. */
const EDGE_TAGGED_COLLECTION = 3

/** Classifies the link from holder `at` (a Schema or collection) at `index`; no allocation. */
function classifyEdge(at: object, index: number): number {
  const p = treeOf(at)
  if (p === undefined) return EDGE_OK
  const collection = p._isSchema !== true
  const owner = collection ? treeOf(p.parent) : p
  if (owner === undefined) return EDGE_OK
  if (owner.isFiltered === true) return EDGE_INSIDE_FILTERED
  const tag = owner.encDescriptor.tags[collection ? p.parentIndex! : index]
  // a stream collection is private to views with or without .view() (schema's isFieldStream)
  if (tag === undefined) return collection && p.isStreamCollection ? EDGE_OK : EDGE_PUBLIC
  if (collection && tag !== DEFAULT_VIEW_TAG && !p.isStreamCollection) return EDGE_TAGGED_COLLECTION
  return EDGE_OK
}

/** The one live holder {@link liveHolders} found last (when it found one), and the index in it. */
let liveHolder: object | undefined
let liveHolderIndex = 0

/** How many of the tree's parent links are live (their holder holds it now); sets {@link liveHolder} to the last. */
function liveHolders(tree: ChangeTreeLike): number {
  let n = 0
  liveHolder = undefined
  if (tree.parent !== undefined && isLive(tree.parent, tree.parentIndex!, tree)) {
    n++
    liveHolder = tree.parent
    liveHolderIndex = tree.parentIndex!
  }
  for (let l = tree.extraParents; l !== undefined; l = l.next) {
    if (!isLive(l.ref, l.index, tree)) continue
    n++
    liveHolder = l.ref
    liveHolderIndex = l.index
  }
  return n
}

function isLive(at: object, index: number, tree: ChangeTreeLike): boolean {
  const p = treeOf(at)
  return p !== undefined && p.root === tree.root && holdsChild(p, index, tree)
}

/** "field 'carry' of Ent and map 'entities' of State": the tree's live holders. */
function holderList(tree: ChangeTreeLike): string {
  const out: string[] = []
  if (tree.parent !== undefined && isLive(tree.parent, tree.parentIndex!, tree)) out.push(describeEdge(tree.parent, tree.parentIndex!))
  for (let l = tree.extraParents; l !== undefined; l = l.next) if (isLive(l.ref, l.index, tree)) out.push(describeEdge(l.ref, l.index))
  return out.join(' and ')
}

/** An instance held by something besides its `.view()` collection, or moved from it (see {@link findSharedInstance}). */
export interface SharedInstance {
  /** The entity whose tracked instance it is. */
  readonly eid: number
  /** Its holders, e.g. `field 'carry' of Ent and map 'entities' of State`, or the one wrong holder. */
  readonly where: string
  /** The whole warning, naming the entity, the holders and the fix (without the `colyseus-attention: ` prefix). */
  readonly message: string
}

/**
 * The first tracked instance, attached to `root` (any state when undefined), that is held by more
 * than one holder (schema's parent chain, live links only: a second entity's field, a plain state
 * field, another collection), or whose one holder is not a `.view()` collection of an object
 * outside every `.view()` (it was moved into another entity's field, say), or whose one holder is
 * not the one it was tracked in (moved to another `.view()` collection); null when there is none.
 * Schema sends such an instance to every client that receives any of its holders (a plain state
 * field: every client), whatever the entity's interest; removing it from the plugin's views does not
 * stop that, only the game dropping the reference does. A moved one is lost to the clients that held
 * it. Instances no longer in the state are skipped (the plugin says so elsewhere).
 *
 * Cost: O(tracked entities), a few field reads each (an instance held once by its `.view()` map:
 * no parent chain to walk); allocates nothing unless it finds one. The reference may be made any
 * time after `track()`, so the plugin runs this every few dozen syncs.
 * @param registry - the plugin's registry (its `tracked` ids and their instances).
 * @param root - the Root of the room's state (`encoder.root`), or undefined.
 */
export function findSharedInstance(registry: EntityRegistry, root: unknown): SharedInstance | null {
  const { tracked, instances } = registry
  for (let k = 0, n = registry.count; k < n; k++) {
    const eid = tracked[k]!
    const tree = treeOf(instances[eid])
    if (tree === undefined || tree.root === undefined || (root !== undefined && tree.root !== root)) continue
    // the common case: one holder, the .view() collection it was tracked in
    if (tree.extraParents === undefined) {
      if (tree.parent === undefined) continue
      if (classifyEdge(tree.parent, tree.parentIndex!) !== EDGE_OK) return shared(eid, tree, describeEdge(tree.parent, tree.parentIndex!))
      if (isMove(registry.holders[eid], tree.parent)) return moved(eid, tree, registry.holders[eid]!, describeEdge(tree.parent, tree.parentIndex!))
      continue
    }
    const holders = liveHolders(tree)
    const one = liveHolder
    const oneIndex = liveHolderIndex
    liveHolder = undefined
    if (holders > 1) return shared(eid, tree, holderList(tree))
    if (holders === 1 && classifyEdge(one!, oneIndex) !== EDGE_OK) return shared(eid, tree, describeEdge(one!, oneIndex))
    if (holders === 1 && isMove(registry.holders[eid], one!)) return moved(eid, tree, registry.holders[eid]!, describeEdge(one!, oneIndex))
  }
  return null
}

/** True when an instance tracked in holder `was` (when known) is held by another one, `now`. */
function isMove(was: object | undefined, now: object): boolean {
  return was !== undefined && now !== was
}

/**
 * An instance moved, after track(), from the `.view()` collection (or field) it was tracked in to
 * another one: the clients that held it were sent its removal from the first, never the second (the
 * views hold the first's ancestors), and the plugin still counts it as theirs.
 */
function moved(eid: number, tree: ChangeTreeLike, was: object, where: string): SharedInstance {
  const type = nameOf(tree.ref as unknown as Ref)
  return {
    eid,
    where,
    message:
      `entity ${eid}'s tracked ${type} was moved after track() from ${describeCollection(was)} to ${where}: the clients that held it lost it ` +
      `(their decoders log "refId" not found), though the plugin counts it as theirs, and only clients whose view takes it later receive it there. ` +
      `To move a tracked instance: plugins.attention.untrack(${eid}), move it, then track(${eid}, instance) again.`,
  }
}

/** "map 'things' of State": a collection, by the field of its owner that holds it (when it still has one); a Schema holder by its class. */
function describeCollection(c: object): string {
  const t = treeOf(c)
  if (t !== undefined && t._isSchema === true) return `a field of ${c.constructor?.name || 'its holder'}`
  if (t === undefined || t.parent === undefined) return `a ${c.constructor?.name || 'collection'} no longer in the state`
  return describeEdge(t.parent, t.parentIndex!)
}

function shared(eid: number, tree: ChangeTreeLike, where: string): SharedInstance {
  const type = nameOf(tree.ref as unknown as Ref)
  return {
    eid,
    where,
    message:
      `entity ${eid}'s tracked ${type} is held by ${where}. Schema sends it to every client that receives any of its holders ` +
      `(a field outside .view(): every client), whatever entity ${eid}'s own interest, so clients that may not see entity ${eid} receive it. ` +
      SHARED_FIX,
  }
}

/** Per entity class: its first tagged field in a child schema, or null (see {@link nestedTaggedField}). */
const nestedByClass = new WeakMap<object, NestedTag | null>()

interface NestedTag {
  /** `Entity.stats.shp`, or `Entity.items[].ival` through a collection. */
  readonly path: string
  readonly tag: number
  /** The entity's field that leads to it (`stats`), its builder (`t.ref(Stats)`), the child class (`Stats`). */
  readonly field: string
  readonly builder: string
  readonly child: string
}

/**
 * The first field with a custom view tag (`.view(tag)`, not `.view()`) in a schema class the
 * entity class `cls` holds (through its fields' declared types: schema refs, collections of
 * schemas, recursively; each class once), or null. Once per class.
 */
function nestedTaggedField(cls: Function): NestedTag | null {
  let found = nestedByClass.get(cls)
  if (found !== undefined) return found
  found = null
  const md = metadataOf(cls)
  // the entity's own class is not a child of itself (a `parent: t.ref(Entity)` holds another
  // entity, which track() refuses per instance): its own tagged fields are the bands' to hold
  const seen = new Set<object>([cls])
  for (let i = 0; md !== undefined && i < MAX_FIELDS && found === null; i++) {
    const f = md[i]
    if (f === undefined) continue
    const child = childClass(f.type)
    if (child === undefined) continue
    const path = taggedIn(child.cls, `${cls.name}.${f.name}${child.kind === 'ref' ? '' : '[]'}`, seen)
    if (path === null) continue
    found = {
      path: path.path,
      tag: path.tag,
      field: f.name,
      builder: child.kind === 'ref' ? `t.ref(${child.cls.name})` : `t.${child.kind}(${child.cls.name})`,
      child: child.cls.name,
    }
  }
  nestedByClass.set(cls, found)
  return found
}

/** Schema allows field indexes 0..62. */
const MAX_FIELDS = 64

interface FieldMeta {
  readonly name: string
  readonly type: unknown
  readonly tag?: number
}

function metadataOf(cls: unknown): Record<number, FieldMeta | undefined> | undefined {
  const md = (cls as Record<symbol, unknown> | null | undefined)?.[Symbol.metadata]
  return md === null || typeof md !== 'object' ? undefined : (md as Record<number, FieldMeta | undefined>)
}

/** The schema class a field's declared type holds (`Stats`, `{ array: Item }`), and how; undefined for primitives. */
function childClass(type: unknown): { cls: Function; kind: string } | undefined {
  if (typeof type === 'function') return metadataOf(type) === undefined ? undefined : { cls: type, kind: 'ref' }
  if (type === null || typeof type !== 'object') return undefined
  for (const kind of Object.keys(type)) {
    const inner = (type as Record<string, unknown>)[kind]
    if (typeof inner === 'function' && metadataOf(inner) !== undefined) return { cls: inner, kind }
  }
  return undefined
}

/** The first custom-tagged field of `cls` or of a class it holds, as `path.field`; `seen` guards cycles. */
function taggedIn(cls: Function, path: string, seen: Set<object>): { path: string; tag: number } | null {
  if (seen.has(cls)) return null
  seen.add(cls)
  const md = metadataOf(cls)
  if (md === undefined) return null
  for (let i = 0; i < MAX_FIELDS; i++) {
    const f = md[i]
    if (f === undefined) continue
    if (f.tag !== undefined && f.tag !== DEFAULT_VIEW_TAG) return { path: `${path}.${f.name}`, tag: f.tag }
  }
  for (let i = 0; i < MAX_FIELDS; i++) {
    const f = md[i]
    const child = f === undefined ? undefined : childClass(f.type)
    if (child === undefined) continue
    const found = taggedIn(child.cls, `${path}.${f!.name}${child.kind === 'ref' ? '' : '[]'}`, seen)
    if (found !== null) return found
  }
  return null
}

/** "field 'entities' of State", or a plainer description. */
function where(instance: Ref, at: object | undefined, index: number | undefined): string {
  const f = at === undefined ? null : fieldOf(at, index)
  return f === null ? `the field holding ${nameOf(instance)}` : `field '${f.name}' of ${f.owner}`
}

/** The schema line to write, e.g. `entities: t.map(Entity).view()`. */
function fix(instance: Ref, at: object | undefined, index: number | undefined): string {
  const f = at === undefined ? null : fieldOf(at, index)
  const type = nameOf(instance)
  const name = f?.name ?? 'entities'
  const kind = f?.kind ?? 'map'
  const builder = kind === 'ref' ? `${name}: t.ref(${type}).view()` : `${name}: t.${kind}(${type}).view()`
  const decorator = kind === 'ref' ? `@view() @type(${type}) ${name}` : `@view() @type({ ${kind}: ${type} }) ${name}`
  return `${builder}  (decorators: ${decorator})`
}

/** "field 'carry' of Ent", "map 'entities' of State": a holder of an instance, at `index`. */
function describeEdge(at: object, index: number): string {
  const f = fieldOf(at, index)
  if (f === null) return `a ${at.constructor?.name || 'holder'}`
  return f.kind === 'ref' ? `field '${f.name}' of ${f.owner}` : `${f.kind} '${f.name}' of ${f.owner}`
}

/** The class name of the object that owns holder `at`'s field (the Schema itself, or a collection's owner). */
function holderOf(at: object): string {
  const p = treeOf(at)
  const owner = p !== undefined && p._isSchema !== true ? p.parent : at
  return (owner as object | undefined)?.constructor?.name || 'its holder'
}

/** The schema field holding an instance in holder `parent` at `index` (directly, or through its collection), if schema says. */
function fieldOf(parent: object, index: number | undefined): { name: string; owner: string; kind: string; tag: number | undefined } | null {
  const ptree = treeOf(parent)
  // the instance sits in a collection whose parent is a schema object, or directly in a schema field
  const collection = ptree !== undefined && ptree.parent !== undefined && !hasMetadata(parent)
  const holder = (collection ? ptree!.parent : parent) as unknown as object
  const at = collection ? ptree!.parentIndex : index
  const md = metadataOf(holder.constructor)
  const entry = at === undefined ? undefined : md?.[at]
  if (entry?.name === undefined) return null
  const type = entry.type
  const kind = typeof type === 'object' && type !== null ? (Object.keys(type)[0] ?? 'map') : 'ref'
  return { name: entry.name, owner: holder.constructor.name, kind, tag: entry.tag }
}

function hasMetadata(o: object): boolean {
  return (o.constructor as unknown as Record<symbol, unknown>)[Symbol.metadata] != null
}

function nameOf(instance: Ref): string {
  return (instance as object).constructor?.name || 'Entity'
}

/**
 * The fields of `instance`'s class whose `.view(tag)` tag no band holds: a field reaches a view
 * when its tag shares a bit with the band tag the view holds on the object, so these reach no
 * client at any band. As `"hp" (.view(4))`; empty when every tagged field can be sent.
 */
export function unreachableFields(instance: Ref, bandTags: readonly number[]): string[] {
  const d = treeOf(instance)?.encDescriptor
  if (d === undefined) return []
  let held = 0
  for (const t of bandTags) held |= t
  const out: string[] = []
  for (let i = 0; i < d.tags.length; i++) {
    const tag = d.tags[i]
    if (tag === undefined || tag === DEFAULT_VIEW_TAG || (tag & held) !== 0) continue
    out.push(`"${d.names[i] ?? i}" (.view(${tag}))`)
  }
  return out
}
