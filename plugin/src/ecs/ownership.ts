import type { AttentionComponents } from './components'
import { Has, type DenseList } from './entity-tracker'
import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/**
 * Owner -> owned entities, as intrusive doubly linked lists in typed arrays. `Owner.eid` is plain
 * data the game may rewrite at any time, so `sync` relinks any entity whose owner changed; it runs
 * once per tick over the entities that have Owner, allocation-free.
 *
 * An owner is an id and the generation it had when the link was made (generations count Position
 * removals: entity-tracker.ts). bitECS hands a removed entity's id to the next new entity, and
 * Owner.eid still names it: were the link kept, that new entity would see everything the old one
 * owned, Hidden or TeamOnly included. So when the owner's generation moves, the ownership lapses:
 * the entity leaves the owner's list and loses its Owner flag (every rule then reads it as unowned)
 * until the game writes another owner or adds Owner again (`setOwner`).
 */
export interface OwnershipIndex {
  /** First entity owned by `owner`, or -1. */
  readonly head: Int32Array
  /** Next entity with the same owner, or -1. */
  readonly next: Int32Array
  /**
   * Relinks every owned entity whose Owner.eid changed since the last call, and lapses the
   * ownership of those whose owner lost Position since they were linked (clearing their Owner
   * flag). Returns one entity lapsed by this call, or -1.
   */
  sync(owned: DenseList, flags: Uint16Array, generation: Uint32Array): number
  /** Unlinks `eid` (it lost Owner or was removed). */
  unlink(eid: number): void
  /** `eid` got Owner: notes the owner it names and that owner's generation now. */
  added(eid: number, generation: Uint32Array): void
  /**
   * Owner `o` lost Position: every ownership linked to it lapses now, not at the next tick (a
   * full state or a sync before it must not show the new entity at `o` what the old one owned).
   * Returns one entity lapsed, or -1.
   */
  ownerGone(o: number, flags: Uint16Array): number
}

/** Creates an empty ownership index (`head` and `next` on shared memory with a shared `alloc`). */
export function createOwnershipIndex(c: AttentionComponents, alloc: ArrayAlloc = heapAlloc): OwnershipIndex {
  const cap = c.capacity
  const head = alloc.i32(cap, -1)
  const next = alloc.i32(cap, -1)
  const prev = new Int32Array(cap).fill(-1)
  const linkedTo = new Int32Array(cap).fill(-1)
  // the owner's generation when the link was made; the owner whose ownership lapsed (-1: none)
  const linkedGen = new Uint32Array(cap)
  const lapsedFrom = new Int32Array(cap).fill(-1)
  // the owner Owner.eid named when Owner was added, and that owner's generation then (-1: none)
  const addedOwner = new Int32Array(cap).fill(-1)
  const addedGen = new Uint32Array(cap)
  const ownerOf = c.Owner.eid
  const OWNER = Has.Owner

  const unlink = (eid: number): void => {
    lapsedFrom[eid] = -1
    const o = linkedTo[eid]!
    if (o === -1) return
    const p = prev[eid]!
    const q = next[eid]!
    if (p === -1) head[o] = q
    else next[p] = q
    if (q !== -1) prev[q] = p
    linkedTo[eid] = -1
  }

  /** Ends `e`'s ownership by `o` until a new Owner.eid or Owner added again (only those relink it). */
  const lapse = (e: number, o: number, flags: Uint16Array): void => {
    unlink(e)
    lapsedFrom[e] = o
    flags[e]! &= ~OWNER
  }

  return {
    head,
    next,
    unlink,
    added(eid, generation) {
      const o = ownerOf[eid]!
      addedOwner[eid] = o < cap ? o : -1
      if (o < cap) addedGen[eid] = generation[o]!
    },
    ownerGone(o, flags) {
      let first = -1
      for (let e = head[o]!; e !== -1; ) {
        const after = next[e]!
        lapse(e, o, flags)
        if (first === -1) first = e
        e = after
      }
      return first
    },
    sync(owned, flags, generation) {
      const ids = owned.ids
      let lapsed = -1
      for (let i = 0; i < owned.count; i++) {
        const e = ids[i]!
        const o = ownerOf[e]!
        if (linkedTo[e] !== o) {
          if (lapsedFrom[e] === o) continue
          unlink(e)
          // a new owner (or Owner added again): the flag a lapse cleared holds again
          flags[e]! |= OWNER
          if (o >= cap) continue
          const h = head[o]!
          next[e] = h
          prev[e] = -1
          if (h !== -1) prev[h] = e
          head[o] = e
          linkedTo[e] = o
          // named when Owner was added: the owner of then, which may have died since
          linkedGen[e] = addedOwner[e] === o ? addedGen[e]! : generation[o]!
          addedOwner[e] = -1
        }
        // the same owner while its generation holds
        if (linkedGen[e] === generation[o]) continue
        lapse(e, o, flags)
        lapsed = e
      }
      return lapsed
    },
  }
}
