/** What an entity of the scenario is. */
export const Kind = {
  Player: 0,
  Wanderer: 1,
  Chaser: 2,
  Grouped: 3,
  Projectile: 4,
  /** A soldier of a team (battle). */
  Soldier: 5,
  /** A team-only scout (battle). */
  Scout: 6,
  /** A sniper or turret that aims and fires from afar (ranged). */
  Sniper: 7,
  /** A fast vehicle that charges players (ranged). */
  Vehicle: 8,
  /** A salient landmark with a nimbus (ranged). */
  Beacon: 9,
  /** A mostly standing crowd member (hub). */
  Idler: 10,
  /** A salient trader at a stall (hub). */
  Merchant: 11,
  /** A hidden stash seen only by its owner (hub). */
  Stash: 12,
  /** A mounted unit that charges enemy players from afar (battle). */
  Rider: 13,
} as const
/** One of {@link Kind}'s values. */
export type Kind = (typeof Kind)[keyof typeof Kind]
/** Names of the kinds, by value. */
export const KIND_NAMES = [
  'player',
  'wanderer',
  'chaser',
  'group member',
  'projectile',
  'soldier',
  'scout',
  'sniper',
  'vehicle',
  'beacon',
  'idler',
  'merchant',
  'stash',
  'rider',
] as const

/** What happened between two entities. */
export const InteractionKind = {
  /** A chaser reached a player and hit it. */
  Attack: 0,
  /** A player and another body (player, wanderer, group member) came into contact. */
  Touch: 1,
  /** A player walked up to another player and traded. */
  Trade: 2,
  /** A fast projectile passed through a player. */
  Hit: 3,
  /** A sniper's or turret's shot landed on a player. */
  Shot: 4,
  /** A vehicle rammed a player. */
  Ram: 5,
  /** A player reached a beacon, a stash or a scout's report (a visit to a place or thing). */
  Visit: 6,
  /** Two players talked face to face. */
  Chat: 7,
} as const
/** One of {@link InteractionKind}'s values. */
export type InteractionKind = (typeof InteractionKind)[keyof typeof InteractionKind]
/** Names of the interaction kinds, by value. */
export const INTERACTION_NAMES = ['attack', 'touch', 'trade', 'hit', 'shot', 'ram', 'visit', 'chat'] as const

/** The interactions of a recording, in tick order (struct of arrays). */
export interface InteractionLog {
  count: number
  tick: Int32Array
  /** Entity index of the actor (chaser, projectile, trade seeker, toucher). */
  a: Int32Array
  /** Entity index of the other party. */
  b: Int32Array
  kind: Uint8Array
}

/**
 * A recorded scenario: every entity's state at every tick and every interaction with its tick.
 * Entity indices are 0..entityCount-1; tick t's state of entity i is at `t * entityCount + i`.
 */
export interface Recording {
  /** Seconds per tick. */
  dt: number
  ticks: number
  entityCount: number
  worldSize: number
  seed: number
  /** Kind of each entity. */
  kind: Uint8Array
  /** Entity indices of the players (the observers, one client each). */
  players: Int32Array
  x: Float32Array
  y: Float32Array
  /** Velocity in units per second. */
  vx: Float32Array
  vy: Float32Array
  /** Facing angle in radians. */
  angle: Float32Array
  interactions: InteractionLog
  /**
   * Respawns in tick order: entity `entity[i]` became a new object at tick `tick[i]` (a projectile
   * fired again). Everything spawns at tick 0; only later respawns are listed.
   */
  spawns: { count: number; tick: Int32Array; entity: Int32Array }
  /**
   * What the game declares about its entities (optional: recordings without it load and replay,
   * and the attention policy then sets no matching components).
   */
  declared?: DeclaredTraits
  /**
   * Radius of a player's screen in world units, for viewport coverage (optional; the harness uses
   * a default when absent).
   */
  viewRadius?: number
  /** Name of the scenario family that produced the recording (optional, for reports). */
  family?: string
}

/**
 * Traits a game knows and declares to the engine, per entity index (every array is optional and,
 * when present, `entityCount` long, except `target`, which is per tick: `ticks * entityCount`).
 */
export interface DeclaredTraits {
  /** Salience weight in [0, 1] (0: none). */
  salience?: Float32Array
  /** Nimbus: distance from which the entity is noticed beyond an observer's radius (0: none). */
  nimbus?: Float32Array
  /** Team id (0: no team). */
  team?: Uint16Array
  /** 1 when the entity is visible only to observers of its team. */
  teamOnly?: Uint8Array
  /** Entity index of the player that owns the entity, or -1. */
  owner?: Int32Array
  /** 1 when the entity is hidden from everyone but its owner. */
  hidden?: Uint8Array
  /** Per tick: entity index the entity aims at (a turret, a sniper, a homing missile), or -1. */
  target?: Int32Array
}

/** Appends interactions into growable typed arrays; `finish()` trims them. */
export function createInteractionLog(): InteractionLog & { push(tick: number, a: number, b: number, kind: InteractionKind): void; finish(): InteractionLog } {
  let cap = 1024
  const log = {
    count: 0,
    tick: new Int32Array(cap),
    a: new Int32Array(cap),
    b: new Int32Array(cap),
    kind: new Uint8Array(cap),
    push(tick: number, a: number, b: number, kind: InteractionKind): void {
      if (log.count === cap) {
        cap *= 2
        const grow = <T extends Int32Array | Uint8Array>(src: T, dst: T): T => {
          dst.set(src)
          return dst
        }
        log.tick = grow(log.tick, new Int32Array(cap))
        log.a = grow(log.a, new Int32Array(cap))
        log.b = grow(log.b, new Int32Array(cap))
        log.kind = grow(log.kind, new Uint8Array(cap))
      }
      const i = log.count++
      log.tick[i] = tick
      log.a[i] = a
      log.b[i] = b
      log.kind[i] = kind
    },
    finish(): InteractionLog {
      const n = log.count
      return { count: n, tick: log.tick.slice(0, n), a: log.a.slice(0, n), b: log.b.slice(0, n), kind: log.kind.slice(0, n) }
    },
  }
  return log
}

/** Counts interactions per kind. */
export function countByKind(log: InteractionLog): number[] {
  const out = INTERACTION_NAMES.map(() => 0)
  for (let i = 0; i < log.count; i++) out[log.kind[i]!]!++
  return out
}
