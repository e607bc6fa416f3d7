import { createPrng, type Prng } from '../lib/prng'
import { createInteractionLog, InteractionKind, Kind, type Recording } from './recording'

/** Size and length of a scenario. Units: world units and seconds; 20 ticks per second. */
export interface ScenarioConfig {
  seed: number
  seconds: number
  /** Ticks per second. @defaultValue 20 */
  tickRate: number
  /** Side of the square world. */
  worldSize: number
  players: number
  wanderers: number
  chasers: number
  groups: number
  groupSize: number
  projectiles: number
}

/** The full-size scenario of `npm run bench`. */
export const FULL_SCENARIO: ScenarioConfig = {
  seed: 20240611,
  seconds: 120,
  tickRate: 20,
  worldSize: 400,
  players: 32,
  wanderers: 320,
  chasers: 48,
  groups: 10,
  groupSize: 6,
  projectiles: 2,
}

/** The `--quick` scenario: same density, shorter and smaller. */
export const QUICK_SCENARIO: ScenarioConfig = {
  seed: 20240611,
  seconds: 20,
  tickRate: 20,
  worldSize: 250,
  players: 12,
  wanderers: 125,
  chasers: 19,
  groups: 4,
  groupSize: 6,
  projectiles: 2,
}

/** Behaviour constants (world units, seconds): plain game-like values, not tuned to any policy. */
export const BEHAVIOUR = Object.freeze({
  playerSpeed: 4,
  wandererSpeed: 2.5,
  chaserPatrolSpeed: 2.5,
  chaserSpeed: 6.5,
  chaserRetreatSpeed: 5,
  groupSpeed: 3.5,
  projectileSpeed: 50,
  aggroRange: 40,
  giveUpRange: 60,
  attackRange: 1.8,
  touchRange: 1.5,
  hitRange: 2,
  tradeRange: 2.5,
  tradeSeekRange: 80,
  /** Trade attempts per player per second. */
  tradeRate: 0.03,
  touchCooldown: 2,
  hitCooldown: 1,
})
const PLAYER_SPEED = BEHAVIOUR.playerSpeed
const WANDERER_SPEED = BEHAVIOUR.wandererSpeed
const CHASER_PATROL_SPEED = BEHAVIOUR.chaserPatrolSpeed
const CHASER_SPEED = BEHAVIOUR.chaserSpeed
const CHASER_RETREAT_SPEED = BEHAVIOUR.chaserRetreatSpeed
const GROUP_SPEED = BEHAVIOUR.groupSpeed
const PROJECTILE_SPEED = BEHAVIOUR.projectileSpeed
const AGGRO_RANGE = BEHAVIOUR.aggroRange
const GIVE_UP_RANGE = BEHAVIOUR.giveUpRange
const ATTACK_RANGE = BEHAVIOUR.attackRange
const TOUCH_RANGE = BEHAVIOUR.touchRange
const HIT_RANGE = BEHAVIOUR.hitRange
const TRADE_RANGE = BEHAVIOUR.tradeRange
const TRADE_SEEK_RANGE = BEHAVIOUR.tradeSeekRange
const TRADE_RATE = BEHAVIOUR.tradeRate
const TOUCH_COOLDOWN = BEHAVIOUR.touchCooldown
const HIT_COOLDOWN = BEHAVIOUR.hitCooldown

const enum Mode {
  Idle,
  Walk,
  Seek,
  Chase,
  Retreat,
  Cooldown,
}

/**
 * Runs the arena scenario deterministically for `config.seconds` and records every entity's state
 * per tick and every interaction. Players wander with a facing, now and then walk to another player
 * and trade; wanderers random-walk; chasers patrol, chase the nearest player in range, hit it and
 * back off (hit and run); groups travel together in formation; projectiles cross the map fast.
 * @param config - size, length and seed.
 * @returns the recording (typed arrays, in memory).
 */
export function recordScenario(config: ScenarioConfig): Recording {
  const rng = createPrng(config.seed)
  const dt = 1 / config.tickRate
  const ticks = Math.round(config.seconds * config.tickRate)
  const W = config.worldSize
  const kinds: number[] = []
  const push = (k: Kind, n: number): void => {
    for (let i = 0; i < n; i++) kinds.push(k)
  }
  push(Kind.Player, config.players)
  push(Kind.Wanderer, config.wanderers)
  push(Kind.Chaser, config.chasers)
  push(Kind.Grouped, config.groups * config.groupSize)
  push(Kind.Projectile, config.projectiles)
  const n = kinds.length
  const kind = Uint8Array.from(kinds)
  const players = new Int32Array(config.players).map((_, i) => i)

  const px = new Float64Array(n)
  const py = new Float64Array(n)
  const vx = new Float64Array(n)
  const vy = new Float64Array(n)
  const ang = new Float64Array(n)
  // per-entity behaviour state
  const mode = new Uint8Array(n)
  const timer = new Float64Array(n) // seconds left in the current mode
  const tx = new Float64Array(n) // waypoint
  const ty = new Float64Array(n)
  const target = new Int32Array(n).fill(-1) // chaser / trade target
  const groupOf = new Int32Array(n).fill(-1)
  const slotInGroup = new Int32Array(n)
  const leaders: number[] = []

  for (let i = 0; i < n; i++) {
    px[i] = rng.range(0, W)
    py[i] = rng.range(0, W)
    ang[i] = rng.range(-Math.PI, Math.PI)
    tx[i] = px[i]!
    ty[i] = py[i]!
    mode[i] = Mode.Idle
    timer[i] = rng.range(0, 2)
  }
  let g = -1
  for (let i = 0; i < n; i++) {
    if (kind[i] !== Kind.Grouped) continue
    const first = groupOf[i - 1] === -1 || kind[i - 1] !== Kind.Grouped || slotInGroup[i - 1] === config.groupSize - 1
    if (first) {
      g++
      leaders.push(i)
      slotInGroup[i] = 0
    } else {
      slotInGroup[i] = slotInGroup[i - 1]! + 1
      px[i] = px[i - 1]! + rng.range(-3, 3)
      py[i] = py[i - 1]! + rng.range(-3, 3)
    }
    groupOf[i] = g
  }
  for (let i = 0; i < n; i++) if (kind[i] === Kind.Projectile) launch(i, rng, W, config.players, px, py, vx, vy, ang)

  const rec: Recording = {
    dt,
    ticks,
    entityCount: n,
    worldSize: W,
    seed: config.seed,
    kind,
    players,
    x: new Float32Array(ticks * n),
    y: new Float32Array(ticks * n),
    vx: new Float32Array(ticks * n),
    vy: new Float32Array(ticks * n),
    angle: new Float32Array(ticks * n),
    interactions: createInteractionLog(),
    spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
  }
  const spawnTicks: number[] = []
  const spawnEntities: number[] = []
  const log = rec.interactions as ReturnType<typeof createInteractionLog>
  const np = config.players
  const touching = new Uint8Array(np * n)
  const lastContact = new Float64Array(np * n).fill(-1e9)

  const moveToward = (i: number, x: number, y: number, speed: number): number => {
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
  }
  const pickWaypoint = (i: number, reach: number): void => {
    tx[i] = clamp(px[i]! + rng.range(-reach, reach), 0, W)
    ty[i] = clamp(py[i]! + rng.range(-reach, reach), 0, W)
  }
  const nearestPlayer = (i: number, range: number, exclude: number): number => {
    let best = -1
    let bestD = range * range
    for (let p = 0; p < np; p++) {
      if (p === i || p === exclude) continue
      const dx = px[p]! - px[i]!
      const dy = py[p]! - py[i]!
      const d2 = dx * dx + dy * dy
      if (d2 <= bestD) {
        bestD = d2
        best = p
      }
    }
    return best
  }

  for (let t = 0; t < ticks; t++) {
    const now = t * dt
    if (t > 0) {
      for (let i = 0; i < n; i++) {
        timer[i] = timer[i]! - dt
        switch (kind[i]) {
          case Kind.Player:
            stepPlayer(i, t)
            break
          case Kind.Wanderer:
            if (timer[i]! <= 0) {
              timer[i] = rng.range(1, 4)
              const speed = rng.next() < 0.25 ? 0 : rng.range(0.5, WANDERER_SPEED)
              const a = rng.range(-Math.PI, Math.PI)
              vx[i] = Math.cos(a) * speed
              vy[i] = Math.sin(a) * speed
              if (speed > 0) ang[i] = a
            }
            break
          case Kind.Chaser:
            stepChaser(i)
            break
          case Kind.Grouped:
            if (slotInGroup[i] === 0) {
              if (moveToward(i, tx[i]!, ty[i]!, GROUP_SPEED) < 1) pickWaypoint(i, 120)
            } else {
              const lead = i - slotInGroup[i]!
              const a = ang[lead]! + (slotInGroup[i]! * 2 * Math.PI) / (config.groupSize - 1)
              moveToward(i, px[lead]! + Math.cos(a) * 3, py[lead]! + Math.sin(a) * 3, GROUP_SPEED * 1.5)
              ang[i] = ang[lead]!
            }
            break
          case Kind.Projectile:
            break
        }
      }
      for (let i = 0; i < n; i++) {
        px[i] = px[i]! + vx[i]! * dt
        py[i] = py[i]! + vy[i]! * dt
        if (kind[i] === Kind.Projectile) {
          if (px[i]! < -10 || px[i]! > W + 10 || py[i]! < -10 || py[i]! > W + 10) {
            launch(i, rng, W, config.players, px, py, vx, vy, ang)
            spawnTicks.push(t)
            spawnEntities.push(i)
          }
          continue
        }
        // bounce off the walls
        if (px[i]! < 0 || px[i]! > W) {
          px[i] = clamp(px[i]!, 0, W)
          vx[i] = -vx[i]!
          tx[i] = clamp(tx[i]!, 0, W)
        }
        if (py[i]! < 0 || py[i]! > W) {
          py[i] = clamp(py[i]!, 0, W)
          vy[i] = -vy[i]!
          ty[i] = clamp(ty[i]!, 0, W)
        }
      }
      detectContacts(t, now)
    }
    const base = t * n
    for (let i = 0; i < n; i++) {
      rec.x[base + i] = px[i]!
      rec.y[base + i] = py[i]!
      rec.vx[base + i] = vx[i]!
      rec.vy[base + i] = vy[i]!
      rec.angle[base + i] = ang[i]!
    }
  }
  rec.interactions = log.finish()
  rec.spawns = { count: spawnTicks.length, tick: Int32Array.from(spawnTicks), entity: Int32Array.from(spawnEntities) }
  return rec

  function stepPlayer(i: number, t: number): void {
    if (mode[i] === Mode.Seek) {
      const p = target[i]!
      const d = moveToward(i, px[p]!, py[p]!, PLAYER_SPEED)
      if (d <= TRADE_RANGE) {
        log.push(t, i, p, InteractionKind.Trade)
        mode[i] = Mode.Idle
        timer[i] = rng.range(1, 3)
        vx[i] = 0
        vy[i] = 0
      } else if (timer[i]! <= 0 || d > TRADE_SEEK_RANGE * 1.5) {
        mode[i] = Mode.Idle
        timer[i] = 1
      }
      return
    }
    if (rng.next() < TRADE_RATE * dt) {
      const p = nearestPlayer(i, TRADE_SEEK_RANGE, i)
      if (p !== -1) {
        mode[i] = Mode.Seek
        target[i] = p
        timer[i] = 25
        return
      }
    }
    if (mode[i] === Mode.Walk) {
      const d = moveToward(i, tx[i]!, ty[i]!, PLAYER_SPEED)
      // look around while walking
      ang[i] = ang[i]! + Math.sin(t * dt * 1.3 + i) * 0.6
      if (d < 0.5 || timer[i]! <= 0) {
        mode[i] = Mode.Idle
        timer[i] = rng.range(0.5, 3)
        vx[i] = 0
        vy[i] = 0
      }
    } else {
      ang[i] = ang[i]! + 0.8 * dt * (i % 2 === 0 ? 1 : -1)
      if (timer[i]! <= 0) {
        mode[i] = Mode.Walk
        pickWaypoint(i, 60)
        timer[i] = 30
      }
    }
  }

  function stepChaser(i: number): void {
    const tgt = target[i]!
    switch (mode[i]) {
      case Mode.Chase: {
        const d = moveToward(i, px[tgt]!, py[tgt]!, CHASER_SPEED)
        if (d > GIVE_UP_RANGE || timer[i]! <= 0) {
          mode[i] = Mode.Cooldown
          timer[i] = rng.range(3, 6)
          target[i] = -1
        }
        return
      }
      case Mode.Retreat:
        if (timer[i]! <= 0) {
          const dx = px[tgt]! - px[i]!
          const dy = py[tgt]! - py[i]!
          if (Math.hypot(dx, dy) <= GIVE_UP_RANGE && rng.next() < 0.7) {
            mode[i] = Mode.Chase
            timer[i] = 15
          } else {
            mode[i] = Mode.Cooldown
            timer[i] = rng.range(3, 6)
            target[i] = -1
          }
        }
        return
      default: {
        if (mode[i] !== Mode.Cooldown || timer[i]! <= 0) {
          const p = nearestPlayer(i, AGGRO_RANGE, -1)
          if (p !== -1) {
            mode[i] = Mode.Chase
            target[i] = p
            timer[i] = 15
            return
          }
        }
        if (mode[i] === Mode.Cooldown && timer[i]! > 0) {
          moveToward(i, tx[i]!, ty[i]!, CHASER_PATROL_SPEED)
          return
        }
        mode[i] = Mode.Walk
        if (moveToward(i, tx[i]!, ty[i]!, CHASER_PATROL_SPEED) < 1) pickWaypoint(i, 50)
      }
    }
  }

  function detectContacts(t: number, now: number): void {
    for (let i = 0; i < n; i++) {
      if (kind[i] === Kind.Chaser && mode[i] === Mode.Chase) {
        const p = target[i]!
        if (Math.hypot(px[p]! - px[i]!, py[p]! - py[i]!) <= ATTACK_RANGE) {
          log.push(t, i, p, InteractionKind.Attack)
          // back off: run away from the target for a moment, then maybe come again
          mode[i] = Mode.Retreat
          timer[i] = rng.range(1.5, 3)
          const a = Math.atan2(py[i]! - py[p]!, px[i]! - px[p]!) + rng.range(-0.5, 0.5)
          vx[i] = Math.cos(a) * CHASER_RETREAT_SPEED
          vy[i] = Math.sin(a) * CHASER_RETREAT_SPEED
          ang[i] = a
        }
      }
    }
    for (let p = 0; p < np; p++) {
      const row = p * n
      for (let e = 0; e < n; e++) {
        const k = kind[e]!
        if (e === p || k === Kind.Chaser || (k === Kind.Player && e < p)) continue
        const d = Math.hypot(px[e]! - px[p]!, py[e]! - py[p]!)
        const range = k === Kind.Projectile ? HIT_RANGE : TOUCH_RANGE
        const inContact = d <= range ? 1 : 0
        if (inContact === 1 && touching[row + e] === 0) {
          const cooldown = k === Kind.Projectile ? HIT_COOLDOWN : TOUCH_COOLDOWN
          if (now - lastContact[row + e]! >= cooldown) {
            log.push(t, e, p, k === Kind.Projectile ? InteractionKind.Hit : InteractionKind.Touch)
            lastContact[row + e] = now
          }
        }
        touching[row + e] = inContact
      }
    }
  }
}

/**
 * Fires a projectile at a random player from 120-180 units away, aimed where the player will be if
 * it keeps its velocity (a shot from an unseen shooter); it flies on until it leaves the map.
 */
function launch(i: number, rng: Prng, W: number, players: number, px: Float64Array, py: Float64Array, vx: Float64Array, vy: Float64Array, ang: Float64Array): void {
  const p = rng.int(players)
  const from = rng.range(-Math.PI, Math.PI)
  const dist = rng.range(120, 180)
  const x = clamp(px[p]! + Math.cos(from) * dist, 0, W)
  const y = clamp(py[p]! + Math.sin(from) * dist, 0, W)
  const flight = Math.hypot(px[p]! - x, py[p]! - y) / PROJECTILE_SPEED
  const a = Math.atan2(py[p]! + vy[p]! * flight - y, px[p]! + vx[p]! * flight - x)
  px[i] = x
  py[i] = y
  vx[i] = Math.cos(a) * PROJECTILE_SPEED
  vy[i] = Math.sin(a) * PROJECTILE_SPEED
  ang[i] = a
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v
}
