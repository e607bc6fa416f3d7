import type { Ref } from '@colyseus/schema'

/**
 * Which schema instance stands for which entity id, and for which generation of that id. bitECS
 * reuses ids at once, so an instance is only valid for the generation it was tracked with.
 */
export interface EntityRegistry {
  readonly capacity: number
  /** Instance of `eid`, or undefined. */
  readonly instances: (Ref | undefined)[]
  /** Engine generation of `eid` when its instance was tracked. */
  readonly generation: Uint32Array
  /** What held `eid`'s instance when it was tracked (its `.view()` collection), or undefined. */
  readonly holders: (object | undefined)[]
  /** The tracked entity ids, in no particular order: the first {@link count} entries. */
  readonly tracked: Int32Array
  /** How many entity ids are tracked (have an instance). */
  readonly count: number
  set(eid: number, instance: Ref, generation: number, holder?: object): void
  delete(eid: number): void
  /**
   * True when `eid` has a tracked instance of generation `generation`: the one check that an entry
   * or member still stands for the entity it was made for (bitECS reuses ids at once, so never
   * send a recycled id's new entity in its place).
   */
  holds(eid: number, generation: number): boolean
}

/** Creates an empty registry for `capacity` entity ids. */
export function createEntityRegistry(capacity: number): EntityRegistry {
  const instances: (Ref | undefined)[] = new Array<Ref | undefined>(capacity).fill(undefined)
  const generation = new Uint32Array(capacity)
  const holders: (object | undefined)[] = new Array<object | undefined>(capacity).fill(undefined)
  const tracked = new Int32Array(capacity)
  /** Per entity id, its position in `tracked`, or -1. */
  const slot = new Int32Array(capacity).fill(-1)
  let count = 0
  return {
    capacity,
    instances,
    generation,
    holders,
    tracked,
    get count() {
      return count
    },
    set(eid, instance, gen, holder) {
      instances[eid] = instance
      generation[eid] = gen
      holders[eid] = holder
      if (slot[eid] !== -1) return
      slot[eid] = count
      tracked[count++] = eid
    },
    delete(eid) {
      instances[eid] = undefined
      holders[eid] = undefined
      const j = slot[eid]!
      if (j === -1) return
      const last = tracked[--count]!
      tracked[j] = last
      slot[last] = j
      slot[eid] = -1
    },
    holds(eid, gen) {
      return instances[eid] !== undefined && generation[eid] === gen
    },
  }
}
