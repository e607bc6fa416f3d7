import { checkInteger, checkKeys, checkRange, describeGiven, integerMessage } from '../ecs/validate'

/**
 * A world split into `columns` x `rows` equal rectangular zones, numbered row by row from 0: at
 * most 255 zones (a gid's top byte is its zone + 1, 1..255, so no gid is 0, which means "not shared").
 */
export interface ZoneGrid {
  /** Zones per row (1..16). */
  readonly columns: number
  /** Rows of zones (1..16; columns * rows at most 255). */
  readonly rows: number
  /** World width in units; the world spans [0, width) x [0, height). */
  readonly width: number
  /** World height in units. */
  readonly height: number
}

/** A grid's shape without its world size, as `parseZoneSize` reads it. */
export interface ZoneSize {
  /** Zones per row (1..16). */
  columns: number
  /** Rows of zones (1..16; columns * rows at most 255). */
  rows: number
}

/** Most zones in a grid: a gid's top byte holds its zone + 1, so zone 255 (a 256th zone) would wrap to 0. */
const MAX_ZONES = 255

/** A zone's rectangle: [minX, maxX) x [minY, maxY). */
export interface ZoneBounds {
  /** Left edge (inclusive). */
  minX: number
  /** Bottom edge (inclusive). */
  minY: number
  /** Right edge (exclusive). */
  maxX: number
  /** Top edge (exclusive). */
  maxY: number
}

/** The keys of a grid, in the order errors list them. */
const GRID_KEYS: readonly (keyof ZoneGrid)[] = ['columns', 'rows', 'width', 'height']

/**
 * Validates a grid; errors name the field, the value and the allowed range. A key that is not a
 * grid's (a misspelling such as `colums`) throws too, naming the likely intended one.
 */
export function checkZoneGrid(grid: ZoneGrid): void {
  checkGrid(grid, 'checkZoneGrid')
}

/** {@link checkZoneGrid} for `fn`'s option `grid` (`createBorderExchange`): the unknown-key error names `fn`. */
export function checkGrid(grid: ZoneGrid, fn: string): void {
  if (typeof grid !== 'object' || grid === null || Array.isArray(grid)) {
    throw new TypeError(`colyseus-attention: grid must be { columns, rows, width, height }; got ${describeGiven(grid)}`)
  }
  checkKeys(fn, grid, GRID_KEYS, 'grid')
  checkShape(grid)
  checkRange('grid.width', grid.width, 0, 1e9, true)
  checkRange('grid.height', grid.height, 0, 1e9, true)
}

/** Columns and rows integers in [1, 16], at most {@link MAX_ZONES} zones; returns the zone count. */
function checkShape(grid: ZoneSize): number {
  checkInteger('grid.columns', grid.columns, 1, 16)
  checkInteger('grid.rows', grid.rows, 1, 16)
  const zones = grid.columns * grid.rows
  if (zones > MAX_ZONES) {
    throw new RangeError(`colyseus-attention: grid.columns * grid.rows must be at most ${MAX_ZONES} zones (a gid's top byte holds the zone); got ${grid.columns} x ${grid.rows} = ${zones}`)
  }
  return zones
}

/**
 * Number of zones in the grid. Throws a RangeError when its columns or rows are not integers in
 * [1, 16] or make more than 255 zones.
 */
export function zoneCount(grid: ZoneGrid): number {
  if (typeof grid !== 'object' || grid === null) throw new TypeError(`colyseus-attention: grid must be { columns, rows, width, height }; got ${describeGiven(grid)}`)
  return checkShape(grid)
}

/**
 * Zone index containing (x, y), clamped to the grid; points outside the world go to the nearest
 * edge zone. A coordinate that is not finite (NaN, an infinity) is in no zone: -1.
 */
export function zoneAt(grid: ZoneGrid, x: number, y: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return -1
  const c = Math.min(grid.columns - 1, Math.max(0, Math.floor((x / grid.width) * grid.columns)))
  const r = Math.min(grid.rows - 1, Math.max(0, Math.floor((y / grid.height) * grid.rows)))
  return r * grid.columns + c
}

/**
 * The rectangle of zone `zone`. Throws a RangeError unless `zone` is an integer in
 * [0, columns * rows - 1].
 */
export function zoneBounds(grid: ZoneGrid, zone: number): ZoneBounds {
  checkZoneIndex('zoneBounds', grid, zone)
  const c = zone % grid.columns
  const r = Math.floor(zone / grid.columns)
  const w = grid.width / grid.columns
  const h = grid.height / grid.rows
  return { minX: c * w, minY: r * h, maxX: (c + 1) * w, maxY: (r + 1) * h }
}

/** Throws a RangeError naming `fn` and the range unless `zone` is a zone of `grid`. */
function checkZoneIndex(fn: string, grid: ZoneGrid, zone: number): void {
  const n = zoneCount(grid)
  if (typeof zone !== 'number' || !Number.isInteger(zone) || zone < 0 || zone >= n) {
    throw new RangeError(`${integerMessage(`${fn}(grid, zone): zone`, zone, 0, n - 1)} (the zones of a ${grid.columns} x ${grid.rows} grid)`)
  }
}

/** Zones sharing an edge or a corner with `zone`. Throws a RangeError unless `zone` is a zone of the grid. */
export function zoneNeighbours(grid: ZoneGrid, zone: number): number[] {
  checkZoneIndex('zoneNeighbours', grid, zone)
  const c = zone % grid.columns
  const r = Math.floor(zone / grid.columns)
  const out: number[] = []
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const cc = c + dc
      const rr = r + dr
      if ((dc !== 0 || dr !== 0) && cc >= 0 && cc < grid.columns && rr >= 0 && rr < grid.rows) out.push(rr * grid.columns + cc)
    }
  }
  return out
}

/**
 * Distance from (x, y) to the rectangle `b` (0 inside). The exchange publishes an entity when it
 * lies within `margin` of a neighbour's rectangle, and keeps a ghost within `margin` of its own.
 * A point with a coordinate that is not finite is near no zone: Infinity.
 */
export function distanceToBounds(b: ZoneBounds, x: number, y: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return Infinity
  const dx = x < b.minX ? b.minX - x : x >= b.maxX ? x - b.maxX : 0
  const dy = y < b.minY ? b.minY - y : y >= b.maxY ? y - b.maxY : 0
  return dx === 0 ? dy : dy === 0 ? dx : Math.hypot(dx, dy)
}

/** Parses a grid size such as `2x2` (columns x rows, each 1..16, at most 255 zones); returns null when malformed or out of range. */
export function parseZoneSize(text: string): ZoneSize | null {
  const m = /^(\d{1,2})x(\d{1,2})$/.exec(text.trim())
  if (m === null) return null
  const columns = Number(m[1])
  const rows = Number(m[2])
  return columns >= 1 && rows >= 1 && columns <= 16 && rows <= 16 && columns * rows <= MAX_ZONES ? { columns, rows } : null
}
