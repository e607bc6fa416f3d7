// Owns: the mapping of observer entity ids to the dense slots that index every per-observer array
// (interest sets, byte-budget state, row ranges). A free list, so a slot is reused at once.
import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/** Observer id -> slot, with O(1) acquire and release. */
export interface ObserverSlots {
  /** Slot of each entity id, -1 for a non-observer. */
  readonly slotOf: Int32Array
  /** Most observers at once. */
  readonly maxObservers: number
  /**
   * Gives `eid` a free slot, which the caller resets.
   * @returns the new slot, or -1 when `eid` already has one.
   * @throws RangeError naming maxObservers when every slot is taken.
   */
  acquire(eid: number): number
  /** Frees `eid`'s slot; returns it, or -1 when `eid` had none. */
  release(eid: number): number
}

/** Creates the slots for ids below `capacity`, at most `maxObservers` at once (`slotOf` on shared memory with a shared `alloc`). */
export function createObserverSlots(capacity: number, maxObservers: number, alloc: ArrayAlloc = heapAlloc): ObserverSlots {
  const slotOf = alloc.i32(capacity, -1)
  const free = new Int32Array(maxObservers)
  let freeN = 0
  // lowest slot first
  for (let s = maxObservers - 1; s >= 0; s--) free[freeN++] = s
  return {
    slotOf,
    maxObservers,
    acquire(eid) {
      if (slotOf[eid] !== -1) return -1
      if (freeN === 0) {
        throw new RangeError(
          `colyseus-attention: entity ${eid} would be observer number ${maxObservers + 1}, more than maxObservers (${maxObservers}): ` +
            "raise maxObservers, or remove the observers of players who left (removeEntity, or removeComponent of C.Observer, in the room's onLeave)",
        )
      }
      const s = free[--freeN]!
      slotOf[eid] = s
      return s
    },
    release(eid) {
      const s = slotOf[eid]!
      if (s === -1) return -1
      slotOf[eid] = -1
      free[freeN++] = s
      return s
    },
  }
}
