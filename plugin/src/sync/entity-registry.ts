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
  set(eid: number, instance: Ref, generation: number): void
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
  return {
    capacity,
    instances,
    generation,
    set(eid, instance, gen) {
      instances[eid] = instance
      generation[eid] = gen
    },
    delete(eid) {
      instances[eid] = undefined
    },
    holds(eid, gen) {
      return instances[eid] !== undefined && generation[eid] === gen
    },
  }
}
