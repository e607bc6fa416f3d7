import { createPrng, type Prng } from '../../lib/prng'
import { createInteractionLog, type DeclaredTraits, type InteractionKind, type Recording } from '../recording'

/**
 * Owns: the small simulation toolkit the scenario families share: entity state in typed arrays,
 * steering, integration inside the world, contact events with cooldowns, declared traits, and the
 * recording of every tick.
 */
export interface Sim {
  readonly n: number
  readonly dt: number
  readonly ticks: number
  /** Side of the square world. */
  readonly size: number
  readonly rng: Prng
  readonly kind: Uint8Array
  readonly px: Float64Array
  readonly py: Float64Array
  readonly vx: Float64Array
  readonly vy: Float64Array
  readonly ang: Float64Array
  /** Declared traits, per entity (fill before the first tick). */
  readonly salience: Float32Array
  readonly nimbus: Float32Array
  readonly team: Uint16Array
  readonly teamOnly: Uint8Array
  readonly owner: Int32Array
  readonly hidden: Uint8Array
  /** What each entity aims at now (-1: nothing); recorded per tick when the family declares aim. */
  readonly aim: Int32Array
  /** Steers `i` toward (x, y) at `speed` (stopping on it); returns the distance left. */
  moveToward(i: number, x: number, y: number, speed: number): number
  /** Stops entity `i`. */
  stop(i: number): void
  /** Distance between two entities. */
  dist(a: number, b: number): number
  /** Moves every entity by its velocity, kept inside the world. */
  integrate(): void
  /** Logs an interaction on tick t. */
  interact(t: number, a: number, b: number, kind: InteractionKind): void
  /**
   * Contact between player p and entity e this tick (`near`): logs `kind` when the contact starts
   * and the pair's last logged contact is at least `cooldown` seconds old.
   */
  contact(t: number, p: number, e: number, near: boolean, kind: InteractionKind, cooldown: number): void
  /** Records the state of tick t (call once per tick, after the step). */
  capture(t: number): void
  /** The recording (call once, after the last tick). */
  finish(family: string, viewRadius: number): Recording
}

/** Settings of {@link createSim}. */
export interface SimConfig {
  seed: number
  seconds: number
  size: number
  /** Kind of every entity; players must come first (indices 0..players-1). */
  kinds: readonly number[]
  players: number
  /** Record per-tick aim targets. */
  declaresAim: boolean
  /** @defaultValue 20 */
  tickRate?: number
}

/** Creates a simulation over `config.kinds` entities placed at random in the world. */
export function createSim(config: SimConfig): Sim {
  const rng = createPrng(config.seed)
  const tickRate = config.tickRate ?? 20
  const dt = 1 / tickRate
  const ticks = Math.round(config.seconds * tickRate)
  const n = config.kinds.length
  const W = config.size
  const np = config.players
  const kind = Uint8Array.from(config.kinds)
  const px = new Float64Array(n)
  const py = new Float64Array(n)
  const vx = new Float64Array(n)
  const vy = new Float64Array(n)
  const ang = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    px[i] = rng.range(0, W)
    py[i] = rng.range(0, W)
    ang[i] = rng.range(-Math.PI, Math.PI)
  }
  const aim = new Int32Array(n).fill(-1)
  const log = createInteractionLog()
  const lastContact = new Float64Array(np * n).fill(-1e9)
  const touching = new Uint8Array(np * n)
  const X = new Float32Array(ticks * n)
  const Y = new Float32Array(ticks * n)
  const VX = new Float32Array(ticks * n)
  const VY = new Float32Array(ticks * n)
  const A = new Float32Array(ticks * n)
  const target = config.declaresAim ? new Int32Array(ticks * n).fill(-1) : null
  const sim: Sim = {
    n,
    dt,
    ticks,
    size: W,
    rng,
    kind,
    px,
    py,
    vx,
    vy,
    ang,
    salience: new Float32Array(n),
    nimbus: new Float32Array(n),
    team: new Uint16Array(n),
    teamOnly: new Uint8Array(n),
    owner: new Int32Array(n).fill(-1),
    hidden: new Uint8Array(n),
    aim,
    moveToward(i, x, y, speed) {
      const dx = x - px[i]!
      const dy = y - py[i]!
      const d = Math.hypot(dx, dy)
      if (d < 1e-9) {
        vx[i] = 0
        vy[i] = 0
        return 0
      }
      const s = Math.min(speed, d / dt)
      vx[i] = (dx / d) * s
      vy[i] = (dy / d) * s
      ang[i] = Math.atan2(dy, dx)
      return d
    },
    stop(i) {
      vx[i] = 0
      vy[i] = 0
    },
    dist: (a, b) => Math.hypot(px[a]! - px[b]!, py[a]! - py[b]!),
    integrate() {
      for (let i = 0; i < n; i++) {
        px[i] = px[i]! + vx[i]! * dt
        py[i] = py[i]! + vy[i]! * dt
        if (px[i]! < 0 || px[i]! > W) {
          px[i] = px[i]! < 0 ? 0 : W
          vx[i] = -vx[i]!
        }
        if (py[i]! < 0 || py[i]! > W) {
          py[i] = py[i]! < 0 ? 0 : W
          vy[i] = -vy[i]!
        }
      }
    },
    interact(t, a, b, k) {
      log.push(t, a, b, k)
    },
    contact(t, p, e, near, k, cooldown) {
      const j = p * n + e
      if (near && touching[j] === 0 && t * dt - lastContact[j]! >= cooldown) {
        log.push(t, e, p, k)
        lastContact[j] = t * dt
      }
      touching[j] = near ? 1 : 0
    },
    capture(t) {
      const base = t * n
      for (let i = 0; i < n; i++) {
        X[base + i] = px[i]!
        Y[base + i] = py[i]!
        VX[base + i] = vx[i]!
        VY[base + i] = vy[i]!
        A[base + i] = ang[i]!
      }
      if (target !== null) target.set(aim, base)
    },
    finish(family, viewRadius) {
      const declared: DeclaredTraits = {
        salience: sim.salience,
        nimbus: sim.nimbus,
        team: sim.team,
        teamOnly: sim.teamOnly,
        owner: sim.owner,
        hidden: sim.hidden,
      }
      if (target !== null) declared.target = target
      return {
        dt,
        ticks,
        entityCount: n,
        worldSize: W,
        seed: config.seed,
        kind,
        players: new Int32Array(np).map((_, i) => i),
        x: X,
        y: Y,
        vx: VX,
        vy: VY,
        angle: A,
        interactions: log.finish(),
        spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
        declared,
        viewRadius,
        family,
      }
    },
  }
  return sim
}

/** Kinds list: `count` entities of kind `k` for each [k, count] pair, in order. */
export function kindsOf(...groups: readonly (readonly [number, number])[]): number[] {
  const out: number[] = []
  for (const [k, count] of groups) for (let i = 0; i < count; i++) out.push(k)
  return out
}

/** Clamps v to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v
}
