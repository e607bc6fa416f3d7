import { addComponent, addEntity, createWorld, hasComponent, removeEntity, type World } from 'bitecs'
import {
  addObserver,
  addSalience,
  createAttentionComponents,
  createAttentionSystem,
  setFacingAngle,
  type AttentionComponents,
  type AttentionScorer,
  type AttentionSystem,
} from 'colyseus-attention'
import { createRandom } from './random'
import type { EntityKind } from './state'

/** Arena tuning. */
export interface ArenaConfig {
  /** Number of NPC bots. */
  bots: number
  /** Seed of the arena's PRNG. */
  seed: number
  /** Edge of the square world, in units. */
  size: number
  /** Seconds per simulation tick. */
  dt: number
  /** Bytes per second each player's client may receive (0: count budget only). */
  byteBudget?: number
  /** Where bots, beacons and players spawn (a zone of a zoned world). @defaultValue the whole world */
  area?: { minX: number; minY: number; maxX: number; maxY: number }
  /** Replaces the built-in heads (e.g. the learned scorer). */
  scorer?: AttentionScorer
  /** The engine's `threads` option (observers scored on this many threads). @defaultValue 1 */
  threads?: number
  /** The engine's `pipelined` option (needs `threads` > 1). @defaultValue false */
  pipelined?: boolean
}

/** Kind codes stored per entity. */
export const Kind = { Player: 1, Bot: 2, Projectile: 3, Beacon: 4 } as const
const KIND_NAMES: Record<number, EntityKind> = { 1: 'player', 2: 'bot', 3: 'projectile', 4: 'beacon' }

/** Bot behaviours (Still: keeps its velocity; test probes). */
const Mode = { Wander: 0, Chase: 1, Still: 2 } as const

/** What the room needs to know about a simulation step. */
export interface ArenaEvents {
  spawned(eid: number): void
  despawned(eid: number): void
  /** Runs after the simulation, right before the attention system (a zoned room exchanges its border here). */
  beforeAttention?(): void
}

/** What a zone room carries across a border for each entity, besides position and velocity. */
export interface EntityTraits {
  kind: number
  hp: number
  mood: string
  mode: number
}

/** The ECS side of the example arena: entities, bots, players and the attention system. */
export interface ArenaWorld {
  readonly world: World
  readonly C: AttentionComponents
  readonly attention: AttentionSystem
  readonly config: ArenaConfig
  /** Entity kind name. */
  kindOf(eid: number): EntityKind
  /** Whether every client may see `eid` (neither Hidden nor TeamOnly): what room-wide figures may count. */
  isPublic(eid: number): boolean
  hp: Uint8Array
  mood: string[]
  /** Input of a player: desired direction, each component in [-1, 1]. */
  setInput(eid: number, dx: number, dy: number): void
  setFacing(eid: number, angle: number): void
  spawnPlayer(team: number): number
  /** Spawns one more wandering bot at (x, y), or one moving at a constant (vx, vy); returns its id. */
  spawnBot(x: number, y: number, still?: { vx: number; vy: number }): number
  despawn(eid: number): void
  /** Traits of an entity (to hand it to another zone). */
  traitsOf(eid: number): EntityTraits
  /** Sets the traits of an entity this world does not simulate (a ghost from another zone). */
  mirror(eid: number, traits: EntityTraits): void
  /** Starts simulating `eid`, which another zone handed over (its components are already set). */
  adopt(eid: number, traits: EntityTraits): void
  /** Stops simulating `eid` without removing it (it was handed to another zone). */
  release(eid: number): void
  /** Advances the simulation one tick and runs the attention system. */
  step(): void
  /** Live entity ids. */
  readonly live: Set<number>
  readonly tick: number
}

const PLAYER_SPEED = 60
const BOT_SPEED = 20
const CHASE_SPEED = 38
const PROJECTILE_SPEED = 150

/** Creates the arena world with its bots; `events` hears every spawn and despawn. */
export function createArenaWorld(config: ArenaConfig, events: ArenaEvents): ArenaWorld {
  const rnd = createRandom(config.seed)
  const capacity = Math.max(4096, config.bots * 3 + 2048)
  const world = createWorld()
  const threads = config.threads ?? 1
  // worker threads read the stores, so they go on shared memory when there are any
  const C = createAttentionComponents(capacity, { shared: threads > 1 })
  const attention = createAttentionSystem(world, { components: C, cellSize: 60, dt: config.dt, lookahead: 0.5, speedScale: 40, scorer: config.scorer, threads, pipelined: config.pipelined ?? false })
  const kind = new Uint8Array(capacity)
  const mode = new Uint8Array(capacity)
  const timer = new Float32Array(capacity)
  const cooldown = new Float32Array(capacity)
  const life = new Float32Array(capacity)
  const inputX = new Float32Array(capacity)
  const inputY = new Float32Array(capacity)
  const hp = new Uint8Array(capacity)
  const mood: string[] = new Array<string>(capacity).fill('idle')
  const live = new Set<number>()
  const players = new Set<number>()
  const { Position: P, Velocity: V } = C
  const S = config.size
  const area = config.area ?? { minX: 0, minY: 0, maxX: S, maxY: S }
  const AW = area.maxX - area.minX
  const AH = area.maxY - area.minY
  let tick = 0

  const spawn = (k: number, x: number, y: number): number => {
    const eid = addEntity(world)
    kind[eid] = k
    hp[eid] = 100
    mood[eid] = 'idle'
    addComponent(world, eid, C.Position)
    P.x[eid] = x
    P.y[eid] = y
    P.z[eid] = 0
    addComponent(world, eid, C.Velocity)
    V.x[eid] = 0
    V.y[eid] = 0
    setFacingAngle(world, C, eid, rnd() * Math.PI * 2)
    live.add(eid)
    return eid
  }

  const despawn = (eid: number): void => {
    if (!live.has(eid)) return
    live.delete(eid)
    players.delete(eid)
    events.despawned(eid)
    removeEntity(world, eid)
  }

  const addBot = (i: number): void => {
    const eid = spawn(Kind.Bot, area.minX + rnd() * AW, area.minY + rnd() * AH)
    mode[eid] = i % 3 === 0 ? Mode.Chase : Mode.Wander
    timer[eid] = rnd() * 2
    // a few special bots exercise the visibility rules
    if (i % 25 === 1) {
      addComponent(world, eid, C.Team)
      C.Team.id[eid] = 1 + (i % 2)
      addComponent(world, eid, C.TeamOnly)
      mood[eid] = 'scout'
    } else if (i % 40 === 2) {
      addComponent(world, eid, C.Hidden)
      mood[eid] = 'ghost'
    } else if (i % 10 === 3) {
      addSalience(world, C, eid, 1, 90)
      mood[eid] = 'loud'
    }
    events.spawned(eid)
  }

  for (let i = 0; i < config.bots; i++) addBot(i)
  for (let i = 0; i < 2; i++) {
    const bx = S * (0.25 + 0.5 * i)
    const by = S * 0.5
    if (bx < area.minX || bx >= area.maxX || by < area.minY || by >= area.maxY) continue
    const eid = spawn(Kind.Beacon, bx, by)
    addComponent(world, eid, C.AlwaysRelevant)
    addSalience(world, C, eid, 1, 0)
    mood[eid] = 'beacon'
    events.spawned(eid)
  }

  const nearestPlayer = (eid: number, within: number): number => {
    let best = -1
    let bd = within * within
    for (const p of players) {
      const dx = P.x[p]! - P.x[eid]!
      const dy = P.y[p]! - P.y[eid]!
      const d = dx * dx + dy * dy
      if (d < bd) {
        bd = d
        best = p
      }
    }
    return best
  }

  const fire = (from: number, to: number): void => {
    const dx = P.x[to]! - P.x[from]!
    const dy = P.y[to]! - P.y[from]!
    const d = Math.hypot(dx, dy) || 1
    const eid = spawn(Kind.Projectile, P.x[from]!, P.y[from]!)
    V.x[eid] = (dx / d) * PROJECTILE_SPEED
    V.y[eid] = (dy / d) * PROJECTILE_SPEED
    setFacingAngle(world, C, eid, Math.atan2(dy, dx))
    // a shot shows no more than its shooter: it starts at the shooter's position, aimed from there,
    // so a hidden or team-only shooter's shot would give it away to whoever may not see it
    if (hasComponent(world, from, C.Hidden)) addComponent(world, eid, C.Hidden)
    if (hasComponent(world, from, C.TeamOnly)) addComponent(world, eid, C.TeamOnly)
    if (hasComponent(world, from, C.Team)) {
      addComponent(world, eid, C.Team)
      C.Team.id[eid] = C.Team.id[from]!
    }
    life[eid] = 1.5
    mood[eid] = 'flying'
    events.spawned(eid)
  }

  const stepBot = (eid: number, dt: number): void => {
    timer[eid]! -= dt
    cooldown[eid] = Math.max(0, cooldown[eid]! - dt)
    let vx = V.x[eid]!
    let vy = V.y[eid]!
    const target = mode[eid] === Mode.Chase ? nearestPlayer(eid, 260) : -1
    if (mode[eid] === Mode.Still) return
    if (target !== -1) {
      const dx = P.x[target]! - P.x[eid]!
      const dy = P.y[target]! - P.y[eid]!
      const d = Math.hypot(dx, dy) || 1
      vx = (dx / d) * CHASE_SPEED
      vy = (dy / d) * CHASE_SPEED
      mood[eid] = 'chasing'
      if (d < 14 && cooldown[eid] === 0) {
        attention.recordInteraction(eid, target)
        hp[target] = Math.max(10, hp[target]! - 5)
        cooldown[eid] = 1
        mood[eid] = 'attacking'
      } else if (d < 160 && cooldown[eid] === 0 && rnd() < 0.02) {
        fire(eid, target)
        cooldown[eid] = 3
      }
    } else if (timer[eid]! <= 0) {
      const a = rnd() * Math.PI * 2
      vx = Math.cos(a) * BOT_SPEED
      vy = Math.sin(a) * BOT_SPEED
      timer[eid] = 1 + rnd() * 2
      if (mood[eid] === 'chasing' || mood[eid] === 'attacking') mood[eid] = 'idle'
    }
    V.x[eid] = vx
    V.y[eid] = vy
    if (vx !== 0 || vy !== 0) setFacingAngle(world, C, eid, Math.atan2(vy, vx))
  }

  const arena: ArenaWorld = {
    world,
    C,
    attention,
    config,
    hp,
    mood,
    live,
    get tick() {
      return tick
    },
    kindOf: (eid) => KIND_NAMES[kind[eid]!] ?? 'bot',
    isPublic: (eid) => !hasComponent(world, eid, C.Hidden) && !hasComponent(world, eid, C.TeamOnly),
    setInput(eid, dx, dy) {
      inputX[eid] = dx
      inputY[eid] = dy
    },
    setFacing(eid, angle) {
      setFacingAngle(world, C, eid, angle)
    },
    spawnPlayer(team) {
      const eid = spawn(Kind.Player, area.minX + AW * (0.1 + 0.8 * rnd()), area.minY + AH * (0.1 + 0.8 * rnd()))
      addComponent(world, eid, C.Team)
      C.Team.id[eid] = team
      // with a byte budget the count budget is only a cap: the set grows in a crowd at Low
      const byteBudget = config.byteBudget ?? 0
      addObserver(world, C, eid, { radius: 180, budget: byteBudget > 0 ? 256 : 24, fov: (2 * Math.PI) / 3, byteBudget })
      inputX[eid] = 0
      inputY[eid] = 0
      players.add(eid)
      mood[eid] = 'playing'
      events.spawned(eid)
      return eid
    },
    despawn,
    spawnBot(x, y, still) {
      const eid = spawn(Kind.Bot, x, y)
      mode[eid] = still === undefined ? Mode.Wander : Mode.Still
      if (still !== undefined) {
        V.x[eid] = still.vx
        V.y[eid] = still.vy
      }
      events.spawned(eid)
      return eid
    },
    traitsOf: (eid) => ({ kind: kind[eid]!, hp: hp[eid]!, mood: mood[eid]!, mode: mode[eid]! }),
    mirror(eid, t) {
      kind[eid] = t.kind
      hp[eid] = t.hp
      mood[eid] = t.mood
      mode[eid] = t.mode
    },
    adopt(eid, t) {
      arena.mirror(eid, t)
      timer[eid] = 1
      cooldown[eid] = 0
      life[eid] = t.kind === Kind.Projectile ? 1 : 0
      inputX[eid] = t.kind === Kind.Player && PLAYER_SPEED > 0 ? V.x[eid]! / PLAYER_SPEED : 0
      inputY[eid] = t.kind === Kind.Player && PLAYER_SPEED > 0 ? V.y[eid]! / PLAYER_SPEED : 0
      live.add(eid)
      if (t.kind === Kind.Player) players.add(eid)
    },
    release(eid) {
      live.delete(eid)
      players.delete(eid)
    },
    step() {
      tick++
      const dt = config.dt
      for (const eid of [...live]) {
        const k = kind[eid]
        if (k === Kind.Player) {
          const len = Math.hypot(inputX[eid]!, inputY[eid]!)
          const s = len > 1 ? PLAYER_SPEED / len : PLAYER_SPEED
          V.x[eid] = inputX[eid]! * s
          V.y[eid] = inputY[eid]! * s
          if (hp[eid]! < 100 && tick % 10 === 0) hp[eid]!++
        } else if (k === Kind.Bot) stepBot(eid, dt)
        else if (k === Kind.Projectile) {
          life[eid]! -= dt
          if (life[eid]! <= 0) {
            despawn(eid)
            continue
          }
        }
        P.x[eid] = Math.min(S, Math.max(0, P.x[eid]! + V.x[eid]! * dt))
        P.y[eid] = Math.min(S, Math.max(0, P.y[eid]! + V.y[eid]! * dt))
        if (k === Kind.Bot && (P.x[eid] === 0 || P.x[eid] === S || P.y[eid] === 0 || P.y[eid] === S)) timer[eid] = 0
      }
      events.beforeAttention?.()
      attention(world)
    },
  }
  return arena
}
