// A brute-force O(entities x observers) reference of the attention engine, written from
// .notes/engine-spec.md alone (never from plugin/src/ecs/attention-system.ts). It is the oracle of
// the property tests and the baseline of the engine benchmark: every observer scans every entity
// with Position, no spatial index, no incremental state beyond the interaction memory.
import { hasComponent, observe, onAdd, onRemove, query, type World } from 'bitecs'
import { FEATURE_COUNT, Feature, HEAD_NAMES } from '../../src/ecs/heads'
import type { BandOptions } from '../../src/ecs/bands'
import type { HysteresisOptions } from '../../src/ecs/types'
import { resolveOptions, type AttentionOptions, type ResolvedOptions } from '../../src/ecs/options'
import type { AttentionComponents } from '../../src/ecs/components'
import { LOWEST_SCORE } from '../../src/ecs/scorer'

/** Why an entity is forced into an observer's set. */
export type RuleKind = 'self' | 'owned' | 'always-relevant'

/** One scored (observer, candidate) pair. */
export interface OracleRow {
  entity: number
  /** Feature values in {@link Feature} column order (float32, as the scorer sees them). */
  features: number[]
  /** Score (logit) as the scorer wrote it (float32). */
  score: number
}

/** Everything the oracle computed for one observer on the last tick. */
export interface OracleObserver {
  observer: number
  /** The count budget, or with a byte budget the number of top-ranked rows it affords when fewer. */
  budget: number
  /** The observer's byte budget as selection reads it (0: none): at least the rule members' bytes plus one Low member. */
  byteBudget: number
  /** With a byte budget, the rule members' bytes per second at the configured rates. */
  ruleBytes: number
  /** With a byte budget, the detail bytes (Medium and High) the allocation granted. */
  detailGranted: number
  /** With a byte budget, the price the allocation used (the engine's, given to the oracle). */
  price: number
  /** With a byte budget, true when the price turned away a row the spend could have paid for. */
  refused: boolean
  /** With a byte budget, true when this tick opened the price (a new observer or budget, with rows to buy). */
  opening: boolean
  /** With a byte budget, true when this tick opened the price again (`byteCosts.reopenSeconds` after it opened). */
  reopening: boolean
  /** With `opening` or `reopening`, the price it opened at: the score of the first row the budget turned away, 0 when none (or below 0). */
  openedPrice: number
  /** With a byte budget, seconds of price updates since the price opened, as this tick's update read them (its rate fades with them). */
  priceAge: number
  temperature: number
  /** Scored rows (in range, not denied, not self), rule members included, in entity-id order. */
  rows: OracleRow[]
  /** Rule members and why (self, owned, always-relevant), whether in range or not. */
  rules: Map<number, RuleKind>
  /** Entities never allowed in this observer's set that have Position (hidden / other team). */
  denied: Set<number>
  /**
   * Entities whose range test sits on its boundary (d within 1e-6 relative of the effective radius,
   * or the predicted distance within 1e-6 of the radius): a correct engine may round either way.
   */
  nearBoundary: Set<number>
  /** Scored non-rule rows ordered by score desc, ties by entity id asc (the full budget ranking). */
  ranking: number[]
  /** TK: the first `budget` entries of `ranking`. */
  topK: number[]
  /** The set without hysteresis: rule members plus TK. */
  set: Set<number>
  /** Score of a scored entity (NaN when not scored). */
  scoreOf(entity: number): number
  /** Row of a scored entity, or undefined. */
  rowOf(entity: number): OracleRow | undefined
  /** Softmax weights over the scored members of `members` at this observer's temperature (0 for unscored). */
  weightsOf(members: Iterable<number>): Map<number, number>
}

/** The brute-force attention: call it once per tick, like the engine's system. */
export interface BruteForceAttention {
  (world: World): World
  /** Ticks run so far (the tick being computed is `tick` once the call starts). */
  readonly tick: number
  /** Records an interaction between a and b (symmetric), as the engine's `recordInteraction`. */
  recordInteraction(a: number, b: number, strength?: number): void
  /** Forgets everything about a removed entity id (its interaction memory), so a recycled id starts clean. */
  entityRemoved(eid: number): void
  /** An entity got the Observer component (again): its byte price opens anew, as the engine's does. */
  observerAdded(eid: number): void
  /** Observers computed on the last tick, ascending. Allocates. */
  observers(): number[]
  /** Result for one observer of the last tick, or undefined if it was not an observer. Allocates. */
  result(observer: number): OracleObserver | undefined
  /** Number of members in the no-hysteresis set of `observer` (no allocation). */
  memberCount(observer: number): number
  /** The resolved options (defaults filled in). */
  readonly options: ResolvedOptions
}

/**
 * Creates the brute-force reference. Reads the same component stores as the engine.
 * @param world - the bitECS world.
 * @param options - the same options the engine gets.
 */
export function createBruteForceAttention(world: World, options: AttentionOptions, extra: OracleInputs = {}): BruteForceAttention {
  const o = resolveOptions(options)
  const c: AttentionComponents = o.components
  const cap = c.capacity
  const slots = o.interactionSlots
  const w = new Float64Array(FEATURE_COUNT)
  for (let h = 0; h < FEATURE_COUNT; h++) w[h] = o.weights[HEAD_NAMES[h]!]

  // Interaction memory: per entity, `slots` most recent partners (LRU by a sequence number).
  const partner = new Int32Array(cap * slots).fill(-1)
  const partnerTick = new Float64Array(cap * slots)
  const partnerStrength = new Float64Array(cap * slots)
  const partnerSeq = new Float64Array(cap * slots)
  let seq = 0

  // Per-tick results, one block of rows per observer.
  let rowCap = 1024
  let rowEntity = new Int32Array(rowCap)
  let rowFeat = new Float32Array(rowCap * FEATURE_COUNT)
  let rowScore = new Float32Array(rowCap)
  let rowRule = new Uint8Array(rowCap)
  let rows = 0
  const obsStart = new Int32Array(cap).fill(-1)
  const obsEnd = new Int32Array(cap)
  // Rule members per observer (entity, kind), including unscored ones.
  let ruleCap = 256
  let ruleEntity = new Int32Array(ruleCap)
  let ruleKind = new Uint8Array(ruleCap)
  let rules = 0
  const ruleStart = new Int32Array(cap)
  const ruleEnd = new Int32Array(cap)
  // TK per observer, as row indices into the row block.
  let tkCap = 1024
  let tk = new Int32Array(tkCap)
  let tks = 0
  const tkStart = new Int32Array(cap)
  const tkEnd = new Int32Array(cap)
  // Weights of the no-hysteresis set's scored members (parallel to rows; 0 for non-members).
  let rowWeight = new Float64Array(rowCap)
  let rankScratch = new Int32Array(1024)
  const computed: number[] = []
  // the count budget after the byte budget (the count budget itself without one)
  const budgetOf = new Int32Array(cap)
  const ruleBytes = new Float64Array(cap)
  const readBudget = new Float64Array(cap)
  const detailGranted = new Float64Array(cap)
  const priceUsed = new Float64Array(cap)
  // the byte budget each observer's price was opened for (-1: not yet)
  const openedFor = new Float64Array(cap).fill(-1)
  // seconds of price updates since the price opened, and the age this tick's update used
  // the price's age as the engine stores it (float32), so that both reopen the price on the same tick
  const priceAge = new Float32Array(cap)
  const ageUsed = new Float32Array(cap)
  const refusedBy = new Uint8Array(cap)
  const opening = new Uint8Array(cap)
  const reopening = new Uint8Array(cap)
  const openedPrice = new Float64Array(cap)
  let tick = 0

  const KIND: RuleKind[] = ['self', 'self', 'owned', 'always-relevant']

  function growRows(): void {
    rowCap *= 2
    const e = new Int32Array(rowCap); e.set(rowEntity); rowEntity = e
    const f = new Float32Array(rowCap * FEATURE_COUNT); f.set(rowFeat); rowFeat = f
    const s = new Float32Array(rowCap); s.set(rowScore); rowScore = s
    const r = new Uint8Array(rowCap); r.set(rowRule); rowRule = r
    const wt = new Float64Array(rowCap); wt.set(rowWeight); rowWeight = wt
  }
  function pushRule(e: number, kind: number): void {
    if (rules === ruleCap) {
      ruleCap *= 2
      const a = new Int32Array(ruleCap); a.set(ruleEntity); ruleEntity = a
      const b = new Uint8Array(ruleCap); b.set(ruleKind); ruleKind = b
    }
    ruleEntity[rules] = e
    ruleKind[rules] = kind
    rules++
  }

  function recency(ob: number, e: number): number {
    for (let s = 0; s < slots; s++) {
      const i = ob * slots + s
      if (partner[i] === e) {
        const age = (tick - partnerTick[i]!) * o.dt
        const v = partnerStrength[i]! * Math.pow(2, -age / o.interactionHalfLife)
        return v < 0 ? 0 : v > 1 ? 1 : v
      }
    }
    return 0
  }

  function remember(a: number, b: number, strength: number): void {
    let slot = -1
    for (let s = 0; s < slots && slot === -1; s++) if (partner[a * slots + s] === b) slot = a * slots + s
    for (let s = 0; s < slots && slot === -1; s++) if (partner[a * slots + s] === -1) slot = a * slots + s
    if (slot === -1) {
      let oldest = Infinity
      for (let s = 0; s < slots; s++) {
        const i = a * slots + s
        if (partnerSeq[i]! < oldest) { oldest = partnerSeq[i]!; slot = i }
      }
    }
    partner[slot] = b
    partnerTick[slot] = tick
    partnerStrength[slot] = strength
    partnerSeq[slot] = ++seq
  }

  // Component membership, read once per tick for every entity with Position (bit per component).
  const VEL = 1, FAC = 2, SAL = 4, TEAM = 8, TONLY = 16, HID = 32, OWN = 64, ALWAYS = 128, AIM = 256
  const flags = new Uint16Array(cap)
  function readFlags(e: number): void {
    flags[e] =
      (hasComponent(world, e, c.Velocity) ? VEL : 0) | (hasComponent(world, e, c.Facing) ? FAC : 0) |
      (hasComponent(world, e, c.Salience) ? SAL : 0) | (hasComponent(world, e, c.Team) ? TEAM : 0) |
      (hasComponent(world, e, c.TeamOnly) ? TONLY : 0) | (hasComponent(world, e, c.Hidden) ? HID : 0) |
      (hasComponent(world, e, c.Owner) ? OWN : 0) | (hasComponent(world, e, c.AlwaysRelevant) ? ALWAYS : 0) |
      (hasComponent(world, e, c.Aim) ? AIM : 0)
  }
  const aimsAt = (e: number, ob: number): boolean => (flags[e]! & AIM) !== 0 && c.Aim.target[e] === ob
  const hasFacing = (e: number): boolean => (flags[e]! & FAC) !== 0
  const hasTeam = (e: number): boolean => (flags[e]! & TEAM) !== 0
  // An ownership belongs to the owner's life, not to its id (concepts.md 7): lives counted here from
  // Position removals; an entity belongs to the life its owner had when Owner was added (for the
  // owner it named then) or, for an Owner.eid written later, when a tick first sees that id, and is
  // owned while the owner lives that life.
  const life = new Uint32Array(cap)
  const linkTo = new Float64Array(cap).fill(-1)
  const linkLife = new Uint32Array(cap)
  const addedTo = new Float64Array(cap).fill(-1)
  const addedLife = new Uint32Array(cap)
  observe(world, onRemove(c.Position), (e: number) => void life[e]!++)
  observe(world, onAdd(c.Owner), (e: number) => {
    linkTo[e] = -1
    addedTo[e] = c.Owner.eid[e]!
    addedLife[e] = c.Owner.eid[e]! < cap ? life[c.Owner.eid[e]!]! : 0
  })
  function updateLinks(wld: World): void {
    for (const e of query(wld, [c.Owner])) {
      const ob = c.Owner.eid[e]!
      if (linkTo[e] === ob) continue
      linkTo[e] = ob
      linkLife[e] = addedTo[e] === ob ? addedLife[e]! : ob < cap ? life[ob]! : 0
      addedTo[e] = -1
    }
  }
  const ownedBy = (e: number, ob: number): boolean => (flags[e]! & OWN) !== 0 && c.Owner.eid[e] === ob && linkTo[e] === ob && linkLife[e] === life[ob]

  function isDenied(ob: number, e: number): boolean {
    if (e === ob || ownedBy(e, ob)) return false
    const f = flags[e]!
    if ((f & HID) !== 0) return true
    if ((f & TONLY) !== 0) return !(hasTeam(ob) && hasTeam(e) && c.Team.id[ob] === c.Team.id[e])
    return false
  }

  /**
   * Byte budget: the rule members' bytes per second at the configured rates: self and owned at
   * High, always-relevant at the raw band of its score (Low when not scored). Reads this tick's
   * rule list and scores of `ob` (call after its rows are scored).
   */
  /** A non-rule row that stands still: a Velocity, and a zero one (docs/concepts.md 6b). */
  function standsStill(e: number): boolean {
    return (flags[e]! & VEL) !== 0 && c.Velocity.x[e] === 0 && c.Velocity.y[e] === 0 && c.Velocity.z[e] === 0
  }

  function ruleBytesOf(ob: number): number {
    const { low, medium, high, still } = o.byteCosts
    // a rule member with no velocity, or a zero one, is charged `still` of its band
    const rate = (e: number): number => ((flags[e]! & VEL) === 0 || standsStill(e) ? still : 1)
    let b = 0
    for (let i = ruleStart[ob]!; i < rules; i++) {
      const kind = ruleKind[i]!
      const e = ruleEntity[i]!
      if (kind !== 3) { b += high * rate(e); continue }
      let s = NaN
      for (let r = obsStart[ob]!; r < rows; r++) if (rowEntity[r] === e) s = rowScore[r]!
      b += (s >= o.bands.high ? high : s >= o.bands.medium ? medium : low) * rate(e)
    }
    return b
  }

  function computeObserver(ob: number, ents: ArrayLike<number>): void {
    const P = c.Position, V = c.Velocity, F = c.Facing
    const R = c.Observer.radius[ob]!
    const K = c.Observer.budget[ob]!
    const fov = c.Observer.fov[ob]!
    const ch = Math.cos(fov / 2)
    const T = o.lookahead
    const ox = P.x[ob]!, oy = P.y[ob]!, oz = P.z[ob]!
    const oHasV = (flags[ob]! & VEL) !== 0
    const ovx = oHasV ? V.x[ob]! : 0, ovy = oHasV ? V.y[ob]! : 0, ovz = oHasV ? V.z[ob]! : 0
    const oHasF = hasFacing(ob)
    const oTeam = hasTeam(ob)
    obsStart[ob] = rows
    ruleStart[ob] = rules
    pushRule(ob, 1)
    for (let j = 0; j < ents.length; j++) {
      const e = ents[j]!
      if (e === ob) continue
      if (isDenied(ob, e)) continue
      let rule = 0
      if (ownedBy(e, ob)) rule = 2
      else if ((flags[e]! & ALWAYS) !== 0) rule = 3
      if (rule !== 0) pushRule(e, rule)
      const hasV = (flags[e]! & VEL) !== 0
      const vx = hasV ? V.x[e]! : 0, vy = hasV ? V.y[e]! : 0, vz = hasV ? V.z[e]! : 0
      const dx = P.x[e]! - ox, dy = P.y[e]! - oy, dz = P.z[e]! - oz
      const d = Math.sqrt(dx * dx + dy * dy + dz * dz)
      const hasS = (flags[e]! & SAL) !== 0
      const nimbus = hasS ? c.Salience.nimbus[e]! : 0
      // a nimbus that is not finite counts as none (concepts.md section 8)
      const reff = Number.isFinite(nimbus) ? Math.max(R, nimbus) : R
      const px = dx + (vx - ovx) * T, py = dy + (vy - ovy) * T, pz = dz + (vz - ovz) * T
      const dPred = Math.sqrt(px * px + py * py + pz * pz)
      // an entity aiming at the observer is a candidate at any distance
      if (!(d <= reff || dPred <= R || aimsAt(e, ob))) continue
      if (rows === rowCap) growRows()
      const f = rows * FEATURE_COUNT
      // distance
      // linear for distanceFalloff 0, else 1 - ln(1 + k d / reff) / ln(1 + k)
      const k = o.distanceFalloff
      const dist = k === 0 ? 1 - d / reff : 1 - Math.log(1 + (k * d) / reff) / Math.log(1 + k)
      rowFeat[f + Feature.Distance] = dist < 0 ? 0 : dist > 1 ? 1 : dist
      // facing
      let facing = 0
      if (oHasF) {
        if (d === 0) facing = 1
        else if (ch <= 1 - 1e-9) {
          const cosT = (F.x[ob]! * dx + F.y[ob]! * dy + F.z[ob]! * dz) / d
          facing = cosT < ch ? 0 : (cosT - ch) / (1 - ch)
        }
      }
      rowFeat[f + Feature.Facing] = facing
      // approach: relative velocity of c along the direction c -> o
      let approach = 0
      if (d !== 0) {
        approach = ((vx - ovx) * -dx + (vy - ovy) * -dy + (vz - ovz) * -dz) / d / o.speedScale
        approach = approach < 0 ? 0 : approach > 1 ? 1 : approach
      }
      rowFeat[f + Feature.Approach] = approach
      rowFeat[f + Feature.Recency] = recency(ob, e)
      const sw = hasS ? c.Salience.weight[e]! : 0
      rowFeat[f + Feature.Salience] = sw < 0 ? 0 : sw > 1 ? 1 : sw
      let mutual = 0
      if (d !== 0 && hasFacing(e)) {
        mutual = (F.x[e]! * -dx + F.y[e]! * -dy + F.z[e]! * -dz) / d
        if (mutual < 0) mutual = 0
      }
      rowFeat[f + Feature.Mutual] = mutual
      rowFeat[f + Feature.Team] = oTeam && hasTeam(e) && c.Team.id[ob] === c.Team.id[e] ? 1 : 0
      rowFeat[f + Feature.Aim] = aimsAt(e, ob) ? 1 : 0
      rowEntity[rows] = e
      rowRule[rows] = rule
      rowWeight[rows] = 0
      rows++
    }
    obsEnd[ob] = rows
    ruleEnd[ob] = rules
    // Score the block.
    const start = obsStart[ob]!
    const n = rows - start
    if (o.scorer) {
      o.scorer.score(rowFeat.subarray(start * FEATURE_COUNT, rows * FEATURE_COUNT), n, rowScore.subarray(start, rows))
    } else {
      for (let r = start; r < rows; r++) {
        let s = 0
        for (let h = 0; h < FEATURE_COUNT; h++) s += w[h]! * rowFeat[r * FEATURE_COUNT + h]!
        rowScore[r] = s
      }
    }
    // Budget ranking over scored non-rule rows: score desc, entity asc; TK = first K.
    if (rankScratch.length < n) rankScratch = new Int32Array(n * 2)
    let m = 0
    for (let r = start; r < rows; r++) if (rowRule[r] === 0) rankScratch[m++] = r
    const ranked = rankScratch.subarray(0, m)
    ranked.sort((a, b) => rowScore[b]! - rowScore[a]! || rowEntity[a]! - rowEntity[b]!)
    let take = Math.min(K, m)
    const byteBudget = c.Observer.byteBudget[ob]!
    ruleBytes[ob] = byteBudget > 0 ? ruleBytesOf(ob) : 0
    // a budget the rule members alone use up is read as theirs plus one Low member (docs/concepts.md 6b);
    // the oracle knows no reports: its measured ratio is 1 and the avatar's still share byteCosts.still
    readBudget[ob] = byteBudget > 0 ? Math.max(byteBudget, ruleBytes[ob]! + o.byteCosts.low) : 0
    if (byteBudget <= 0 && (extra.selected?.(ob) ?? true)) openedFor[ob] = -1
    opening[ob] = 0
    reopening[ob] = 0
    if (byteBudget > 0) {
      priceUsed[ob] = extra.priceOf?.(ob) ?? 0
      // a new observer or budget opens the price; with no rows to buy it opens at 0 and again later
      opening[ob] = openedFor[ob] !== byteBudget ? 1 : 0
      ageUsed[ob] = priceAge[ob]!
      if (opening[ob] === 0 && (extra.selected?.(ob) ?? true)) priceAge[ob] = priceAge[ob]! + o.dt
      const considered = Array.from(ranked.subarray(0, take))
      // at the floor the one member bought is the best now: no premium (docs/concepts.md 6b)
      const floored = readBudget[ob]! > byteBudget
      // the price opens again on the tick its age reaches reopenSeconds, with rows to buy and the budget not at its floor
      const R = o.byteCosts.reopenSeconds
      if (opening[ob] === 0 && !floored && take > 0 && ageUsed[ob]! < R && Math.fround(ageUsed[ob]! + o.dt) >= R) reopening[ob] = 1
      const afford = affordableCount(considered.map((r) => rowScore[r]!), readBudget[ob]!, o, ruleBytes[ob]!, c.Observer.temperature[ob]!, {
        price: priceUsed[ob]!,
        opening: opening[ob] === 1,
        reopening: reopening[ob] === 1,
        floored,
        incumbent: considered.map((r) => extra.wasMember?.(ob, rowEntity[r]!) ?? false),
        still: considered.map((r) => standsStill(rowEntity[r]!)),
      })
      detailGranted[ob] = afford.detail
      refusedBy[ob] = afford.refused ? 1 : 0
      openedPrice[ob] = take > 0 ? afford.openedPrice : 0
      if (take > 0 && (extra.selected?.(ob) ?? true)) {
        if (opening[ob] === 1) priceAge[ob] = 0
        openedFor[ob] = byteBudget
      }
      // the rows bought, best first: the ranking's prefix but for members the premium kept
      for (let i = 0; i < afford.count; i++) ranked[i] = considered[afford.taken[i]!]!
      if (afford.count < take) take = afford.count
    }
    budgetOf[ob] = byteBudget > 0 && take < Math.min(K, m) ? take : K
    while (tks + take > tkCap) {
      tkCap *= 2
      const t = new Int32Array(tkCap); t.set(tk); tk = t
    }
    tkStart[ob] = tks
    for (let i = 0; i < take; i++) tk[tks++] = ranked[i]!
    tkEnd[ob] = tks
    // Softmax over the scored members of the no-hysteresis set (scored rule members + TK).
    const temp = c.Observer.temperature[ob]!
    let smax = -Infinity
    for (let r = start; r < rows; r++) if (rowRule[r] !== 0 && rowScore[r]! > smax) smax = rowScore[r]!
    for (let i = tkStart[ob]!; i < tks; i++) if (rowScore[tk[i]!]! > smax) smax = rowScore[tk[i]!]!
    let sum = 0
    for (let r = start; r < rows; r++) if (rowRule[r] !== 0) sum += (rowWeight[r] = Math.exp((rowScore[r]! - smax) / temp))
    for (let i = tkStart[ob]!; i < tks; i++) sum += (rowWeight[tk[i]!] = Math.exp((rowScore[tk[i]!]! - smax) / temp))
    if (sum > 0) {
      for (let r = start; r < rows; r++) rowWeight[r] = rowWeight[r]! / sum
    }
  }

  const system = ((wld: World): World => {
    tick++
    rows = 0
    rules = 0
    tks = 0
    for (let i = 0; i < computed.length; i++) obsStart[computed[i]!] = -1
    computed.length = 0
    updateLinks(wld)
    const ents = query(wld, [c.Position])
    for (let j = 0; j < ents.length; j++) readFlags(ents[j]!)
    const obs = query(wld, [c.Observer, c.Position])
    for (let i = 0; i < obs.length; i++) {
      computeObserver(obs[i]!, ents)
      computed.push(obs[i]!)
    }
    return wld
  }) as BruteForceAttention

  function onRangeBoundary(ob: number, e: number): boolean {
    const P = c.Position, V = c.Velocity
    const R = c.Observer.radius[ob]!
    if (hasComponent(world, e, c.Aim) && c.Aim.target[e] === ob) return false
    const nimbus = hasComponent(world, e, c.Salience) ? c.Salience.nimbus[e]! : 0
    const reff = Number.isFinite(nimbus) ? Math.max(R, nimbus) : R
    const dx = P.x[e]! - P.x[ob]!, dy = P.y[e]! - P.y[ob]!, dz = P.z[e]! - P.z[ob]!
    const ve = hasComponent(world, e, c.Velocity), vo = hasComponent(world, ob, c.Velocity)
    const T = o.lookahead
    const px = dx + ((ve ? V.x[e]! : 0) - (vo ? V.x[ob]! : 0)) * T
    const py = dy + ((ve ? V.y[e]! : 0) - (vo ? V.y[ob]! : 0)) * T
    const pz = dz + ((ve ? V.z[e]! : 0) - (vo ? V.z[ob]! : 0)) * T
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz)
    const dPred = Math.sqrt(px * px + py * py + pz * pz)
    return Math.abs(d - reff) <= 1e-6 * (1 + reff) || Math.abs(dPred - R) <= 1e-6 * (1 + R)
  }

  function result(ob: number): OracleObserver | undefined {
    if (ob < 0 || ob >= cap || obsStart[ob] === -1) return undefined
    const start = obsStart[ob]!, end = obsEnd[ob]!
    const outRows: OracleRow[] = []
    const byEntity = new Map<number, OracleRow>()
    for (let r = start; r < end; r++) {
      const row: OracleRow = {
        entity: rowEntity[r]!,
        features: Array.from(rowFeat.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)),
        score: rowScore[r]!,
      }
      outRows.push(row)
      byEntity.set(row.entity, row)
    }
    outRows.sort((a, b) => a.entity - b.entity)
    const ruleMap = new Map<number, RuleKind>()
    for (let i = ruleStart[ob]!; i < ruleEnd[ob]!; i++) ruleMap.set(ruleEntity[i]!, KIND[ruleKind[i]!]!)
    const ranking: number[] = []
    for (let r = start; r < end; r++) if (rowRule[r] === 0) ranking.push(r)
    ranking.sort((a, b) => rowScore[b]! - rowScore[a]! || rowEntity[a]! - rowEntity[b]!)
    const rankingEntities = ranking.map((r) => rowEntity[r]!)
    const topK: number[] = []
    for (let i = tkStart[ob]!; i < tkEnd[ob]!; i++) topK.push(rowEntity[tk[i]!]!)
    const set = new Set<number>([...ruleMap.keys(), ...topK])
    const denied = new Set<number>()
    const ents = query(world, [c.Position])
    const nearBoundary = new Set<number>()
    for (let j = 0; j < ents.length; j++) {
      const e = ents[j]!
      if (isDenied(ob, e)) denied.add(e)
      else if (e !== ob && onRangeBoundary(ob, e)) nearBoundary.add(e)
    }
    const temperature = c.Observer.temperature[ob]!
    return {
      observer: ob,
      budget: budgetOf[ob]!,
      byteBudget: readBudget[ob]!,
      ruleBytes: ruleBytes[ob]!,
      detailGranted: detailGranted[ob]!,
      price: priceUsed[ob]!,
      refused: refusedBy[ob] === 1,
      opening: opening[ob] === 1,
      reopening: reopening[ob] === 1,
      openedPrice: openedPrice[ob]!,
      priceAge: ageUsed[ob]!,
      temperature,
      rows: outRows,
      rules: ruleMap,
      denied,
      nearBoundary,
      ranking: rankingEntities,
      topK,
      set,
      scoreOf: (e) => byEntity.get(e)?.score ?? NaN,
      rowOf: (e) => byEntity.get(e),
      weightsOf: (members) => softmax(members, byEntity, temperature),
    }
  }

  Object.defineProperty(system, 'tick', { get: () => tick })
  Object.defineProperty(system, 'options', { value: o })
  system.recordInteraction = (a: number, b: number, strength = 1): void => {
    remember(a, b, strength)
    remember(b, a, strength)
  }
  system.observerAdded = (eid: number): void => {
    openedFor[eid] = -1
  }
  system.entityRemoved = (eid: number): void => {
    openedFor[eid] = -1
    for (let s = 0; s < slots; s++) partner[eid * slots + s] = -1
    for (let i = 0; i < partner.length; i++) if (partner[i] === eid) partner[i] = -1
  }
  system.observers = () => [...computed].sort((a, b) => a - b)
  system.result = result
  system.memberCount = (ob: number): number => {
    if (ob < 0 || ob >= cap || obsStart[ob] === -1) return 0
    return ruleEnd[ob]! - ruleStart[ob]! + tkEnd[ob]! - tkStart[ob]!
  }
  return system
}

function softmax(members: Iterable<number>, rows: Map<number, OracleRow>, temperature: number): Map<number, number> {
  const out = new Map<number, number>()
  let smax = -Infinity
  for (const m of members) {
    const r = rows.get(m)
    if (r && r.score > smax) smax = r.score
  }
  let sum = 0
  for (const m of members) {
    const r = rows.get(m)
    const v = r ? Math.exp((r.score - smax) / temperature) : 0
    out.set(m, v)
    sum += v
  }
  if (sum > 0) for (const [m, v] of out) out.set(m, v / sum)
  return out
}

/** A member of an observer's set as the engine reported it after the previous tick. */
export interface PreviousMember {
  entity: number
  /** Consecutive ticks ranked outside the budget (from `explain().hysteresis.outTicks`). */
  outTicks: number
}

/** Outcome of {@link expectedHysteresisStep}. */
export interface HysteresisStep {
  /** The expected set after this tick. */
  set: Set<number>
  /** True when a tie the spec leaves open (which of equally low lingering members is swapped out) decided the outcome. */
  ambiguous: boolean
}

/**
 * One tick of the hysteresis selection from the spec, starting from the engine's previous set.
 * @param prev - members after the previous tick (with outTicks).
 * @param now - the oracle's result for this tick.
 * @param gone - ids removed (or recycled) since the previous tick.
 */
export function expectedHysteresisStep(prev: PreviousMember[], now: OracleObserver, h: HysteresisOptions, gone: ReadonlySet<number>): HysteresisStep {
  const K = now.budget
  const inTK = new Set(now.topK)
  const members = new Set<number>()
  const lingering = new Set<number>()
  let ambiguous = false
  for (const p of prev) {
    const m = p.entity
    if (now.rules.has(m) && !gone.has(m)) { members.add(m); continue }
    if (gone.has(m)) continue
    const s = now.scoreOf(m)
    if (Number.isNaN(s) || now.denied.has(m)) continue
    // under a byte budget the price decides, not the score thresholds (docs/concepts.md 6b)
    if (now.byteBudget <= 0 && s < h.exitScore) continue
    if (inTK.has(m)) { members.add(m); continue }
    if (p.outTicks + 1 > h.minOutTicks) continue
    members.add(m)
    lingering.add(m)
  }
  let nonRule = 0
  for (const m of members) if (!now.rules.has(m)) nonRule++
  // The budget is a hard cap: after a budget shrink or a lost rule, the lowest lingering members go.
  while (nonRule > K) {
    const low = lowestLingering(lingering, now)
    if (low.tie) ambiguous = true
    members.delete(low.entity)
    lingering.delete(low.entity)
    nonRule--
  }
  for (const e of now.topK) {
    if (members.has(e)) continue
    const s = now.scoreOf(e)
    // under a byte budget any score above the one that stands for none (a custom scorer's NaN)
    if (now.byteBudget > 0 ? !(s > Math.fround(LOWEST_SCORE)) : !(s >= h.enterScore)) continue
    if (nonRule < K) { members.add(e); nonRule++; continue }
    const low = lowestLingering(lingering, now)
    if (low.entity !== -1 && low.score + h.swapMargin < s) {
      if (low.tie) ambiguous = true
      members.delete(low.entity)
      lingering.delete(low.entity)
      members.add(e)
    }
  }
  for (const r of now.rules.keys()) members.add(r)
  return { set: members, ambiguous }
}

function lowestLingering(lingering: ReadonlySet<number>, now: OracleObserver): { entity: number; score: number; tie: boolean } {
  let entity = -1
  let score = Infinity
  let tie = false
  for (const l of lingering) {
    const ls = now.scoreOf(l)
    if (ls < score) { score = ls; entity = l; tie = false } else if (ls === score) tie = true
  }
  return { entity, score, tie }
}

/**
 * Band of a scored member from the spec: a new member takes its raw band; an existing one rises at
 * once and drops only below its band's threshold minus the margin.
 * @param previous - the member's band after the previous tick, or null if it is new this tick.
 */
export function expectedBand(previous: number | null, score: number, b: BandOptions): number {
  const raw = score >= b.high ? 2 : score >= b.medium ? 1 : 0
  if (previous === null || raw >= previous) return raw
  const threshold = previous === 2 ? b.high : previous === 1 ? b.medium : -Infinity
  if (!(score < threshold - b.margin)) return previous
  if (score >= b.high - b.margin) return 2
  if (score >= b.medium - b.margin) return 1
  return 0
}

/** What the oracle takes from outside the world: engine state it checks its selection against. */
export interface OracleInputs {
  /** The byte price an observer's tick starts with (the engine's `bytePrice` before the tick). @defaultValue 0 */
  priceOf?: (observer: number) => number
  /**
   * With a byte budget: whether `e` was in `observer`'s set before this tick (the same entity, not a
   * recycled id), for the entry premium (docs/concepts.md 6b). @defaultValue never
   */
  wasMember?: (observer: number, e: number) => boolean
  /**
   * Whether the engine selected the observer's set on this tick (with `rescoreEvery` it keeps it on
   * the others): only such a tick can open the byte price. @defaultValue every tick
   */
  selected?: (observer: number) => boolean
}

/**
 * The byte price after a tick, from the spec (docs/concepts.md 6b): it moves by
 * `rate * T * dt * (bytes / budget - 1)`, the rate `settleRate` fading to `priceRate` with time
 * constant `settleSeconds` over the price's age, not below 0, up only while the set holds non-rule
 * members and down only while the price turned a row away; otherwise it stays.
 */
export function expectedPrice(price: number, bytes: number, budget: number, o: ResolvedOptions, temperature: number, nonRuleMembers: number, refused: boolean, age = 0): number {
  const err = bytes / budget - 1
  if (err > 0 ? nonRuleMembers === 0 : !refused) return price
  const c = o.byteCosts
  const rate = c.settleSeconds > 0 ? c.priceRate + (c.settleRate - c.priceRate) * Math.exp(-age / c.settleSeconds) : c.priceRate
  return Math.max(0, price + rate * temperature * o.dt * err)
}

/** How {@link affordableCount} buys: the price and the state of the rows, all optional. */
export interface AffordInputs {
  /** The stored byte price. @defaultValue 0 */
  price?: number
  /** Whether this tick opens the price. @defaultValue false */
  opening?: boolean
  /** Whether this tick opens it again (`reopenSeconds` after the first): the held rate within the budget, the spend within the burst. @defaultValue false */
  reopening?: boolean
  /** The shift of a young price, `T ln(ratio)`. @defaultValue 0 */
  priceShift?: number
  /** Whether the budget is read at its floor: no entry premium. @defaultValue false */
  floored?: boolean
  /** Per ranked row: its entity was a member before this tick. @defaultValue none */
  incumbent?: readonly boolean[]
  /** Per ranked row: it stands still (a zero Velocity). @defaultValue none */
  still?: readonly boolean[]
}

/**
 * Byte budget, from the spec (docs/concepts.md 6b): after the rule members' bytes, a greedy
 * allocation by value per byte over the ranked rows, spending at most `burst` times the budget in
 * this tick, buying no row whose score is below the price `p` (but a member from before this tick,
 * `incumbent[i]`, down to `p - T ln(1 + enter / low)`: the entry premium, not at a `floored` budget)
 * and raising none whose score is below `p + T ln(raise cost / low)`. A row costs `low` at Low; one
 * that stands still (`still[i]`) `still * low`, plus `enter` when it was no member before this tick.
 * The tick that opens the price (a new observer or budget) spends at most the budget, with no
 * price, and opens it at the score of the first row it could not buy (0 when none, or below 0),
 * less `priceShift`; the tick that opens it again (`reopening`) has no price either, holds what
 * the rows bought cost once members (`low`, `still * low` standing still, the rule members and
 * raises as charged) to the budget and the spend, entries included, to `burst` times it, and opens
 * it the same way: the price is kept for the configured costs, and a measured byte ratio `r`
 * shifts it by `T ln r` (the caller passes that). A row taken at Low is worth e^(s/T) for its
 * cost; raising a taken row to the band its score reaches (High, or Medium when High no longer
 * fits the detail share of what the rule members leave) is worth e^(s/T) again for that band's
 * cost less `low`. At each step the better buy per byte that still fits the budget is made: the
 * raise of the best row not yet raised, or the next row; a row that cannot be raised ends all
 * raising, a row that does not fit ends all buying. Ties go to taking the row.
 * @returns how many rows are taken, which (`taken`: indices into `rankedScores`, best first), and the detail bytes of the raises.
 */
export function affordableCount(rankedScores: readonly number[], budget: number, o: ResolvedOptions, ruleBytes: number, temperature: number, inputs: AffordInputs = {}): { count: number; taken: number[]; detail: number; refused: boolean; openedPrice: number } {
  const { opening = false, reopening = false, priceShift = 0, floored = false, incumbent = [], still = [] } = inputs
  // the price is kept for the configured costs; the measured ratio shifts it by T ln(ratio)
  let price = Math.max(0, (inputs.price ?? 0) + priceShift)
  const { low, medium, high, detailShare, enter } = o.byteCosts
  // the tick that opens the price spends at most the budget and has no price yet
  const burst = opening ? 1 : o.byteCosts.burst
  if (opening || reopening) price = -Infinity
  const limit = budget * burst
  // the second opening: the set's rate (what its rows cost held) within the budget
  const heldLimit = reopening ? budget : Infinity
  let refused = false
  // the detail share is a share of what the rule members leave
  const cap = Math.max(0, budget - ruleBytes) * detailShare
  let spent = ruleBytes
  let held = ruleBytes
  let detail = 0
  const premium = floored ? 0 : temperature * Math.log(1 + enter / low)
  // what a row costs once a member, and this tick: a still row that is no member yet pays its entry too
  const heldOf = (i: number): number => (still[i] === true ? low * o.byteCosts.still : low)
  const costOf = (i: number): number => heldOf(i) + (still[i] === true && incumbent[i] !== true ? enter : 0)
  const bought: number[] = []
  // the next row to consider; a row the price turns away is passed over for good
  let next = 0
  let raised = 0
  let open = true
  while (true) {
    const taken = bought.length
    let extra = NaN
    let bandCost = 0
    if (open && raised < taken) {
      const s = rankedScores[bought[raised]!]!
      if (s >= o.bands.high && detail + high <= cap) bandCost = high
      else if (s >= o.bands.medium && detail + medium <= cap) bandCost = medium
      if (bandCost === 0) open = false
      else extra = bandCost - low
    }
    // the next row the price admits: at the price, or a member no further below it than the premium
    let take = false
    while (next < rankedScores.length && spent + costOf(next) <= limit && held + heldOf(next) <= heldLimit) {
      const s = rankedScores[next]!
      if (s >= price || (incumbent[next] === true && s >= price - premium)) {
        take = true
        break
      }
      refused = true
      if (!(s >= price - premium)) break
      next++
    }
    let raise = !Number.isNaN(extra) && spent + extra <= limit && held + extra <= heldLimit
    if (raise && !(rankedScores[bought[raised]!]! >= price + temperature * Math.log(extra / low))) {
      refused = true
      raise = false
    }
    if (!take && !raise) break
    const raiseWorthMore = raise && (!take || Math.exp((rankedScores[bought[raised]!]! - rankedScores[next]!) / temperature) * low > extra)
    if (raiseWorthMore) {
      spent += extra
      held += extra
      detail += bandCost
      raised++
    } else {
      spent += costOf(next)
      held += heldOf(next)
      bought.push(next++)
    }
  }
  // the opening tick passes no row over: the first one not bought
  const first = bought.length < rankedScores.length ? rankedScores[bought.length]! : 0
  return { count: bought.length, taken: bought, detail, refused, openedPrice: Math.max(0, first) - priceShift }
}

/**
 * Bands under a byte budget, from the spec: the members' bands from {@link expectedBand}, then,
 * best score first (ties by entity id), a Medium or High member keeps its band while the detail
 * share (at most what the allocation granted) pays for it, a High one that no longer fits drops to
 * Medium if that fits, else to Low. A Low member costs Low, or, standing still (`still`), `still`
 * of Low plus `enter / dt` on the tick it entered (`entered`).
 * @param wanted - non-rule scored members with the band hysteresis gives them.
 * @param granted - the detail bytes {@link affordableCount} granted (no limit when omitted).
 * @returns band per member, and the set's bytes per second at those bands.
 */
export function expectedBytesBands(wanted: { entity: number; score: number; band: number; still?: boolean; entered?: boolean }[], budget: number, o: ResolvedOptions, granted = Infinity): { bands: Map<number, number>; bytes: number } {
  const { low, medium, high, detailShare, enter, still } = o.byteCosts
  const cap = Math.min(budget * detailShare, granted)
  const order = [...wanted].sort((a, b) => b.score - a.score || a.entity - b.entity)
  const bands = new Map<number, number>()
  let detail = 0
  let bytes = 0
  for (const m of order) {
    let band = 0
    if (m.band === 2 && detail + high <= cap) band = 2
    else if (m.band >= 1 && detail + medium <= cap) band = 1
    // a Low member that stands still costs `still` of Low, and its entry in its first tick: `enter`
    // bytes once, `enter / dt` per second over that tick
    const lowCost = m.still === true ? low * still + (m.entered === true ? enter / o.dt : 0) : low
    const cost = band === 2 ? high : band === 1 ? medium : lowCost
    if (band !== 0) detail += cost
    bytes += cost
    bands.set(m.entity, band)
  }
  return { bands, bytes }
}
