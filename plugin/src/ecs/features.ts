import type { AttentionComponents } from './components'
import { Has } from './entity-tracker'
import type { InteractionStore } from './interactions'

/**
 * Everything about one observer that every candidate row reads, hoisted out of the candidate loop.
 * One instance is reused for every observer (mutated, never reallocated).
 */
export interface ObserverContext {
  eid: number
  x: number
  y: number
  z: number
  vx: number
  vy: number
  vz: number
  hasFacing: boolean
  fx: number
  fy: number
  fz: number
  /** cos(fov / 2). */
  cosHalf: number
  hasTeam: boolean
  team: number
  radius: number
}

/** A reusable, zeroed observer context. */
export function createObserverContext(): ObserverContext {
  return { eid: 0, x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, hasFacing: false, fx: 0, fy: 0, fz: 0, cosHalf: 1, hasTeam: false, team: 0, radius: 0 }
}

/** Fills `ctx` for observer `o`. */
export function loadObserver(ctx: ObserverContext, c: AttentionComponents, flags: Uint16Array, o: number): void {
  const fl = flags[o]!
  ctx.eid = o
  ctx.x = c.Position.x[o]!
  ctx.y = c.Position.y[o]!
  ctx.z = c.Position.z[o]!
  const hasVel = (fl & Has.Velocity) !== 0
  ctx.vx = hasVel ? c.Velocity.x[o]! : 0
  ctx.vy = hasVel ? c.Velocity.y[o]! : 0
  ctx.vz = hasVel ? c.Velocity.z[o]! : 0
  ctx.hasFacing = (fl & Has.Facing) !== 0
  ctx.fx = c.Facing.x[o]!
  ctx.fy = c.Facing.y[o]!
  ctx.fz = c.Facing.z[o]!
  ctx.cosHalf = Math.cos(c.Observer.fov[o]! / 2)
  ctx.hasTeam = (fl & Has.Team) !== 0
  ctx.team = c.Team.id[o]!
  ctx.radius = c.Observer.radius[o]!
}

/** Tuning the feature heads read. */
export interface FeatureParams {
  lookahead: number
  speedScale: number
  /** dt / interactionHalfLife: age in ticks times this is the number of half-lives. */
  halfLivesPerTick: number
}

/** Result codes of {@link writeRow}. */
export const RowResult = { Out: 0, Denied: 1, Scored: 2 } as const

/**
 * Tests candidate `e` against observer `ctx` and, if it is in range and not denied, writes its
 * feature row at `feat[off .. off + FEATURE_COUNT)`. Hot path: allocation-free.
 * @returns a {@link RowResult}.
 */
export function writeRow(
  ctx: ObserverContext,
  c: AttentionComponents,
  flags: Uint16Array,
  generation: Uint32Array,
  interactions: InteractionStore,
  params: FeatureParams,
  tick: number,
  e: number,
  feat: Float32Array,
  off: number,
): number {
  const P = c.Position
  const fl = flags[e]!
  const dx = P.x[e]! - ctx.x
  const dy = P.y[e]! - ctx.y
  const dz = P.z[e]! - ctx.z
  const d2 = dx * dx + dy * dy + dz * dz
  let reff = ctx.radius
  if ((fl & Has.Salience) !== 0) {
    const nimbus = c.Salience.nimbus[e]!
    if (nimbus > reff) reff = nimbus
  }
  const hasVel = (fl & Has.Velocity) !== 0
  const rvx = (hasVel ? c.Velocity.x[e]! : 0) - ctx.vx
  const rvy = (hasVel ? c.Velocity.y[e]! : 0) - ctx.vy
  const rvz = (hasVel ? c.Velocity.z[e]! : 0) - ctx.vz
  if (d2 > reff * reff) {
    const T = params.lookahead
    const px = dx + rvx * T
    const py = dy + rvy * T
    const pz = dz + rvz * T
    if (px * px + py * py + pz * pz > ctx.radius * ctx.radius) return RowResult.Out
  }
  if ((fl & (Has.Hidden | Has.TeamOnly)) !== 0 && !((fl & Has.Owner) !== 0 && c.Owner.eid[e] === ctx.eid)) {
    if ((fl & Has.Hidden) !== 0) return RowResult.Denied
    if (!(ctx.hasTeam && (fl & Has.Team) !== 0 && c.Team.id[e] === ctx.team)) return RowResult.Denied
  }
  const d = Math.sqrt(d2)
  const inv = d > 0 ? 1 / d : 0
  // distance
  let f = 1 - d / reff
  feat[off] = f < 0 ? 0 : f > 1 ? 1 : f
  // facing / field of view
  if (!ctx.hasFacing) f = 0
  else if (d === 0) f = 1
  else {
    const ch = ctx.cosHalf
    const cosT = (ctx.fx * dx + ctx.fy * dy + ctx.fz * dz) * inv
    f = ch >= 1 || cosT < ch ? 0 : (cosT - ch) / (1 - ch)
    if (f > 1) f = 1
  }
  feat[off + 1] = f
  // approach: closing speed along the line of sight
  f = d === 0 ? 0 : (-(rvx * dx + rvy * dy + rvz * dz) * inv) / params.speedScale
  feat[off + 2] = f < 0 ? 0 : f > 1 ? 1 : f
  // recency of a recorded interaction
  f = 0
  const slot = interactions.any[ctx.eid] === 0 ? -1 : interactions.find(ctx.eid, e, generation[e]!)
  if (slot !== -1) {
    f = interactions.strength[slot]! * Math.pow(2, -(tick - interactions.tick[slot]!) * params.halfLivesPerTick)
    if (f > 1) f = 1
    else if (f < 0) f = 0
  }
  feat[off + 3] = f
  // salience
  f = (fl & Has.Salience) !== 0 ? c.Salience.weight[e]! : 0
  feat[off + 4] = f < 0 ? 0 : f > 1 ? 1 : f
  // mutual: the candidate faces the observer
  f = (fl & Has.Facing) === 0 || d === 0 ? 0 : -(c.Facing.x[e]! * dx + c.Facing.y[e]! * dy + c.Facing.z[e]! * dz) * inv
  feat[off + 5] = f < 0 ? 0 : f > 1 ? 1 : f
  // team
  feat[off + 6] = ctx.hasTeam && (fl & Has.Team) !== 0 && c.Team.id[e] === ctx.team ? 1 : 0
  return RowResult.Scored
}

/** True when visibility rules keep `e` out of observer `o`'s set (Hidden, or TeamOnly of another team); an owner is never denied. */
export function isDenied(c: AttentionComponents, flags: Uint16Array, o: number, e: number): boolean {
  const fl = flags[e]!
  if ((fl & (Has.Hidden | Has.TeamOnly)) === 0) return false
  if ((fl & Has.Owner) !== 0 && c.Owner.eid[e] === o) return false
  if ((fl & Has.Hidden) !== 0) return true
  return !((flags[o]! & Has.Team) !== 0 && (fl & Has.Team) !== 0 && c.Team.id[e] === c.Team.id[o])
}
