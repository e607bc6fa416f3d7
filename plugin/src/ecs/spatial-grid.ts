/**
 * A uniform spatial hash grid over the x/y plane, kept in typed arrays and updated incrementally.
 *
 * Each entity sits in one bucket's doubly linked list (`head` / `next` / `prev`). Moving within a
 * cell costs a hash; changing cell costs an O(1) unlink + link. Distinct cells can share a bucket
 * (hash collision), so a query may visit an entity twice or visit far entities: callers dedupe with
 * a stamp and apply their exact range test.
 */
export interface SpatialGrid {
  readonly cellSize: number
  /** First entity of bucket b, or -1. */
  readonly head: Int32Array
  /** Next entity in the same bucket, or -1. */
  readonly next: Int32Array
  /** Bucket mask (bucket count - 1). */
  readonly mask: number
  /** Puts `eid` in the bucket of its position, moving it if it was elsewhere. */
  place(eid: number): void
  /** Removes `eid` from the grid (no-op if absent). */
  remove(eid: number): void
  /** True when `eid` is in the grid. */
  has(eid: number): boolean
}

/** Bucket index of cell (cx, cy) for a table of `mask + 1` buckets. */
export function bucketOf(cx: number, cy: number, mask: number): number {
  return (Math.imul(cx, 0x9e3779b1) ^ Math.imul(cy, 0x85ebca6b)) & mask
}

/**
 * Creates a spatial hash grid.
 * @param capacity - entity ids are below this.
 * @param cellSize - cell edge in world units.
 * @param buckets - bucket count, rounded up to a power of two.
 * @param px - x positions by entity id (read directly: passing doubles to a call that is not
 *   inlined would box them, an allocation per entity per tick).
 * @param py - y positions by entity id.
 */
export function createSpatialGrid(capacity: number, cellSize: number, buckets: number, px: Float32Array, py: Float32Array): SpatialGrid {
  let n = 1
  while (n < buckets) n <<= 1
  const mask = n - 1
  const head = new Int32Array(n).fill(-1)
  const next = new Int32Array(capacity).fill(-1)
  const prev = new Int32Array(capacity).fill(-1)
  const bucket = new Int32Array(capacity).fill(-1)
  const inv = 1 / cellSize

  const unlink = (eid: number, b: number): void => {
    const p = prev[eid]!
    const q = next[eid]!
    if (p === -1) head[b] = q
    else next[p] = q
    if (q !== -1) prev[q] = p
    bucket[eid] = -1
  }

  return {
    cellSize,
    head,
    next,
    mask,
    place(eid) {
      const b = bucketOf(Math.floor(px[eid]! * inv), Math.floor(py[eid]! * inv), mask)
      const old = bucket[eid]!
      if (old === b) return
      if (old !== -1) unlink(eid, old)
      const h = head[b]!
      next[eid] = h
      prev[eid] = -1
      if (h !== -1) prev[h] = eid
      head[b] = eid
      bucket[eid] = b
    },
    remove(eid) {
      const old = bucket[eid]!
      if (old !== -1) unlink(eid, old)
    },
    has(eid) {
      return bucket[eid]! !== -1
    },
  }
}
