import type { AttentionInfo } from '../world/attention-info'
import type { DebugWorld } from '../world/debug-world'
import { Band } from '../world/attention-info'
import type { ClientEntity, EntityStore } from '../world/entity-store'
import { FADE_MS } from '../world/entity-store'
import type { Camera, ScreenPoint } from './camera'
import { toScreenX, toScreenY, toWorldX, toWorldY } from './camera'
import type { GhostOutput } from './draw-ghosts'
import { drawGhosts } from './draw-ghosts'
import { bandColor, teamColor } from './palette'

/** What one frame needs besides the canvas. */
export interface FrameInput {
  store: EntityStore
  attention: AttentionInfo
  camera: Camera
  /** Key of this client's avatar ('' if unknown yet). */
  selfKey: string
  /** Heading drawn for the own avatar (the local mouse direction, radians). */
  selfAngle: number
  overlay: boolean
  hoverKey: string | null
  now: number
  /** The whole world, drawn faintly behind what this client holds (debug mode, layer on), or null. */
  world: DebugWorld | null
}

/** What a frame drew: the live entity keys and where, for test hooks and hit testing. */
export interface FrameOutput {
  drawn: string[]
  points: ScreenPoint[]
  /** World position of each drawn entity. */
  positions: Record<string, [number, number]>
  /** What the debug layer drew, or null when it is off. */
  ghosts: GhostOutput | null
}

const GRID = 50

/**
 * Draws one frame: grid, optional attention overlay (focus radius, field-of-view cone, members tinted
 * by weight and band), in debug mode optionally the whole world as faint ghosts behind, every entity
 * this client holds at its interpolated pose, and departing entities fading out
 * (a dashed ghost for "left my interest", a burst for "destroyed").
 * @param ctx - 2D context, already scaled for devicePixelRatio
 * @param f - frame input
 * @returns the keys drawn (live only, not fading) and their canvas positions
 */
export function drawWorld(ctx: CanvasRenderingContext2D, f: FrameInput): FrameOutput {
  const { camera: cam, attention } = f
  ctx.fillStyle = '#0d1117'
  ctx.fillRect(0, 0, cam.width, cam.height)
  drawGrid(ctx, cam)
  if (f.overlay && attention.radius > 0) drawFocus(ctx, cam, attention.radius, attention.fov, f.selfAngle)
  const ghosts = f.world === null ? null : drawGhosts(ctx, cam, f.world, f.store, f.now)

  const drawn: string[] = []
  const points: ScreenPoint[] = []
  const positions: Record<string, [number, number]> = {}
  const maxWeight = attention.maxWeight()
  // the own avatar is drawn last, on top of bots crowding it
  let self: ClientEntity | null = null
  for (const e of f.store.all()) {
    if (!e.motion.ready) continue
    if (e.key === f.selfKey && e.departure === null) {
      self = e
      continue
    }
    const pose = e.motion.at(f.now)
    const sx = toScreenX(cam, pose.x)
    const sy = toScreenY(cam, pose.y)
    if (e.departure !== null) {
      drawDeparture(ctx, e, sx, sy, (f.now - e.departedAt) / FADE_MS)
      continue
    }
    drawLive(ctx, f, e, sx, sy, pose.angle, maxWeight, drawn, points, positions)
  }
  if (self !== null) {
    const pose = self.motion.at(f.now)
    drawLive(ctx, f, self, toScreenX(cam, pose.x), toScreenY(cam, pose.y), f.selfAngle, maxWeight, drawn, points, positions)
  }
  drawn.sort()
  return { drawn, points, positions, ghosts }
}

function drawLive(
  ctx: CanvasRenderingContext2D,
  f: FrameInput,
  e: ClientEntity,
  sx: number,
  sy: number,
  angle: number,
  maxWeight: number,
  drawn: string[],
  points: ScreenPoint[],
  positions: Record<string, [number, number]>,
): void {
  const isSelf = e.key === f.selfKey
  if (f.overlay && !isSelf) {
    const m = f.attention.get(e.key)
    if (m !== undefined) drawTint(ctx, sx, sy, m.band, m.weight / maxWeight)
  }
  drawEntity(ctx, e, sx, sy, angle, isSelf)
  if (e.key === f.hoverKey) {
    ctx.strokeStyle = '#ffffff'
    ctx.lineWidth = 1.5
    ctx.strokeRect(sx - 12, sy - 12, 24, 24)
  }
  drawn.push(e.key)
  points.push({ key: e.key, sx, sy })
  positions[e.key] = [toWorldX(f.camera, sx), toWorldY(f.camera, sy)]
}

function drawGrid(ctx: CanvasRenderingContext2D, cam: Camera): void {
  const step = GRID * cam.scale
  if (step < 6) return
  ctx.strokeStyle = '#1b2330'
  ctx.lineWidth = 1
  ctx.beginPath()
  const ox = toScreenX(cam, Math.floor(cam.cx / GRID) * GRID) % step
  const oy = toScreenY(cam, Math.floor(cam.cy / GRID) * GRID) % step
  for (let x = ox; x < cam.width; x += step) {
    ctx.moveTo(x, 0)
    ctx.lineTo(x, cam.height)
  }
  for (let y = oy; y < cam.height; y += step) {
    ctx.moveTo(0, y)
    ctx.lineTo(cam.width, y)
  }
  ctx.stroke()
}

function drawFocus(ctx: CanvasRenderingContext2D, cam: Camera, radius: number, fov: number, angle: number): void {
  const cx = cam.width / 2
  const cy = cam.height / 2
  const r = radius * cam.scale
  ctx.fillStyle = 'rgba(111, 183, 255, 0.05)'
  ctx.strokeStyle = 'rgba(111, 183, 255, 0.55)'
  ctx.setLineDash([6, 6])
  ctx.lineWidth = 1.5
  ctx.beginPath()
  ctx.arc(cx, cy, r, 0, Math.PI * 2)
  ctx.fill()
  ctx.stroke()
  ctx.setLineDash([])
  if (fov > 0 && fov < Math.PI * 2) {
    ctx.fillStyle = 'rgba(255, 176, 32, 0.10)'
    ctx.strokeStyle = 'rgba(255, 176, 32, 0.6)'
    ctx.beginPath()
    ctx.moveTo(cx, cy)
    ctx.arc(cx, cy, r, angle - fov / 2, angle + fov / 2)
    ctx.closePath()
    ctx.fill()
    ctx.stroke()
  }
}

function drawTint(ctx: CanvasRenderingContext2D, sx: number, sy: number, band: Band, share: number): void {
  const color = bandColor(band)
  ctx.globalAlpha = 0.25 + 0.75 * Math.min(1, Math.max(0, share))
  ctx.strokeStyle = color
  ctx.lineWidth = band === Band.High ? 3 : band === Band.Medium ? 2 : 1.25
  ctx.beginPath()
  ctx.arc(sx, sy, 9 + 5 * share, 0, Math.PI * 2)
  ctx.stroke()
  ctx.globalAlpha = 0.18 * Math.min(1, share + 0.2)
  ctx.fillStyle = color
  ctx.fill()
  ctx.globalAlpha = 1
}

function drawEntity(
  ctx: CanvasRenderingContext2D,
  e: ClientEntity,
  sx: number,
  sy: number,
  angle: number,
  isSelf: boolean,
): void {
  ctx.fillStyle = teamColor(e.team)
  ctx.beginPath()
  if (e.kind === 'projectile') {
    ctx.arc(sx, sy, 2.5, 0, Math.PI * 2)
    ctx.fill()
    return
  }
  if (e.kind === 'beacon') {
    ctx.moveTo(sx, sy - 8)
    ctx.lineTo(sx + 8, sy)
    ctx.lineTo(sx, sy + 8)
    ctx.lineTo(sx - 8, sy)
    ctx.closePath()
    ctx.fill()
    return
  }
  const r = isSelf ? 8 : e.kind === 'player' ? 7 : 5.5
  ctx.arc(sx, sy, r, 0, Math.PI * 2)
  ctx.fill()
  if (e.kind === 'player' || isSelf) {
    ctx.strokeStyle = isSelf ? '#ffffff' : '#d0d7de'
    ctx.lineWidth = isSelf ? 2.5 : 1.25
    ctx.stroke()
  }
  if (!Number.isNaN(angle)) {
    ctx.strokeStyle = '#ffffff'
    ctx.lineWidth = 2
    ctx.beginPath()
    ctx.moveTo(sx, sy)
    ctx.lineTo(sx + Math.cos(angle) * (r + 5), sy + Math.sin(angle) * (r + 5))
    ctx.stroke()
  }
  if (e.hp !== undefined && e.hp < 100) {
    ctx.fillStyle = '#30363d'
    ctx.fillRect(sx - 8, sy - r - 7, 16, 3)
    ctx.fillStyle = '#5ed17a'
    ctx.fillRect(sx - 8, sy - r - 7, 16 * Math.max(0, e.hp) / 100, 3)
  }
}

function drawDeparture(ctx: CanvasRenderingContext2D, e: ClientEntity, sx: number, sy: number, t: number): void {
  const alpha = Math.max(0, 1 - t)
  ctx.globalAlpha = alpha
  if (e.departure === 'destroyed') {
    const r = 6 + 18 * t
    ctx.strokeStyle = '#ff3b3b'
    ctx.lineWidth = 2
    ctx.beginPath()
    ctx.arc(sx, sy, r, 0, Math.PI * 2)
    ctx.moveTo(sx - 5, sy - 5)
    ctx.lineTo(sx + 5, sy + 5)
    ctx.moveTo(sx + 5, sy - 5)
    ctx.lineTo(sx - 5, sy + 5)
    ctx.stroke()
  } else {
    ctx.strokeStyle = teamColor(e.team)
    ctx.setLineDash([3, 3])
    ctx.lineWidth = 1.5
    ctx.beginPath()
    ctx.arc(sx, sy, 6, 0, Math.PI * 2)
    ctx.stroke()
    ctx.setLineDash([])
  }
  ctx.globalAlpha = 1
}
