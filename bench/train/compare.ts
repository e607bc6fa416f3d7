// Compares a model with the built-in heads and radius AOI at equal bytes (T = 500 ms), the way
// `npm run bench:recall -- --model` does, but replaying only what that comparison reads: the
// heads' count-budget sweep and the radius sweep (cached per family and seed set, since they do
// not depend on the model) and the learned rows. Also prints where the misses differ, by the kind
// of the other party and of the interaction. By default only the first seed of the set is replayed
// (--seed-count N pools the first N). The cache is keyed by family, seed set and seed count, and by
// a fingerprint of the sources the cached rows come from (the plugin's src/, bench/recall/ and the
// sweeps): a change to the engine, the families or the harness replays them again.
//
// With --byte-budgets it also replays the learned scorer under byte budgets (bytes per client per
// second, in the heads' byte-budget configuration: `byteBudgetPolicy`, K = 1024 as the cap, the
// radius at the family's view radius) and compares those rows
// with the heads' byte-budget sweep (cached too): like with like. Every point is also compared with
// the heads' best of both sweeps at the same bytes (`best`).
//
//   node --import tsx bench/train/compare.ts --model m.onnx [--family a,b] [--seeds train|test|validation] [--seed-count N (default 1)] [--cache dir] [--budgets 1,2,4] [--byte-budgets 350,450] [--smoothing 0.5 (default: the scorer's)] [--reach 1 (the scorer's reachSeconds; default: its own)] [--scores (serve the answers as scores, residual: false)] [--hysteresis swapMargin=0.5,minOutTicks=10] [--out points.json]
// (any other flag is an error; it imports the built plugin through the example server's state: `npm run build:plugin` first)
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { HysteresisOptions } from '../../plugin/src/index'
import { checkFlags, flagValue, hasFlag, isMain, REPO_ROOT } from '../lib/cli'
import { FAMILIES, familyByName } from '../recall/families/index'
import { summarize, type RecallRow } from '../recall/metrics'
import { attentionPolicy, BYTE_BUDGET_CAP, byteBudgetPolicy } from '../recall/policies/attention-policy'
import { compareLearned, ratioText, replayLearned, type LearnedPoint, type LearnedServing } from '../recall/policies/learned-policy'
import { radiusPolicy } from '../recall/policies/radius-policy'
import { poolResults } from '../recall/pool'
import { replay, type ReplayResult } from '../recall/replay'
import type { Recording } from '../recall/recording'
import { SWEEPS } from '../recall/run'

/** The comparison of one family. */
export interface FamilyComparison {
  family: string
  points: LearnedPoint[]
  rows: RecallRow[]
}

function rowsOf(recs: Recording[], run: (rec: Recording) => ReplayResult): RecallRow {
  return summarize(poolResults(recs.map(run)))
}

/** The cached rows at `path`, or `make()`'s, written there. */
/** `--hysteresis swapMargin=0.5,minOutTicks=10`: hysteresis options for the learned rows. */
export function parseHysteresis(text: string | undefined): Partial<HysteresisOptions> | undefined {
  if (text === undefined) return undefined
  const out: Partial<HysteresisOptions> = {}
  for (const part of text.split(',')) {
    const [key, value] = part.split('=')
    if (!['enterScore', 'exitScore', 'minOutTicks', 'swapMargin'].includes(key!) || !Number.isFinite(Number(value))) {
      throw new RangeError(`--hysteresis takes name=value pairs of enterScore, exitScore, minOutTicks, swapMargin; got ${part}`)
    }
    out[key as keyof HysteresisOptions] = Number(value)
  }
  return out
}

/** Which seeds of a family to replay: those trained on, those to choose between variants on, or those reported. */
export type SeedSet = 'train' | 'test' | 'validation'

/** The `.ts` files under `dir`, recursively, sorted by path. */
function sourcesUnder(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourcesUnder(path))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out.sort()
}

/** 12 hex digits of a hash of the `.ts` files under `dirs` of `root` (their paths and contents) and of `extra`. */
export function fingerprintSources(root: string, dirs: readonly string[], extra: string): string {
  const hash = createHash('sha256')
  for (const dir of dirs) {
    for (const path of sourcesUnder(resolve(root, dir))) {
      hash.update(path.slice(root.length))
      hash.update(readFileSync(path))
    }
  }
  hash.update(extra)
  return hash.digest('hex').slice(0, 12)
}

let fingerprint: string | null = null
/**
 * The fingerprint of what the cached rows depend on: the plugin's sources, the recall harness
 * (policies, families, replay, byte meter) and the sweeps. Part of every cache file's name, so that
 * rows replayed by an older engine are never read as today's.
 */
export function cacheFingerprint(): string {
  fingerprint ??= fingerprintSources(REPO_ROOT, ['plugin/src', 'bench/recall'], JSON.stringify([SWEEPS.full.attention, SWEEPS.full.radius, SWEEPS.full.byteBudget, BYTE_BUDGET_CAP]))
  return fingerprint
}

function cached(path: string, make: () => RecallRow[]): RecallRow[] {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as RecallRow[]
  const rows = make()
  writeFileSync(path, JSON.stringify(rows))
  return rows
}

/**
 * Replays the learned rows of `modelPath` on one family's seeds, next to the (cached) heads and radius curves.
 * @param cacheDir - where the model-independent rows are kept between runs.
 * @param budgets - count budgets of the learned rows.
 * @param byteBudgets - byte budgets of the learned rows (none: no byte-budget rows, and the heads' byte-budget sweep is not replayed).
 * @param serving - the learned scorer's `smoothing`, `residual` and `reachSeconds` options (its defaults where omitted).
 * @param seedCount - how many of the seed set's seeds to replay, pooled (more is slower, and
 *   steadier: one seed moves a point by a few hundredths). @defaultValue 1
 * @param hysteresis - the engine's hysteresis for the learned rows only (the heads' curves keep the defaults).
 */
export async function compareFamily(name: string, seeds: SeedSet, modelPath: string, cacheDir: string, budgets: readonly number[] = SWEEPS.full.learned, byteBudgets: readonly number[] = [], serving: LearnedServing = {}, seedCount = 1, hysteresis?: Partial<HysteresisOptions>): Promise<FamilyComparison> {
  const f = familyByName(name)
  if (f === undefined) throw new RangeError(`unknown family ${name}`)
  const all = seeds === 'train' ? f.trainSeeds : seeds === 'validation' ? f.validationSeeds : f.testSeeds
  if (!(Number.isInteger(seedCount) && seedCount >= 1 && seedCount <= all.length)) throw new RangeError(`seedCount must be an integer in [1, ${all.length}] (${name} has ${all.length} ${seeds} seeds); got ${seedCount}`)
  const recs = all.slice(0, seedCount).map((s) => f.record(s, false))
  mkdirSync(cacheDir, { recursive: true })
  const tag = `${seedCount === 1 ? seeds : `${seeds}-${seedCount}`}-${cacheFingerprint()}`
  const cachePath = resolve(cacheDir, `${name}-${tag}.json`)
  const base = cached(cachePath, () => [...SWEEPS.full.attention.map((k) => rowsOf(recs, (r) => replay(r, attentionPolicy(k)))), ...SWEEPS.full.radius.map((d) => rowsOf(recs, (r) => replay(r, radiusPolicy(d))))])
  if (byteBudgets.length > 0) base.push(...cached(resolve(cacheDir, `${name}-${tag}-bytes.json`), () => SWEEPS.full.byteBudget.map((b) => rowsOf(recs, (r) => replay(r, byteBudgetPolicy(b))))))
  const learned: RecallRow[] = []
  for (const [list, bytes] of [[budgets, false], [byteBudgets, true]] as const) {
    for (const k of list) {
      const results: ReplayResult[] = []
      for (const rec of recs) results.push(await replayLearned(rec, modelPath, k, () => {}, bytes, serving, hysteresis))
      learned.push(summarize(poolResults(results)))
    }
  }
  const rows = [...base, ...learned]
  return { family: name, points: compareLearned(rows, 0.5), rows }
}

/** Misses at 500 ms per kind of the other party, `row` against `other`. */
function missesByOther(row: RecallRow, other: RecallRow): string {
  return Object.entries(row.byOther)
    .filter(([, c]) => c.n > 0)
    .map(([k, c]) => `${k} ${Math.round(c.n * (1 - c.recall500))}/${Math.round(c.n * (1 - other.byOther[k]!.recall500))}`)
    .join(' ')
}

if (isMain(import.meta.url)) {
  checkFlags('compare.ts', ['model', 'family', 'seeds', 'seed-count', 'cache', 'budgets', 'byte-budgets', 'smoothing', 'reach', 'hysteresis', 'out'], ['scores'])
  const model = flagValue('model')
  if (model === undefined) throw new Error('usage: compare.ts --model m.onnx [--family a,b] [--seeds train|test|validation]')
  const seeds = (flagValue('seeds') ?? 'train') as SeedSet
  if (!['train', 'test', 'validation'].includes(seeds)) throw new RangeError(`--seeds must be train, test or validation; got ${seeds}`)
  const families = (flagValue('family') ?? FAMILIES.map((f) => f.name).join(',')).split(',')
  const cache = resolve(flagValue('cache') ?? '.bench-results/compare-cache')
  const out: FamilyComparison[] = []
  const list = (flag: string): number[] | undefined => flagValue(flag)?.split(',').filter((b) => b !== '').map(Number)
  const budgets = list('budgets')
  const byteBudgets = list('byte-budgets') ?? []
  for (const name of families) {
    const smoothing = flagValue('smoothing')
    // --scores: the model's answers served as scores (residual: false), as before 2026-12-02's corrections
    const reach = flagValue('reach')
    const serving = {
      smoothing: smoothing === undefined ? undefined : Number(smoothing),
      residual: hasFlag('scores') ? false : undefined,
      reachSeconds: reach === undefined ? undefined : Number(reach),
    }
    const c = await compareFamily(name, seeds, model, cache, budgets, byteBudgets, serving, Number(flagValue('seed-count') ?? 1), parseHysteresis(flagValue('hysteresis')))
    out.push(c)
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`)
    for (const p of c.points) {
      const suffix = p.series === 'B' ? ` K<=${BYTE_BUDGET_CAP}` : ''
      const row = c.rows.find((r) => r.label === `attention (learned) ${p.series}=${p.budget}${suffix}`)!
      const heads = c.rows.find((r) => r.label === `attention ${p.series}=${p.budget}${suffix}`)
      console.log(
        `${name} ${seeds} ${p.series}=${p.budget}: ${p.bytesPerClientPerSec.toFixed(0)} B/s (heads ${p.series}=${p.budget}: ${heads?.bytesPerClientPerSec.toFixed(0) ?? 'n/a'}) miss ${pct(p.learnedMiss)} vs heads ${pct(p.headsMiss)} ${ratioText(p.learnedMiss, p.headsMiss, p.vsHeads)} ` +
          `(best ${pct(p.headsBestMiss)} ${ratioText(p.learnedMiss, p.headsBestMiss, p.vsHeadsBest)}) vs radius ${pct(p.radiusMiss)} ${ratioText(p.learnedMiss, p.radiusMiss, p.vsRadius)}  ` +
          (heads === undefined
            ? `churn ${row.churnPerClientPerSec.toFixed(2)}  bands ${row.meanBandCounts.map((b) => b.toFixed(1)).join('/')}`
            : `churn ${row.churnPerClientPerSec.toFixed(2)} vs ${heads.churnPerClientPerSec.toFixed(2)}  misses learned/heads@${p.series} by other: ${missesByOther(row, heads)}  bands ${row.meanBandCounts.map((b) => b.toFixed(1)).join('/')} vs ${heads.meanBandCounts.map((b) => b.toFixed(1)).join('/')}`),
      )
    }
  }
  const outPath = flagValue('out')
  if (outPath !== undefined) writeFileSync(outPath, JSON.stringify(out.map((c) => ({ family: c.family, points: c.points }))))
}
