import { quantile } from '../lib/stats'
import { INTERACTION_NAMES, KIND_NAMES } from './recording'
import type { ReplayResult } from './replay'

/** Lead times (seconds) at which recall is reported: T = 200 ms and 500 ms. */
export const RECALL_LEADS = [0.2, 0.5] as const

/** Recall of one group of interactions. */
export interface RecallCell {
  /** Interactions (player-side) in the group. */
  n: number
  /** Fraction whose other party had been in the player's set for at least 200 ms. */
  recall200: number
  /** Same for 500 ms. */
  recall500: number
}

/** The summary row of one policy at one budget / radius. */
export interface RecallRow {
  family: ReplayResult['family']
  param: number
  label: string
  interactions: number
  recall200: number
  recall500: number
  /** Recall at 200 / 500 ms counting only time held at Medium or above (equal to recall for policies without bands). */
  recall200Detail: number
  recall500Detail: number
  /** Misses at 200 ms (interactions not visible 200 ms ahead). */
  missed200: number
  missed500: number
  /** Median time-to-visibility in seconds (how long before the interaction the other party entered the set). */
  ttvMedian: number
  /** 5th percentile of time-to-visibility (the worst 5%), seconds. */
  ttvP5: number
  bytesPerClientPerSec: number
  churnPerClientPerSec: number
  meanSetSize: number
  maxSetSize: number
  setSizeBound: number
  policyMsPerTick: number
  encodeMsPerTick: number
  /** Recall per interaction kind (attack, touch, trade, hit). */
  byInteraction: Record<string, RecallCell>
  /** Recall per kind of the other party (player, wanderer, chaser, ...). */
  byOther: Record<string, RecallCell>
  /** Misses at 200 ms by cause, as the policy explains them (attention only). */
  missCategories: Record<string, number>
  /** Mean per-head contribution of missed, scored entities (attention only), in head order. */
  missContributions: number[] | null
  /** Mean per-head contribution of the weakest set member at those misses (what held the missed entity out). */
  rivalContributions: number[] | null
  /** Share of what is on a player's screen that its client holds with data at most 1 s old (see replay.ts). */
  viewportCoverage: number
  /** Screen radius of the coverage, world units. */
  viewRadius: number
  /** Mean members per client at Low, Medium, High. */
  meanBandCounts: [number, number, number]
  /** Memberships a player was not entitled to: 0 for an honest policy. */
  entitlementViolations: number
  /** Entrants that waited a patch for the policy's entry budget. */
  entrantsDeferred: number
}

const EPS = 1e-9

function cell(leads: Float64Array, pick: (i: number) => boolean): RecallCell {
  let n = 0
  let ok200 = 0
  let ok500 = 0
  for (let i = 0; i < leads.length; i++) {
    if (!pick(i)) continue
    n++
    if (leads[i]! >= 0.2 - EPS) ok200++
    if (leads[i]! >= 0.5 - EPS) ok500++
  }
  return { n, recall200: n === 0 ? Number.NaN : ok200 / n, recall500: n === 0 ? Number.NaN : ok500 / n }
}

/**
 * Summarises a replay: recall at 200 and 500 ms, time-to-visibility (median, p5), bytes, churn,
 * per-kind breakdowns.
 * @param r - the replay result.
 */
export function summarize(r: ReplayResult): RecallRow {
  const all = cell(r.leads, () => true)
  const detail = cell(r.detailLeads, () => true)
  const byInteraction: Record<string, RecallCell> = {}
  INTERACTION_NAMES.forEach((name, k) => {
    byInteraction[name] = cell(r.leads, (i) => r.kinds[i] === k)
  })
  const byOther: Record<string, RecallCell> = {}
  KIND_NAMES.forEach((name, k) => {
    byOther[name] = cell(r.leads, (i) => r.otherKinds[i] === k)
  })
  return {
    family: r.family,
    param: r.param,
    label: r.label,
    interactions: all.n,
    recall200: all.recall200,
    recall500: all.recall500,
    recall200Detail: detail.recall200,
    recall500Detail: detail.recall500,
    missed200: Math.round(all.n * (1 - all.recall200)),
    missed500: Math.round(all.n * (1 - all.recall500)),
    ttvMedian: quantile(r.leads, 0.5),
    ttvP5: quantile(r.leads, 0.05),
    bytesPerClientPerSec: r.bytesPerClientPerSec,
    churnPerClientPerSec: r.churnPerClientPerSec,
    meanSetSize: r.meanSetSize,
    maxSetSize: r.maxSetSize,
    setSizeBound: r.setSizeBound,
    policyMsPerTick: r.policyMsPerTick,
    encodeMsPerTick: r.encodeMsPerTick,
    byInteraction,
    byOther,
    missCategories: r.missCategories,
    missContributions: r.missContributions,
    rivalContributions: r.rivalContributions,
    viewportCoverage: r.viewportCoverage,
    viewRadius: r.viewRadius,
    meanBandCounts: r.meanBandCounts,
    entitlementViolations: r.entitlementViolations,
    entrantsDeferred: r.entrantsDeferred,
  }
}
