import { Band } from './attention-info'

/** The position fields of a synced entity (fine ones are absent until sent at medium/high band). */
export interface PositionFields {
  cx: number
  cy: number
  x?: number | undefined
  y?: number | undefined
  angle?: number | undefined
}

/** A fine position older than the coarse one by this much (ms) is stale: the entity dropped a band. */
const STALE_MS = 250

/**
 * Chooses where to draw one synced entity, patch after patch. Fine `x, y, angle` are sent only at
 * medium and high attention; when a member drops to the low band its fine fields stop updating but
 * keep their last values, so they are used only while they are at least as fresh as the coarse
 * `cx, cy` (or when the entity holds still), and never when the last attention message says low.
 */
export class PositionSource {
  private fx = Number.NaN
  private fy = Number.NaN
  private cx = Number.NaN
  private cy = Number.NaN
  private fineAt = -Infinity
  private coarseAt = -Infinity

  /**
   * Reads the entity's fields after a patch and picks the position to draw.
   * @param e - the entity's synced fields
   * @param band - its band in the last attention message, if any
   * @param now - patch arrival time (ms)
   * @returns position and heading (NaN when no heading is known)
   */
  observe(e: PositionFields, band: Band | undefined, now: number): { x: number; y: number; angle: number } {
    if (e.cx !== this.cx || e.cy !== this.cy) {
      this.cx = e.cx
      this.cy = e.cy
      this.coarseAt = now
    }
    const hasFine = isNum(e.x) && isNum(e.y)
    if (hasFine && (e.x !== this.fx || e.y !== this.fy)) {
      this.fx = e.x!
      this.fy = e.y!
      this.fineAt = now
    }
    const fine = hasFine && band !== Band.Low && this.fineAt >= this.coarseAt - STALE_MS
    if (fine) return { x: this.fx, y: this.fy, angle: isNum(e.angle) ? e.angle! : Number.NaN }
    return { x: e.cx, y: e.cy, angle: Number.NaN }
  }
}

function isNum(v: number | undefined): boolean {
  return typeof v === 'number' && Number.isFinite(v)
}
