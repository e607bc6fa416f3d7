// Owns the ECS side of the border exchange: the Ghost marker, the global id (gid) of every shared
// entity, and turning entities into ghosts and back. Imports bitecs only (no Colyseus).
import { addComponent, addEntity, hasComponent, removeComponent, removeEntity, type World } from 'bitecs'
import type { AttentionComponents } from '../ecs/components'

/** The component the border exchange adds to the entities it mirrors from a neighbouring zone. */
export interface ZoneComponents {
  /** Marker: a read-only copy of an entity owned by another zone room. */
  readonly Ghost: {
    /** Zone index of the room that owns (publishes) the entity. */
    source: Uint16Array
    /** Time (ms, the exchange's clock) after which the ghost is removed unless refreshed. */
    expires: Float64Array
  }
}

/** Entity state of the exchange: gids, the ghost marker and a dense ghost list. */
export interface GhostStore {
  readonly world: World
  readonly C: AttentionComponents
  readonly Z: ZoneComponents
  /** Global id per entity (0: not shared). Stable across handovers; the game's replication key. */
  readonly gid: Uint32Array
  /** 1 for ghosts: the hot loops read this instead of asking bitECS. */
  readonly isGhost: Uint8Array
  /** 1 once the ghost's source listed it (only confirmed ghosts are swept when the source stops listing them). */
  readonly confirmed: Uint8Array
  /** Instance of the exchange that publishes the ghost (0 until its first summary lists it). */
  readonly instance: Uint32Array
  /** Stamp of the last summary that listed the ghost. */
  readonly seen: Uint32Array
  /** Dense list of ghost ids and each ghost's slot in it. */
  readonly list: Int32Array
  readonly slot: Int32Array
  count: number
  /** Entity per gid, local and ghost alike (gids are sparse 32-bit keys: no typed-array table fits). */
  readonly byGid: Map<number, number>
}

/** Creates the store for entity ids below `C.capacity`. */
export function createGhostStore(world: World, C: AttentionComponents): GhostStore {
  const n = C.capacity
  return {
    world,
    C,
    Z: { Ghost: { source: new Uint16Array(n), expires: new Float64Array(n) } },
    gid: new Uint32Array(n),
    isGhost: new Uint8Array(n),
    confirmed: new Uint8Array(n),
    instance: new Uint32Array(n),
    seen: new Uint32Array(n),
    list: new Int32Array(n),
    slot: new Int32Array(n).fill(-1),
    count: 0,
    byGid: new Map(),
  }
}

/** Gives local entity `eid` the global id `gid`. */
export function setGid(s: GhostStore, eid: number, gid: number): void {
  const old = s.gid[eid]!
  if (old !== 0 && s.byGid.get(old) === eid) s.byGid.delete(old)
  s.gid[eid] = gid
  s.byGid.set(gid, eid)
}

/** Forgets the gid of `eid` (its entity is being removed). */
export function clearGid(s: GhostStore, eid: number): void {
  const old = s.gid[eid]!
  if (old !== 0 && s.byGid.get(old) === eid) s.byGid.delete(old)
  s.gid[eid] = 0
}

/** Marks `eid` as a ghost of zone `source` until `expires`; `instance` 0: not confirmed by a summary yet. */
export function markGhost(s: GhostStore, eid: number, source: number, expires: number, instance: number): void {
  s.Z.Ghost.source[eid] = source
  s.Z.Ghost.expires[eid] = expires
  s.instance[eid] = instance
  s.confirmed[eid] = instance !== 0 ? 1 : 0
  if (s.isGhost[eid] === 1) return
  s.isGhost[eid] = 1
  s.slot[eid] = s.count
  s.list[s.count++] = eid
  addComponent(s.world, eid, s.Z.Ghost)
}

/** Turns ghost `eid` into a local entity (its zone took it over). */
export function unmarkGhost(s: GhostStore, eid: number): void {
  if (s.isGhost[eid] !== 1) return
  const i = s.slot[eid]!
  const last = s.list[--s.count]!
  s.list[i] = last
  s.slot[last] = i
  s.slot[eid] = -1
  s.isGhost[eid] = 0
  s.confirmed[eid] = 0
  s.instance[eid] = 0
  removeComponent(s.world, eid, s.Z.Ghost)
}

/**
 * Removes from `eid`, a local entity about to become a ghost (handed over), the relations border
 * records do not carry: Owner, AlwaysRelevant and Aim. They would go on acting here on what this
 * zone last knew (an owner seeing the ghost while Hidden, AlwaysRelevant its new owner has removed,
 * an aim at an entity of this zone). Observer and Facing stay: they are the entity's own view, which
 * a client still bound to a handed-over player here keeps until it moves to the new room (Facing is
 * not carried either: a ghost that never was local here has none unless the game sets it).
 */
export function stripUncarried(s: GhostStore, eid: number): void {
  const { C } = s
  setTag(s, eid, C.Owner, false)
  setTag(s, eid, C.AlwaysRelevant, false)
  setTag(s, eid, C.Aim, false)
}

/** Creates an entity with the attention components a border record describes (`team` -1: no Team). */
export function spawnShared(s: GhostStore, gid: number, team: number, teamOnly: boolean, hidden: boolean, salient: boolean): number {
  const { world, C } = s
  const eid = addEntity(world)
  if (eid >= C.capacity) {
    removeEntity(world, eid)
    return -1
  }
  addComponent(world, eid, C.Position)
  addComponent(world, eid, C.Velocity)
  C.Position.z[eid] = 0
  C.Velocity.z[eid] = 0
  applyRecord(s, eid, team, teamOnly, hidden, salient)
  setGid(s, eid, gid)
  return eid
}

/**
 * Gives existing entity `eid` the record's Team (-1: none; 0 is a team), TeamOnly, Hidden and
 * Salience, removing those the record says it lacks: it ends as {@link spawnShared} would make it.
 * An entity the record describes may hold stale ones (a ghost of an older summary, or left by a
 * release), and a stale absence of Hidden or TeamOnly would let observers select what they may not.
 */
export function applyRecord(s: GhostStore, eid: number, team: number, teamOnly: boolean, hidden: boolean, salient: boolean): void {
  const { world, C } = s
  setTag(s, eid, C.Hidden, hidden)
  setTag(s, eid, C.TeamOnly, teamOnly)
  if (team >= 0) {
    if (!hasComponent(world, eid, C.Team)) addComponent(world, eid, C.Team)
    C.Team.id[eid] = team
  } else if (hasComponent(world, eid, C.Team)) removeComponent(world, eid, C.Team)
  setTag(s, eid, C.Salience, salient)
}

function setTag(s: GhostStore, eid: number, c: object, on: boolean): void {
  if (hasComponent(s.world, eid, c) === on) return
  if (on) addComponent(s.world, eid, c)
  else removeComponent(s.world, eid, c)
}

/** Removes ghost `eid` from the store and the world. */
export function destroyGhost(s: GhostStore, eid: number): void {
  unmarkGhost(s, eid)
  clearGid(s, eid)
  removeEntity(s.world, eid)
}

/** True when `eid` has the component `c` (Hidden, TeamOnly...). */
export function has(s: GhostStore, eid: number, c: object): boolean {
  return hasComponent(s.world, eid, c)
}
