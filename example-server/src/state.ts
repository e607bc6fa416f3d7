import { schema, t, type SchemaType } from '@colyseus/schema'
import { AttentionTags } from 'colyseus-attention'

/**
 * One replicated entity. Untagged fields reach every client that has the entity in its view (any
 * attention band); `Motion` fields only at Medium/High attention, `Detail` fields only at High.
 * `cx`/`cy` are a coarse position (whole units) refreshed every few ticks: that is all a
 * low-attention client pays for.
 */
export const Entity = schema(
  {
    kind: t.string().default('bot'),
    team: t.uint8().default(0),
    cx: t.int16().default(0),
    cy: t.int16().default(0),
    x: t.float32().default(0).view(AttentionTags.Motion),
    y: t.float32().default(0).view(AttentionTags.Motion),
    angle: t.float32().default(0).view(AttentionTags.Motion),
    hp: t.uint8().default(100).view(AttentionTags.Detail),
    mood: t.string().default('idle').view(AttentionTags.Detail),
  },
  'Entity',
)
/** An entity instance. */
export type Entity = SchemaType<typeof Entity>

/** Room state: the filtered entity map, plus the (unfiltered) entity count. */
export const ArenaState = schema(
  {
    entities: t.map(Entity).view(),
    total: t.uint16().default(0),
  },
  'ArenaState',
)
/** A state instance. */
export type ArenaState = SchemaType<typeof ArenaState>

/** Entity kinds in the example arena. */
export type EntityKind = 'player' | 'bot' | 'projectile' | 'beacon'

/**
 * Server -> client `attention` message: what the overlay draws. Sent only to clients that asked with
 * an `overlay` message (every fifth patch), in each room they join.
 */
export interface AttentionMessage {
  self: string
  radius: number
  fov: number
  /** The observer's count budget (with a byte budget, only a cap on the set's size). */
  budget: number
  /** The observer's byte budget in bytes per second; present only when it has one. */
  byteBudget?: number
  members: [key: string, weight: number, band: 0 | 1 | 2][]
  /**
   * Bytes per second this client would receive without the plugin over the last few patches (every
   * client of the baseline room receives the same patches: one shared encode measures it for all).
   * Sent only to clients that asked with a `full-state` message (it rides on this message, so they ask
   * for the overlay too).
   */
  fullBps?: number
  /** Present (true) only when the server runs with ATTENTION_DEBUG=1: the page may then ask `/debug/*`. */
  debug?: true
}

/**
 * Close code of a seat that ended because the client's player entity was removed from the game
 * (the sdk's `room.onLeave(code, reason)` gets it; the sdk does not reconnect on it). Private-use
 * range, clear of Colyseus's own 4000-4010.
 */
export const PLAYER_REMOVED_CLOSE_CODE = 4100

/** Server -> client `destroyed` message: entities that despawned while in the client's view. */
export interface DestroyedMessage {
  keys: string[]
}
