import { checkBands, DEFAULT_BANDS, DEFAULT_BYTE_COSTS, type BandOptions, type ByteCostOptions } from './bands'
import { checkComponents, type AttentionComponents } from './components'
import { checkWeights, DEFAULT_WEIGHTS, HEAD_NAMES, type HeadWeights } from './heads'
import type { AttentionScorer, HysteresisOptions, OptionalKeys } from './types'
import { checkInteger, checkKeys, checkObject, checkRange, definedOver, describeGiven } from './validate'

/** Options of `createAttentionSystem`. Every option but `components` has a default. */
export interface AttentionOptions {
  /** The component stores (from `createAttentionComponents`). */
  components: AttentionComponents
  /** Spatial grid cell size in world units; about half the typical focus radius is best. @defaultValue 25 */
  cellSize?: number | undefined
  /** Seconds of look-ahead: a pair whose predicted positions come within the radius is a candidate. @defaultValue 0.5 */
  lookahead?: number | undefined
  /** Seconds per tick, for the recency decay and the byte price's rate of change (look-ahead uses `lookahead`). @defaultValue 0.05 */
  dt?: number | undefined
  /** Closing speed (units/s) at which the approach head saturates. @defaultValue 10 */
  speedScale?: number | undefined
  /**
   * Shape of the distance head: `k` in `1 - ln(1 + k d / R) / ln(1 + k)` (docs/concepts.md
   * section 2). The larger `k`, the more the near field counts: at 25 with a 50-unit radius, a unit
   * of distance costs about five times as much score 2 units away as 20 units away. 0 makes the head
   * linear, `1 - d / R`, where every unit costs the same.
   * @defaultValue 25
   */
  distanceFalloff?: number | undefined
  /** Half-life in seconds of the recency head after an interaction. @defaultValue 3 */
  interactionHalfLife?: number | undefined
  /** Per-head weights of the built-in scorer. @defaultValue {@link DEFAULT_WEIGHTS} */
  weights?: OptionalKeys<HeadWeights> | undefined
  /** Hysteresis; `false` turns it off (set = plain top-K every tick). */
  hysteresis?: OptionalKeys<HysteresisOptions> | false | undefined
  /** Band thresholds on the score. */
  bands?: OptionalKeys<BandOptions> | undefined
  /** Bytes per second a member costs at each band, for observers with a byte budget. */
  byteCosts?: OptionalKeys<ByteCostOptions> | undefined
  /**
   * Replaces the built-in weighted-sum scorer. One with `pairScores` (the learned scorer) serves one
   * system at a time: giving it to a second system before the first is disposed throws.
   */
  scorer?: AttentionScorer | undefined
  /** Most observers at once. @defaultValue 1024 */
  maxObservers?: number | undefined
  /** Most members per set, rule members included (sets beyond it are cut, lowest priority first). @defaultValue 256 */
  maxMembers?: number | undefined
  /** Interaction partners remembered per entity (oldest forgotten first). @defaultValue 4 */
  interactionSlots?: number | undefined
  /**
   * Amortised refresh: each observer's set is re-scored (broadphase, rows, selection) every
   * `rescoreEvery` ticks, observers staggered so that about `1 / rescoreEvery` of them re-score per
   * tick; a new observer re-scores on its first tick. On the other ticks its set is kept as it was,
   * except that members removed, recycled or now denied leave at once and new rule members (self,
   * owned, always-relevant) enter at once (docs/concepts.md section 5b); an observer's `budget`,
   * `byteBudget`, `radius` or `fov` changed on a kept tick takes effect at its next re-score. It
   * trades up to `rescoreEvery - 1` ticks of delay for entrants and exits for a tick about that
   * many times cheaper; 1 re-scores every observer every tick.
   * @experimental
   * @defaultValue 1
   */
  rescoreEvery?: number | undefined
  /**
   * Observer threads: the per-observer phase of a tick (rows, scoring, selection) runs on this
   * many threads, the room's thread and `threads - 1` worker threads, over SharedArrayBuffer-backed
   * stores: the components must come from `createAttentionComponents(capacity, { shared: true })`,
   * and the scorer must be the built-in one. The grid rebuild, ownership, and everything else that
   * is order-dependent stay on the room's thread, and the tick stays synchronous (the room's thread
   * waits for the workers). Sets, bands and scores are the same as with one thread. Worth it only
   * with cores to spare: on a 2-core server the second core also runs the room's encoding, sockets
   * and garbage collection (docs/concepts.md section 5c).
   * @experimental
   * @defaultValue 1
   */
  threads?: number | undefined
  /**
   * With `threads` > 1: the tick only starts the workers on every observer and returns; the room's
   * thread goes on (sync, encoding, sending) while they score, and the next tick hands their sets
   * to the readers. Readers (`memberAt`, the entered and exited lists, the plugin) therefore see the
   * sets computed from the previous tick's state: one tick of delay, in exchange for the
   * per-observer work leaving the room's thread. At the hand-over every member is checked again
   * against the state of that moment (alive, the same generation, not hidden from or denied to the
   * observer), so what changed while the workers ran never reaches a reader.
   * Call `settle()` before writing the stores outside the tick (the `AttentionPlugin` does after
   * every patch). Worth it only with a core to spare (docs/concepts.md section 5c).
   * @experimental
   * @defaultValue false
   */
  pipelined?: boolean | undefined
  /**
   * With `threads` > 1: how long a tick waits for a worker thread before it gives up on the threads
   * for good (said once) and finishes the tick on the room's thread.
   * @experimental
   * @defaultValue 1000
   */
  threadTimeoutMs?: number | undefined
}

/** Default hysteresis. */
export const DEFAULT_HYSTERESIS: Readonly<HysteresisOptions> = Object.freeze({
  enterScore: 0.3,
  exitScore: 0.1,
  minOutTicks: 5,
  swapMargin: 0.15,
})

/** Hysteresis that turns hysteresis off: the set is the plain top-K of the scored candidates. */
export const NO_HYSTERESIS: Readonly<HysteresisOptions> = Object.freeze({
  enterScore: -Infinity,
  exitScore: -Infinity,
  minOutTicks: 0,
  swapMargin: 0,
})

/** Every option of {@link AttentionOptions}, for the check of misspelled keys (the type makes it complete). */
const OPTION_KEYS: Record<keyof AttentionOptions, true> = {
  components: true,
  cellSize: true,
  lookahead: true,
  dt: true,
  speedScale: true,
  distanceFalloff: true,
  interactionHalfLife: true,
  weights: true,
  hysteresis: true,
  bands: true,
  byteCosts: true,
  scorer: true,
  maxObservers: true,
  maxMembers: true,
  interactionSlots: true,
  rescoreEvery: true,
  threads: true,
  pipelined: true,
  threadTimeoutMs: true,
}

/**
 * Checks an object option: absent (undefined or null), or false where `orFalse`, passes; anything
 * else must be an object whose keys are all in `known`.
 */
function checkNested(option: string, value: unknown, known: readonly string[], orFalse = false): void {
  if (value === undefined || value === null || (orFalse && value === false)) return
  checkObject('createAttentionSystem', value, option, orFalse ? 'an object or false' : 'an object')
  checkKeys('createAttentionSystem', value, known, option)
}

/**
 * Throws a TypeError unless `scorer` has a `score` method and its optional members have their
 * documented kind: a method the tick calls must not turn out missing at the first tick.
 */
function checkScorer(scorer: AttentionScorer): void {
  if (typeof (scorer as Partial<AttentionScorer> | null | undefined)?.score !== 'function') {
    throw new TypeError(`colyseus-attention: scorer must have a score(features, rows, out) method; got ${describeGiven(scorer)}`)
  }
  for (const name of ['scoreBatch', 'explainScore'] as const) {
    const m = scorer[name]
    if (m !== undefined && typeof m !== 'function') throw new TypeError(`colyseus-attention: scorer.${name} must be a method or absent; got ${describeGiven(m)}`)
  }
  const p = scorer.pairScores
  if (p === undefined) return
  if (p === null || typeof p !== 'object') throw new TypeError(`colyseus-attention: scorer.pairScores must be an object or absent; got ${describeGiven(p)}`)
  for (const name of ['begin', 'load', 'end'] as const) {
    if (typeof p[name] !== 'function') throw new TypeError(`colyseus-attention: scorer.pairScores.${name} must be a method; got ${describeGiven(p[name])}`)
  }
  if (p.attach !== undefined && typeof p.attach !== 'function') throw new TypeError(`colyseus-attention: scorer.pairScores.attach must be a method or absent; got ${describeGiven(p.attach)}`)
  if (p.residual !== undefined && typeof p.residual !== 'boolean') throw new TypeError(`colyseus-attention: scorer.pairScores.residual must be true, false or absent; got ${describeGiven(p.residual)}`)
  const w = p.headWeights as unknown
  if (w === null || typeof w !== 'object' || typeof (w as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`colyseus-attention: scorer.pairScores.headWeights must be an array of one weight per head, in feature order; got ${describeGiven(w)}`)
  }
}

/**
 * Most entries of an engine table whose length is the product of two options: 2^26 (67,108,864),
 * so that no such table takes more than about 2.8 GB (42 bytes an entry, the packed candidate
 * columns). The interest sets take 32 bytes per `maxObservers x maxMembers` entry (2 GiB at the
 * limit, twice that with `pipelined`), the interaction records 16 bytes per `capacity x
 * interactionSlots` entry (1 GiB), the candidate columns 42 bytes per `capacity x (threads + 1)`
 * entry. The largest value of each option fits with the others at their defaults: `maxMembers`
 * 65535 with 1024 observers, the largest `capacity` (2^24) with 4 interaction slots (and up to 3
 * threads).
 */
export const MAX_TABLE_ENTRIES = 1 << 26

/**
 * Throws a RangeError naming both options, their values, the product and the limit when `a x b`
 * exceeds {@link MAX_TABLE_ENTRIES}: an engine table is that long, and a product past it would take
 * tens of gigabytes (or fail inside a typed-array constructor without naming an option).
 */
function checkProduct(nameA: string, a: number, nameB: string, b: number, table: string): void {
  const n = a * b
  if (n <= MAX_TABLE_ENTRIES) return
  throw new RangeError(
    `colyseus-attention: ${nameA} x ${nameB} must be at most ${MAX_TABLE_ENTRIES} (${table}); got ${a} x ${b} = ${n}: lower one of them`,
  )
}

/** Options with every default filled in and validated. */
export type ResolvedOptions = Required<Omit<AttentionOptions, 'scorer' | 'weights' | 'hysteresis' | 'bands' | 'byteCosts'>> & {
  scorer: AttentionScorer | null
  weights: HeadWeights
  hysteresis: HysteresisOptions
  bands: BandOptions
  byteCosts: ByteCostOptions
}

/**
 * Fills defaults and validates every option, throwing an error that names the bad one: a RangeError
 * for a number out of range (or not a number) and for a key that is no option (at the top level or
 * in `hysteresis`, `bands`, `byteCosts`, `weights`), a TypeError for a value of the wrong kind where
 * an object or a boolean goes (`components`, `scorer`, `weights`, `hysteresis`, `bands`,
 * `byteCosts`, `pipelined`). `undefined` and `null` take the default. Two options whose product
 * sizes a table (`maxObservers x maxMembers`, `capacity x interactionSlots`, `capacity x (threads +
 * 1)`) must multiply to at most {@link MAX_TABLE_ENTRIES} (a RangeError naming both); nothing is
 * allocated before these checks.
 */
export function resolveOptions(o: AttentionOptions): ResolvedOptions {
  checkObject('createAttentionSystem', o)
  checkComponents('options.components', o.components)
  checkKeys('createAttentionSystem', o, Object.keys(OPTION_KEYS))
  checkNested('weights', o.weights, HEAD_NAMES)
  checkNested('hysteresis', o.hysteresis, Object.keys(DEFAULT_HYSTERESIS), true)
  checkNested('bands', o.bands, Object.keys(DEFAULT_BANDS))
  checkNested('byteCosts', o.byteCosts, Object.keys(DEFAULT_BYTE_COSTS))
  const r: ResolvedOptions = {
    components: o.components,
    cellSize: o.cellSize ?? 25,
    lookahead: o.lookahead ?? 0.5,
    dt: o.dt ?? 0.05,
    speedScale: o.speedScale ?? 10,
    distanceFalloff: o.distanceFalloff ?? 25,
    interactionHalfLife: o.interactionHalfLife ?? 3,
    weights: definedOver(DEFAULT_WEIGHTS, o.weights),
    hysteresis: o.hysteresis === false ? { ...NO_HYSTERESIS } : definedOver(DEFAULT_HYSTERESIS, o.hysteresis),
    bands: definedOver(DEFAULT_BANDS, o.bands),
    byteCosts: definedOver(DEFAULT_BYTE_COSTS, o.byteCosts),
    scorer: o.scorer ?? null,
    maxObservers: o.maxObservers ?? 1024,
    maxMembers: o.maxMembers ?? 256,
    interactionSlots: o.interactionSlots ?? 4,
    rescoreEvery: o.rescoreEvery ?? 1,
    threads: o.threads ?? 1,
    pipelined: o.pipelined ?? false,
    threadTimeoutMs: o.threadTimeoutMs ?? 1000,
  }
  checkRange('cellSize', r.cellSize, 0, 1e9, true)
  checkRange('lookahead', r.lookahead, 0, 60)
  checkRange('dt', r.dt, 0, 10, true)
  checkRange('speedScale', r.speedScale, 0, Infinity, true)
  checkRange('distanceFalloff', r.distanceFalloff, 0, 1e6)
  checkRange('interactionHalfLife', r.interactionHalfLife, 0, Infinity, true)
  checkWeights(r.weights)
  const h = r.hysteresis
  if (o.hysteresis !== false) {
    // -Infinity is "no threshold" (NO_HYSTERESIS passes as an object too)
    if (h.enterScore !== -Infinity) checkRange('hysteresis.enterScore', h.enterScore, -1e9, 1e9)
    if (h.enterScore === -Infinity && h.exitScore !== -Infinity) {
      throw new RangeError(`colyseus-attention: hysteresis.exitScore may not exceed enterScore, so it must be -Infinity when enterScore is; got ${describeGiven(h.exitScore)}`)
    }
    if (h.exitScore !== -Infinity) checkRange('hysteresis.exitScore', h.exitScore, -1e9, h.enterScore)
    checkInteger('hysteresis.minOutTicks', h.minOutTicks, 0, 1e6)
    checkRange('hysteresis.swapMargin', h.swapMargin, 0, 1e9)
  }
  checkBands(r.bands, r.byteCosts)
  if (r.scorer !== null) checkScorer(r.scorer)
  checkInteger('maxObservers', r.maxObservers, 1, 1 << 20)
  checkInteger('maxMembers', r.maxMembers, 1, 65535)
  checkInteger('interactionSlots', r.interactionSlots, 1, 64)
  checkInteger('rescoreEvery', r.rescoreEvery, 1, 64)
  checkInteger('threads', r.threads, 1, 64)
  // tables whose length is a product of two options, checked before anything is allocated
  checkProduct('maxObservers', r.maxObservers, 'maxMembers', r.maxMembers, 'the interest sets\' length, 32 bytes an entry')
  checkProduct('components.capacity', r.components.capacity, 'interactionSlots', r.interactionSlots, 'the interaction records\' length, 16 bytes an entry')
  checkProduct('components.capacity', r.components.capacity, '(threads + 1)', r.threads + 1, 'the packed candidate columns\' length, 42 bytes an entry')
  checkRange('threadTimeoutMs', r.threadTimeoutMs, 0, 3_600_000, true)
  if (typeof r.pipelined !== 'boolean') throw new TypeError(`colyseus-attention: pipelined must be true or false; got ${describeGiven(r.pipelined)}`)
  if (r.pipelined && r.threads < 2) {
    throw new RangeError(`colyseus-attention: option pipelined needs threads >= 2 (worker threads score the next tick while the room's thread goes on); got threads ${r.threads}`)
  }
  if (r.threads > 1) {
    if (r.scorer !== null) {
      throw new RangeError(`colyseus-attention: option threads is ${r.threads}, but a custom scorer scores every observer's rows in one batch on the room's thread: threads must be 1 with options.scorer`)
    }
    const c = r.components
    const stores = [c.Position.x, c.Position.y, c.Position.z, c.Velocity.x, c.Velocity.y, c.Velocity.z, c.Facing.x, c.Facing.y, c.Facing.z,
      c.Observer.radius, c.Observer.budget, c.Observer.fov, c.Observer.temperature, c.Observer.byteBudget,
      c.Salience.weight, c.Salience.nimbus, c.Team.id, c.Owner.eid, c.Aim.target]
    if (!stores.every((a) => a.buffer instanceof SharedArrayBuffer)) {
      throw new RangeError(`colyseus-attention: option threads is ${r.threads}: the components must be on shared memory, createAttentionComponents(capacity, { shared: true })`)
    }
  }
  return r
}
