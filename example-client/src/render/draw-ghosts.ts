import type { Band } from '../world/attention-info'
import type { DebugWorld, WorldEntity } from '../world/debug-world'
import type { EntityStore } from '../world/entity-store'
import type { Camera, ScreenPoint } from './camera'
import { toScreenX, toScreenY } from './camera'
import { bandColor } from './palette'

/** What the debug layer drew in one frame. */
export interface GhostOutput {
  /** Left-out entities drawn (attention did not choose them). */
  leftOut: number
  /** Members the server chose that this page does not hold yet (waiting for the entry budget). */
  pending: number
  /** Where each ghost was drawn, for hover explanations. */
  points: ScreenPoint[]
}

const MARGIN = 20

/**
 * Draws the whole world faintly, behind what this client holds (debug mode only): every entity the
 * page does not hold is a small hollow grey ghost, and one the server put in the interest set but
 * has not sent yet is a faint ring in its band's colour. Held entities are skipped: the normal pass
 * draws them on top, tinted by band.
 * @param ctx - 2D context, already scaled for devicePixelRatio
 * @param cam - the frame's camera
 * @param world - the debug world
 * @param store - what this page holds
 * @param now - current time (ms)
 * @returns counts and positions of what was drawn
 */
export function drawGhosts(
  ctx: CanvasRenderingContext2D,
  cam: Camera,
  world: DebugWorld,
  store: EntityStore,
  now: number,
): GhostOutput {
  const out: GhostOutput = { leftOut: 0, pending: 0, points: [] }
  ctx.lineWidth = 1
  world.each(now, (e: WorldEntity) => {
    const held = store.get(e.key)
    if (held !== undefined && held.departure === null) return
    const sx = toScreenX(cam, e.x)
    const sy = toScreenY(cam, e.y)
    if (sx < -MARGIN || sy < -MARGIN || sx > cam.width + MARGIN || sy > cam.height + MARGIN) return
    const r = e.kind === 'projectile' ? 2 : e.kind === 'player' ? 6 : 4.5
    ctx.beginPath()
    ctx.arc(sx, sy, r, 0, Math.PI * 2)
    if (e.band >= 0) {
      ctx.globalAlpha = 0.55
      ctx.strokeStyle = bandColor(e.band as Band)
      ctx.setLineDash([2, 2])
      ctx.stroke()
      ctx.setLineDash([])
      out.pending++
    } else {
      ctx.globalAlpha = 0.35
      ctx.strokeStyle = '#8b949e'
      ctx.stroke()
      ctx.globalAlpha = 0.1
      ctx.fillStyle = '#8b949e'
      ctx.fill()
      out.leftOut++
    }
    out.points.push({ key: e.key, sx, sy })
  })
  ctx.globalAlpha = 1
  return out
}
