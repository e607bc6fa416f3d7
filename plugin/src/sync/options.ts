import type { Vec3Store } from '../ecs/components'
import { checkInteger, checkKeys, checkObject, checkRange, definedOver, describeGiven, describeValue } from '../ecs/validate'

/** Options of the `AttentionPlugin`. */
export interface AttentionPluginOptions {
  /**
   * Schema view tag per attention band, indexed by `Band` (Low, Medium, High). A member is added to
   * its client's view with the tag of its band, so fields marked `.view(tag)` are sent only at
   * that band or above. 0 means the default tag (only untagged fields). Tags are bit masks
   * (powers of two or their unions). @defaultValue [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail]
   */
  bandTags?: readonly [number, number, number] | undefined
  /** At most this many entities enter one view per patch, highest attention first. @defaultValue 24 */
  entryBudget?: number | undefined
  /** Clients bound to the same observer entity share one StateView (encoded once). @defaultValue true */
  shareViews?: boolean | undefined
  /**
   * Called just before an entity is sent at a band whose tag the view did not hold yet (entering,
   * or moving up a band), once per entity per sync, and again in that sync when a later view
   * receives it at a higher band than the last call said. Games that write full-rate fields only
   * for entities someone watches closely (see `watchBand`) refresh those fields here, at least
   * those of `band`, so a client never receives a stale value.
   */
  refresh?: ((eid: number, band: number) => void) | undefined
  /**
   * Encode each view from the changes it can see instead of walking every change of the room once
   * per view (see `installViewEncoding`). The bytes are identical to Colyseus' own; the cost per
   * view follows the view's members, not the room. (Whatever this says, the plugin makes clients
   * that share a view receive the same patch.) @defaultValue true
   */
  fastViewEncoding?: boolean | undefined
  /**
   * A hard bound on what a client may receive: no entity farther than `maxRange` from the
   * observer (3D distance between `Position`s, as the engine measures its radius) is ever in that
   * client's view, whatever the engine selected. The radius alone is no bound: look-ahead, nimbus
   * and hysteresis select entities beyond it. Use it for fog of war and against wall-hack clients.
   * Owned and always-relevant entities are cut too; only the observer itself is exempt. Needs
   * `positions`. Checked at every sync, so an entity that moves out is removed in the same patch.
   * @defaultValue undefined (no bound beyond the engine's selection)
   */
  maxRange?: number | undefined
  /** The `Position` store the system reads (`C.Position`), for `maxRange`. */
  positions?: Vec3Store | undefined
}

/** Suggested schema view tags for entity fields: mark full-rate motion fields `.view(AttentionTags.Motion)` and detail fields `.view(AttentionTags.Detail)`. */
export const AttentionTags = {
  /** Full-rate motion (position, heading): sent at Medium and High attention. */
  Motion: 1,
  /** Detail (health, animation state, equipment): sent at High attention. */
  Detail: 2,
} as const

/** Plugin options with defaults filled in and validated. */
export interface ResolvedPluginOptions {
  bandTags: readonly [number, number, number]
  entryBudget: number
  shareViews: boolean
  refresh: ((eid: number, band: number) => void) | null
  fastViewEncoding: boolean
  /** `maxRange` squared, Infinity when unbounded. */
  maxRange2: number
  positions: Vec3Store | null
}

/** Every option, for the unknown-key check (a misspelt key would leave its option at the default without a word). */
const OPTION_KEYS: Record<keyof AttentionPluginOptions, true> = {
  bandTags: true,
  entryBudget: true,
  shareViews: true,
  refresh: true,
  fastViewEncoding: true,
  maxRange: true,
  positions: true,
}

/**
 * Throws a TypeError unless `o` is an options object, and a RangeError naming the first key that is
 * no option (with the option it may be a misspelling of) and listing the options.
 * @param where - who takes the options, for the message: `AttentionPlugin`, `use(system, options)`.
 */
export function checkOptionKeys(where: string, o: unknown): asserts o is AttentionPluginOptions {
  checkObject(where, o)
  checkKeys(where, o, Object.keys(OPTION_KEYS))
}

/**
 * The constructor's options with `use()`'s overrides on top. An override left `undefined` is not
 * given: `use(system, { maxRange: undefined })` keeps the constructor's bound, it does not lift it.
 */
export function mergeOptions(given: AttentionPluginOptions, overrides: AttentionPluginOptions): AttentionPluginOptions {
  return definedOver(given, overrides)
}

/** Fills defaults and validates; errors name the option, the value and the allowed range. */
export function resolvePluginOptions(o: unknown = {}): ResolvedPluginOptions {
  checkOptionKeys('AttentionPlugin', o)
  // only undefined is "not given": a null would otherwise replace, in use(), the constructor's value by the default
  const tags: unknown = o.bandTags === undefined ? [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail] : o.bandTags
  if (!Array.isArray(tags) || tags.length !== 3) {
    const got = Array.isArray(tags) ? `[${tags.join(', ')}]` : ArrayBuffer.isView(tags) ? `a ${tags.constructor.name}` : describeValue(tags)
    throw new RangeError(`colyseus-attention: bandTags must be an array of 3 tags [low, medium, high]; got ${got}`)
  }
  // index by index: forEach would skip the hole of a sparse array
  for (let i = 0; i < 3; i++) checkInteger(`bandTags[${i}]`, tags[i] as number, 0, 0x7fffffff)
  // a copy: the caller's array changed later would change the tag of every entry already in a view,
  // and a removal then clears the new tag, leaving the old one's fields with the client
  const bandTags = Object.freeze([tags[0], tags[1], tags[2]]) as readonly [number, number, number]
  const entryBudget = o.entryBudget === undefined ? 24 : o.entryBudget
  checkInteger('entryBudget', entryBudget, 1, 65535)
  const shareViews = o.shareViews === undefined ? true : o.shareViews
  if (typeof shareViews !== 'boolean') throw new TypeError(`colyseus-attention: shareViews must be true or false; got ${describeGiven(shareViews)}`)
  const refresh = o.refresh === undefined ? null : o.refresh
  if (o.refresh !== undefined && typeof refresh !== 'function') throw new TypeError(`colyseus-attention: refresh must be a function (eid, band) => void; got ${describeGiven(refresh)}`)
  const fastViewEncoding = o.fastViewEncoding === undefined ? true : o.fastViewEncoding
  if (typeof fastViewEncoding !== 'boolean') throw new TypeError(`colyseus-attention: fastViewEncoding must be true or false; got ${describeGiven(fastViewEncoding)}`)
  const maxRange = o.maxRange
  if (maxRange !== undefined) checkRange('maxRange', maxRange, 0, Infinity, true)
  const positions = o.positions === undefined ? null : o.positions
  if (o.positions !== undefined && !isVec3Store(positions)) {
    // a store of another type would measure wrapped or truncated positions: the bound would lapse
    const p = positions as Partial<Record<'x' | 'y' | 'z', unknown>> | null
    const wrong = typeof p === 'object' && p !== null ? (['x', 'y', 'z'] as const).find((k) => !isFloatColumn(p[k])) : undefined
    const got = wrong !== undefined && ArrayBuffer.isView(p![wrong]) ? `positions.${wrong} is a ${p![wrong]!.constructor.name}` : describeGiven(positions)
    throw new TypeError(`colyseus-attention: positions must be the Position store the system reads (C.Position: { x, y, z } Float32Arrays); got ${got}`)
  }
  return { bandTags, entryBudget, shareViews, refresh, fastViewEncoding, maxRange2: maxRange === undefined ? Infinity : maxRange * maxRange, positions }
}

/**
 * Checks, once the system is known, that a `maxRange` has the positions it needs, sized for the
 * system's entity ids.
 */
export function checkRangeSource(o: ResolvedPluginOptions, capacity: number): void {
  if (o.maxRange2 === Infinity) return
  if (o.positions === null) {
    throw new TypeError(
      'colyseus-attention: maxRange needs the positions it measures: pass positions: C.Position with it, e.g. use(system, { maxRange: 60, positions: C.Position })',
    )
  }
  const n = Math.min(o.positions.x.length, o.positions.y.length, o.positions.z.length)
  if (n < capacity) throw new RangeError(`colyseus-attention: positions hold ${n} entities, fewer than the system's capacity ${capacity}: pass the system's own C.Position`)
}

function isFloatColumn(a: unknown): boolean {
  return a instanceof Float32Array
}

function isVec3Store(v: unknown): v is Vec3Store {
  const p = v as Partial<Vec3Store> | null
  return typeof p === 'object' && p !== null && isFloatColumn(p.x) && isFloatColumn(p.y) && isFloatColumn(p.z)
}
