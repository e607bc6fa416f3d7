// Owns: the attention system: the tick (validate observers, sync ownership, broadphase, rows,
// scoring, selection) and the read accessors. Each stage is a function of its own file:
// broadphase.ts, features.ts (rows), heads.ts (built-in scores), selection.ts; observer slots in
// observer-slots.ts, rules in rules.ts, bands in bands.ts.
import type { World } from 'bitecs'
import type { Band } from './bands'
import { createByteReports, FLOORED_REPORTS } from './byte-reports'
import { createBroadphase, linkAimers, queryCandidates, queryFarAimers, rebuildGrid } from './broadphase'
import { createEntityTracker, Has } from './entity-tracker'
import { checkWorld, observerFault, observerFaultMessage } from './components'
import { explainPair } from './explain'
import { BOUND_SLOT, createRowWriter, HINT_SLOT, loadObserver, nextPairMark, NOT_FINITE, PAIRED, REACH_SLOT, RowMode, writeCandidates, type FeatureParams } from './features'
import { checkWeights, createHeadScorer, FEATURE_COUNT, HEAD_NAMES, type HeadWeights } from './heads'
import { createInteractionStore } from './interactions'
import { createInterestSets } from './interest-sets'
import { createObserverSlots } from './observer-slots'
import { resolveOptions, type AttentionOptions } from './options'
import { createOwnershipIndex } from './ownership'
import { DENY_FLAGS, isDenied, isOwnedBy, markRuleRows } from './rules'
import { keepObserver, selectObserver, type SelectionInputs } from './selection'
import { priceShifts } from './byte-budget'
import { createSelectionState } from './selection-state'
import type { AttentionSystem, Explanation, PairScores, ScorerBatch } from './types'
import { LOWEST_SCORE } from './scorer'
import { createSharedAlloc, heapAlloc, type RecordingAlloc } from './shared-alloc'
import { boundRows, growRows, isDue, passObservers, unboundIfShort, type ObserverPass } from './observer-pass'
import { createObserverThreads, registerThreads, type ObserverThreads } from './observer-threads'
import { checkRange, describeGiven, describeValue } from './validate'

/**
 * The pair scores some system that is not disposed uses: a scorer with `pairScores` keeps one
 * system's answers (keyed by its world's entity ids), so it serves one system at a time. Claimed
 * when a system is created, released by its `dispose()`; never read in the tick.
 */
const claimedPairs = new WeakSet<PairScores>()

/** What `createAttentionSystem` throws when given pair scores another system (not disposed) uses. */
const PAIRS_CLAIMED =
  'colyseus-attention: this scorer (its pairScores) already serves another attention system: a scorer with pair scores keeps one world\'s answers. ' +
  'Create one scorer per system (per room), e.g. await createOnnxScorer({ model }) in the room\'s onCreate (each call loads the model in a worker of its own), ' +
  'or dispose() the other system first (system.dispose() releases its scorer without disposing it)'

/**
 * Creates the attention system for `world`: call the returned function once per tick, then read
 * each observer's interest set through its accessors.
 * @param world - the bitECS world holding the entities.
 * @param options - the components (required) and tuning; validated here, errors name the option.
 * @returns the system function with read accessors (allocation-free) and `explain` (allocates).
 * @example
 * const C = createAttentionComponents(10_000)
 * const attention = createAttentionSystem(world, { components: C })
 * // each tick, after moving entities:
 * attention(world)
 * for (let i = 0; i < attention.enteredCount(player); i++) show(attention.enteredAt(player, i))
 */
export function createAttentionSystem(world: World, options: AttentionOptions): AttentionSystem {
  checkWorld('createAttentionSystem(world, options)', world)
  const opts = resolveOptions(options)
  // a scorer with pair scores serves one system at a time (claimed below, once the system exists)
  const pairs = opts.scorer?.pairScores ?? null
  if (pairs !== null && claimedPairs.has(pairs)) throw new Error(PAIRS_CLAIMED)
  const c = opts.components
  const cap = c.capacity
  const stride = opts.maxMembers
  // option threads: what the observer threads share is on SharedArrayBuffers; `replayed` holds
  // the arrays a worker rebuilds its structures over, in the order made here (shared-alloc.ts)
  const threads = opts.threads
  const shared = threads > 1 ? createSharedAlloc() : heapAlloc
  const replayed = threads > 1 ? createSharedAlloc() : heapAlloc
  const sets = createInterestSets(opts.maxObservers, stride, replayed)
  // option pipelined: what readers see, copied from `sets` once the workers finished a tick
  // (resolveOptions refuses it with one thread)
  const pipelined = opts.pipelined
  const front = pipelined ? createInterestSets(opts.maxObservers, stride) : sets
  // per entity: stamps of the previous hand-over's members and of the new one's members that were
  // in it (same id and generation), and the old band and generation
  const oldStamp = pipelined ? new Uint32Array(cap) : new Uint32Array(0)
  const newStamp = pipelined ? new Uint32Array(cap) : new Uint32Array(0)
  const oldBand = pipelined ? new Uint8Array(cap) : new Uint8Array(0)
  const oldGen = pipelined ? new Uint32Array(cap) : new Uint32Array(0)
  const oldMembers = pipelined ? new Uint32Array(stride) : new Uint32Array(0)
  // a slot that changed hands while the workers ran (an observer removed, another added into its
  // slot) holds the set the workers computed for its previous observer: every acquire and release
  // bumps the slot's epoch, each pass notes the epochs it started with, and a slot whose epoch
  // moved is handed over empty (its new observer's set follows at the next hand-over)
  const slotEpoch = new Uint32Array(pipelined ? opts.maxObservers : 0)
  const startEpoch = new Uint32Array(pipelined ? opts.maxObservers : 0)
  let handStamp = 0
  /**
   * Hands the sets the workers finished to the readers: per observer, the members that are still
   * entitled now (alive, same generation, not denied: an entity hidden or moved to another team
   * while the workers ran never reaches a reader), and the entered, exited and band-changed lists
   * as the difference from the previous hand-over, so that what a reader applied stays consistent.
   * A member is the same member only with the same id and generation: the workers read the stores
   * while the room's thread runs, so an id removed and reused since the last hand-over can come
   * back with its new generation; it exits and enters, as in the synchronous engine.
   */
  const publish = (): void => {
    const obs = observers.ids
    const POSITION = Has.Position
    const DENY = DENY_FLAGS
    for (let i = 0; i < observers.count; i++) {
      const o = obs[i]!
      const s = slotOf[o]!
      const base = s * stride
      if (++handStamp >= 0x3fffffff) {
        handStamp = 1
        oldStamp.fill(0)
        newStamp.fill(0)
      }
      const hs = handStamp
      const oldN = front.count[s]!
      for (let j = 0; j < oldN; j++) {
        const e = front.eid[base + j]!
        oldMembers[j] = e
        oldStamp[e] = hs
        oldBand[e] = front.band[base + j]!
        oldGen[e] = front.gen[base + j]!
      }
      const alive = (flags[o]! & POSITION) !== 0
      let w = 0
      let entered = 0
      let changed = 0
      if (startEpoch[s] !== slotEpoch[s]) sets.clear(s)
      const n = sets.count[s]!
      for (let j = 0; j < n; j++) {
        const at = base + j
        const e = sets.eid[at]!
        const fl = flags[e]!
        if (!alive || (fl & POSITION) === 0 || generation[e] !== sets.gen[at]) continue
        if (e !== o && (fl & DENY) !== 0 && isDenied(c, flags, o, e)) continue
        const to = base + w++
        front.eid[to] = e
        front.gen[to] = sets.gen[at]!
        front.outTicks[to] = sets.outTicks[at]!
        front.band[to] = sets.band[at]!
        front.rule[to] = sets.rule[at]!
        front.score[to] = sets.score[at]!
        if (oldStamp[e] !== hs || oldGen[e] !== sets.gen[at]) front.entered[base + entered++] = e
        else {
          newStamp[e] = hs
          if (oldBand[e] !== sets.band[at]) front.bandChanged[base + changed++] = e
        }
      }
      let exited = 0
      for (let j = 0; j < oldN; j++) if (newStamp[oldMembers[j]!] !== hs) front.exited[base + exited++] = oldMembers[j]!
      front.count[s] = w
      front.enteredCount[s] = entered
      front.exitedCount[s] = exited
      front.bandChangedCount[s] = changed
      front.smax[s] = sets.smax[s]!
      front.temperature[s] = sets.temperature[s]!
      front.weightsValid[s] = 0
    }
  }
  const slots = createObserverSlots(cap, opts.maxObservers, shared)
  const slotOf = slots.slotOf

  const bp = createBroadphase(cap, opts.cellSize, c, replayed, threads)
  // the look-ahead as a typed slot for the per-tick grid rebuild (PERFORMANCE.md, "doubles across calls")
  const lookaheadSlot = Float64Array.of(opts.lookahead)
  const interactions = createInteractionStore(cap, opts.interactionSlots, replayed)
  const ownership = createOwnershipIndex(c, shared)
  const scorer = opts.scorer ?? createHeadScorer(opts.weights)
  const customScorer = opts.scorer !== null
  // a scorer with pair scores is read in the row pass (the built-in heads, with its weights, for
  // the pairs it has no score for); any other custom scorer scores the written rows afterwards
  let rowWeights = opts.weights
  if (pairs !== null) {
    const v = pairs.headWeights
    if (v.length !== FEATURE_COUNT) throw new RangeError(`colyseus-attention: scorer.pairScores.headWeights must hold ${FEATURE_COUNT} weights (one per head, in feature order); got ${v.length}`)
    rowWeights = Object.fromEntries(HEAD_NAMES.map((h, i) => [h, v[i]!])) as HeadWeights
    checkWeights(rowWeights)
    // before the world is followed or a thread starts: one that throws leaves nothing behind
    pairs.attach?.()
  }

  // byte budget state per observer slot (see SelectionInputs)
  const estBytes = shared.f32(opts.maxObservers)
  const detailBytes = shared.f64(opts.maxObservers)
  const price = shared.f32(opts.maxObservers)
  const priceBudget = shared.f32(opts.maxObservers, -1)
  const priceAge = shared.f32(opts.maxObservers)
  // the closed loop: report windows, the measured ratio, the avatar's still share (byte-reports.ts)
  const byteReports = createByteReports(opts.maxObservers, shared, opts.byteCosts, estBytes)
  const { byteScale, selfStill, stillCharge, floorBytes } = byteReports
  // amortised refresh (option rescoreEvery): the tick of each slot's last re-score, 0 for none yet
  const every = opts.rescoreEvery
  const scoredTick = shared.u32(opts.maxObservers)

  // an ownership that lapsed when its owner lost Position, for the next tick's report (-1: none)
  let lapsedAtRemoval = -1
  // per entity id: bumped when it loses Observer or Position (observerGenerationOf: a client bound
  // to an observer is not bound to a later observer on its id, a new player reusing it)
  const observerGeneration = new Uint32Array(cap)
  const tracker = createEntityTracker(world, c, {
    onPositionRemoved(eid, flagsOf) {
      observerGeneration[eid]!++
      interactions.clear(eid)
      const lapsed = ownership.ownerGone(eid, flagsOf)
      if (lapsed !== -1) lapsedAtRemoval = lapsed
    },
    onObserverAdded(eid) {
      const s = slots.acquire(eid)
      if (s === -1) return
      if (pipelined) slotEpoch[s] = slotEpoch[s]! + 1
      sets.clear(s)
      if (front !== sets) front.clear(s)
      byteReports.reset(s)
      estBytes[s] = 0
      detailBytes[s] = 0
      price[s] = 0
      priceBudget[s] = -1
      scoredTick[s] = 0
    },
    onObserverRemoved(eid) {
      observerGeneration[eid]!++
      const s = slots.release(eid)
      if (s !== -1 && pipelined) slotEpoch[s] = slotEpoch[s]! + 1
      if (s !== -1) sets.clear(s)
      if (s !== -1 && front !== sets) front.clear(s)
    },
    onOwnerRemoved(eid) {
      ownership.unlink(eid)
    },
    onOwnerAdded(eid, generationOf) {
      ownership.added(eid, generationOf)
    },
  }, shared)
  const { flags, generation, positioned, observers } = tracker

  // tick scratch, grown by doubling between observers (never inside a candidate loop)
  let rowCap = 1024
  let feat = new Float32Array(rowCap * FEATURE_COUNT)
  // where the tick's feature rows go: feat, or the pair scorer's request while they fit in it
  let featOut: Float32Array = feat
  const inp: SelectionInputs = {
    c,
    flags,
    generation,
    sets,
    ownership,
    alwaysRelevant: tracker.alwaysRelevant,
    hysteresis: opts.hysteresis,
    bands: opts.bands,
    byteCosts: opts.byteCosts,
    byteScale,
    estBytes,
    selfStill,
    stillCharge,
    floorBytes,
    price,
    priceBudget,
    priceAge,
    dt: opts.dt,
    detailBytes,
    rowEid: new Uint32Array(rowCap),
    rowRule: new Uint8Array(rowCap),
    scores: new Float32Array(rowCap),
  }
  const st = createSelectionState(inp, replayed)
  const rowStart = new Int32Array(opts.maxObservers)
  // the pair batch of a scorer with scoreBatch (rows are contiguous in observer order)
  const batch: { -readonly [K in keyof ScorerBatch]: ScorerBatch[K] } = {
    features: feat,
    rows: 0,
    rowEid: inp.rowEid,
    observers: new Uint32Array(opts.maxObservers),
    observerCount: 0,
    observerStart: new Int32Array(opts.maxObservers + 1),
    generation,
    components: c,
    tick: 0,
    dt: opts.dt,
    lookahead: opts.lookahead,
    speedScale: opts.speedScale,
  }
  const rowEnd = new Int32Array(opts.maxObservers)
  const params: FeatureParams = {
    lookahead: opts.lookahead,
    speedScale: opts.speedScale,
    distanceFalloff: opts.distanceFalloff,
    halfLivesPerTick: opts.dt / opts.interactionHalfLife,
  }
  const writer = createRowWriter(c, flags, generation, interactions, params, rowWeights, bp.cols)
  if (pairs?.residual === true) writer.pairResidual = 1
  let tick = 0
  // per slot, the tick its set was last closed (what a fallback after a failed worker redoes)
  const doneTick = shared.u32(opts.maxObservers)
  // the built-in scorer's per-observer phase (observer-pass.ts), on this thread alone or, with
  // option threads, on this thread and the workers, which start now and join the ticks once ready
  const observerThreads: ObserverThreads | null =
    threads <= 1
      ? null
      : createObserverThreads(
          threads,
          opts.threadTimeoutMs,
          {
            components: c,
            replay: (replayed as RecordingAlloc).made,
            flags,
            generation,
            positionedIds: positioned.ids,
            observerIds: observers.ids,
            alwaysIds: tracker.alwaysRelevant.ids,
            slotOf,
            ownHead: ownership.head,
            ownNext: ownership.next,
            byteScale,
            estBytes,
            selfStill,
            stillCharge,
            floorBytes,
            detailBytes,
            price,
            priceBudget,
            priceAge,
            scoredTick,
            doneTick,
            config: {
              capacity: cap,
              maxObservers: opts.maxObservers,
              stride,
              cellSize: opts.cellSize,
              interactionSlots: opts.interactionSlots,
              threads,
              every,
              params,
              rowWeights,
              hysteresis: opts.hysteresis,
              bands: opts.bands,
              byteCosts: opts.byteCosts,
              dt: opts.dt,
            },
          },
          bp,
          positioned,
          tracker.alwaysRelevant,
        )
  // without threads no other thread claims observers: no control array
  const control = observerThreads === null ? new Int32Array(0) : observerThreads.control
  const pass: ObserverPass = { c, flags, positioned, bp, writer, st, sets, slotOf, every, scoredTick, doneTick, grow: (need) => grow(need), noFeatures: new Float32Array(0), control, tick: 0 }

  /** Grows the row scratch (ids, rule marks, scores: fused gathers write scores as they go) and the feature rows to at least `need` rows. */
  const grow = (need: number): void => {
    if (need <= rowCap) return
    growRows(inp, need)
    const n = inp.rowEid.length
    const f = new Float32Array(n * FEATURE_COUNT)
    f.set(feat)
    if (featOut === feat) featOut = f
    feat = f
    rowCap = n
  }

  /** The scorer's request is full: its first `rows` rows move to feat, which takes the rest (allocates a view; rare). */
  const spill = (rows: number): void => {
    if (featOut !== feat) feat.set(featOut.subarray(0, rows * FEATURE_COUNT))
    featOut = feat
  }

  // Observer fields the game wrote out of range: the observer is sent nothing until they are fixed
  // (the selection checks each observer with observerFault); the first fault of each field is
  // reported, never one per tick, and the tick goes on (a throw would end the process and every
  // room in it)
  let reportedFaults = 0
  const checkObserver = (o: number): void => {
    const field = observerFault(c, o)
    if (field === -1 || (reportedFaults & (1 << field)) !== 0) return
    reportedFaults |= 1 << field
    console.error(
      `${observerFaultMessage(c, o, field)}. Observer ${o}'s interest set stays empty (its client is sent nothing) until the value is valid; ` +
        `reported once per field, for the first observer found.`,
    )
  }

  /** Broadphase + rows for one observer into rows [row, ...), written by `mode` ({@link RowMode}); returns the end row. */
  const gather = (o: number, row: number, mode: RowMode): number => {
    writer.observer[HINT_SLOT] = -Infinity
    const end = writeRows(o, row, mode)
    markRuleRows(c, flags, o, inp.rowEid, inp.rowRule, row, end)
    return end
  }

  /**
   * Broadphase of `o` (slot `s`; candidates, then far aimers) written as rows from `row` by `mode`
   * ({@link RowMode}), under the writer's current hint; returns the end row. A fused write narrows
   * the broadphase to the writer's bound, with the observer's members added (PERFORMANCE.md,
   * "bounded broadphase").
   */
  const writeRows = (o: number, row: number, mode: RowMode): number => {
    loadObserver(writer, o)
    if (mode !== RowMode.Fused) writer.observer[BOUND_SLOT] = Infinity
    const s = slotOf[o]!
    let n = queryCandidates(bp, c, flags, positioned, o, writer.observer, REACH_SLOT, BOUND_SLOT, sets.eid, s * stride, sets.count[s]!)
    n = queryFarAimers(bp, c, flags, o, tick, n)
    if (row + n > rowCap) grow(row + n)
    if ((row + n) * FEATURE_COUNT > featOut.length) spill(row)
    return writeCandidates(writer, bp.found, n, inp.rowEid, row, tick, mode, featOut, inp.scores)
  }

  const counts = writer.counts

  // a custom scorer is the game's code, run inside the tick: one that throws or writes a score that
  // is not finite is reported once, never per tick, and the tick goes on (docs/concepts.md 3; an
  // exception would end the process and every room in it)
  const fallbackScorer = customScorer ? createHeadScorer(opts.weights) : null
  let reportedThrow = false
  let reportedScore = false
  const scorerThrew = (method: string, err: unknown): void => {
    if (reportedThrow) return
    reportedThrow = true
    const instead = method.startsWith('pairScores') ? 'the tick goes on (pairs without a pair score are scored by the built-in heads)' : "the tick's rows are scored by the built-in heads instead"
    console.error(`colyseus-attention: the custom scorer's ${method} threw; ${instead}. Reported once, for the first failure.`, err)
  }
  let reportedBegin = false
  const reportBegin = (got: unknown): void => {
    reportedBegin = true
    console.error(
      `colyseus-attention: the custom scorer's pairScores.begin returned ${describeGiven(got)}; it must return a Float32Array (where the tick's feature rows go) ` +
        'or null (no feature rows wanted). The tick goes on as if it returned null. Reported once, for the first failure.',
    )
  }
  const reportScore = (r: number, v: number, only: number): void => {
    reportedScore = true
    let o = only
    if (o === -1) for (let i = 0; i < observers.count; i++) if (rowStart[slotOf[observers.ids[i]!]!]! <= r) o = observers.ids[i]!
    console.error(
      `colyseus-attention: the custom scorer left row ${r} (observer ${o}, candidate ${inp.rowEid[r]}) without a finite score: got ${v}${Number.isNaN(v) ? ' (NaN, or not written)' : ''}. ` +
        `Scores must be finite numbers; a missing or NaN score counts as the lowest score and an infinite one as the largest finite score of its sign. Reported once, for the first row found.`,
    )
  }

  let reportedPairScore = false
  const reportPairScore = (o: number, mark: number): void => {
    reportedPairScore = true
    let e = -1
    const { pairStamp, pairScore } = writer
    for (let i = 0; i < pairStamp.length && e === -1; i++) if (pairStamp[i] === mark && !(pairScore[i]! - pairScore[i]! === 0)) e = i
    console.error(
      `colyseus-attention: scorer.pairScores.load gave observer ${o} a pair score that is not a finite number` +
        (e === -1 ? '' : ` (candidate ${e}: ${pairScore[e]})`) +
        '. Pair scores must be finite; a NaN counts as the lowest score and an infinite one as the largest finite score of its sign. Reported once, for the first observer found.',
    )
  }
  // rows scored from the pair scores this tick (an integer: no boxing)
  let pairedRows = 0
  /**
   * Rows of observer `o` scored from the scorer's pair scores (the heads where it has none), one
   * pass. On a tick that wants no feature rows (`RowMode.Paired`) the rows are bounded by the
   * observer's K-th-score hint as the built-in scorer's are (PERFORMANCE.md, "bounded paired
   * rows"): a pair scoring below it gets no row unless it is a member or has a rule, salience or
   * aim flag, and the rows are written again without the hint when fewer than K reach it.
   */
  const gatherPaired = (o: number, row: number, mode: RowMode): number => {
    const mark = nextPairMark(writer)
    let loaded: boolean | void = true
    try {
      loaded = pairs!.load(o, mark, writer.pairStamp, writer.pairScore)
    } catch (err) {
      scorerThrew('pairScores.load', err)
    }
    let end: number
    if (mode === RowMode.Paired) {
      // no pair score for this observer: its rows are the heads' own, the broadphase bounded too
      if (loaded === false) mode = RowMode.Fused
      boundRows(writer, st.kthHint, sets, slotOf[o]!)
      end = writeRows(o, row, mode)
      if (unboundIfShort(writer, bp, c, o, stride)) end = writeRows(o, row, mode)
      markRuleRows(c, flags, o, inp.rowEid, inp.rowRule, row, end)
    } else end = gather(o, row, mode)
    pairedRows += counts[PAIRED]!
    if (counts[NOT_FINITE]! > 0 && !reportedPairScore) reportPairScore(o, mark)
    return end
  }

  /** The broadphase of the current positions: grid and wide list, aimers by target. */
  const updateBroadphase = (): void => {
    rebuildGrid(bp, c, flags, positioned, tick, lookaheadSlot)
    if ((bp.nonFinite !== -1 || bp.nonFiniteNimbus !== -1) && !reportedNonFinite) reportNonFinite(bp.nonFinite !== -1 ? bp.nonFinite : bp.nonFiniteNimbus)
    linkAimers(bp, c, tracker.aimers, slotOf)
  }

  // an ownership that lapsed (ownership.ts) is reported once per system: a game that removes an
  // owner's Position to respawn it learns there why the owner no longer sees what it owned
  let reportedLapse = false
  const reportLapse = (e: number): void => {
    reportedLapse = true
    const o = c.Owner.eid[e]!
    console.warn(
      `colyseus-attention: entity ${o}, the owner of entity ${e}, lost Position (removed, or its id reused by a new entity): entity ${e} is no longer owned ` +
        `(Hidden and TeamOnly now apply to every observer, ${o} included). When an owner is removed, remove Owner from what it owned; to give ${e} ` +
        `to the entity now at ${o} (a respawn), call setOwner(world, C, ${e}, ${o}). Reported once, for the first lapse.`,
    )
  }

  // a byte budget below what the rule members alone cost is reported once per system: the engine
  // spends more than it, silently otherwise (docs/concepts.md 6b)
  let reportedFloor = false
  const reportFloor = (o: number, s: number): void => {
    reportedFloor = true
    const B = c.Observer.byteBudget[o]!
    console.warn(
      `colyseus-attention: observer ${o}'s byteBudget (${B} B/s) is below what its rule members alone cost its client (its own avatar, ` +
        `and what it owns or is always relevant): for ${FLOORED_REPORTS} seconds the engine could meet it only by sending nothing else, so it ` +
        `reads it as their cost plus one Low member, about ${Math.round(floorBytes[s]!)} B/s measured on average, and keeps what matters most within that. ` +
        `Raise Observer.byteBudget above that (docs/concepts.md 6b). Reported once, for the first observer.`,
    )
  }

  // a NaN the game wrote (a zero vector normalised, say) is reported once per system, never per tick
  let reportedNonFinite = false
  const reportNonFinite = (e: number): void => {
    reportedNonFinite = true
    const parts: string[] = []
    const fields = [
      ['Position', c.Position, Has.Position],
      ['Velocity', c.Velocity, Has.Velocity],
      ['Facing', c.Facing, Has.Facing],
    ] as const
    for (const [name, v, has] of fields) {
      if ((flags[e]! & has) === 0) continue
      const x = v.x[e]!
      const y = v.y[e]!
      const z = v.z[e]!
      if (!Number.isFinite(x + y + z)) parts.push(`${name} (${x}, ${y}, ${z})`)
    }
    const nb = c.Salience.nimbus[e]!
    if ((flags[e]! & Has.Salience) !== 0 && !Number.isFinite(nb)) parts.push(`Salience.nimbus (${nb})`)
    console.error(
      `colyseus-attention: entity ${e} has a ${parts.join(' and a ')} that is not finite. A position that is not finite puts the entity out of every ` +
        'observer\'s range; a velocity or facing that is not finite counts as none in the heads, and a nimbus as none (0). Reported once, for the first entity found.',
    )
  }

  /** The pair batch of this tick's `rows` (observers with at least one row, in order). */
  const fillBatch = (rows: number, only: number): void => {
    let k = 0
    if (only !== -1) {
      // explain: the one observer's rows, from row 0
      batch.observers[0] = only
      batch.observerStart[k++] = 0
    } else {
      const obs = observers.ids
      const obsN = observers.count
      for (let i = 0; i < obsN; i++) {
        const o = obs[i]!
        const s = slotOf[o]!
        if (rowEnd[s]! <= rowStart[s]!) continue
        batch.observers[k] = o
        batch.observerStart[k++] = rowStart[s]!
      }
    }
    batch.observerStart[k] = rows
    batch.observerCount = k
    batch.features = featOut
    batch.rowEid = inp.rowEid
    batch.rows = rows
  }

  /**
   * Scoring with a custom scorer: the rows of every observer in one batch (the built-in scores were
   * fused into the rows), or with `only` an observer, its rows alone (`explain`).
   */
  const scoreRows = (rows: number, only: number): void => {
    const sc = inp.scores
    // a row the scorer leaves unwritten reads NaN below, never a stale score of another pair
    sc.fill(NaN, 0, rows)
    try {
      if (scorer.scoreBatch !== undefined) {
        fillBatch(rows, only)
        scorer.scoreBatch(batch, sc)
      } else scorer.score(feat, rows, sc)
    } catch (err) {
      scorerThrew(scorer.scoreBatch !== undefined ? 'scoreBatch' : 'score', err)
      fallbackScorer!.score(feat, rows, sc)
    }
    for (let r = 0; r < rows; r++) {
      const v = sc[r]!
      if (v - v === 0) continue
      // NaN (or no score) ranks lowest, an infinity as the largest finite score of its sign: the
      // softmax weights stay finite
      if (!reportedScore) reportScore(r, v, only)
      sc[r] = v > 0 ? -LOWEST_SCORE : LOWEST_SCORE
    }
  }

  // an observer without Position sees nothing: said once per system, never per tick
  let warnedNoPosition = false
  const warnNoPosition = (o: number): void => {
    warnedNoPosition = true
    console.warn(
      `colyseus-attention: observer ${o} has no Position, so its interest set stays empty (it sees nothing). ` +
        `Add the Position component: addComponent(world, ${o}, C.Position) and set C.Position.x/y/z[${o}].`,
    )
  }

  /**
   * Whether slot `s` re-scores this tick (option rescoreEvery): every tick by default; otherwise on
   * its first tick, then once every `every` ticks, slots staggered.
   */

  // dispose(): the tracker no longer follows the world, so a later tick or explain would read stale
  // entity tracking; both throw instead (one boolean test per tick)
  let disposed = false
  const DISPOSED = 'colyseus-attention: this attention system was disposed; create a new one'

  const system = ((w: World): World => {
    if (disposed) throw new Error(DISPOSED)
    if (pipelined && observerThreads !== null) {
      observerThreads.finish()
      publish()
    }
    tick++
    const obs = observers.ids
    const obsN = observers.count
    for (let i = 0; i < obsN; i++) checkObserver(obs[i]!)
    // pipelined: the sets just handed over are the ones this tick's patch sends
    if (pipelined && observerThreads !== null) byteReports.addTick(obs, obsN, slotOf)
    let lapsed = ownership.sync(tracker.owned, flags, generation)
    if (lapsed === -1) lapsed = lapsedAtRemoval
    lapsedAtRemoval = -1
    if (lapsed !== -1 && !reportedLapse) reportLapse(lapsed)
    updateBroadphase()

    if (!customScorer) {
      // the built-in scores are fused into the rows: each observer's rows are selected while they
      // are still in cache, from row 0 (PERFORMANCE.md, "one observer at a time"); with option
      // threads, on every observer thread (observer-threads.ts)
      if (!warnedNoPosition) for (let i = 0; i < obsN; i++) if ((flags[obs[i]!]! & Has.Position) === 0 && !warnedNoPosition) warnNoPosition(obs[i]!)
      pass.tick = tick
      if (observerThreads !== null && pipelined) {
        for (let i = 0; i < obsN; i++) {
          const s = slotOf[obs[i]!]!
          startEpoch[s] = slotEpoch[s]!
        }
        observerThreads.start(pass, obs, obsN)
      }
      else if (observerThreads !== null) observerThreads.run(pass, obs, obsN)
      else passObservers(pass, obs, 0, obsN)
      if (!pipelined || observerThreads === null) byteReports.addTick(obs, obsN, slotOf)
      return w
    }
    // a custom scorer: every observer's rows in one batch, scored after the row pass, or with pair
    // scores read in the row pass
    batch.tick = tick
    featOut = feat
    let mode: RowMode = RowMode.Features
    if (pairs !== null) {
      let out: Float32Array | null = null
      try {
        out = pairs.begin(batch)
      } catch (err) {
        scorerThrew('pairScores.begin', err)
      }
      // anything but a Float32Array or null (a number, a plain array, nothing) reads as null
      if (out !== null && !(out instanceof Float32Array)) {
        if (!reportedBegin) reportBegin(out)
        out = null
      }
      mode = out === null ? RowMode.Paired : RowMode.PairedWithFeatures
      if (out !== null) featOut = out
      pairedRows = 0
    }
    let rows = 0
    for (let i = 0; i < obsN; i++) {
      const o = obs[i]!
      const s = slotOf[o]!
      rowStart[s] = rows
      // a kept observer (rescoreEvery) has no rows; its rowEnd is -1 for the selection below
      if (!isDue(every, scoredTick, s, tick)) {
        rowEnd[s] = -1
        continue
      }
      scoredTick[s] = tick
      if ((flags[o]! & Has.Position) === 0) {
        if (!warnedNoPosition) warnNoPosition(o)
      } else if (observerFault(c, o) !== -1) {
        // no rows: the selection empties its set
      } else if (pairs !== null) rows = gatherPaired(o, rows, mode)
      else rows = gather(o, rows, RowMode.Features)
      rowEnd[s] = rows
    }
    if (pairs === null) scoreRows(rows, -1)
    for (let i = 0; i < obsN; i++) {
      const o = obs[i]!
      const s = slotOf[o]!
      if (rowEnd[s]! === -1) keepObserver(st, s, o)
      else selectObserver(st, s, o, rowStart[s]!, rowEnd[s]!)
    }
    if (pairs !== null) {
      fillBatch(rows, -1)
      try {
        pairs.end(batch, pairedRows)
      } catch (err) {
        scorerThrew('pairScores.end', err)
      }
    }
    byteReports.addTick(obs, obsN, slotOf)
    return w
  }) as AttentionSystem

  // the readers take any number: an id or index that is not an integer in range reads as none
  // (`(x >>> 0) === x` is false for a fraction, a negative, NaN, an infinity and a non-number),
  // never as `undefined` from a typed array or another observer's entry
  const slot = (o: number): number => ((o >>> 0) === o && o < cap ? slotOf[o]! : -1)
  /** Observer `o`'s value in a per-slot array, or 0 when `o` is no observer. */
  const perSlot = (values: ArrayLike<number>, o: number): number => {
    const s = slot(o)
    return s === -1 ? 0 : values[s]!
  }
  /** Index of entry `i` of observer `o`'s list of `counts[slot]` entries, or -1 when `o` is no observer or `i` is not an integer in [0, count). */
  const entry = (counts: Uint16Array, o: number, i: number): number => {
    const s = slot(o)
    return s !== -1 && (i >>> 0) === i && i < counts[s]! ? s * stride + i : -1
  }
  /** The observer's byte price after the last tick (see AttentionSystem.bytePrice). */
  const bytePrice = (o: number): number => {
    const s = slot(o)
    if (s === -1 || !(c.Observer.byteBudget[o]! > 0)) return 0
    // a young price is stored for the configured costs; members cost `byteScale` times that (but at
    // the floor, which the ratio scales alike: no shift there, as affordable() reads it). A settled
    // one is stored as rows meet it
    const p = price[s]! + (priceShifts(inp, s) ? c.Observer.temperature[o]! * Math.log(inp.byteScale[s]!) : 0)
    return p > 0 ? p : 0
  }

  // a getter cannot go through Object.assign (it would copy the value once)
  Object.defineProperty(system, 'tick', { get: () => tick, enumerable: true })
  const api = Object.assign(system, {
    capacity: cap,
    isObserver: (o: number) => slot(o) !== -1,
    memberCount: (o: number) => perSlot(front.count, o),
    // -1 past the count: the slots beyond it hold stale entries, or the next observer's members
    memberAt: (o: number, i: number) => {
      const k = entry(front.count, o, i)
      return k === -1 ? -1 : front.eid[k]!
    },
    weightAt: (o: number, i: number) => {
      const k = entry(front.count, o, i)
      if (k === -1) return 0
      front.weights(slotOf[o]!)
      return front.weight[k]!
    },
    scoreAt: (o: number, i: number) => {
      const k = entry(front.count, o, i)
      return k === -1 ? NaN : front.score[k]!
    },
    weightsInto: (o: number, out: Float32Array) => {
      const s = slot(o)
      if (s === -1) return 0
      front.weights(s)
      const n = front.count[s]!
      if (out.length < n) throw new RangeError(`colyseus-attention: weightsInto needs room for ${n} weights; got ${out.length}`)
      const w = front.weight
      for (let i = 0, j = s * stride; i < n; i++, j++) out[i] = w[j]!
      return n
    },
    bandAt: (o: number, i: number) => {
      const k = entry(front.count, o, i)
      return k === -1 ? -1 : (front.band[k]! as Band)
    },
    isMember: (o: number, e: number) => {
      const s = slot(o)
      if (s === -1) return false
      const base = s * stride
      for (let i = 0; i < front.count[s]!; i++) if (front.eid[base + i] === e) return true
      return false
    },
    // PERFORMANCE.md, "the common case inline": one flags read for an entity with no deny flag
    isDenied: (o: number, e: number) => e !== o && (e >>> 0) === e && e < cap && (flags[e]! & DENY_FLAGS) !== 0 && isDenied(c, flags, o, e),
    owns: (o: number, e: number) => (e >>> 0) === e && e < cap && isOwnedBy(c, flags, o, e),
    lastScoredTick: (o: number) => perSlot(scoredTick, o),
    enteredCount: (o: number) => perSlot(front.enteredCount, o),
    enteredAt: (o: number, i: number) => {
      const k = entry(front.enteredCount, o, i)
      return k === -1 ? -1 : front.entered[k]!
    },
    exitedCount: (o: number) => perSlot(front.exitedCount, o),
    exitedAt: (o: number, i: number) => {
      const k = entry(front.exitedCount, o, i)
      return k === -1 ? -1 : front.exited[k]!
    },
    bandChangedCount: (o: number) => perSlot(front.bandChangedCount, o),
    bandChangedAt: (o: number, i: number) => {
      const k = entry(front.bandChangedCount, o, i)
      return k === -1 ? -1 : front.bandChanged[k]!
    },
    generationOf: (e: number) => ((e >>> 0) === e && e < cap ? generation[e]! : -1),
    observerGenerationOf: (e: number) => ((e >>> 0) === e && e < cap ? observerGeneration[e]! : -1),
    reportBytes: (o: number, bytesPerSecond: number) => {
      checkRange('bytesPerSecond', bytesPerSecond, 0, 1e12)
      const s = slot(o)
      if (s === -1) return
      if (byteReports.report(s, bytesPerSecond) && !reportedFloor) reportFloor(o, s)
    },
    bytePrice,
    estimatedBytes: (o: number) => {
      const s = slot(o)
      return s === -1 ? 0 : inp.estBytes[s]! * inp.byteScale[s]!
    },
    memberGenerationAt: (o: number, i: number) => {
      const k = entry(front.count, o, i)
      return k === -1 ? -1 : front.gen[k]!
    },
    recordInteraction: (a: number, b: number, strength = 1) => {
      checkRange('strength', strength, 0, 1e6)
      // a fractional or NaN id (an undefined lookup) would write into other entities' records
      if (!Number.isInteger(a) || !Number.isInteger(b)) {
        throw new RangeError(`colyseus-attention: recordInteraction(a, b) needs two integer entity ids; got ${describeValue(a)} and ${describeValue(b)}`)
      }
      // ids outside [0, capacity) hold none of the components: nothing to score
      if (a === b || a >= cap || b >= cap || a < 0 || b < 0) return
      interactions.record(a, generation[a]!, b, generation[b]!, tick, strength)
    },
    explain: (o: number, e: number): Explanation => {
      if (disposed) throw new Error(DISPOSED)
      // option pipelined: the workers read the grid and the stores while they score; let them
      // finish (settle) before the grid is rebuilt below, or the sets they write would change
      if (pipelined && observerThreads !== null) observerThreads.finish()
      const s = slot(o)
      const rows: number[] = []
      const rules: number[] = []
      const featBuf: number[][] = []
      const scores: number[] = []
      if (s !== -1 && (flags[o]! & Has.Position) !== 0) {
        // replay this observer's broadphase into the (between-ticks idle) scratch rows, on a grid
        // of the current positions (the world may have changed since the tick), scored the way
        // the tick scores them: the built-in heads (the fused scores, bit for bit), the pair
        // scores, or the custom scorer's scoreBatch or score
        updateBroadphase()
        featOut = feat
        let n: number
        if (pairs !== null) n = gatherPaired(o, 0, RowMode.PairedWithFeatures)
        else {
          n = gather(o, 0, RowMode.Features)
          if (!customScorer) scorer.score(feat, n, inp.scores)
          else if (n > 0) scoreRows(n, o)
        }
        for (let r = 0; r < n; r++) {
          rows.push(inp.rowEid[r]!)
          rules.push(inp.rowRule[r]!)
          featBuf.push(Array.from(feat.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)))
          scores.push(inp.scores[r]!)
        }
      }
      const byteBudget = s === -1 ? 0 : c.Observer.byteBudget[o]!
      const x = explainPair({
        c,
        flags,
        o,
        e,
        rows,
        rules,
        features: featBuf,
        scores,
        weights: opts.weights,
        customScorer,
        hysteresis: opts.hysteresis,
        sets: front,
        slot: s,
        bytes: byteBudget > 0 ? { budget: byteBudget, price: bytePrice(o), scale: inp.byteScale[s]!, costs: opts.byteCosts, floored: inp.floorBytes[s]! > 0 } : null,
      })
      if (scorer.explainScore !== undefined) x.scorer = scorer.explainScore(o, e)
      return x
    },
    threadsRunning: () => (observerThreads === null ? 1 : observerThreads.running()),
    settle: () => {
      if (pipelined && observerThreads !== null) observerThreads.finish()
    },
    dispose: () => {
      if (disposed) return
      disposed = true
      tracker.dispose()
      observerThreads?.dispose()
      // the scorer is the game's: released for a next system, not disposed
      if (pairs !== null) claimedPairs.delete(pairs)
    },
  })
  if (observerThreads !== null) registerThreads(api, observerThreads)
  // claimed last: a creation that threw above claims nothing
  if (pairs !== null) claimedPairs.add(pairs)
  return api as AttentionSystem
}
