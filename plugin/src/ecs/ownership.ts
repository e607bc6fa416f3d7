import type { AttentionComponents } from './components'
import type { DenseList } from './entity-tracker'
import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/**
 * Owner -> owned entities, as intrusive doubly linked lists in typed arrays. `Owner.eid` is plain
 * data the game may rewrite at any time, so `sync` relinks any entity whose owner changed; it runs
 * once per tick over the entities that have Owner, allocation-free.
 */
export interface OwnershipIndex {
  /** First entity owned by `owner`, or -1. */
  readonly head: Int32Array
  /** Next entity with the same owner, or -1. */
  readonly next: Int32Array
  /** Relinks every owned entity whose Owner.eid changed since the last call. */
  sync(owned: DenseList): void
  /** Unlinks `eid` (it lost Owner or was removed). */
  unlink(eid: number): void
}

/** Creates an empty ownership index (`head` and `next` on shared memory with a shared `alloc`). */
export function createOwnershipIndex(c: AttentionComponents, alloc: ArrayAlloc = heapAlloc): OwnershipIndex {
  const cap = c.capacity
  const head = alloc.i32(cap, -1)
  const next = alloc.i32(cap, -1)
  const prev = new Int32Array(cap).fill(-1)
  const linkedTo = new Int32Array(cap).fill(-1)
  const ownerOf = c.Owner.eid

  const unlink = (eid: number): void => {
    const o = linkedTo[eid]!
    if (o === -1) return
    const p = prev[eid]!
    const q = next[eid]!
    if (p === -1) head[o] = q
    else next[p] = q
    if (q !== -1) prev[q] = p
    linkedTo[eid] = -1
  }

  return {
    head,
    next,
    unlink,
    sync(owned) {
      const ids = owned.ids
      for (let i = 0; i < owned.count; i++) {
        const e = ids[i]!
        const o = ownerOf[e]!
        if (linkedTo[e] === o) continue
        unlink(e)
        if (o >= cap) continue
        const h = head[o]!
        next[e] = h
        prev[e] = -1
        if (h !== -1) prev[h] = e
        head[o] = e
        linkedTo[e] = o
      }
    },
  }
}
