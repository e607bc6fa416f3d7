import type { DebugWorld as DebugWorldAnswer } from '../../../example-server/src/debug-routes'

/** The `/debug/world` answer (column arrays, one index per live entity). */
export type WorldSnapshot = DebugWorldAnswer

/** One entity of the whole world, as the debug layer draws it. */
export interface WorldEntity {
  key: string
  kind: string
  team: number
  /** Band in this client's interest set, -1 when attention left it out. */
  band: number
  x: number
  y: number
}

/**
 * The whole world as the server's debug route reports it (debug mode only: it shows what this client
 * may not see). Keeps the last two snapshots and moves each entity from the older position to the
 * newer one over the time between their arrivals, so the faint layer glides like the held entities.
 */
export class DebugWorld {
  private prev = new Map<string, [number, number]>()
  private curr: WorldSnapshot | null = null
  private prevAt = 0
  private currAt = 0
  private readonly scratch: WorldEntity = { key: '', kind: '', team: 0, band: -1, x: 0, y: 0 }

  /**
   * Takes a new snapshot.
   * @param s - the `/debug/world` answer
   * @param now - arrival time (ms)
   */
  apply(s: WorldSnapshot, now: number): void {
    const prev = new Map<string, [number, number]>()
    if (this.curr !== null) {
      const c = this.curr
      for (let i = 0; i < c.keys.length; i++) prev.set(c.keys[i]!, [c.x[i]!, c.y[i]!])
    }
    this.prev = prev
    this.prevAt = this.currAt
    this.curr = s
    this.currAt = now
  }

  /** Entities in the last snapshot (0 before the first). */
  get size(): number {
    return this.curr?.keys.length ?? 0
  }

  /** Drops the snapshots (the layer was turned off). */
  clear(): void {
    this.prev = new Map()
    this.curr = null
  }

  /**
   * Calls `visit` for every entity of the last snapshot at its interpolated position. The entity
   * object is reused between calls: copy what you keep.
   * @param now - current time (ms)
   * @param visit - called once per entity
   */
  each(now: number, visit: (e: WorldEntity) => void): void {
    const c = this.curr
    if (c === null) return
    const span = this.currAt - this.prevAt
    const t = span > 0 ? Math.min(1, Math.max(0, (now - this.currAt) / span)) : 1
    const e = this.scratch
    for (let i = 0; i < c.keys.length; i++) {
      e.key = c.keys[i]!
      e.kind = c.kinds[i] ?? 'bot'
      e.team = c.teams[i] ?? 0
      e.band = c.bands[i] ?? -1
      const x = c.x[i]!
      const y = c.y[i]!
      const p = this.prev.get(e.key)
      e.x = p === undefined ? x : p[0] + (x - p[0]) * t
      e.y = p === undefined ? y : p[1] + (y - p[1]) * t
      visit(e)
    }
  }
}
