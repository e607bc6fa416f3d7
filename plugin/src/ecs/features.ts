// Owns: the feature row writer: for one observer and a batch of broadphase candidates, the exact
// range test, the visibility rules (an inline copy of rules.ts isDenied, checked by
// test/ecs/rules.test.ts) and the formula of each head (heads.ts lists them; docs/concepts.md
// section 2 specifies them). The candidate loop is the engine's hottest code: PERFORMANCE.md.
import { BOUND_EXEMPT, type CandidateColumns } from './broadphase'
import type { AttentionComponents } from './components'
import { Has } from './entity-tracker'
import { fastLn } from './fast-log'
import { Feature, FEATURE_COUNT, scoreRow, weightVector, type HeadWeights } from './heads'
import type { InteractionStore } from './interactions'
import { RULE_FLAGS } from './rules'
import { LOWEST_SCORE } from './scorer'

/** Tuning the feature heads read. */
export interface FeatureParams {
  lookahead: number
  speedScale: number
  /** `k` of the distance head (`distanceFalloff`); 0: linear. */
  distanceFalloff: number
  /** dt / interactionHalfLife: age in ticks times this is the number of half-lives. */
  halfLivesPerTick: number
}

/**
 * What {@link writeCandidates} produces per row: the feature row (a custom scorer scores it
 * later), the built-in score fused into the pass (bounded: PERFORMANCE.md, "bounded rows"), or the
 * pair score loaded into {@link RowWriter.pairScore} with the built-in score as the fallback, with
 * or without the feature row.
 */
export const RowMode = {
  Features: 0,
  Fused: 1,
  Paired: 2,
  PairedWithFeatures: 3,
} as const
/** One of {@link RowMode}. */
export type RowMode = (typeof RowMode)[keyof typeof RowMode]

// slots of the observer state array
const OX = 0
const OY = 1
const OZ = 2
const OVX = 3
const OVY = 4
const OVZ = 5
const OFX = 6
const OFY = 7
const OFZ = 8
const COS_HALF = 9
const RADIUS = 10
const REACH = 11
const HINT = 12
const BOUND = 13
const O_SIZE = 14
/** Slot of the observer's broadphase reach in {@link RowWriter.observer}. */
export const REACH_SLOT = REACH
/** Slot of the observer's K-th-score hint in {@link RowWriter.observer} (set before {@link loadObserver}). */
export const HINT_SLOT = HINT
/**
 * Slot of the observer's bound in {@link RowWriter.observer} after {@link loadObserver}: the
 * squared distance beyond which no candidate without a {@link BOUND_EXEMPT} flag can reach the
 * hint, whatever its motion and facing (Infinity: none); the broadphase searches those within it
 * only, and a bounded write skips them there too (its own test per candidate is tighter).
 */
export const BOUND_SLOT = BOUND
/** Index in {@link RowWriter.counts}: rows skipped by the bound. */
export const SKIPPED = 0
/** Index in {@link RowWriter.counts}: flagless rows scoring at or above the hint. */
export const REACHED = 1
/** Index in {@link RowWriter.counts}: rows scored from the pair scores. */
export const PAIRED = 2
/**
 * Index in {@link RowWriter.counts}: pair scores that were not finite (NaN read as
 * {@link LOWEST_SCORE}, an infinity as the largest finite score of its sign, as a custom scorer's).
 */
export const NOT_FINITE = 3
/** Steps of the tighter bound's table (RowWriter.reachU). */
const REACH_STEPS = 1024
const I_EID = 0
const I_TEAM = 1
const I_FLAGS = 2
const I_MARK = 3
const I_PAIR_MARK = 4

/**
 * The row writer's state: the stores it reads, the built-in weights and the current observer
 * (hoisted by {@link loadObserver}). Every system of a process has an instance of this one class
 * and runs the same module-level kernels ({@link loadObserver}, {@link writeCandidates}) on it
 * (PERFORMANCE.md, "kernels at module level").
 */
export class RowWriter {
  /** Current observer state after {@link loadObserver}: [x, y, z, ...] (read x and y from slots 0 and 1; a typed array: PERFORMANCE.md, "doubles in closures"). */
  readonly observer = new Float64Array(O_SIZE)
  /** The current observer's integers: eid, team, flags, member mark, pair mark. */
  readonly oi = new Int32Array(5)
  /**
   * Bounded writes (PERFORMANCE.md, "bounded rows"): set `observer[HINT_SLOT]` to the observer's
   * K-th-score hint before {@link loadObserver} (-Infinity: no bound), and stamp its current members
   * with `member[e] = mark` from {@link nextMark}. A fused write, or a paired write without
   * features (PERFORMANCE.md, "bounded paired rows"), then skips the row of a candidate that is no
   * member, has no rule, salience or aim flag, and whose score cannot reach the hint (the heads'
   * bound; for a pair with a pair score, that score); `counts[SKIPPED]` counts those rows and
   * `counts[REACHED]` the flagless rows scoring at or above the hint (both since `loadObserver`).
   */
  readonly member: Uint32Array
  /** Paired writes: per entity id, the current observer's pair score, valid where `pairStamp[e]` is its pair mark. */
  readonly pairScore: Float32Array
  readonly pairStamp: Uint32Array
  /**
   * 1 when pair scores are corrections ({@link PairScores.residual}): a paired row scores the
   * heads' score of this tick's row plus its pair score; 0 when the pair score is the row's score.
   * Set once, before the first write.
   */
  pairResidual = 0
  /** `[skipped, reached, paired, not finite]` since the last {@link loadObserver}. */
  readonly counts = new Int32Array(4)
  /** The built-in weights by feature column. */
  readonly weightsByColumn: Float64Array
  readonly halfLivesPerTick: number
  readonly lookahead: number
  readonly speedScale: number
  /** `k` of the distance head (`distanceFalloff`; 0: linear). */
  readonly falloff: number
  /** 1 / ln(1 + k), 0 when k = 0. */
  readonly invLnFalloff: number
  // positive parts of the weights: the most each head can add to a score
  readonly wFacing: number
  readonly wApproach: number
  readonly wRecency: number
  readonly wMutual: number
  readonly wTeam: number
  readonly wDistance: number
  /** Float32 rounding of the features and of the stored score is far below this. */
  readonly slack: number
  /**
   * The most the recency and team heads can add to a flagless row, plus the slack, by the
   * observer's flags (`oi` flags: bit 2 team, bit 4 interactions).
   */
  readonly restMax = new Float64Array(8)
  /**
   * `reachU[j]`: the distance over the radius beyond which the distance head is below
   * `j / REACH_STEPS` (1 for j = 0, 0 for j = REACH_STEPS). A needed head value rounded down to a
   * step gives a distance at least the exact one: the skip stays on the safe side.
   */
  readonly reachU = new Float64Array(REACH_STEPS + 1)

  /**
   * @param weights - the built-in scorer's weights, for fused writes.
   */
  constructor(
    readonly c: AttentionComponents,
    readonly flags: Uint16Array,
    readonly generation: Uint32Array,
    readonly interactions: InteractionStore,
    params: FeatureParams,
    weights: HeadWeights,
    readonly cols: CandidateColumns,
  ) {
    this.observer[HINT] = -Infinity
    this.member = new Uint32Array(flags.length)
    this.pairStamp = new Uint32Array(flags.length)
    this.pairScore = new Float32Array(flags.length)
    this.weightsByColumn = weightVector(weights)
    this.halfLivesPerTick = params.halfLivesPerTick
    this.lookahead = params.lookahead
    this.speedScale = params.speedScale
    this.falloff = params.distanceFalloff
    this.invLnFalloff = this.falloff > 0 ? 1 / Math.log1p(this.falloff) : 0
    this.wFacing = Math.max(0, weights.facing)
    this.wApproach = Math.max(0, weights.approach)
    this.wRecency = Math.max(0, weights.recency)
    this.wMutual = Math.max(0, weights.mutual)
    this.wTeam = Math.max(0, weights.team)
    this.wDistance = weights.distance
    let absSum = 0
    for (let h = 0; h < FEATURE_COUNT; h++) absSum += Math.abs(this.weightsByColumn[h]!)
    this.slack = 1e-4 * (1 + absSum)
    for (let b = 0; b < 8; b++) this.restMax[b] = ((b & 2) !== 0 ? this.wTeam : 0) + ((b & 4) !== 0 ? this.wRecency : 0) + this.slack
    // the distance head is 1 - ln(1 + k u) / ln(1 + k) (k > 0) or 1 - u, for u = d / r below 1
    const k = this.falloff
    for (let j = 0; j <= REACH_STEPS; j++) {
      const y = j / REACH_STEPS
      const u = k > 0 ? Math.expm1((1 - y) * Math.log1p(k)) / k : 1 - y
      this.reachU[j] = j === 0 ? 1 : j === REACH_STEPS ? 0 : Math.min(1, Math.max(0, u))
    }
  }
}

/**
 * Creates the row writer over the given component stores.
 * @param weights - the built-in scorer's weights, for fused writes.
 */
export function createRowWriter(
  c: AttentionComponents,
  flags: Uint16Array,
  generation: Uint32Array,
  interactions: InteractionStore,
  params: FeatureParams,
  weights: HeadWeights,
  cols: CandidateColumns,
): RowWriter {
  return new RowWriter(c, flags, generation, interactions, params, weights, cols)
}

/** A fresh member stamp of `w` (small integers: PERFORMANCE.md, "small-integer stamps"). */
export function nextMark(w: RowWriter): number {
  return nextStamp(w.oi, I_MARK, w.member)
}

/** A fresh pair mark of `w`, which becomes the current observer's (call it before the observer's candidates are written). */
export function nextPairMark(w: RowWriter): number {
  return nextStamp(w.oi, I_PAIR_MARK, w.pairStamp)
}

/** Advances the counter `oi[slot]`, clearing `stamps` before it would leave the small integers. */
function nextStamp(oi: Int32Array, slot: number, stamps: Uint32Array): number {
  if (oi[slot]! >= 0x3fffffff) {
    stamps.fill(0)
    oi[slot] = 0
  }
  return ++oi[slot]!
}

/** Makes `o` the current observer of `w`; its broadphase reach (radius + own look-ahead travel) lands in `w.observer[REACH_SLOT]`. */
export function loadObserver(w: RowWriter, o: number): void {
  const c = w.c
  const ob = w.observer
  const oi = w.oi
  const counts = w.counts
  const any = w.interactions.any
  const fl = w.flags[o]!
  const hasVel = (fl & Has.Velocity) !== 0
  let vx = hasVel ? c.Velocity.x[o]! : 0
  let vy = hasVel ? c.Velocity.y[o]! : 0
  let vz = hasVel ? c.Velocity.z[o]! : 0
  // a velocity that is not finite counts as none: its reach would be NaN (the rebuild reports it)
  const sum = vx + vy + vz
  if (sum - sum !== 0) {
    vx = 0
    vy = 0
    vz = 0
  }
  ob[OX] = c.Position.x[o]!
  ob[OY] = c.Position.y[o]!
  ob[OZ] = c.Position.z[o]!
  ob[OVX] = vx
  ob[OVY] = vy
  ob[OVZ] = vz
  ob[OFX] = c.Facing.x[o]!
  ob[OFY] = c.Facing.y[o]!
  ob[OFZ] = c.Facing.z[o]!
  ob[COS_HALF] = Math.cos(c.Observer.fov[o]! / 2)
  ob[RADIUS] = c.Observer.radius[o]!
  oi[I_EID] = o
  oi[I_TEAM] = c.Team.id[o]!
  oi[I_FLAGS] = ((fl & Has.Facing) !== 0 ? 1 : 0) | ((fl & Has.Team) !== 0 ? 2 : 0) | (any[o] === 1 ? 4 : 0)
  // stored, not returned (PERFORMANCE.md, "doubles across calls")
  ob[REACH] = ob[RADIUS]! + Math.sqrt(vx * vx + vy * vy + vz * vz) * w.lookahead
  counts[SKIPPED] = 0
  counts[REACHED] = 0
  counts[PAIRED] = 0
  counts[NOT_FINITE] = 0
  // the broadphase's bound (PERFORMANCE.md, "bounded broadphase"): a flagless row scores at most
  // w0 * distance(d) + every other head that can be above 0 at its most + slack, below the hint
  // when d > dmin
  const hint = ob[HINT]!
  const r = ob[RADIUS]!
  const wDistance = w.wDistance
  const falloff = w.falloff
  const base = w.restMax[oi[I_FLAGS]! & 6]!
  const facingMax = (fl & Has.Facing) !== 0 ? w.wFacing : 0
  const t = hint - base - facingMax - w.wApproach - w.wMutual
  let bound = Infinity
  if (t > 0 && wDistance > 0) {
    // distance(d) < t / w0. With the log head: ln(1 + k d / r) > (1 - t / w0) ln(1 + k)
    const dmin = falloff > 0 ? (r / falloff) * Math.expm1((1 - t / wDistance) / w.invLnFalloff) : r * (1 - t / wDistance)
    bound = dmin > 0 ? dmin * dmin : 0
  }
  ob[BOUND] = bound
}

/**
 * Range test, visibility rules, then the features of each candidate `cands[0..n)` (slots of the
 * broadphase's packed columns) for the current observer of `w`: a scored candidate `e` gets row `r`
 * (from `row` up), `rowEid[r] = e` and, by `mode` ({@link RowMode}), its features at
 * `feat[r * FEATURE_COUNT..]` and/or its score at `scores[r]`: the built-in score (the head
 * scorer's {@link scoreRow} of the row it would have written, bit for bit), or in the paired modes
 * `w.pairScore[e]` when `w.pairStamp[e]` is the observer's pair mark ({@link nextPairMark};
 * `counts[PAIRED]` counts those rows).
 * The arrays must have room for `n` more rows. An entity aiming at the observer is in range at
 * any distance. Allocation-free.
 * @returns the end row.
 */
export function writeCandidates(w: RowWriter, cands: Uint32Array, n: number, rowEid: Uint32Array, row: number, tick: number, mode: RowMode, feat: Float32Array, scores: Float32Array): number {
  // stores, tuning and imported constants in locals (PERFORMANCE.md, "constants in locals")
  const SALIENCE = Has.Salience
  const OWNER = Has.Owner
  const HIDDEN = Has.Hidden
  const HIDDEN_OR_TEAM_ONLY = Has.Hidden | Has.TeamOnly
  const RULE_FLAGS_ = RULE_FLAGS
  const TEAM = Has.Team
  const FACING = Has.Facing
  const AIM = Has.Aim
  const STRIDE = FEATURE_COUNT
  const c = w.c
  const cols = w.cols
  const interactions = w.interactions
  const generation = w.generation
  const halfLivesPerTick = w.halfLivesPerTick
  // the candidate's position, motion and flags from its slot (PERFORMANCE.md, "packed candidates")
  const eidOf = cols.eid
  const Px = cols.x
  const Py = cols.y
  const Pz = cols.z
  const Vx = cols.vx
  const Vy = cols.vy
  const Vz = cols.vz
  const Fx = cols.fx
  const Fy = cols.fy
  const Fz = cols.fz
  const flagsOf = cols.flags
  const nimbusOf = c.Salience.nimbus
  const salienceOf = c.Salience.weight
  const teamOf = c.Team.id
  const ownerOf = c.Owner.eid
  const aimOf = c.Aim.target
  const iStrength = interactions.strength
  const iTick = interactions.tick
  const T = w.lookahead
  const K = w.falloff
  const invLnK = w.invLnFalloff
  const invSpeedScale = 1 / w.speedScale
  const W = w.weightsByColumn
  const DISTANCE = Feature.Distance
  const FACING_COL = Feature.Facing
  const APPROACH = Feature.Approach
  const RECENCY = Feature.Recency
  const SALIENCE_COL = Feature.Salience
  const MUTUAL = Feature.Mutual
  const TEAM_COL = Feature.Team
  const AIM_COL = Feature.Aim
  const w0 = W[DISTANCE]!
  const w1 = W[FACING_COL]!
  const w2 = W[APPROACH]!
  const w3 = W[RECENCY]!
  const w4 = W[SALIENCE_COL]!
  const w5 = W[MUTUAL]!
  const w6 = W[TEAM_COL]!
  const w7 = W[AIM_COL]!
  // the observer in locals for the whole batch (PERFORMANCE.md, "constants in locals")
  const ob = w.observer
  const oi = w.oi
  const o = oi[I_EID]!
  const team = oi[I_TEAM]!
  const of = oi[I_FLAGS]!
  const hasFacing = (of & 1) !== 0
  const hasTeam = (of & 2) !== 0
  const hasInteractions = (of & 4) !== 0
  const ox = ob[OX]!
  const oy = ob[OY]!
  const oz = ob[OZ]!
  const ovx = ob[OVX]!
  const ovy = ob[OVY]!
  const ovz = ob[OVZ]!
  const ofx = ob[OFX]!
  const ofy = ob[OFY]!
  const ofz = ob[OFZ]!
  const cosHalf = ob[COS_HALF]!
  // divisions hoisted out of the loop: multiplying by these is several times cheaper
  const invCone = 1 / (1 - cosHalf)
  const radius = ob[RADIUS]!
  const invRadius = 1 / radius
  const fused = mode !== RowMode.Features
  const paired = mode === RowMode.Paired || mode === RowMode.PairedWithFeatures
  const withFeatures = mode === RowMode.Features || mode === RowMode.PairedWithFeatures
  const residual = paired && w.pairResidual === 1
  // a pair score that replaces the heads' needs none of them computed (corrections add to them)
  const pairedOnly = mode === RowMode.Paired && !residual
  const pairMark = oi[I_PAIR_MARK]!
  const pairStampOf = w.pairStamp
  const pairScoreOf = w.pairScore
  // bounded rows (see RowWriter.member): rows scored by the heads (the bound is the heads'), i.e.
  // every row of a fused write and, in a paired write without features, the rows without a pair
  // score (the paired ones are bounded by their pair score above) or whose pair score is a
  // correction (bounded by the heads' bound, the hint lowered by the correction)
  const bounded = mode === RowMode.Fused || mode === RowMode.Paired
  const hint = ob[HINT]!
  const NO_SKIP = BOUND_EXEMPT
  const mark = oi[I_MARK]!
  const memberOf = w.member
  // the bound per candidate: what a flagless row's distance head must reach for the row to reach
  // the hint is (hintRest - its facing, approach and mutual terms) / w0; reachU turns that into
  // a distance
  const tight = bounded && w0 > 0 && hint > -Infinity
  const hintRest = hint - w.restMax[of & 6]!
  const invW0 = 1 / w0
  const reachU = w.reachU
  let skipped = 0
  let reached = 0
  let pairedN = 0
  let notFinite = 0
  const LOWEST = LOWEST_SCORE
  const HIGHEST = -LOWEST_SCORE
  for (let k = 0; k < n; k++) {
    const s = cands[k]!
    const e = eidOf[s]!
    const fl = flagsOf[s]!
    const dx = Px[s]! - ox
    const dy = Py[s]! - oy
    const dz = Pz[s]! - oz
    const d2 = dx * dx + dy * dy + dz * dz
    let reff = radius
    let invReff = invRadius
    if ((fl & SALIENCE) !== 0 && nimbusOf[e]! > reff) {
      reff = nimbusOf[e]!
      // an infinite nimbus counts as none (the rebuild reports it), a NaN one fails the test above
      if (reff === Infinity) reff = radius
      invReff = 1 / reff
    }
    // 0 in the columns without Velocity
    const rvx = Vx[s]! - ovx
    const rvy = Vy[s]! - ovy
    const rvz = Vz[s]! - ovz
    // negated comparisons so a NaN position is out of range, never scored
    if (!(d2 <= reff * reff)) {
      // not in range now: maybe in range at the look-ahead (predicted positions), or aiming at
      // the observer (in range at any distance)
      const px = dx + rvx * T
      const py = dy + rvy * T
      const pz = dz + rvz * T
      if (!(px * px + py * py + pz * pz <= radius * radius) && !((fl & AIM) !== 0 && aimOf[e] === o)) continue
    }
    const fdot = ofx * dx + ofy * dy + ofz * dz
    const rdot = rvx * dx + rvy * dy + rvz * dz
    const edot = (fl & FACING) === 0 ? 0 : Fx[s]! * dx + Fy[s]! * dy + Fz[s]! * dz
    // rules.ts isDenied, inline (rules.test.ts checks the two agree)
    if ((fl & HIDDEN_OR_TEAM_ONLY) !== 0 && !((fl & OWNER) !== 0 && ownerOf[e] === o)) {
      if ((fl & HIDDEN) !== 0) continue
      if (!(hasTeam && (fl & TEAM) !== 0 && teamOf[e] === team)) continue
    }
    const pairedRow = paired && pairStampOf[e] === pairMark
    // a pair the scorer scored, on a tick that needs no feature row: its score is the pair score,
    // whatever the heads would say, so none of them is computed
    if (pairedOnly && pairedRow) {
      let ps = pairScoreOf[e]!
      // a pair score that is not finite reads as a custom scorer's does: the softmax stays finite
      if (!(ps - ps === 0)) {
        ps = ps > 0 ? HIGHEST : LOWEST
        notFinite++
      }
      // bounded paired rows (PERFORMANCE.md): the pair's score is known before its row, so a
      // candidate that is no member and has no rule, salience or aim flag and scores below the
      // hint gets none (the hint is -Infinity unless the caller set one)
      if (ps < hint && (fl & NO_SKIP) === 0 && memberOf[e] !== mark) {
        skipped++
        continue
      }
      scores[row] = ps
      pairedN++
      reached += Number(ps >= hint) & Number((fl & RULE_FLAGS_) === 0)
      rowEid[row++] = e
      continue
    }
    const d = Math.sqrt(d2)
    const inv = d > 0 ? 1 / d : 0
    // Clamping to [0, 1] below is `f < 0 ? 0 : f > 1 ? 1 : f`, bit for bit (-0 included), except
    // that NaN reads 0 (a velocity, facing or aimer's position the game wrote as NaN or infinite:
    // a NaN score would never leave a top K), written as (f + |f|) / 2 so that no branch depends
    // on the sign of f: for these heads it is a coin flip, and the mispredicted branches cost more
    // than the arithmetic. The branches left are taken rarely (f exactly 0, above 1, NaN or -Infinity).
    // facing / field of view: 1 dead ahead, 0 at the cone's edge and outside
    let f = 0
    if (hasFacing) {
      if (d === 0) f = 1
      // a cone narrower than ~1e-4 rad is treated as closed: (cosT - cosHalf) / (1 - cosHalf)
      // would divide float rounding by almost zero there
      else if (!(cosHalf > 1 - 1e-9)) {
        // below 0 exactly when cosT < cosHalf, outside the cone
        const t = (fdot * inv - cosHalf) * invCone
        f = (t + Math.abs(t)) * 0.5
        if (t === 0) f = t
        if (!(f <= 1)) f = f > 1 ? 1 : 0
      }
    }
    const facing = f
    // approach: closing speed along the line of sight
    f = -rdot * inv * invSpeedScale
    let approach = (f + Math.abs(f)) * 0.5
    if (f === 0) approach = f
    if (!(approach <= 1)) approach = approach > 1 ? 1 : 0
    // mutual: the candidate faces the observer
    f = (fl & FACING) === 0 ? 0 : -edot * inv
    let mutual = (f + Math.abs(f)) * 0.5
    if (f === 0) mutual = f
    if (!(mutual <= 1)) mutual = mutual > 1 ? 1 : 0
    // bounded rows (PERFORMANCE.md): with facing, approach and mutual known, a candidate that is
    // no member and has no rule, salience or aim flag is skipped when its distance head cannot
    // lift its score to the hint (the most recency and team can add is in hintRest)
    if (tight && (fl & NO_SKIP) === 0 && memberOf[e] !== mark) {
      // a pair's correction lowers the hint its heads must reach; one that is not finite is never
      // skipped (its row is written, and reported, as a pair score that is not finite is)
      const corr = residual && pairedRow ? pairScoreOf[e]! : 0
      const need = (hintRest - corr - w1 * facing - w2 * approach - w5 * mutual) * invW0
      if (need > 0 && corr - corr === 0 && d * invRadius > reachU[need >= 1 ? REACH_STEPS : (need * REACH_STEPS) | 0]!) {
        skipped++
        continue
      }
    }
    // distance: linear, or logarithmic when falloff > 0 (1 at the observer, 0 at reff)
    // (fastLn: PERFORMANCE.md, "no C call per row"; from reff on, the head is 0 exactly, as
    // ln(1 + k) / ln(1 + k) would be)
    const u = d * invReff
    f = K > 0 && u < 1 ? 1 - fastLn(1 + K * u) * invLnK : 1 - u
    let distance = (f + Math.abs(f)) * 0.5
    if (f === 0) distance = f
    if (!(distance <= 1)) distance = distance > 1 ? 1 : 0
    // recency of a recorded interaction
    f = 0
    if (hasInteractions) {
      const slot = interactions.find(o, e, generation[e]!)
      if (slot !== -1) {
        f = iStrength[slot]! * Math.pow(2, -(tick - iTick[slot]!) * halfLivesPerTick)
        f = f < 0 ? 0 : f > 1 ? 1 : f
      }
    }
    const recency = f
    // salience
    f = (fl & SALIENCE) !== 0 ? salienceOf[e]! : 0
    const salience = f > 0 ? (f < 1 ? f : 1) : 0
    // team
    const sameTeam = hasTeam && (fl & TEAM) !== 0 && teamOf[e] === team ? 1 : 0
    const aim = (fl & AIM) !== 0 && aimOf[e] === o ? 1 : 0
    if (fused) {
      // scoreRow (heads.ts) unrolled over the row as stored (each feature rounded to float32),
      // without writing the row (PERFORMANCE.md, "fused where it measured faster"); a pair score
      // replaces it (almost always, when paired: a predictable branch) or, as a correction
      // (PairScores.residual), adds to it
      let sc =
        pairedRow && !residual
          ? 0
          : w0 * Math.fround(distance) +
            w1 * Math.fround(facing) +
            w2 * Math.fround(approach) +
            w3 * Math.fround(recency) +
            w4 * Math.fround(salience) +
            w5 * Math.fround(mutual) +
            w6 * sameTeam +
            w7 * aim
      if (pairedRow) {
        const ps = pairScoreOf[e]!
        if (ps - ps === 0) sc += ps
        else {
          sc = ps > 0 ? HIGHEST : LOWEST
          notFinite++
        }
        pairedN++
      }
      scores[row] = sc
      reached += Number(scores[row]! >= hint) & Number((fl & RULE_FLAGS_) === 0)
    }
    if (withFeatures) {
      const off = row * STRIDE
      feat[off + DISTANCE] = distance
      feat[off + FACING_COL] = facing
      feat[off + APPROACH] = approach
      feat[off + RECENCY] = recency
      feat[off + SALIENCE_COL] = salience
      feat[off + MUTUAL] = mutual
      feat[off + TEAM_COL] = sameTeam
      feat[off + AIM_COL] = aim
    }
    rowEid[row++] = e
  }
  const counts = w.counts
  counts[SKIPPED] = counts[SKIPPED]! + skipped
  counts[REACHED] = counts[REACHED]! + reached
  counts[PAIRED] = counts[PAIRED]! + pairedN
  counts[NOT_FINITE] = counts[NOT_FINITE]! + notFinite
  return row
}
