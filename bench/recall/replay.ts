import { Band } from '../../plugin/src/index'
import { createByteMeter } from './byte-meter'
import { createEntitlement } from './entitlement'
import type { InterestPolicy, PolicyFactory } from './policies/interest-policy'
import { Kind, type Recording } from './recording'
import { createCoverageMeter, viewRadiusOf } from './viewport'

/** Seconds at the start of a replay excluded from every metric (sets fill up, views receive their first state). */
export const WARMUP_SECONDS = 2

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Seconds at the start excluded from every metric. @defaultValue {@link WARMUP_SECONDS} */
  warmupSeconds?: number
  /** Encode through StateViews to measure bytes. @defaultValue true */
  measureBytes?: boolean
}

/** What one policy did over one recording, before summarising. */
export interface ReplayResult {
  family: InterestPolicy['family']
  param: number
  label: string
  /** Seconds measured (after warm-up). */
  seconds: number
  clients: number
  /**
   * One entry per (interaction, player party) after warm-up: how long the other party had been in
   * that player's set when the interaction happened (seconds; 0 when it was not in the set on the
   * tick before the interaction).
   */
  leads: Float64Array
  /**
   * Same as `leads`, counting only the time the other party was held at Medium or above (full-rate
   * motion): a stricter reading than membership at any band.
   */
  detailLeads: Float64Array
  /** Interaction kind of each entry of `leads`. */
  kinds: Uint8Array
  /** Entity kind of the other party of each entry of `leads`. */
  otherKinds: Uint8Array
  /** Bytes per client per second (shared + view patch bytes), or NaN when not measured. */
  bytesPerClientPerSec: number
  /** Enters + exits per client per second. */
  churnPerClientPerSec: number
  meanSetSize: number
  /** Largest set any client had. */
  maxSetSize: number
  /** Bound the policy promises on set sizes (Infinity when unbounded). */
  setSizeBound: number
  /** Milliseconds per tick spent computing the sets (all clients). */
  policyMsPerTick: number
  /** Milliseconds per tick spent in view.add/remove + encoding (all clients). */
  encodeMsPerTick: number
  /** Misses at 200 ms by the policy's own diagnosis (attention only; empty otherwise). */
  missCategories: Record<string, number>
  /** Mean per-head score contribution of the missed entities that were scored (attention only). */
  missContributions: number[] | null
  /** Mean per-head contribution of the weakest member of the set at those misses (attention only). */
  rivalContributions: number[] | null
  /**
   * Viewport coverage: mean over players and ticks of the share of entities on the player's screen
   * (within the view radius, entitled) that its client holds with data at most 1 s old.
   */
  viewportCoverage: number
  /** Screen radius used for {@link viewportCoverage}. */
  viewRadius: number
  /** Mean members per client at Low, Medium and High (a policy without bands holds all at High). */
  meanBandCounts: [number, number, number]
  /** Set memberships a player was not entitled to (hidden, other team's team-only), summed over ticks: must be 0. */
  entitlementViolations: number
  /** Entrants that waited a patch for the policy's entry budget (summed over ticks and clients). */
  entrantsDeferred: number
}

/**
 * Replays a recording through an interest policy, tick by tick. On tick t it first scores tick t's
 * interactions against the sets sent on tick t-1, then computes the sets of tick t, applies enters
 * and exits to each client's StateView, encodes the patch, and only then tells the policy what
 * happened on tick t.
 * @param rec - the recording.
 * @param factory - the policy to replay.
 */
export function replay(rec: Recording, factory: PolicyFactory, options: ReplayOptions = {}): ReplayResult {
  const policy = factory(rec)
  const n = rec.entityCount
  const np = rec.players.length
  const dt = rec.dt
  const warmup = Math.round((options.warmupSeconds ?? WARMUP_SECONDS) / dt)
  const measureBytes = options.measureBytes ?? true
  // the full-state policy gives every client the same set: one shared view, like the plugin does
  const viewCount = policy.shared ? 1 : np
  const meter = measureBytes ? createByteMeter(rec, viewCount) : null
  const rules = createEntitlement(rec)
  const coverage = createCoverageMeter(rec, rules)
  const bandSums = [0, 0, 0]
  // bytes each client received over the current second, reported back to the policy once a second
  const window = new Float64Array(viewCount)
  const ticksPerSecond = Math.max(1, Math.round(1 / dt))
  // entry budget: like the plugin, admit at most this many entrants per view and patch, by priority
  const entryBudget = policy.entryBudget ?? 0
  const admitted = new Uint32Array(np * n)
  const pendingIdx = new Int32Array(n)
  const pendingScore = new Float64Array(n)
  let waiting = 0
  /** Marks the entrants of player p admitted this tick; returns true when some must wait. */
  const admitEntrants = (p: number, c: number, stamp: number): boolean => {
    let m = 0
    for (let i = 0; i < c; i++) {
      const e = policy.member(p, i)
      if (inSet[p * n + e] === 1) continue
      pendingIdx[m] = i
      pendingScore[m] = policy.entryPriority === undefined ? 0 : policy.entryPriority(p, i)
      m++
    }
    if (m <= entryBudget) return false
    // partial selection of the best `entryBudget`; ties go to the earlier member (as the plugin does)
    for (let a = 0; a < entryBudget; a++) {
      let best = a
      for (let q = a + 1; q < m; q++) if (pendingScore[q]! > pendingScore[best]!) best = q
      const ti = pendingIdx[a]!
      const ts = pendingScore[a]!
      pendingIdx[a] = pendingIdx[best]!
      pendingScore[a] = pendingScore[best]!
      pendingIdx[best] = ti
      pendingScore[best] = ts
      admitted[p * n + policy.member(p, pendingIdx[a]!)] = stamp
    }
    waiting += m - entryBudget
    return true
  }
  let violations = 0

  const inSet = new Uint8Array(np * n)
  const entry = new Int32Array(np * n)
  // tick since which a member has been held at Medium or above without a break (-1: not now)
  const detailSince = new Int32Array(np * n).fill(-1)
  const detailLeads: number[] = []
  const seen = new Uint32Array(np * n)
  const prev = new Int32Array(np * n)
  const prevCount = new Int32Array(np)
  const playerIndex = new Int32Array(n).fill(-1)
  for (let p = 0; p < np; p++) playerIndex[rec.players[p]!] = p

  const log = rec.interactions
  const leads: number[] = []
  const kinds: number[] = []
  const otherKinds: number[] = []
  let churn = 0
  let setSum = 0
  let maxSet = 0
  let policyMs = 0
  let encodeMs = 0
  let cursor = 0

  // a respawned entity is a new object: what was known of the old one does not count
  const bornAt = new Int32Array(n)
  let spawnCursor = 0
  const missCategories: Record<string, number> = {}
  const contrib = { sum: null as number[] | null, n: 0 }
  const rival = { sum: null as number[] | null, n: 0 }
  const accumulate = (acc: { sum: number[] | null; n: number }, v: number[] | null): void => {
    if (v === null) return
    acc.sum ??= v.map(() => 0)
    for (let h = 0; h < v.length; h++) acc.sum[h]! += v[h]!
    acc.n++
  }
  const meanOf = (acc: { sum: number[] | null; n: number }): number[] | null => acc.sum?.map((v) => v / acc.n) ?? null
  const score = (t: number, p: number, other: number, kind: number): void => {
    const k = p * n + other
    const lead = inSet[k] === 1 ? (t - Math.max(entry[k]!, bornAt[other]!)) * dt : 0
    leads.push(lead)
    detailLeads.push(inSet[k] === 1 && detailSince[k]! >= 0 ? (t - Math.max(detailSince[k]!, bornAt[other]!)) * dt : 0)
    if (lead < 0.2 - 1e-9 && policy.diagnose !== undefined) {
      // the policy still holds tick t-1's state: the one the interaction is judged against
      const d = policy.diagnose(p, other)
      missCategories[d.category] = (missCategories[d.category] ?? 0) + 1
      accumulate(contrib, d.contributions)
      accumulate(rival, d.rivalContributions)
    }
    kinds.push(kind)
    otherKinds.push(rec.kind[other]!)
  }

  for (let t = 0; t < rec.ticks; t++) {
    const counted = t >= warmup
    while (spawnCursor < rec.spawns.count && rec.spawns.tick[spawnCursor]! === t) bornAt[rec.spawns.entity[spawnCursor++]!] = t
    const from = cursor
    while (cursor < log.count && log.tick[cursor]! === t) {
      if (counted) {
        const a = log.a[cursor]!
        const b = log.b[cursor]!
        if (rec.kind[b] === Kind.Player) score(t, playerIndex[b]!, a, log.kind[cursor]!)
        if (rec.kind[a] === Kind.Player) score(t, playerIndex[a]!, b, log.kind[cursor]!)
      }
      cursor++
    }

    const t0 = performance.now()
    policy.update(t)
    const t1 = performance.now()
    policyMs += t1 - t0

    const stamp = t + 1
    for (let p = 0; p < np; p++) {
      const row = p * n
      const c = policy.count(p)
      if (counted) {
        setSum += c
        if (c > maxSet) maxSet = c
      }
      const o = rec.players[p]!
      const metered = meter !== null && (!policy.shared || p === 0)
      const capped = entryBudget > 0 && admitEntrants(p, c, stamp)
      for (let i = 0; i < c; i++) {
        const e = policy.member(p, i)
        const k = row + e
        if (e !== o && rules.denied(o, e)) violations++
        // an entrant over the entry budget waits for a later patch: the client does not hold it yet
        if (capped && inSet[k] === 0 && admitted[k] !== stamp) continue
        const band = policy.band === undefined ? Band.High : policy.band(p, i)
        seen[k] = stamp
        if (counted) bandSums[band]!++
        const entered = inSet[k] === 0
        if (entered) {
          inSet[k] = 1
          entry[k] = t
          if (counted) churn++
          if (metered) meter.add(p, e, band)
        } else if (metered && meter.bandOf(p, e) !== band) meter.setBand(p, e, band)
        coverage.hold(p, e, band, entered, t)
        if (band < Band.Medium) detailSince[k] = -1
        else if (detailSince[k] === -1) detailSince[k] = t
      }
      for (let i = 0; i < prevCount[p]!; i++) {
        const e = prev[row + i]!
        const k = row + e
        if (seen[k] !== stamp && inSet[k] === 1) {
          inSet[k] = 0
          detailSince[k] = -1
          if (counted) churn++
          if (meter !== null && (!policy.shared || p === 0)) meter.remove(p, e)
        }
      }
      for (let i = 0; i < c; i++) prev[row + i] = policy.member(p, i)
      prevCount[p] = c
    }
    const t2 = performance.now()
    meter?.encodeTick(t, counted)
    encodeMs += performance.now() - t2 + (t2 - t1)
    if (meter !== null && policy.observeBytes !== undefined) {
      for (let v = 0; v < viewCount; v++) window[v] = window[v]! + meter.sent[v]!
      if ((t + 1) % ticksPerSecond === 0) {
        for (let p = 0; p < np; p++) policy.observeBytes(p, window[policy.shared ? 0 : p]! / (ticksPerSecond * dt))
        window.fill(0)
      }
    }
    coverage.score(t, inSet, counted)
    policy.observeInteractions(t, from, cursor)
  }

  const measuredTicks = Math.max(1, rec.ticks - warmup)
  const seconds = measuredTicks * dt
  let bytes = Number.NaN
  if (meter !== null) {
    let sum = 0
    for (let v = 0; v < viewCount; v++) sum += meter.bytes[v]!
    bytes = sum / viewCount / seconds
    meter.dispose()
  }
  const result: ReplayResult = {
    family: policy.family,
    param: policy.param,
    label: policy.label,
    seconds,
    clients: np,
    leads: Float64Array.from(leads),
    detailLeads: Float64Array.from(detailLeads),
    kinds: Uint8Array.from(kinds),
    otherKinds: Uint8Array.from(otherKinds),
    bytesPerClientPerSec: bytes,
    churnPerClientPerSec: churn / np / seconds,
    meanSetSize: setSum / (np * measuredTicks),
    maxSetSize: maxSet,
    setSizeBound: policy.maxSetSize,
    policyMsPerTick: policyMs / rec.ticks,
    encodeMsPerTick: encodeMs / rec.ticks,
    missCategories,
    missContributions: meanOf(contrib),
    rivalContributions: meanOf(rival),
    viewportCoverage: coverage.mean(),
    viewRadius: viewRadiusOf(rec),
    meanBandCounts: [bandSums[0]! / (np * measuredTicks), bandSums[1]! / (np * measuredTicks), bandSums[2]! / (np * measuredTicks)],
    entitlementViolations: violations,
    entrantsDeferred: waiting,
  }
  policy.dispose()
  return result
}
