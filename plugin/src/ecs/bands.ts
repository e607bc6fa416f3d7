// Owns: the attention bands: which band a member's score reaches (with the band hysteresis), what
// a member costs at each band, and which band the byte budget's detail share pays for. Selection
// (selection.ts) and the byte budget (byte-budget.ts) call these; docs/concepts.md sections 6 and
// 6b are their specification. Scores are passed as (array, row), never as a double: see
// PERFORMANCE.md, "doubles across calls"; and bands are the literals 0, 1, 2 (Band.Low, Medium,
// High) inside the helpers, see "constants in locals".
import { Rule } from './rules'
import { checkRange } from './validate'

/**
 * Attention band of an interest-set member: the plugin's `bandTags[band]` is the view tag it is sent
 * with, so the band selects which fields its client receives (level of detail). How often they
 * change is the game's write schedule (docs/sync.md, "Update-rate tiers").
 */
export const Band = {
  /** Untagged (coarse) fields only, with the default `bandTags`. */
  Low: 0,
  /** Untagged and motion fields, with the default `bandTags`. */
  Medium: 1,
  /** Every field, with the default `bandTags`. */
  High: 2,
} as const
/** One of {@link Band}'s values. */
export type Band = (typeof Band)[keyof typeof Band]

/** Score thresholds that choose a member's band; leaving a band needs `margin` below its threshold. */
export interface BandOptions {
  /** Score at or above which a member is {@link Band.High}. @defaultValue 3.5 */
  high: number
  /** Score at or above which a member is {@link Band.Medium}. @defaultValue 2 */
  medium: number
  /** Hysteresis margin below a band's threshold before the member drops a band. @defaultValue 0.25 */
  margin: number
}

/**
 * What one member costs its client per second at each band, in bytes, for observers with a byte
 * budget (`Observer.byteBudget`). Defaults fit a schema whose Low band carries a coarse position
 * refreshed a few times a second and whose Medium/High bands add full-rate motion; the plugin
 * corrects them per client from what the encoder actually sent (`reportBytes`).
 */
export interface ByteCostOptions {
  /** Bytes per second of a Low member. @defaultValue 22 */
  low: number
  /** Bytes per second of a Medium member. @defaultValue 360 */
  medium: number
  /** Bytes per second of a High member. @defaultValue 362 */
  high: number
  /**
   * Bytes one entry costs its client once, on top of its band's rate: the entity's first send
   * (its untagged fields) and, when it leaves, its removal. Under a byte budget it sets the entry
   * premium (docs/concepts.md 6b): a member from before the tick stays bought down to
   * `T ln(1 + enter / low)` below the byte price, while a row that is no member yet must reach the
   * price, so a member keeps its place against an outsider of nearly the same score. It moves that
   * score threshold (not applied to a budget read at its floor); the spend and the estimate count
   * it only for a row that stands still, whose Low is discounted to `still` (docs/concepts.md 6b,
   * "Still rows"); 0 turns it off. @defaultValue 24
   */
  enter: number
  /**
   * Most of a byte budget, after the rule members' cost, that Medium and High members may take
   * (0..1); the rest keeps the surroundings covered at Low. @defaultValue 0.5
   */
  detailShare: number
  /**
   * Share of its band's cost that a rule member (self, owned, always-relevant) is charged while it
   * stands still (no velocity, or zero), and of Low a non-rule member with a zero Velocity (one
   * without Velocity is charged in full: a game may move it by its Position alone): held, it costs
   * only what changes on it (0..1). Such a non-rule row also pays `enter` in the tick it is bought
   * as a new member. The observer's own avatar starts here, then is charged the share its client's
   * reports show while it stands still (`reportBytes`; docs/concepts.md 6b). @defaultValue 0.1
   */
  still: number
  /**
   * Most a single second may spend, as a multiple of the byte budget (1..100): the budget holds on
   * average, so a second where much is worth sending (a crowd ahead) may spend up to this much,
   * paid for by quieter seconds. 1 makes the budget a hard cap on every second. @defaultValue 4
   */
  burst: number
  /**
   * How fast the byte price follows the spend once it has settled: the price (the score a
   * non-rule member must reach under a byte budget) moves by `priceRate * T` per second for each
   * unit of relative over- or under-spend, `T` the observer's temperature (0..100; 0 keeps the
   * price where it settled). Slow on purpose: the budget holds over minutes, so a crowd may
   * take more than `B` for a while, paid for by the quiet seconds around it (docs/concepts.md 6b).
   * @defaultValue 0.02
   */
  priceRate: number
  /**
   * How fast the price moves right after it opens (a new observer, or a changed budget), in the
   * same unit as `priceRate` (0..100): the rate starts here and fades to `priceRate` with the time
   * constant `settleSeconds`, so that a new observer's price finds its level within seconds.
   * @defaultValue 0.25
   */
  settleRate: number
  /**
   * Time constant in seconds of the fade from `settleRate` to `priceRate` (0..1e6; 0: `priceRate`
   * from the start), and the age until which the measured byte ratio shifts the price at once (by
   * `T ln ratio`; after it, the ratio moves the price only through the spend; 0: never).
   * @defaultValue 10
   */
  settleSeconds: number
  /**
   * Seconds after the price opens when it opens once more, from the set the observer then holds
   * (0..1e6; 0: never): the first opening sees every row as an entrant, on one tick, often the
   * world's first, so it prices a crowd by its entries; this one prices the set by what its rows
   * cost held (Low, or `still` of Low standing still) within the budget, its entries within
   * `burst` times it. Not on a tick whose budget is read at its floor (docs/concepts.md 6b).
   * @defaultValue 1
   */
  reopenSeconds: number
}

/** Default band thresholds. */
export const DEFAULT_BANDS: Readonly<BandOptions> = Object.freeze({ high: 3.5, medium: 2, margin: 0.25 })

/** Default byte costs per member and band. */
export const DEFAULT_BYTE_COSTS: Readonly<ByteCostOptions> = Object.freeze({ low: 22, medium: 360, high: 362, enter: 24, detailShare: 0.5, still: 0.1, burst: 4, priceRate: 0.02, settleRate: 0.25, settleSeconds: 10, reopenSeconds: 1 })

/**
 * The entry premium at temperature `T` (docs/concepts.md 6b): how far below the byte price a
 * member from before the tick stays bought, `T ln(1 + enter / low)`; an outsider's first second
 * costs `low + enter` where a member's costs `low`. The measured ratio scales both costs alike.
 */
export function entryPremium(costs: ByteCostOptions, temperature: number): number {
  return temperature * Math.log1p(costs.enter / costs.low)
}

/** Throws a RangeError naming the option unless the thresholds and costs are ordered and in range. */
export function checkBands(bands: BandOptions, costs: ByteCostOptions): void {
  checkRange('bands.medium', bands.medium, -1e9, 1e9)
  checkRange('bands.high', bands.high, bands.medium, 1e9)
  checkRange('bands.margin', bands.margin, 0, 1e9)
  checkRange('byteCosts.low', costs.low, 0, 1e9, true)
  checkRange('byteCosts.medium', costs.medium, costs.low, 1e9)
  checkRange('byteCosts.high', costs.high, costs.medium, 1e9)
  checkRange('byteCosts.enter', costs.enter, 0, 1e9)
  checkRange('byteCosts.detailShare', costs.detailShare, 0, 1)
  checkRange('byteCosts.still', costs.still, 0, 1)
  checkRange('byteCosts.burst', costs.burst, 1, 100)
  checkRange('byteCosts.priceRate', costs.priceRate, 0, 100)
  checkRange('byteCosts.settleRate', costs.settleRate, 0, 100)
  checkRange('byteCosts.settleSeconds', costs.settleSeconds, 0, 1e6)
  checkRange('byteCosts.reopenSeconds', costs.reopenSeconds, 0, 1e6)
}

/**
 * The band a score reaches without hysteresis: the number of thresholds at or below it (`high >=
 * medium`, so no branch on the score).
 * @param scores - scores by row.
 * @param row - the row, or -1 when not scored (Low, as is a NaN score).
 * @returns a {@link Band} value.
 */
export function rawBand(scores: Float32Array, row: number, b: BandOptions): number {
  if (row < 0) return 0
  const s = scores[row]!
  return Number(s >= b.high) + Number(s >= b.medium)
}

/**
 * A member's band this tick. Self and owned members are High; an unscored member (or a NaN score)
 * is Low; a scored one rises to its raw band at once and drops only when its score is below the
 * current band's threshold minus the margin, to the highest band whose threshold minus the margin
 * it reaches. An entrant passes `current = Band.Low` (it takes its raw band).
 * @param current - the member's band after the previous tick (Low for an entrant).
 * @param rule - the member's {@link Rule}.
 * @param scores - scores by row.
 * @param row - the member's row, or -1 when not scored this tick.
 * @returns a {@link Band} value.
 */
export function memberBand(current: number, rule: number, scores: Float32Array, row: number, b: BandOptions): number {
  if (rule === Rule.Self || rule === Rule.Owned) return 2
  if (row < 0) return 0
  const s = scores[row]!
  // a scorer's NaN bands the same way as no score
  if (s !== s) return 0
  const band = Number(s >= b.high) + Number(s >= b.medium)
  if (band >= current) return band
  if (current === 2 && s >= b.high - b.margin) return 2
  if (current >= 1 && s >= b.medium - b.margin) return 1
  return 0
}

// Slots of a detail account (see createDetailAccount).
const DETAIL_CAP = 3
const DETAIL_SPENT = 4

/**
 * A byte account for the detail share: the cost of a member at each band in slots `[Band.X]`,
 * then the detail cap and what Medium and High members have spent of it. A typed array, so the
 * helpers below take and return no doubles.
 */
export function createDetailAccount(): Float64Array {
  return new Float64Array(5)
}

/**
 * Opens a detail account: band costs `costs.x * scale`, cap `cap`, nothing spent.
 * Once per observer, outside the member loops.
 */
export function openDetailAccount(acct: Float64Array, costs: ByteCostOptions, scale: number, cap: number): void {
  acct[0] = costs.low * scale
  acct[1] = costs.medium * scale
  acct[2] = costs.high * scale
  acct[DETAIL_CAP] = cap
  acct[DETAIL_SPENT] = 0
}

/**
 * The band a member that wants band `want` gets from the detail share: High if its cost still fits
 * the cap, else Medium if it wants at least Medium and that fits, else Low. Does not charge it.
 * @returns a {@link Band} value; its cost is `acct[band]`.
 */
export function detailBand(want: number, acct: Float64Array): number {
  const spent = acct[DETAIL_SPENT]!
  const cap = acct[DETAIL_CAP]!
  if (want === 2 && spent + acct[2]! <= cap) return 2
  if (want >= 1 && spent + acct[1]! <= cap) return 1
  return 0
}

/** Adds the cost of `band` (`acct[band]`) to the account's detail spend. */
export function chargeDetail(acct: Float64Array, band: number): void {
  acct[DETAIL_SPENT] = acct[DETAIL_SPENT]! + acct[band]!
}
