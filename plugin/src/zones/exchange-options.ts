import { $internal, type World } from 'bitecs'
import type { AttentionComponents } from '../ecs/components'
import { checkInteger, checkKeys, checkKind, checkObject, checkRange, describeGiven, describeValue, integerMessage, rangeMessage } from '../ecs/validate'
import { FIELD_FORMATS, fieldLayout, HEADER_BYTES, maxRecordBytes, positionFrames, type BorderFieldFormat, type FieldLayout, type PositionFrames } from './border-codec'
import { checkGrid, type ZoneGrid } from './zone-grid'

/** The border exchange's default channel prefix (option `channel`). */
export const DEFAULT_CHANNEL = 'attention:zone'

/**
 * The channel zone `zone` publishes its border summaries on (`'*'`: a pattern for every zone's).
 * @param channel - the exchange's `channel` option. @defaultValue 'attention:zone'
 */
export function summaryChannel(zone: number | '*', channel: string = DEFAULT_CHANNEL): string {
  return `${channel}:${zone}`
}

/**
 * The inbox channel of zone `zone`, where its neighbours hand it entities (`'*'`: a pattern for
 * every zone's). Only the zone's own exchange subscribes to it, for as long as it runs: a zone whose
 * inbox has a subscriber (the presence's `channels(pattern)`) has a live room.
 * @param channel - the exchange's `channel` option. @defaultValue 'attention:zone'
 */
export function inboxChannel(zone: number | '*', channel: string = DEFAULT_CHANNEL): string {
  return `${channel}:${zone}:in`
}

/** What a border exchange needs: a Colyseus `Presence` (the room's `this.presence`) satisfies it. */
export interface BorderPresence {
  /** Sends `data` (JSON) to every subscriber of `topic`. */
  publish(topic: string, data: unknown): unknown
  /** Calls `callback` with each message published on `topic`. */
  subscribe(topic: string, callback: (...args: any[]) => void): unknown
  /** Stops `callback` (or every callback) receiving `topic`. */
  unsubscribe(topic: string, callback?: (...args: any[]) => void): unknown
}

/** What the game hears about shared entities. Each callback gets the record's fields (reused: copy what you keep). */
export interface BorderEvents {
  /** A ghost appeared: create its replicated instance, keyed by `gid`. */
  added?(eid: number, gid: number, fields: Float32Array): void
  /** A ghost's source sent a new state (position and velocity are already in the components). */
  updated?(eid: number, fields: Float32Array): void
  /** A ghost is about to be removed from the world (its source stopped listing it, or went silent). */
  removed?(eid: number): void
  /** A neighbour handed `eid` over: it is now local (it may have been a ghost until now). Simulate it. */
  adopted?(eid: number, gid: number, fields: Float32Array): void
  /** Local `eid` left the zone and was handed to zone `dest`: it is a ghost now; stop simulating it. */
  released?(eid: number, dest: number): void
}

/** Options of `createBorderExchange`. */
export interface BorderExchangeOptions {
  /** The bitECS world of the zone room. */
  world: World
  /** The attention components of that world. */
  components: AttentionComponents
  /** Pub/sub: the room's `this.presence` (RedisPresence across processes). */
  presence: BorderPresence
  /** The zone grid shared by every zone room. */
  grid: ZoneGrid
  /** This room's zone index (0 .. columns * rows - 1). */
  zone: number
  /**
   * Entities within this distance of a neighbouring zone are published to it. Set it to at least
   * the largest observer radius plus nimbus. At most the smaller side of a zone: only neighbouring
   * zones exchange, so a wider margin would need entities two zones away.
   */
  margin: number
  /** Minimum time between two summaries, in ms. @defaultValue 50 */
  intervalMs?: number | undefined
  /** Every this many summaries is a keyframe listing every border entity; the others list only what changed. @defaultValue 10 */
  keyframeEvery?: number | undefined
  /** A delta resends an entity when its velocity changed, or its position is off the neighbours' extrapolation, by more than this (world units). @defaultValue 1 */
  tolerance?: number | undefined
  /** A delta resends an entity at most once per this many ms of simulation time (new entities and departures go at once). @defaultValue 0 */
  minResendMs?: number | undefined
  /** Per field: a delta resends an entity when the field changed by more than this (an angle can take 0.1 rad). @defaultValue 0 for every field */
  fieldTolerance?: readonly number[] | undefined
  /** A ghost not refreshed for this long is removed; a link whose own messages don't come back for this long is down. @defaultValue 1000 */
  ttlMs?: number | undefined
  /** Number of game fields carried per entity (kind, health, animation...), each in its `fieldFormats` format. @defaultValue 0 */
  fields?: number | undefined
  /**
   * Per field: how it travels. `'f32'` (4 bytes), `'f16'` (2 bytes, about 3 significant digits: an
   * angle, a speed), or an integer `'u8'`, `'i8'`, `'u16'`, `'i16'` (1 or 2 bytes: a kind, health, a
   * mode; rounded to the nearest integer and clamped to the type's range). Both sides of a border
   * must declare the same formats (a message with others is dropped as "layout mismatch").
   * @defaultValue 'f32' for every field
   */
  fieldFormats?: readonly BorderFieldFormat[] | undefined
  /** Writes the `fields` values of local entity `eid` into `out`. Required when `fields` > 0. */
  readFields?: ((eid: number, out: Float32Array) => void) | undefined
  /** Ghost and handover callbacks. */
  events?: BorderEvents | undefined
  /** Called when the presence link is lost (false) and when it is back (true). */
  onLinkChange?: ((up: boolean) => void) | undefined
  /** Hand entities that leave the zone to the neighbour they enter. @defaultValue true */
  handover?: boolean | undefined
  /**
   * Largest message, in bytes (before base64): a larger one received is dropped and counted, and a
   * summary or handover that would be larger goes in several messages. At least the header and one
   * record (28 + 39 bytes, plus the fields' bytes). @defaultValue 262144
   */
  maxMessageBytes?: number | undefined
  /** Most entities in one summary. @defaultValue 2048 */
  maxEntities?: number | undefined
  /** Channel name prefix: zone z publishes on `${channel}:${z}`. @defaultValue 'attention:zone' */
  channel?: string | undefined
  /** Clock in ms (tests). @defaultValue Date.now */
  now?: (() => number) | undefined
}

/** Counters of an exchange since its creation. */
export interface BorderStats {
  /** Messages published. */
  published: number
  /** Base64 characters published. */
  publishedBytes: number
  /** Valid messages received (own echo included). */
  received: number
  /** Base64 characters of the valid messages received. */
  receivedBytes: number
  /** Messages dropped as malformed, oversized or unexpected. */
  dropped: number
  /** Dropped messages by reason. */
  dropReasons: Record<string, number>
  /** Summaries and handovers ignored: arrived too late (queued during an outage), out of order, or a second time. */
  stale: number
  /** Ghosts in the world now. */
  ghosts: number
  /** Entities handed to a neighbour. */
  handedOut: number
  /** Entities taken over from a neighbour. */
  handedIn: number
  /** False while this room's own messages do not come back through the presence. */
  linkUp: boolean
  /** Publish-to-receive delay of the last neighbour summary, in ms. */
  delayMs: number
}

/** Options with defaults filled in. */
export interface ResolvedExchangeOptions {
  world: World
  components: AttentionComponents
  presence: BorderPresence
  grid: ZoneGrid
  zone: number
  margin: number
  intervalMs: number
  keyframeEvery: number
  tolerance: number
  minResendMs: number
  fieldTolerance: Float32Array
  ttlMs: number
  fields: number
  /** The fields' wire formats (and the grid's hash). */
  layout: FieldLayout
  /** Where records' u16 positions point, per zone. */
  frames: PositionFrames
  readFields: (eid: number, out: Float32Array) => void
  events: BorderEvents
  onLinkChange: ((up: boolean) => void) | null
  handover: boolean
  maxMessageBytes: number
  maxEntities: number
  channel: string
  now: () => number
}

// Every option and every event by name: a misspelled one fails at creation instead of being
// ignored (the Record types make the compiler keep these lists complete).
const OPTION_KEYS: Record<keyof BorderExchangeOptions, true> = {
  world: true, components: true, presence: true, grid: true, zone: true, margin: true, intervalMs: true,
  keyframeEvery: true, tolerance: true, minResendMs: true, fieldTolerance: true, ttlMs: true, fields: true,
  fieldFormats: true, readFields: true, events: true, onLinkChange: true, handover: true,
  maxMessageBytes: true, maxEntities: true, channel: true, now: true,
}
const EVENT_KEYS: Record<keyof BorderEvents, true> = { added: true, updated: true, removed: true, adopted: true, released: true }

/** Fills defaults and validates; errors name the option, the value and the allowed range. */
export function resolveExchangeOptions(o: BorderExchangeOptions): ResolvedExchangeOptions {
  checkObject('createBorderExchange', o)
  checkKeys('createBorderExchange', o, Object.keys(OPTION_KEYS))
  // a bitECS world carries its internals under a registered symbol (the same in bitecs' ESM and CJS builds)
  if (typeof o.world !== 'object' || o.world === null || !($internal in o.world)) {
    throw new TypeError(`colyseus-attention: world must be the zone room's bitECS world (createWorld()); got ${describeGiven(o.world)}`)
  }
  const p = o.presence
  checkPresence(p)
  checkComponents(o.components)
  checkGrid(o.grid, 'createBorderExchange')
  const zones = o.grid.columns * o.grid.rows
  checkInteger('zone', o.zone, 0, Math.max(0, zones - 1))
  // only neighbours exchange: beyond the smaller side of a zone, a margin would reach zones two away
  const maxMargin = Math.min(o.grid.width / o.grid.columns, o.grid.height / o.grid.rows)
  if (typeof o.margin !== 'number' || !Number.isFinite(o.margin) || o.margin <= 0 || o.margin > maxMargin) {
    throw new RangeError(`${rangeMessage('margin', o.margin, 0, maxMargin, true)} (the smaller side of a zone of this grid: only neighbouring zones exchange, so a wider margin would need entities two zones away; use fewer zones or a smaller margin)`)
  }
  const intervalMs = o.intervalMs ?? 50
  checkRange('intervalMs', intervalMs, 0, 60_000)
  const keyframeEvery = o.keyframeEvery ?? 10
  checkInteger('keyframeEvery', keyframeEvery, 1, 10_000)
  const tolerance = o.tolerance ?? 1
  checkRange('tolerance', tolerance, 0, 1e9)
  const ttlMs = o.ttlMs ?? 1000
  checkRange('ttlMs', ttlMs, 0, 600_000, true)
  const fields = o.fields ?? 0
  checkInteger('fields', fields, 0, 255)
  if (fields > 0 && typeof o.readFields !== 'function') throw new TypeError(`colyseus-attention: readFields(eid, out) is required when fields is ${fields}`)
  const minResendMs = o.minResendMs ?? 0
  checkRange('minResendMs', minResendMs, 0, 600_000)
  const fieldTolerance = new Float32Array(Math.max(1, fields))
  if (o.fieldTolerance !== undefined) {
    if (!Array.isArray(o.fieldTolerance) || o.fieldTolerance.length !== fields) throw new RangeError(`colyseus-attention: fieldTolerance must have one number per field (${fields}); got ${String(o.fieldTolerance)}`)
    // by index, not forEach: a hole ([, 1]) must fail as undefined, not be skipped
    for (let i = 0; i < fields; i++) {
      const v = o.fieldTolerance[i]!
      checkRange(`fieldTolerance[${i}]`, v, 0, 1e9)
      fieldTolerance[i] = v
    }
  }
  let formats: BorderFieldFormat[] = new Array<BorderFieldFormat>(fields).fill('f32')
  if (o.fieldFormats !== undefined) {
    if (!Array.isArray(o.fieldFormats) || o.fieldFormats.length !== fields) throw new RangeError(`colyseus-attention: fieldFormats must have one format per field (${fields}); got ${String(o.fieldFormats)}`)
    for (let i = 0; i < fields; i++) {
      const f = o.fieldFormats[i]!
      if (!FIELD_FORMATS.includes(f)) throw new RangeError(`colyseus-attention: fieldFormats[${i}] must be one of ${FIELD_FORMATS.map((x) => `'${x}'`).join(', ')}; got ${String(f)}`)
    }
    formats = [...o.fieldFormats]
  }
  const layout = fieldLayout(formats, o.grid)
  const maxMessageBytes = o.maxMessageBytes ?? 262_144
  // a message holds the header and at least one record of the largest kind, or nothing crosses
  const least = HEADER_BYTES + maxRecordBytes(layout)
  if (typeof maxMessageBytes !== 'number' || !Number.isInteger(maxMessageBytes) || maxMessageBytes < least || maxMessageBytes > 64 * 1024 * 1024) {
    throw new RangeError(
      `${integerMessage('maxMessageBytes', maxMessageBytes, least, 64 * 1024 * 1024)} (a message must hold its ${HEADER_BYTES}-byte header and one record ` +
        `of up to ${least - HEADER_BYTES} bytes with ${fields} field${fields === 1 ? '' : 's'} in these fieldFormats)`,
    )
  }
  const maxEntities = o.maxEntities ?? 2048
  checkInteger('maxEntities', maxEntities, 1, 65535)
  if (o.events !== undefined) {
    checkObject('createBorderExchange', o.events, 'events', 'an object of callbacks')
    checkKeys('createBorderExchange', o.events, Object.keys(EVENT_KEYS), 'events')
    for (const [name, f] of Object.entries(o.events)) {
      if (f !== undefined && typeof f !== 'function') throw new TypeError(`colyseus-attention: events.${name} must be a function; got ${describeValue(f)}`)
    }
  }
  const channel = o.channel ?? DEFAULT_CHANNEL
  if (typeof channel !== 'string' || channel.length === 0) throw new TypeError(`colyseus-attention: channel must be a non-empty string; got ${describeGiven(channel)}`)
  // callbacks and switches are checked here, not where they are first used (a tick seconds later)
  if (o.readFields !== undefined) checkKind('readFields', o.readFields, 'function')
  if (o.onLinkChange !== undefined && o.onLinkChange !== null) checkKind('onLinkChange', o.onLinkChange, 'function')
  if (o.handover !== undefined) checkKind('handover', o.handover, 'boolean')
  if (o.now !== undefined) checkKind('now', o.now, 'function')
  return {
    world: o.world,
    components: o.components,
    presence: p,
    grid: o.grid,
    zone: o.zone,
    margin: o.margin,
    intervalMs,
    keyframeEvery,
    tolerance,
    minResendMs,
    fieldTolerance,
    ttlMs,
    fields,
    layout,
    frames: positionFrames(o.grid, tolerance),
    readFields: o.readFields ?? (() => {}),
    events: o.events ?? {},
    onLinkChange: o.onLinkChange ?? null,
    handover: o.handover ?? true,
    maxMessageBytes,
    maxEntities,
    channel,
    now: o.now ?? Date.now,
  }
}

/** The presence functions the exchange calls: publish and subscribe while it runs, unsubscribe in `close()`. */
const PRESENCE_METHODS = ['publish', 'subscribe', 'unsubscribe'] as const

/** Throws a TypeError unless `p` has every function of {@link BorderPresence}, naming the first missing. */
function checkPresence(p: BorderPresence): void {
  const what = "colyseus-attention: presence must have publish, subscribe and unsubscribe functions (pass the room's this.presence)"
  if (typeof p !== 'object' || p === null) throw new TypeError(`${what}; got ${describeGiven(p)}`)
  for (const name of PRESENCE_METHODS) {
    if (typeof p[name] !== 'function') throw new TypeError(`${what}; got an object whose ${name} is ${describeGiven(p[name])}`)
  }
}

/**
 * Throws unless `C` looks like what createAttentionComponents returns: an integer capacity, and
 * Position and Velocity with x, y and z typed arrays at least `capacity` long (the exchange reads
 * and writes them by entity id; a missing store would publish nothing, silently).
 */
function checkComponents(C: AttentionComponents): void {
  const from = 'the object returned by createAttentionComponents(capacity)'
  if (typeof C !== 'object' || C === null) throw new TypeError(`colyseus-attention: components must be ${from}; got ${describeGiven(C)}`)
  const capacity = C.capacity
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`colyseus-attention: components.capacity must be an integer >= 1 (components must be ${from}); got ${describeValue(capacity)}`)
  }
  for (const store of ['Position', 'Velocity'] as const) {
    const s = C[store] as { x?: unknown; y?: unknown; z?: unknown } | undefined
    if (typeof s !== 'object' || s === null) throw new TypeError(`colyseus-attention: components.${store} must be an object with x, y and z typed arrays (components must be ${from}); got ${describeGiven(s)}`)
    for (const axis of ['x', 'y', 'z'] as const) {
      const a = s[axis]
      const float = a instanceof Float32Array || a instanceof Float64Array
      if (!float || a.length < capacity) {
        const message = `colyseus-attention: components.${store}.${axis} must be a Float32Array or Float64Array of at least capacity (${capacity}) numbers (components must be ${from}); got ${describeStore(a)}`
        // the right kind of store, too short: a number out of range
        throw float ? new RangeError(message) : new TypeError(message)
      }
    }
  }
}

/** A store as an error shows it: `a Float32Array of 8`, else as {@link describeGiven}. */
function describeStore(a: unknown): string {
  return ArrayBuffer.isView(a) ? `a ${a.constructor.name} of ${(a as unknown as ArrayLike<number>).length}` : describeGiven(a)
}
