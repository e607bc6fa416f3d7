import { checkInteger, describeValue } from '../ecs/validate'

/** Options of the `AttentionPlugin`. */
export interface AttentionPluginOptions {
  /**
   * Schema view tag per attention band, indexed by `Band` (Low, Medium, High). A member is added to
   * its client's view with the tag of its band, so fields marked `.view(tag)` are sent only at
   * that band or above. 0 means the default tag (only untagged fields). Tags are bit masks
   * (powers of two or their unions). @defaultValue [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail]
   */
  bandTags?: readonly [number, number, number]
  /** At most this many entities enter one view per patch, highest attention first. @defaultValue 24 */
  entryBudget?: number
  /** Clients bound to the same observer entity share one StateView (encoded once). @defaultValue true */
  shareViews?: boolean
  /**
   * Called just before an entity is sent at a band whose tag the view did not hold yet (entering,
   * or moving up a band), once per entity per sync. Games that write full-rate fields only for
   * entities someone watches closely (see `watchBand`) refresh those fields here, so a client
   * never receives a stale value.
   */
  refresh?: (eid: number, band: number) => void
  /**
   * Encode each view from the changes it can see instead of walking every change of the room once
   * per view (see `installViewEncoding`). The bytes are identical to Colyseus' own; the cost per
   * view follows the view's members, not the room. (Whatever this says, the plugin makes clients
   * that share a view receive the same patch.) @defaultValue true
   */
  fastViewEncoding?: boolean
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
}

/** Fills defaults and validates; errors name the option, the value and the allowed range. */
export function resolvePluginOptions(o: AttentionPluginOptions = {}): ResolvedPluginOptions {
  const bandTags = o.bandTags ?? ([0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail] as const)
  if (!Array.isArray(bandTags) || bandTags.length !== 3) {
    throw new RangeError(`colyseus-attention: bandTags must be an array of 3 tags [low, medium, high]; got ${describeValue(bandTags)}`)
  }
  bandTags.forEach((tag, i) => checkInteger(`bandTags[${i}]`, tag, 0, 0x7fffffff))
  const entryBudget = o.entryBudget ?? 24
  checkInteger('entryBudget', entryBudget, 1, 65535)
  const shareViews = o.shareViews ?? true
  if (typeof shareViews !== 'boolean') throw new TypeError(`colyseus-attention: shareViews must be a boolean; got ${describeValue(shareViews)}`)
  const refresh = o.refresh ?? null
  if (refresh !== null && typeof refresh !== 'function') throw new TypeError(`colyseus-attention: refresh must be a function (eid, band) => void; got ${describeValue(refresh)}`)
  const fastViewEncoding = o.fastViewEncoding ?? true
  if (typeof fastViewEncoding !== 'boolean') throw new TypeError(`colyseus-attention: fastViewEncoding must be a boolean; got ${describeValue(fastViewEncoding)}`)
  return { bandTags, entryBudget, shareViews, refresh, fastViewEncoding }
}
