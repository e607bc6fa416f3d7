import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/**
 * Recent interactions per entity: a small fixed ring of (partner, generation, tick, strength) slots.
 * Recording is symmetric; when the ring is full the oldest record is replaced.
 */
export interface InteractionStore {
  /** Records that `a` and `b` interacted at `tick` with `strength`. */
  record(a: number, genA: number, b: number, genB: number, tick: number, strength: number): void
  /** Index of `b` in `a`'s ring, or -1. */
  find(a: number, b: number, genB: number): number
  /** Forgets every record held by `eid` (on removal). */
  clear(eid: number): void
  readonly tick: Uint32Array
  readonly strength: Float32Array
  /** 1 when the entity has any record: lets the hot loop skip the ring scan. */
  readonly any: Uint8Array
}

/** Creates an interaction store for `capacity` ids with `slots` partners each (on shared memory with a shared `alloc`). */
export function createInteractionStore(capacity: number, slots: number, alloc: ArrayAlloc = heapAlloc): InteractionStore {
  const partner = alloc.i32(capacity * slots, -1)
  const partnerGen = alloc.u32(capacity * slots)
  const tick = alloc.u32(capacity * slots)
  const strength = alloc.f32(capacity * slots)
  const any = alloc.u8(capacity)

  const write = (a: number, b: number, genB: number, t: number, s: number): void => {
    const base = a * slots
    let found = -1
    let empty = -1
    let oldest = -1
    for (let i = base; i < base + slots; i++) {
      if (partner[i] === b && partnerGen[i] === genB) {
        found = i
        break
      }
      if (partner[i] === -1) {
        if (empty === -1) empty = i
      } else if (oldest === -1 || tick[i]! < tick[oldest]!) oldest = i
    }
    const slot = found !== -1 ? found : empty !== -1 ? empty : oldest
    any[a] = 1
    partner[slot] = b
    partnerGen[slot] = genB
    tick[slot] = t
    strength[slot] = s
  }

  return {
    tick,
    strength,
    any,
    record(a, genA, b, genB, t, s) {
      write(a, b, genB, t, s)
      write(b, a, genA, t, s)
    },
    find(a, b, genB) {
      const base = a * slots
      for (let i = base; i < base + slots; i++) {
        if (partner[i] === b && partnerGen[i] === genB) return i
      }
      return -1
    },
    clear(eid) {
      partner.fill(-1, eid * slots, eid * slots + slots)
      any[eid] = 0
    },
  }
}
