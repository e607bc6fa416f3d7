// Owns: the broadphase: which entities an observer's row writer tests at all. Once per tick the
// positioned entities are split between the spatial grid (spatial-grid.ts) and the wide list (those
// whose look-ahead travel or nimbus exceeds a cell: candidates of every observer), and aimers are
// linked to their targets. Per observer, a grid query plus the wide list gives each candidate at
// most once; aimers beyond the query disc are added, since an aimer is in range at any distance.
//
// Candidates are slots of packed columns (CandidateColumns), not entity ids: what the row writer
// reads of a candidate is copied once per tick next to its grid neighbours (PERFORMANCE.md, "packed
// candidates").
//
// Entities whose row a bounded write never skips (BOUND_EXEMPT) have a grid of their own, so that a
// bounded query can look for the others within a narrower disc (PERFORMANCE.md, "bounded
// broadphase").
import type { AttentionComponents } from './components'
import { Has, type DenseList } from './entity-tracker'
import { RULE_FLAGS } from './rules'
import { heapAlloc, type ArrayAlloc } from './shared-alloc'
import { createSpatialGrid, type SpatialGrid } from './spatial-grid'

/** Flags of the entities whose row a bounded write never skips: rule, salience and aim. */
export const BOUND_EXEMPT = Has.Salience | Has.Aim | RULE_FLAGS

/**
 * Per-tick copies of what the row writer reads of each candidate, by slot: the grid's entities
 * sorted by cell in `[0, gridEnd)`, the exempt grid's in `[gridEnd, exemptEnd)`, the wide list in
 * `[exemptEnd, packedEnd)`, then the extras of the current observer's query (members beyond a
 * narrowed disc, far aimers, a full scan). Velocity is 0 without Velocity and
 * facing 0 without Facing; the rest (salience, team, owner, aim) is read by entity id under its
 * flag.
 */
export interface CandidateColumns {
  readonly eid: Uint32Array
  readonly x: Float32Array
  readonly y: Float32Array
  readonly z: Float32Array
  readonly vx: Float32Array
  readonly vy: Float32Array
  readonly vz: Float32Array
  readonly fx: Float32Array
  readonly fy: Float32Array
  readonly fz: Float32Array
  readonly flags: Uint16Array
}

/** Broadphase state: the grid, the wide list and the aimers of the current tick, and query scratch. */
export interface Broadphase {
  /** Grid entities without a {@link BOUND_EXEMPT} flag. */
  readonly grid: SpatialGrid
  /** Grid entities with a {@link BOUND_EXEMPT} flag. */
  readonly exemptGrid: SpatialGrid
  /** The candidates' packed columns; `found` holds slots of these. */
  readonly cols: CandidateColumns
  /** End of the grid's slots. */
  gridEnd: number
  /** End of the exempt grid's slots. */
  exemptEnd: number
  /** End of the wide list's slots. */
  packedEnd: number
  /**
   * Where the current query's extras start: `packedEnd` on the thread that rebuilt the grid; each
   * other observer thread (option `threads`) has a region of its own beyond it.
   */
  extraBase: number
  /** End of the current query's extras. */
  extraEnd: number
  /** Entities whose reach exceeds a cell: `wide[0..wideN)`. */
  readonly wide: Uint32Array
  wideN: number
  /** `wideTick[e] === tick + 1`: `e` is on this tick's wide list. */
  readonly wideTick: Uint32Array
  /** `gridTick[e] === stamp`: `e` is in this tick's (non-exempt) grid. */
  readonly gridTick: Uint32Array
  /** `tick + 1` of the last rebuild. */
  stamp: number
  /** This tick's aimers by target: `aimHead[target]` -> aimer -> `aimNext[aimer]` -> ... -> -1. */
  readonly aimHead: Int32Array
  readonly aimNext: Int32Array
  /** Targets with an aimer list (to reset `aimHead` next tick): `aimTargets[0..aimTargetN)`. */
  readonly aimTargets: Uint32Array
  aimTargetN: number
  /** Candidate slots (of `cols`) written by the last query. */
  readonly found: Uint32Array
  /** The last query's disc `[x, y, reach]` (a typed array: PERFORMANCE.md, "doubles across calls"). */
  readonly disc: Float64Array
  /** The last query's narrowed disc for the non-exempt grid (the bounded query's), `[x, y, reach]`. */
  readonly narrowDisc: Float64Array
  /** 1 when the last query searched the non-exempt grid within a narrowed disc. */
  narrowed: number
  /** `[0]`: the largest reach of a grid entity, added to every query's reach. */
  readonly slowReach: Float64Array
  /** 1 when the last query scanned every positioned entity (the disc spanned the grid's table). */
  fullScan: number
  /**
   * An entity of the last rebuild whose position, velocity or facing is not finite (NaN, an
   * infinity), or -1: the system reports it once. The row writer counts such a velocity or facing as
   * none, and such a position is out of every range.
   */
  nonFinite: number
  /**
   * An entity of the last rebuild with Salience whose nimbus is not finite (NaN, an infinity), or
   * -1: the system reports it once. Such a nimbus counts as none (0), here and in the row writer,
   * as a NaN or negative one always did: an infinite one would make the entity a candidate of
   * every observer, in range at any distance.
   */
  nonFiniteNimbus: number
  /** Grid entities of the last rebuild (scratch). */
  readonly gridIds: Uint32Array
  /** Exempt grid entities of the last rebuild (scratch). */
  readonly exemptIds: Uint32Array
}

/**
 * Creates an empty broadphase for entity ids below `capacity`. With a shared `alloc` (option
 * `threads`) what a rebuild writes is on shared memory, for `threads` query threads: the columns
 * then have an extras region per thread.
 */
export function createBroadphase(capacity: number, cellSize: number, c: AttentionComponents, alloc: ArrayAlloc = heapAlloc, threads = 1): Broadphase {
  // grid and wide list share the first `capacity` slots (each positioned entity once); a query's
  // extras take at most `capacity` more, per querying thread
  const cols = createCandidateColumns((1 + threads) * capacity, alloc)
  const at = { ids: cols.eid, xs: cols.x, ys: cols.y }
  const buckets = Math.max(1024, capacity)
  return {
    grid: createSpatialGrid(capacity, cellSize, buckets, c.Position.x, c.Position.y, at, alloc),
    exemptGrid: createSpatialGrid(capacity, cellSize, buckets, c.Position.x, c.Position.y, at, alloc),
    cols,
    gridEnd: 0,
    exemptEnd: 0,
    packedEnd: 0,
    extraBase: 0,
    extraEnd: 0,
    wide: alloc.u32(capacity),
    wideN: 0,
    wideTick: alloc.u32(capacity),
    gridTick: alloc.u32(capacity),
    stamp: 0,
    aimHead: alloc.i32(capacity, -1),
    aimNext: alloc.i32(capacity),
    aimTargets: new Uint32Array(capacity),
    aimTargetN: 0,
    found: new Uint32Array(capacity),
    disc: new Float64Array(3),
    narrowDisc: new Float64Array(3),
    narrowed: 0,
    slowReach: alloc.f64(1),
    fullScan: 0,
    nonFinite: -1,
    nonFiniteNimbus: -1,
    gridIds: new Uint32Array(capacity),
    exemptIds: new Uint32Array(capacity),
  }
}

/**
 * Rebuilds the grids from every positioned entity but those whose reach (look-ahead travel or
 * nimbus) exceeds a cell: they go to the wide list, stamped with `tick + 1`. Entities with a
 * {@link BOUND_EXEMPT} flag go to the exempt grid, the others to the grid (stamped with `tick + 1`
 * in `gridTick`). Then packs every grid and wide entity's columns. `lookahead[0]` is the look-ahead
 * in seconds: a typed slot, since a double argument is boxed on every call that V8 does not inline
 * (PERFORMANCE.md, "doubles across calls"), which is every call once a second system exists.
 */
export function rebuildGrid(bp: Broadphase, c: AttentionComponents, flags: Uint16Array, positioned: DenseList, tick: number, lookaheadSlot: Float64Array): void {
  // PERFORMANCE.md, "constants in locals"
  const lookahead = lookaheadSlot[0]!
  const flagsOf = flags
  const Vx = c.Velocity.x
  const Vy = c.Velocity.y
  const Vz = c.Velocity.z
  const nimbus = c.Salience.nimbus
  const wideList = bp.wide
  const wideTick = bp.wideTick
  const gridList = bp.gridIds
  const exemptList = bp.exemptIds
  const VELOCITY = Has.Velocity
  const SALIENCE = Has.Salience
  const EXEMPT = BOUND_EXEMPT
  const cell = bp.grid.cellSize
  let wideN = 0
  let gridN = 0
  let exemptN = 0
  let maxReach = 0
  let badNimbus = -1
  const ids = positioned.ids
  for (let i = 0; i < positioned.count; i++) {
    const e = ids[i]!
    const fl = flagsOf[e]!
    let reach = 0
    if ((fl & VELOCITY) !== 0) {
      const vx = Vx[e]!
      const vy = Vy[e]!
      const vz = Vz[e]!
      reach = Math.sqrt(vx * vx + vy * vy + vz * vz) * lookahead
    }
    if ((fl & SALIENCE) !== 0) {
      // a nimbus that is not finite (NaN, an infinity) counts as none and is reported; a negative
      // one fails the comparison, as it always did
      const nb = nimbus[e]!
      if (nb - nb !== 0) badNimbus = e
      else if (nb > reach) reach = nb
    }
    if (reach > cell) {
      wideList[wideN++] = e
      wideTick[e] = tick + 1
    } else {
      if (reach > maxReach) maxReach = reach
      if ((fl & EXEMPT) === 0) gridList[gridN++] = e
      else exemptList[exemptN++] = e
    }
  }
  bp.wideN = wideN
  bp.nonFiniteNimbus = badNimbus
  const gridEnd = bp.grid.build(gridList, gridN, 0)
  const exemptEnd = bp.exemptGrid.build(exemptList, exemptN, gridEnd)
  bp.slowReach[0] = maxReach
  // the grid wrote eid, x and y of its slots: the other columns follow (PERFORMANCE.md, "packed
  // candidates")
  const cols = bp.cols
  const eidOf = cols.eid
  const Pz = c.Position.z
  const Fx = c.Facing.x
  const Fy = c.Facing.y
  const Fz = c.Facing.z
  const FACING = Has.Facing
  const zs = cols.z
  const vxs = cols.vx
  const vys = cols.vy
  const vzs = cols.vz
  const fxs = cols.fx
  const fys = cols.fy
  const fzs = cols.fz
  const fls = cols.flags
  const xs = cols.x
  const ys = cols.y
  const gridTick = bp.gridTick
  for (let s = 0; s < gridEnd; s++) gridTick[eidOf[s]!] = tick + 1
  bp.stamp = tick + 1
  // the sum of what a slot holds is finite exactly when each part is (float32 parts cannot overflow
  // a double): one test per entity finds a NaN or an infinity the game wrote
  let nonFinite = -1
  for (let s = 0; s < exemptEnd; s++) {
    const e = eidOf[s]!
    const fl = flagsOf[e]!
    const hasVel = (fl & VELOCITY) !== 0
    const hasFacing = (fl & FACING) !== 0
    zs[s] = Pz[e]!
    vxs[s] = hasVel ? Vx[e]! : 0
    vys[s] = hasVel ? Vy[e]! : 0
    vzs[s] = hasVel ? Vz[e]! : 0
    fxs[s] = hasFacing ? Fx[e]! : 0
    fys[s] = hasFacing ? Fy[e]! : 0
    fzs[s] = hasFacing ? Fz[e]! : 0
    fls[s] = fl
    const sum = xs[s]! + ys[s]! + zs[s]! + vxs[s]! + vys[s]! + vzs[s]! + fxs[s]! + fys[s]! + fzs[s]!
    if (sum - sum !== 0) nonFinite = e
  }
  bp.gridEnd = gridEnd
  bp.exemptEnd = exemptEnd
  for (let i = 0; i < wideN; i++) {
    const s = exemptEnd + i
    packCandidate(cols, c, flagsOf, wideList[i]!, s)
    const sum = xs[s]! + ys[s]! + zs[s]! + vxs[s]! + vys[s]! + vzs[s]! + fxs[s]! + fys[s]! + fzs[s]!
    if (sum - sum !== 0) nonFinite = wideList[i]!
  }
  // the grids leave out an entity whose x or y is not finite (rare: look for it only then)
  if (gridEnd < gridN || exemptEnd - gridEnd < exemptN) nonFinite = offGrid(c, gridList, gridN, exemptList, exemptN)
  bp.nonFinite = nonFinite
  bp.packedEnd = exemptEnd + wideN
  bp.extraBase = bp.packedEnd
  bp.extraEnd = bp.packedEnd
}

/** Creates empty candidate columns of `slots` slots. */
export function createCandidateColumns(slots: number, alloc: ArrayAlloc = heapAlloc): CandidateColumns {
  return {
    eid: alloc.u32(slots),
    x: alloc.f32(slots),
    y: alloc.f32(slots),
    z: alloc.f32(slots),
    vx: alloc.f32(slots),
    vy: alloc.f32(slots),
    vz: alloc.f32(slots),
    fx: alloc.f32(slots),
    fy: alloc.f32(slots),
    fz: alloc.f32(slots),
    flags: alloc.u16(slots),
  }
}

/** An entity of the two lists whose x or y is not finite (one the grids left out), or -1. */
function offGrid(c: AttentionComponents, a: Uint32Array, an: number, b: Uint32Array, bn: number): number {
  const px = c.Position.x
  const py = c.Position.y
  for (let i = 0; i < an + bn; i++) {
    const e = i < an ? a[i]! : b[i - an]!
    if (!(px[e]! - px[e]! === 0 && py[e]! - py[e]! === 0)) return e
  }
  return -1
}

/** Copies what the row writer reads of entity `e` into slot `s` of the columns (see {@link CandidateColumns}). */
export function packCandidate(cols: CandidateColumns, c: AttentionComponents, flags: Uint16Array, e: number, s: number): void {
  const fl = flags[e]!
  const hasVel = (fl & Has.Velocity) !== 0
  const hasFacing = (fl & Has.Facing) !== 0
  cols.eid[s] = e
  cols.x[s] = c.Position.x[e]!
  cols.y[s] = c.Position.y[e]!
  cols.z[s] = c.Position.z[e]!
  cols.vx[s] = hasVel ? c.Velocity.x[e]! : 0
  cols.vy[s] = hasVel ? c.Velocity.y[e]! : 0
  cols.vz[s] = hasVel ? c.Velocity.z[e]! : 0
  cols.fx[s] = hasFacing ? c.Facing.x[e]! : 0
  cols.fy[s] = hasFacing ? c.Facing.y[e]! : 0
  cols.fz[s] = hasFacing ? c.Facing.z[e]! : 0
  cols.flags[s] = fl
}

/** Links this tick's aimers into one list per target (targets that are observers, `slotOf[t] !== -1`). */
export function linkAimers(bp: Broadphase, c: AttentionComponents, aimers: DenseList, slotOf: Int32Array): void {
  const head = bp.aimHead
  const next = bp.aimNext
  const targets = bp.aimTargets
  const cap = head.length
  for (let i = 0; i < bp.aimTargetN; i++) head[targets[i]!] = -1
  let targetN = 0
  const aimOf = c.Aim.target
  const ids = aimers.ids
  const n = aimers.count
  for (let i = 0; i < n; i++) {
    const a = ids[i]!
    const t = aimOf[a]!
    if (t === 0 || t >= cap || slotOf[t] === -1) continue
    if (head[t] === -1) targets[targetN++] = t
    next[a] = head[t]!
    head[t] = a
  }
  bp.aimTargetN = targetN
}

/**
 * The candidates of observer `o` at `(x, y)` with broadphase reach `reach` (its radius plus its own
 * look-ahead travel; the grid's slow reach is added): writes their slots to `found` and returns
 * their count. Each entity at most once, never `o`: a grid never returns an entity twice nor a
 * wide one, and a full scan (when the disc spans a grid's table) replaces them all, packing every
 * positioned entity as an extra.
 *
 * With a bound (`observer[boundSlot]`, a squared distance below the disc's; Infinity for none) the
 * non-exempt grid is searched within that distance only, and the members `members[mBase..+mCount)`
 * it leaves out are added as extras: a bounded write skips every other entity beyond it
 * (PERFORMANCE.md, "bounded broadphase"). `narrowed` says whether that happened.
 * @param observer - `[x, y, ...]` with the reach at `reachSlot` and the bound at `boundSlot`.
 */
export function queryCandidates(
  bp: Broadphase,
  c: AttentionComponents,
  flags: Uint16Array,
  positioned: DenseList,
  o: number,
  observer: Float64Array,
  reachSlot: number,
  boundSlot: number,
  members: Uint32Array,
  mBase: number,
  mCount: number,
): number {
  const found = bp.found
  bp.extraEnd = bp.extraBase
  bp.narrowed = 0
  const ox = observer[0]!
  const oy = observer[1]!
  const q = observer[reachSlot]! + bp.slowReach[0]!
  const disc = bp.disc
  disc[0] = ox
  disc[1] = oy
  disc[2] = q
  let n = 0
  let runCount = bp.exemptGrid.query(disc)
  if (runCount !== -1) n = collectRuns(bp.exemptGrid, runCount, found, n, o, disc)
  const bound = observer[boundSlot]!
  const narrow = bound < q * q
  const nd = bp.narrowDisc
  if (runCount !== -1) {
    if (narrow) {
      nd[0] = ox
      nd[1] = oy
      // a little wider than the bound, so that no rounding leaves out an entity within it
      nd[2] = Math.sqrt(bound) * (1 + 1e-6)
      runCount = bp.grid.query(nd)
      if (runCount !== -1) n = collectRuns(bp.grid, runCount, found, n, o, nd)
    } else {
      runCount = bp.grid.query(disc)
      if (runCount !== -1) n = collectRuns(bp.grid, runCount, found, n, o, disc)
    }
  }
  bp.fullScan = runCount === -1 ? 1 : 0
  if (runCount === -1) {
    const ids = positioned.ids
    let s = bp.extraEnd
    n = 0
    for (let i = 0; i < positioned.count; i++) {
      if (ids[i] === o) continue
      packCandidate(bp.cols, c, flags, ids[i]!, s)
      found[n++] = s++
    }
    bp.extraEnd = s
    return n
  }
  const eidOf = bp.cols.eid
  for (let s = bp.exemptEnd; s < bp.packedEnd; s++) if (eidOf[s] !== o) found[n++] = s
  if (narrow) {
    bp.narrowed = 1
    n = membersBeyond(bp, c, flags, o, members, mBase, mCount, n)
  }
  return n
}

/**
 * Appends to `found` from index `n` the slots of the grid's runs within the disc `[x, y, r]`,
 * but `o`; returns the new count.
 */
function collectRuns(grid: SpatialGrid, runCount: number, found: Uint32Array, n: number, o: number, disc: Float64Array): number {
  const runs = grid.runs
  const ids = grid.ids
  const xs = grid.xs
  const ys = grid.ys
  const ox = disc[0]!
  const oy = disc[1]!
  const q2 = disc[2]! * disc[2]!
  for (let r = 0; r < 2 * runCount; r += 2) {
    const end = runs[r + 1]!
    for (let i = runs[r]!; i < end; i++) {
      // cheap reject before the full test (no grid entity is in range beyond the query radius),
      // appended then kept or not (PERFORMANCE.md, "no branch on a coin flip")
      const ex = xs[i]! - ox
      const ey = ys[i]! - oy
      found[n] = i
      n += Number(!(ex * ex + ey * ey > q2)) & Number(ids[i] !== o)
    }
  }
  return n
}

/**
 * Members of the observer that the narrowed search of the grid left out but the full disc holds:
 * packs them as extras and appends their slots to `found` from index `n`; returns the new count.
 */
function membersBeyond(bp: Broadphase, c: AttentionComponents, flags: Uint16Array, o: number, members: Uint32Array, mBase: number, mCount: number, n: number): number {
  const found = bp.found
  const gridTick = bp.gridTick
  const stamp = bp.stamp
  const Px = c.Position.x
  const Py = c.Position.y
  const ox = bp.disc[0]!
  const oy = bp.disc[1]!
  const q2 = bp.disc[2]! * bp.disc[2]!
  // the same products collectRuns compared
  const n2 = bp.narrowDisc[2]! * bp.narrowDisc[2]!
  let s = bp.extraEnd
  for (let j = mBase; j < mBase + mCount; j++) {
    const e = members[j]!
    // exempt and wide members were searched within the full disc
    if (e === o || gridTick[e] !== stamp) continue
    const ex = Px[e]! - ox
    const ey = Py[e]! - oy
    const d2 = ex * ex + ey * ey
    if (!(d2 > n2) || d2 > q2) continue
    packCandidate(bp.cols, c, flags, e, s)
    found[n++] = s++
  }
  bp.extraEnd = s
  return n
}

/**
 * Aimers of `o` beyond the last query's disc (the query returned those within it, the wide list
 * all of its own, a full scan every entity): packs them as extras and appends their slots to
 * `found` from index `n`.
 * @returns the new count of `found`.
 */
export function queryFarAimers(bp: Broadphase, c: AttentionComponents, flags: Uint16Array, o: number, tick: number, n: number): number {
  if (bp.fullScan === 1 || bp.aimHead[o] === -1) return n
  const found = bp.found
  const cols = bp.cols
  let s = bp.extraEnd
  const aimNext = bp.aimNext
  const wideTick = bp.wideTick
  const Px = c.Position.x
  const Py = c.Position.y
  const ox = bp.disc[0]!
  const oy = bp.disc[1]!
  const q = bp.disc[2]!
  const q2 = q * q
  const POSITION = Has.Position
  let m = n
  for (let a = bp.aimHead[o]!; a !== -1; a = aimNext[a]!) {
    if (a === o || (flags[a]! & POSITION) === 0 || wideTick[a] === tick + 1) continue
    const ex = Px[a]! - ox
    const ey = Py[a]! - oy
    if (!(ex * ex + ey * ey > q2)) continue
    packCandidate(cols, c, flags, a, s)
    found[m++] = s++
  }
  bp.extraEnd = s
  return m
}
