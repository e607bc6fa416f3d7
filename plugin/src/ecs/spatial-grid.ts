import { heapAlloc, type ArrayAlloc } from './shared-alloc'

/**
 * A uniform grid over the x/y plane, rebuilt once per tick by a counting sort of the entities by
 * cell, kept in typed arrays.
 *
 * Cells fold onto a table of `cols x rows` buckets (powers of two, shaped like the entities'
 * bounding box): cell (cx, cy) is bucket `(cy & rowMask) * cols + (cx & colMask)`. A row of adjacent
 * cells is then one contiguous run of the sorted arrays (two where it wraps), so a query scans a few
 * runs of packed positions instead of hashing every cell and chasing a list per bucket.
 *
 * Two cells share a bucket only when they are a whole table width or height apart: a query no wider
 * and no taller than the table visits each entity at most once, so callers need no dedupe stamp.
 */
export interface SpatialGrid {
  readonly cellSize: number
  /** Grid entities sorted by bucket, in slots `[offset, end)` of the last build. */
  readonly ids: Uint32Array
  /** x of `ids[i]` at the last build. */
  readonly xs: Float32Array
  /** y of `ids[i]` at the last build. */
  readonly ys: Float32Array
  /** Pairs [start, end) of `ids` written by `query` (replaced by a larger array when a query needs more room). */
  runs: Int32Array
  /**
   * Sorts the first `count` entities of `src` by cell into slots `offset, offset + 1, ...` of `ids`,
   * `xs` and `ys`; entities with a non-finite x or y are left out (they are never in range).
   * @returns the end slot (`offset` plus the entities placed).
   */
  build(src: Uint32Array, count: number, offset?: number): number
  /**
   * Writes to `runs` the runs of `ids` that hold every grid entity whose cell touches the disc
   * `disc = [x, y, radius]`, the same cells a per-cell corner test keeps.
   * @returns the number of runs, or -1 when the disc spans more than the table (scan every entity instead).
   */
  query(disc: Float64Array): number
}

// Layout of the last build, in a typed array (PERFORMANCE.md, "doubles in closures").
const MIN_COL = 0
const MAX_COL = 1
const MIN_ROW = 2
const MAX_ROW = 3
const COL_SHIFT = 4
const COL_MASK = 5
const ROW_MASK = 6
/** 1 once a build found cell coordinates that fit the layout; 0 sends every query to the scan. */
const USABLE = 7
/** Cell coordinates beyond this magnitude would lose integer precision: such a build scans instead. */
const CELL_LIMIT = 1 << 30

/** Where a grid writes its sorted entities: slot columns that several grids may share at different offsets. */
export interface GridSlots {
  readonly ids: Uint32Array
  readonly xs: Float32Array
  readonly ys: Float32Array
}

/**
 * Creates an empty spatial grid.
 * @param capacity - entity ids are below this.
 * @param cellSize - cell edge in world units.
 * @param buckets - most buckets in the table, rounded up to a power of two.
 * @param px - x positions by entity id (read directly: PERFORMANCE.md, "doubles across calls").
 * @param py - y positions by entity id.
 * @param slots - the columns builds write to (room for `offset + capacity`); its own by default.
 * @param alloc - where the columns, the run starts and the layout live: shared memory lets other
 *   threads query a build (option `threads`).
 */
export function createSpatialGrid(capacity: number, cellSize: number, buckets: number, px: Float32Array, py: Float32Array, slots?: GridSlots, alloc: ArrayAlloc = heapAlloc): SpatialGrid {
  let maxBuckets = 1
  while (maxBuckets < buckets) maxBuckets <<= 1
  const inv = 1 / cellSize
  const ids = slots?.ids ?? alloc.u32(capacity)
  const xs = slots?.xs ?? alloc.f32(capacity)
  const ys = slots?.ys ?? alloc.f32(capacity)
  // build scratch, never read by a query
  const bucket = new Int32Array(capacity)
  // start[b] .. start[b + 1] is bucket b's run in ids
  const start = alloc.i32(maxBuckets + 1)
  // the layout, and whether it is usable (USABLE), in the array a query reads
  const layout = alloc.i32(8)

  const grid: SpatialGrid = {
    cellSize,
    ids,
    xs,
    ys,
    runs: new Int32Array(64),
    build(src, count, offset = 0) {
      let minX = Infinity
      let maxX = -Infinity
      let minY = Infinity
      let maxY = -Infinity
      for (let i = 0; i < count; i++) {
        const e = src[i]!
        const x = px[e]!
        const y = py[e]!
        if (!(x - x === 0 && y - y === 0)) continue
        if (x < minX) minX = x
        if (x > maxX) maxX = x
        if (y < minY) minY = y
        if (y > maxY) maxY = y
      }
      const minCol = Math.floor(minX * inv)
      const maxCol = Math.floor(maxX * inv)
      const minRow = Math.floor(minY * inv)
      const maxRow = Math.floor(maxY * inv)
      if (!(minX <= maxX)) {
        // no finite position: an empty layout, every query finds nothing
        layout[USABLE] = 1
        layout[MIN_COL] = 1
        layout[MAX_COL] = 0
        return offset
      }
      if (!(minCol >= -CELL_LIMIT && maxCol <= CELL_LIMIT && minRow >= -CELL_LIMIT && maxRow <= CELL_LIMIT)) {
        layout[USABLE] = 0
        return offset
      }
      layout[USABLE] = 1
      // table shaped like the bounding box: halve the longer side until it fits
      let cols = 1
      let colShift = 0
      while (cols <= maxCol - minCol && cols < maxBuckets) {
        cols <<= 1
        colShift++
      }
      let rows = 1
      while (rows <= maxRow - minRow && rows < maxBuckets) rows <<= 1
      while (cols * rows > maxBuckets) {
        if (cols > rows) {
          cols >>= 1
          colShift--
        } else rows >>= 1
      }
      layout[MIN_COL] = minCol
      layout[MAX_COL] = maxCol
      layout[MIN_ROW] = minRow
      layout[MAX_ROW] = maxRow
      layout[COL_SHIFT] = colShift
      layout[COL_MASK] = cols - 1
      layout[ROW_MASK] = rows - 1
      const colMask = cols - 1
      const rowMask = rows - 1
      const n = cols * rows
      start.fill(0, 0, n + 1)
      start[0] = offset
      for (let i = 0; i < count; i++) {
        const e = src[i]!
        const x = px[e]!
        const y = py[e]!
        // negated so NaN lands here too
        if (!(x - x === 0 && y - y === 0)) {
          bucket[i] = -1
          continue
        }
        const b = ((Math.floor(y * inv) & rowMask) << colShift) | (Math.floor(x * inv) & colMask)
        bucket[i] = b
        start[b + 1]!++
      }
      for (let b = 0; b < n; b++) start[b + 1]! += start[b]!
      // scatter back to front through the run ends, which leaves each start[b] at its run's start
      for (let b = 0; b < n; b++) start[b] = start[b + 1]!
      for (let i = count - 1; i >= 0; i--) {
        const b = bucket[i]!
        if (b === -1) continue
        const j = --start[b]!
        const e = src[i]!
        ids[j] = e
        xs[j] = px[e]!
        ys[j] = py[e]!
      }
      return start[n]!
    },
    query(disc) {
      if (layout[USABLE] === 0) return -1
      const ox = disc[0]!
      const oy = disc[1]!
      const q = disc[2]!
      const q2 = q * q
      const cs = cellSize
      let cx0 = Math.floor((ox - q) * inv)
      let cx1 = Math.floor((ox + q) * inv)
      let cy0 = Math.floor((oy - q) * inv)
      let cy1 = Math.floor((oy + q) * inv)
      // no entity lies outside the bounding box of the build
      if (cx0 < layout[MIN_COL]!) cx0 = layout[MIN_COL]!
      if (cx1 > layout[MAX_COL]!) cx1 = layout[MAX_COL]!
      if (cy0 < layout[MIN_ROW]!) cy0 = layout[MIN_ROW]!
      if (cy1 > layout[MAX_ROW]!) cy1 = layout[MAX_ROW]!
      // negated so a NaN disc finds nothing
      if (!(cx0 <= cx1 && cy0 <= cy1)) return 0
      const colShift = layout[COL_SHIFT]!
      const colMask = layout[COL_MASK]!
      const rowMask = layout[ROW_MASK]!
      const cols = colMask + 1
      if (cx1 - cx0 > colMask || cy1 - cy0 > rowMask) return -1
      let runs = grid.runs
      const need = 4 * (cy1 - cy0 + 1)
      if (runs.length < need) {
        let len = runs.length
        while (len < need) len *= 2
        runs = new Int32Array(len)
        grid.runs = runs
      }
      let n = 0
      for (let cy = cy0; cy <= cy1; cy++) {
        // distance from the disc's centre to this row of cells, then to each cell: trim the corners
        const y0 = cy * cs
        const gy = oy < y0 ? y0 - oy : oy > y0 + cs ? oy - y0 - cs : 0
        const gy2 = gy * gy
        let a = cx0
        for (; a <= cx1; a++) {
          const x0 = a * cs
          const gx = ox < x0 ? x0 - ox : ox > x0 + cs ? ox - x0 - cs : 0
          if (!(gx * gx + gy2 > q2)) break
        }
        if (a > cx1) continue
        let b = cx1
        for (; b > a; b--) {
          const x0 = b * cs
          const gx = ox < x0 ? x0 - ox : ox > x0 + cs ? ox - x0 - cs : 0
          if (!(gx * gx + gy2 > q2)) break
        }
        const row = (cy & rowMask) << colShift
        const first = a & colMask
        const last = first + (b - a)
        runs[n++] = start[row + first]!
        if (last < cols) runs[n++] = start[row + last + 1]!
        else {
          runs[n++] = start[row + cols]!
          runs[n++] = start[row]!
          runs[n++] = start[row + last - colMask]!
        }
      }
      return n >> 1
    },
  }
  return grid
}
