import type { Ref } from '@colyseus/schema'
import { DEFAULT_VIEW_TAG, treeOf, type ChangeTreeLike } from '../view-encoding/schema-internals'
import type { AttentionSystem } from '../ecs/types'

/*
 * Owns the plugin's checks for mistakes that would otherwise fail silently or leak: a system
 * shared by two rooms (or used again after its room closed), an instance outside the room's state
 * or outside a `.view()` collection. Each check runs at set-up (use, track, bind), never per tick.
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

type TreeLike = Partial<ChangeTreeLike>

/**
 * Throws unless `instance` is a schema instance inside the room's state (`root`, when known) and
 * behind a `.view()` field: an unfiltered one would reach every client, hidden and other-team
 * entities included.
 */
export function checkTrackable(eid: number, instance: Ref, root: unknown): void {
  const tree = treeOf(instance)
  if (tree === undefined) {
    throw new TypeError(`colyseus-attention: track(${eid}, instance) needs a schema instance (an object of a schema() class); got ${String(instance)}`)
  }
  if (tree.root === undefined || (root !== undefined && tree.root !== root)) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): the instance is not in this room's state. ` +
        `Put it in the state's .view() collection first (this.state.entities.set(String(${eid}), instance)), then track it.`,
    )
  }
  if (tree.isFiltered !== true) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${where(instance, tree)} is not marked .view(), so every client would receive every entity in it, ` +
        `hidden and other-team ones included. Mark it in the state schema: ${fix(instance, tree)}`,
    )
  }
  // schema 5.0 sends a stream element whole when it first ships it and keeps no tag for it: a Low
  // member would arrive with its Motion and Detail fields, and later changes to tagged fields reach no one
  const parent = treeOf(tree.parent)
  const tagged = tree.encDescriptor?.tags.find((t) => t !== undefined && t !== DEFAULT_VIEW_TAG)
  if (parent?.isStreamCollection === true && tagged !== undefined) {
    throw new Error(
      `colyseus-attention: track(${eid}, instance): ${where(instance, tree)} is a .stream() collection, and ${nameOf(instance)} has fields with view tags (.view(tag)). ` +
        'Schema sends every field of a stream element and keeps no tag for it, so bands cannot hold back those fields: every member would receive them at any band. ' +
        'Use a map (t.map(...).view()) for entities with tagged fields, or leave their fields untagged in a stream.',
    )
  }
}

/** "field 'entities' of State", or a plainer description. */
function where(instance: Ref, tree: TreeLike): string {
  const f = field(tree)
  return f === null ? `the field holding ${nameOf(instance)}` : `field '${f.name}' of ${f.owner}`
}

/** The schema line to write, e.g. `entities: t.map(Entity).view()`. */
function fix(instance: Ref, tree: TreeLike): string {
  const f = field(tree)
  const type = nameOf(instance)
  const name = f?.name ?? 'entities'
  const kind = f?.kind ?? 'map'
  const builder = kind === 'ref' ? `${name}: t.ref(${type}).view()` : `${name}: t.${kind}(${type}).view()`
  const decorator = kind === 'ref' ? `@view() @type(${type}) ${name}` : `@view() @type({ ${kind}: ${type} }) ${name}`
  return `${builder}  (decorators: ${decorator})`
}

/** The state field holding the instance (directly, or through its collection), if schema says. */
function field(tree: TreeLike): { name: string; owner: string; kind: string } | null {
  const parent = tree.parent as unknown as object | undefined
  if (parent === undefined) return null
  const ptree = treeOf(parent)
  // the instance sits in a collection whose parent is a schema object, or directly in a schema field
  const collection = ptree !== undefined && ptree.parent !== undefined && !hasMetadata(parent)
  const holder = (collection ? ptree!.parent : parent) as unknown as object
  const index = collection ? ptree!.parentIndex : tree.parentIndex
  const md = (holder.constructor as unknown as Record<symbol, Record<number, { name?: string; type?: unknown }> | undefined>)[Symbol.metadata]
  const entry = index === undefined ? undefined : md?.[index]
  if (entry?.name === undefined) return null
  const type = entry.type
  const kind = typeof type === 'object' && type !== null ? (Object.keys(type)[0] ?? 'map') : 'ref'
  return { name: entry.name, owner: holder.constructor.name, kind }
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
