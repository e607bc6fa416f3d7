// Compares a model with the built-in heads and radius AOI at equal bytes (T = 500 ms), the way
// `npm run bench:recall -- --model` does, but replaying only what that comparison reads: the
// heads' count-budget sweep and the radius sweep (cached per family and seed set, since they do
// not depend on the model) and the learned rows. Also prints where the misses differ, by the kind
// of the other party and of the interaction. The cache is keyed by family and seed set only: clear
// it after changing the engine, the families or the recall harness.
//
//   node --import tsx bench/train/compare.ts --model m.onnx [--family a,b] [--seeds train|test] [--cache dir] [--budgets 1,2,4]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { flagValue, isMain } from '../lib/cli'
import { FAMILIES } from '../recall/families/index'
import { summarize, type RecallRow } from '../recall/metrics'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { compareLearned, replayLearned, type LearnedPoint } from '../recall/policies/learned-policy'
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

/**
 * Replays the learned rows of `modelPath` on one family's seeds, next to the (cached) heads and radius curves.
 * @param cacheDir - where the model-independent rows are kept between runs.
 */
export async function compareFamily(name: string, seeds: 'train' | 'test', modelPath: string, cacheDir: string, budgets: readonly number[] = SWEEPS.full.learned): Promise<FamilyComparison> {
  const f = FAMILIES.find((x) => x.name === name)
  if (f === undefined) throw new RangeError(`unknown family ${name}`)
  const recs = (seeds === 'train' ? f.trainSeeds : f.testSeeds).slice(0, 1).map((s) => f.record(s, false))
  mkdirSync(cacheDir, { recursive: true })
  const cachePath = resolve(cacheDir, `${name}-${seeds}.json`)
  let base: RecallRow[]
  if (existsSync(cachePath)) base = JSON.parse(readFileSync(cachePath, 'utf8')) as RecallRow[]
  else {
    base = [...SWEEPS.full.attention.map((k) => rowsOf(recs, (r) => replay(r, attentionPolicy(k)))), ...SWEEPS.full.radius.map((d) => rowsOf(recs, (r) => replay(r, radiusPolicy(d))))]
    writeFileSync(cachePath, JSON.stringify(base))
  }
  const learned: RecallRow[] = []
  for (const k of budgets) {
    const results: ReplayResult[] = []
    for (const rec of recs) results.push(await replayLearned(rec, modelPath, k))
    learned.push(summarize(poolResults(results)))
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
  const model = flagValue('model')
  if (model === undefined) throw new Error('usage: compare.ts --model m.onnx [--family a,b] [--seeds train|test]')
  const seeds = (flagValue('seeds') ?? 'train') as 'train' | 'test'
  const families = (flagValue('family') ?? FAMILIES.map((f) => f.name).join(',')).split(',')
  const cache = resolve(flagValue('cache') ?? '.bench-results/compare-cache')
  const out: FamilyComparison[] = []
  const budgets = flagValue('budgets')?.split(',').filter((b) => b !== '').map(Number)
  for (const name of families) {
    const c = await compareFamily(name, seeds, model, cache, budgets)
    out.push(c)
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`)
    for (const p of c.points) {
      const row = c.rows.find((r) => r.label === `attention (learned) K=${p.budget}`)!
      const heads = c.rows.find((r) => r.label === `attention K=${p.budget}`)!
      console.log(
        `${name} ${seeds} K=${p.budget}: ${p.bytesPerClientPerSec.toFixed(0)} B/s (heads K=${p.budget}: ${heads.bytesPerClientPerSec.toFixed(0)}) miss ${pct(p.learnedMiss)} vs heads ${pct(p.headsMiss)} x${p.vsHeads?.toFixed(2) ?? 'n/a'} vs radius ${pct(p.radiusMiss)} x${p.vsRadius?.toFixed(2) ?? 'n/a'}  ` +
          `churn ${row.churnPerClientPerSec.toFixed(2)} vs ${heads.churnPerClientPerSec.toFixed(2)}  misses learned/heads@K by other: ${missesByOther(row, heads)}  bands ${row.meanBandCounts.map((b) => b.toFixed(1)).join('/')} vs ${heads.meanBandCounts.map((b) => b.toFixed(1)).join('/')}`,
      )
    }
  }
  const outPath = flagValue('out')
  if (outPath !== undefined) writeFileSync(outPath, JSON.stringify(out.map((c) => ({ family: c.family, points: c.points }))))
}
