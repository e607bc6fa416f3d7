// Owns: the small search that chose radius-lod's band radii (RADIUS_LOD_BANDS), on the families'
// training seeds only. Each candidate (High within h * R, Medium within 2h * R, Low out to R) is
// swept over the radius-lod radii of the full sweep; its miss-vs-bytes and coverage-vs-bytes curves
// are read at fixed byte points; the candidate with the fewest avoidable misses at T = 500 ms wins,
// and among those within 0.1 point of the fewest, the one with the most viewport coverage. The rule
// and the candidates were fixed before the search ran.
//
//   node --import tsx bench/recall/radius-lod-search.ts [--family battle,hub] [--seeds-per-family 1]
//
// Radius AOI at Low (nothing but the player's own avatar at full detail) is printed as a reference,
// not a candidate: it is no level of detail a game ships, and the judged metrics (recall and coverage
// at any band) cannot see what detail buys, so it would always win.
import { acceptFlags, flagValue, isMain, numberFlag, stopWith } from '../lib/cli'
import type { Point } from '../lib/stats'
import { FAMILIES } from './families/index'
import { summarize, type RecallRow } from './metrics'
import { fullPolicy } from './policies/full-policy'
import { radiusLodPolicy, type RadiusLodBands } from './policies/radius-lod-policy'
import { poolResults } from './pool'
import type { Recording } from './recording'
import { replay } from './replay'
import { SWEEPS } from './run'

/** The candidates of the search: High within h * R, Medium within 2h * R. */
export const LOD_CANDIDATES: readonly RadiusLodBands[] = [
  { high: 1 / 4, medium: 1 / 2 },
  { high: 1 / 8, medium: 1 / 4 },
  { high: 1 / 16, medium: 1 / 8 },
]

/** Byte points (bytes per client per second) where the candidates' curves are read: the range of the attention byte-budget sweep where the targets are judged. */
export const LOD_SEARCH_BYTES = [350, 500, 700, 1000, 1500, 2500, 4000] as const

/** Misses within this of the fewest count as a tie (broken by coverage). */
const TIE = 0.001

/** One candidate's reading on one family. */
export interface LodSearchScore {
  /** Mean avoidable miss rate at T = 500 ms over {@link LOD_SEARCH_BYTES}. */
  avoidableMiss: number
  /** Mean viewport coverage over the same points. */
  coverage: number
}

/** y at `x` on a curve, linear between points and flat beyond its ends (a candidate whose radii do not reach `x` keeps its nearest value). */
function readAt(curve: readonly Point[], x: number): number {
  const pts = [...curve].sort((p, q) => p.x - q.x)
  if (x <= pts[0]!.x) return pts[0]!.y
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!
    const b = pts[i]!
    if (x <= b.x) return a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x)
  }
  return pts[pts.length - 1]!.y
}

/**
 * Scores one candidate's sweep rows against full state's row (its misses are the unavoidable ones).
 * @param rows - the candidate's rows, one per radius.
 * @param full - full state's row on the same recordings.
 * @returns the mean avoidable miss rate at T = 500 ms and mean coverage over {@link LOD_SEARCH_BYTES}.
 */
export function scoreLodRows(rows: readonly RecallRow[], full: RecallRow): LodSearchScore {
  const floor = 1 - full.recall500
  const miss = rows.map((r) => ({ x: r.bytesPerClientPerSec, y: Math.max(0, 1 - r.recall500 - floor) }))
  const cov = rows.map((r) => ({ x: r.bytesPerClientPerSec, y: r.viewportCoverage }))
  let m = 0
  let c = 0
  for (const b of LOD_SEARCH_BYTES) {
    m += readAt(miss, b)
    c += readAt(cov, b)
  }
  return { avoidableMiss: m / LOD_SEARCH_BYTES.length, coverage: c / LOD_SEARCH_BYTES.length }
}

/**
 * The search's rule: the fewest mean avoidable misses; among those within 0.1 point of it, the most
 * coverage; then the earlier candidate.
 * @param scores - per candidate, its scores averaged over the families.
 * @returns the index of the winner.
 */
export function pickLodCandidate(scores: readonly LodSearchScore[]): number {
  const fewest = Math.min(...scores.map((s) => s.avoidableMiss))
  let best = -1
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]!.avoidableMiss > fewest + TIE) continue
    if (best === -1 || scores[i]!.coverage > scores[best]!.coverage) best = i
  }
  return best
}

const USAGE = `usage: node --import tsx bench/recall/radius-lod-search.ts [flags]
Chooses radius-lod's band radii on the families' training seeds (see the header).
  --family <names>            families, comma-separated (default all)
  --seeds-per-family <n>      training seeds per family, pooled (default 1)`

async function main(): Promise<void> {
  const COMMAND = 'radius-lod-search'
  acceptFlags(COMMAND, USAGE, ['family', 'seeds-per-family'], [])
  const only = flagValue('family')?.split(',')
  const unknown = only?.filter((n) => !FAMILIES.some((f) => f.name === n)) ?? []
  if (unknown.length > 0) stopWith(`${COMMAND}: --family has no family ${unknown.join(', ')}; the families are ${FAMILIES.map((f) => f.name).join(', ')}`)
  const perFamily = numberFlag(COMMAND, 'seeds-per-family', 1, 100) ?? 1
  const radii = SWEEPS.full.radiusLod
  const reference: RadiusLodBands = { high: 0, medium: 0 }
  const all = [...LOD_CANDIDATES, reference]
  const name = (b: RadiusLodBands): string => (b === reference ? 'radius at Low (reference)' : `High R/${1 / b.high}, Medium R/${1 / b.medium}`)
  const perCandidate: LodSearchScore[][] = all.map(() => [])
  for (const f of FAMILIES) {
    if (only !== undefined && !only.includes(f.name)) continue
    // training seeds only: the choice must not be read off the validation or test seeds
    const recs: Recording[] = f.trainSeeds.slice(0, perFamily).map((s) => f.record(s))
    const full = summarize(poolResults(recs.map((r) => replay(r, fullPolicy()))))
    all.forEach((b, i) => {
      const rows = radii.map((R) => summarize(poolResults(recs.map((r) => replay(r, radiusLodPolicy(R, b))))))
      const s = scoreLodRows(rows, full)
      perCandidate[i]!.push(s)
      const range = `${rows[0]!.bytesPerClientPerSec.toFixed(0)}..${rows[rows.length - 1]!.bytesPerClientPerSec.toFixed(0)} B/s`
      console.log(`${f.name} (train ${recs.map((r) => r.seed).join(',')}) ${name(b).padEnd(28)} avoidable miss@500 ${(s.avoidableMiss * 100).toFixed(2)}%  coverage ${(s.coverage * 100).toFixed(1)}%  (R=${radii[0]}..${radii[radii.length - 1]}: ${range})`)
    })
  }
  const mean = (ss: LodSearchScore[]): LodSearchScore => ({
    avoidableMiss: ss.reduce((a, s) => a + s.avoidableMiss, 0) / ss.length,
    coverage: ss.reduce((a, s) => a + s.coverage, 0) / ss.length,
  })
  const scores = perCandidate.map(mean)
  all.forEach((b, i) => console.log(`mean over families: ${name(b).padEnd(28)} avoidable miss@500 ${(scores[i]!.avoidableMiss * 100).toFixed(2)}%  coverage ${(scores[i]!.coverage * 100).toFixed(1)}%`))
  const win = pickLodCandidate(scores.slice(0, LOD_CANDIDATES.length))
  console.log(`chosen: ${name(LOD_CANDIDATES[win]!)} (high ${LOD_CANDIDATES[win]!.high}, medium ${LOD_CANDIDATES[win]!.medium})`)
}

if (isMain(import.meta.url)) await main()
