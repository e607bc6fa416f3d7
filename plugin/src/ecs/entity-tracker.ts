import { observe, onAdd, onRemove, query, type World } from 'bitecs'
import type { AttentionComponents } from './components'
import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/** Bit flags of what an entity has, mirrored from bitECS so the hot loop reads one typed array. */
export const Has = {
  Position: 1,
  Velocity: 2,
  Facing: 4,
  Salience: 8,
  Team: 16,
  TeamOnly: 32,
  Hidden: 64,
  AlwaysRelevant: 128,
  Owner: 256,
  Observer: 512,
  Aim: 1024,
} as const

/** A dense list of entity ids with O(1) add and swap-remove. */
export interface DenseList {
  readonly ids: Uint32Array
  count: number
  add(eid: number): void
  remove(eid: number): void
}

/** Creates an empty dense list for ids below `capacity` (`ids` on shared memory with a shared `alloc`). */
export function createDenseList(capacity: number, alloc: ArrayAlloc = heapAlloc): DenseList {
  const index = new Int32Array(capacity).fill(-1)
  const list: DenseList = {
    ids: alloc.u32(capacity),
    count: 0,
    add(eid) {
      if (index[eid] !== -1) return
      index[eid] = list.count
      list.ids[list.count++] = eid
    },
    remove(eid) {
      const i = index[eid]!
      if (i === -1) return
      const last = list.ids[--list.count]!
      list.ids[i] = last
      index[last] = i
      index[eid] = -1
    },
  }
  return list
}

/** Callbacks the system wants on lifecycle events. */
export interface TrackerHooks {
  /** `eid` lost Position (its generation was just bumped). */
  onPositionRemoved(eid: number, flags: Uint16Array): void
  onObserverAdded(eid: number): void
  onObserverRemoved(eid: number): void
  onOwnerRemoved(eid: number): void
  onOwnerAdded(eid: number, generation: Uint32Array): void
}

/** Mirrors component membership into flags and dense lists via bitECS observers; no per-tick queries. */
export interface EntityTracker {
  readonly flags: Uint16Array
  /** Bumped each time an entity loses Position (removal included), so recycled ids differ. */
  readonly generation: Uint32Array
  readonly positioned: DenseList
  readonly observers: DenseList
  readonly alwaysRelevant: DenseList
  readonly owned: DenseList
  /** Entities with the Aim component. */
  readonly aimers: DenseList
  dispose(): void
}

/**
 * Creates the tracker and subscribes it to `world`, picking up entities that already exist. With a
 * shared `alloc`, the flags, generations and the positioned, observer and always-relevant lists are
 * on shared memory (option `threads`).
 */
export function createEntityTracker(world: World, c: AttentionComponents, hooks: TrackerHooks, alloc: ArrayAlloc = heapAlloc): EntityTracker {
  const cap = c.capacity
  const flags = alloc.u16(cap)
  const generation = alloc.u32(cap)
  const positioned = createDenseList(cap, alloc)
  const observers = createDenseList(cap, alloc)
  const alwaysRelevant = createDenseList(cap, alloc)
  const owned = createDenseList(cap)
  const aimers = createDenseList(cap)
  const unsubs: (() => void)[] = []

  const checkId = (eid: number): void => {
    if (eid >= cap) {
      // a versioned entity index (bitECS withVersioning) puts the version in the id's high bits:
      // no capacity holds a reused id, and the engine keeps generations of its own
      const fix = eid >= 1 << 24 ? 'ids this large come from a versioned entity index (withVersioning), which the engine does not need (it keeps generations of its own): create the world with the default entity index' : 'raise capacity'
      throw new RangeError(`colyseus-attention: entity id ${eid} is outside capacity ${cap} (createAttentionComponents(capacity)); ${fix}`)
    }
  }

  const track = (component: object, bit: number, list: DenseList | null, added?: (eid: number) => void, removed?: (eid: number) => void): void => {
    const add = (eid: number): void => {
      checkId(eid)
      flags[eid]! |= bit
      if (list) list.add(eid)
      if (added) added(eid)
    }
    const remove = (eid: number): void => {
      if (eid >= cap) return
      flags[eid]! &= ~bit
      if (list) list.remove(eid)
      if (removed) removed(eid)
    }
    for (const eid of query(world, [component])) add(eid)
    unsubs.push(observe(world, onAdd(component), add), observe(world, onRemove(component), remove))
  }

  const dispose = (): void => {
    for (const u of unsubs) u()
    unsubs.length = 0
  }
  try {
    track(c.Position, Has.Position, positioned, undefined, (eid) => {
      generation[eid]!++
      hooks.onPositionRemoved(eid, flags)
    })
    track(c.Velocity, Has.Velocity, null)
    track(c.Facing, Has.Facing, null)
    track(c.Salience, Has.Salience, null)
    track(c.Team, Has.Team, null)
    track(c.TeamOnly, Has.TeamOnly, null)
    track(c.Hidden, Has.Hidden, null)
    track(c.AlwaysRelevant, Has.AlwaysRelevant, alwaysRelevant)
    track(c.Owner, Has.Owner, owned, (eid) => hooks.onOwnerAdded(eid, generation), hooks.onOwnerRemoved)
    track(c.Observer, Has.Observer, observers, hooks.onObserverAdded, hooks.onObserverRemoved)
    track(c.Aim, Has.Aim, aimers)
  } catch (err) {
    // an existing entity beyond capacity (or one observer too many): the system is not created, so
    // none of its subscriptions may stay on the world (they would keep acting for it, and throwing)
    dispose()
    throw err
  }

  return {
    flags,
    generation,
    positioned,
    observers,
    alwaysRelevant,
    owned,
    aimers,
    dispose,
  }
}
