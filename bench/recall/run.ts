import { acceptFlags, flagValue, hasFlag, isMain, numberFlag, stopWith, writeResult } from '../lib/cli'
import { ALL_FAMILIES, familyByName, HELD_OUT_FAMILIES } from './families/index'
import { compareLearned, ratioText, replayLearned, type LearnedPoint } from './policies/learned-policy'
import type { ScenarioFamily } from './families/scenario-family'
import { summarize, type RecallRow } from './metrics'
import { attentionPolicy, byteBudgetPolicy, engineHasByteBudget } from './policies/attention-policy'
import { fullPolicy } from './policies/full-policy'
import type { PolicyFactory } from './policies/interest-policy'
import { nearestPolicy } from './policies/nearest-policy'
import { radiusLodPolicy } from './policies/radius-lod-policy'
import { radiusPolicy } from './policies/radius-policy'
import { poolResults } from './pool'
import { countByKind, INTERACTION_NAMES, type Recording } from './recording'
import { readRecording, writeRecording } from './recording-file'
import { replay, type ReplayResult } from './replay'
import { FULL_SCENARIO, QUICK_SCENARIO, type ScenarioConfig } from './scenario'
import { evaluateTargets, judgeIssueTargets, type IssueTargets, type TargetReport } from './targets'
import { viewRadiusOf } from './viewport'

/** Options of {@link runRecallBench}. */
export interface RecallBenchOptions {
  /** Small scenarios and sweep (seconds per family). */
  quick?: boolean
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /** Replay this recording file instead of recording the families (see recording-file.ts). */
  recordingPath?: string
  /** Also save the (first) recording to this file. */
  savePath?: string
  /** Names of the families to run. @defaultValue every family of `ALL_FAMILIES` (the held-out ones last) */
  families?: readonly string[]
  /** Which seeds of each family (validation: those for choosing between variants, see ScenarioFamily). @defaultValue 'test' */
  seeds?: 'train' | 'test' | 'validation'
  /** How many of those seeds per family (pooled). @defaultValue 1 */
  seedsPerFamily?: number
  /** Also replay the `attention (learned)` policy with this ONNX model (rows added after the targets are judged). */
  modelPath?: string
}

/** What the recording(s) of one family held. */
export interface FamilyScenario extends Partial<ScenarioConfig> {
  family: string
  description: string
  seed: number
  seeds: number[]
  seconds: number
  worldSize: number
  players: number
  entities: number
  ticks: number
  viewRadius: number
  interactions: Record<string, number>
}

/** The sweep of one family: rows pooled over its seeds, and the targets. */
export interface FamilyBenchResult {
  scenario: FamilyScenario
  rows: RecallRow[]
  targets200: TargetReport
  targets500: TargetReport
  /**
   * Issue 11's targets against plain radius AOI, on the attention sweep fixed in advance
   * (`judgedSeries`: the byte-budget sweep when the engine has one); null without attention rows.
   */
  issue: IssueTargets | null
  /** The same targets against radius AOI with distance LOD (radius-lod); null without its rows. */
  issueLod: IssueTargets | null
  /** Entitlement violations summed over every policy (must be 0). */
  entitlementViolations: number
  /** With a model: the learned rows against the heads and radius AOI at equal bytes (T = 500 ms). */
  learned500?: LearnedPoint[]
}

/** Everything the recall benchmark measured. */
export interface RecallBenchResult {
  quick: boolean
  /** The families' seeds that were replayed; null when a recording file was (`recordings`). */
  seedSet: 'train' | 'test' | 'validation' | null
  /** The recording file(s) replayed instead of the families (`recordingPath`); absent otherwise. */
  recordings?: string[]
  /** The first family's scenario, rows and targets (the arena when it runs). */
  scenario: FamilyScenario
  rows: RecallRow[]
  targets200: TargetReport
  targets500: TargetReport
  families: FamilyBenchResult[]
  /** True when the engine took byte budgets and the byte-budget sweep ran. */
  byteBudgetSweep: boolean
  wallSeconds: number
}

/** The sweeps: parameter lists per policy (full run and --quick). */
export const SWEEPS = {
  full: {
    radius: [5, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50, 60, 80],
    // radius AOI with distance LOD: the same radii, wider ones and narrower ones, as its members cost less (most at Low), so that its
    // bytes reach attention's at both ends: attention points outside the baseline's byte range are not judged, and in a dense melee
    // R = 5 already costs more than the byte-budget sweep's cheapest points (battle: R = 5 about 1,200 B/s, B = 350 about 440)
    radiusLod: [1, 2, 3, 4, 5, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50, 60, 80, 120, 160, 240],
    nearest: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
    attention: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48],
    /** Bytes per client per second (in the configuration of `byteBudgetPolicy`). */
    byteBudget: [350, 400, 450, 475, 500, 525, 550, 700, 1000, 1500, 2500, 4000, 8000, 16000],
    // ablations of the engine's defaults, to explain the attention curve (not tuned winners)
    noHysteresis: [2, 4, 8, 16],
    radius25: [2, 4, 8, 16],
    // the learned scorer with --model: the budgets where the policies differ (each replay waits on inference)
    learned: [1, 2, 3, 4, 6, 8],
    // ... and under byte budgets (`byteBudgetPolicy`), against the heads' byte-budget sweep
    learnedBytes: [350, 450, 550, 700, 1000, 1500],
  },
  quick: {
    radius: [5, 10, 20, 40, 80],
    radiusLod: [2, 5, 10, 20, 40, 80],
    nearest: [2, 8],
    attention: [2, 4, 8, 16, 32],
    byteBudget: [450, 600, 1000, 2500, 6000],
    noHysteresis: [],
    radius25: [],
    learned: [2, 4, 8, 16],
    learnedBytes: [450, 1000],
  },
} as const

/** The policy configurations of a sweep, in report order. */
export function sweepPolicies(quick: boolean): PolicyFactory[] {
  const s = quick ? SWEEPS.quick : SWEEPS.full
  return [
    fullPolicy(),
    ...s.radius.map((r) => radiusPolicy(r)),
    ...s.radiusLod.map((r) => radiusLodPolicy(r)),
    ...s.nearest.map((k) => nearestPolicy(k)),
    ...s.attention.map((k) => attentionPolicy(k)),
    ...(engineHasByteBudget() ? s.byteBudget.map((b) => byteBudgetPolicy(b)) : []),
    ...s.noHysteresis.map((k) => attentionPolicy(k, { engine: { hysteresis: false }, variant: 'no hysteresis' })),
    ...s.radius25.map((k) => attentionPolicy(k, { radius: 25 })),
  ]
}

/** The recordings of one family for a run. */
function recordingsOf(f: ScenarioFamily, seeds: readonly number[], quick: boolean): Recording[] {
  return seeds.map((s) => f.record(s, quick))
}

/** Replays every policy of the sweep over the recordings and pools the seeds. */
async function sweepFamily(name: string, description: string, recs: Recording[], quick: boolean, log: (l: string) => void, modelPath?: string): Promise<FamilyBenchResult> {
  const first = recs[0]!
  const counts = INTERACTION_NAMES.map(() => 0)
  for (const r of recs) countByKind(r.interactions).forEach((c, k) => (counts[k]! += c))
  const scenario: FamilyScenario = {
    ...(name === 'arena' ? (quick ? QUICK_SCENARIO : FULL_SCENARIO) : {}),
    family: name,
    description,
    seed: first.seed,
    seeds: recs.map((r) => r.seed),
    seconds: first.ticks * first.dt,
    tickRate: Math.round(1 / first.dt),
    worldSize: first.worldSize,
    players: first.players.length,
    entities: first.entityCount,
    ticks: first.ticks,
    viewRadius: viewRadiusOf(first),
    interactions: Object.fromEntries(INTERACTION_NAMES.map((k, i) => [k, counts[i]!]).filter(([, c]) => (c as number) > 0)),
  }
  log(`recall ${name}: ${first.entityCount} entities, ${first.players.length} players, ${scenario.seconds} s x ${recs.length} seed(s) [${scenario.seeds.join(', ')}], ${counts.reduce((a, b) => a + b, 0)} interactions`)
  const rows: RecallRow[] = []
  let violations = 0
  for (const factory of sweepPolicies(quick)) {
    const results: ReplayResult[] = []
    for (const rec of recs) {
      results.push(replay(rec, factory))
      // yield so a caller's timers and I/O keep running
      await new Promise((r) => setImmediate(r))
    }
    const row = summarize(poolResults(results))
    violations += row.entitlementViolations
    rows.push(row)
    log(
      `  ${row.label.padEnd(26)} recall@200 ${(row.recall200 * 100).toFixed(2)}%  @500 ${(row.recall500 * 100).toFixed(2)}% (M+ ${(row.recall500Detail * 100).toFixed(1)}%)  ` +
        `coverage ${(row.viewportCoverage * 100).toFixed(1)}%  ${row.bytesPerClientPerSec.toFixed(0)} B/client/s  ` +
        `bands L/M/H ${row.meanBandCounts.map((b) => b.toFixed(1)).join('/')}` +
        (row.entrantsDeferred > 0 ? `  deferred entrants ${row.entrantsDeferred}` : '') +
        (row.entitlementViolations > 0 ? `  ENTITLEMENT VIOLATIONS ${row.entitlementViolations}` : ''),
    )
  }
  const judged = { scenario, rows, targets200: evaluateTargets(rows, 0.2), targets500: evaluateTargets(rows, 0.5), issue: judgeIssueTargets(rows, 'radius'), issueLod: judgeIssueTargets(rows, 'radius-lod'), entitlementViolations: violations }
  if (modelPath === undefined) return judged
  const sweep = quick ? SWEEPS.quick : SWEEPS.full
  const byteRows = engineHasByteBudget() ? sweep.learnedBytes.map((b) => [b, true] as const) : []
  for (const [k, bytes] of [...sweep.learned.map((k) => [k, false] as const), ...byteRows]) {
    const results: ReplayResult[] = []
    for (const rec of recs) results.push(await replayLearned(rec, modelPath, k, log, bytes))
    const row = summarize(poolResults(results))
    rows.push(row)
    log(`  ${row.label.padEnd(26)} recall@200 ${(row.recall200 * 100).toFixed(2)}%  @500 ${(row.recall500 * 100).toFixed(2)}%  ${row.bytesPerClientPerSec.toFixed(0)} B/client/s`)
  }
  return { ...judged, learned500: compareLearned(rows, 0.5) }
}

/** The learned rows of a family against the heads and radius AOI (T = 500 ms), one line per budget. */
function learnedLines(f: FamilyBenchResult): string[] {
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`)
  return (f.learned500 ?? []).map(
    (p) =>
      `  ${f.scenario.family} learned ${p.series}=${p.budget}: ${p.bytesPerClientPerSec.toFixed(0)} B/s miss@500 ${pct(p.learnedMiss)} vs heads ${p.series} ${pct(p.headsMiss)} ` +
      `(${ratioText(p.learnedMiss, p.headsMiss, p.vsHeads)}), heads' best ${pct(p.headsBestMiss)} (${ratioText(p.learnedMiss, p.headsBestMiss, p.vsHeadsBest)}) vs radius ${pct(p.radiusMiss)} (${ratioText(p.learnedMiss, p.radiusMiss, p.vsRadius)})`,
  )
}

/**
 * Records every selected family on its seeds, replays each through every policy of the sweep and
 * evaluates the targets per family. Deterministic: same options, same numbers (timings vary).
 */
export async function runRecallBench(options: RecallBenchOptions = {}): Promise<RecallBenchResult> {
  const quick = options.quick ?? false
  const log = options.log ?? (() => {})
  const seedSet = options.seeds ?? 'test'
  const perFamily = options.seedsPerFamily ?? 1
  if (!Number.isInteger(perFamily) || perFamily < 1) throw new RangeError(`recall: seedsPerFamily must be an integer >= 1; got ${perFamily}`)
  const t0 = performance.now()
  const families: FamilyBenchResult[] = []
  if (options.recordingPath !== undefined) {
    const rec = readRecording(options.recordingPath)
    if (options.savePath) writeRecording(options.savePath, rec)
    families.push(await sweepFamily(rec.family ?? 'loaded', `recording ${options.recordingPath}`, [rec], quick, log, options.modelPath))
  } else {
    const wanted = options.families ?? ALL_FAMILIES.map((f) => f.name)
    for (const name of wanted) {
      const f = familyByName(name)
      if (f === undefined) throw new RangeError(`recall: unknown family ${JSON.stringify(name)}; known: ${ALL_FAMILIES.map((x) => x.name).join(', ')}`)
      const seeds = (seedSet === 'train' ? f.trainSeeds : seedSet === 'validation' ? f.validationSeeds : f.testSeeds).slice(0, Math.max(1, perFamily))
      const recs = recordingsOf(f, seeds, quick)
      if (options.savePath && families.length === 0) writeRecording(options.savePath, recs[0]!)
      families.push(await sweepFamily(f.name, f.description, recs, quick, log, options.modelPath))
    }
  }
  const main = families[0]!
  return {
    quick,
    ...(options.recordingPath !== undefined ? { seedSet: null, recordings: [options.recordingPath] } : { seedSet }),
    scenario: main.scenario,
    rows: main.rows,
    targets200: main.targets200,
    targets500: main.targets500,
    families,
    byteBudgetSweep: engineHasByteBudget(),
    wallSeconds: (performance.now() - t0) / 1000,
  }
}

/** One line per target of issue 11 for a family, against plain radius AOI and against radius-lod. */
export function issueLines(f: FamilyBenchResult): string[] {
  const t = f.issue
  if (t === null) return [`${f.scenario.family}: no attention sweep`]
  const yes = (v: boolean | null): string => (v === null ? 'not comparable' : v ? 'MET' : 'not met')
  const against = (x: IssueTargets | null, name: string): string[] => {
    if (x === null) return [`  against ${name}: no rows`]
    const ratios = x.halfTheMisses.equalBytes.map((p) => `${p.budget}:${Number.isFinite(p.ratio) ? p.ratio.toFixed(2) : 'inf'}`).join(' ')
    const cov = x.coverage.map((p) => `${p.param}:${(p.attentionCoverage * 100).toFixed(0)}/${(p.radiusCoverage * 100).toFixed(0)}%`).join(' ')
    return [
      `  T=500ms avoidable misses <= half of ${name} at equal bytes: ${yes(x.halfTheMissesMet)}  [param:ratio ${ratios}]`,
      `  viewport coverage >= ${name} at equal bytes: ${yes(x.coverageMet)}  [param:attention/${name} ${cov}]`,
    ]
  }
  return [
    `${f.scenario.family} (judged on "${t.series}", fixed in advance; entitlement violations: ${f.entitlementViolations})`,
    ...against(t, 'radius AOI'),
    ...against(f.issueLod, 'radius-lod'),
    `  99.5% recall at 200 ms within 5% of full-state bytes: ${yes(t.recall995Within5Met)}` +
      (t.recall995 ? ` (${t.recall995.param}: ${t.recall995.bytes.toFixed(0)} B/s = ${(t.recall995.shareOfFull * 100).toFixed(1)}% of full)` : ' (never reached)'),
  ]
}

const USAGE = `usage: npm run bench:recall -- [flags]
Replays every relevance policy on the scenario families (deterministic).
  --family <names|all>        families to run, comma-separated: ${ALL_FAMILIES.map((f) => f.name).join(', ')} (default all;
                              ${HELD_OUT_FAMILIES.map((f) => f.name).join(', ')}: held out, nothing was tuned or trained on it)
  --seeds <set>               train, test or validation seeds of each family (default test)
  --seeds-per-family <n>      how many of those seeds, pooled (default 1)
  --quick                     small scenarios and sweeps (seconds per family)
  --load <recording>          replay this recording instead of the families
  --save <path>               also save the (first) recording to this file
  --model <model.onnx>        also replay the learned scorer with this model
  --json                      print the result as JSON (with npm run -s, stdout is the JSON alone)`

if (isMain(import.meta.url)) {
  const COMMAND = 'npm run bench:recall'
  acceptFlags(COMMAND, USAGE, ['family', 'seeds', 'seeds-per-family', 'load', 'save', 'model'], ['quick', 'json'])
  const familyFlag = flagValue('family')
  const seedsFlag = flagValue('seeds')
  if (seedsFlag !== undefined && seedsFlag !== 'train' && seedsFlag !== 'test' && seedsFlag !== 'validation') stopWith(`${COMMAND}: --seeds must be train, test or validation; got ${seedsFlag}`)
  const unknown = familyFlag === undefined || familyFlag === 'all' ? [] : familyFlag.split(',').filter((n) => familyByName(n) === undefined)
  if (unknown.length > 0) stopWith(`${COMMAND}: --family has no family ${unknown.join(', ')}; the families are ${ALL_FAMILIES.map((f) => f.name).join(', ')} (or all)`)
  if (flagValue('load') !== undefined) {
    const chooses = ['family', 'seeds', 'seeds-per-family'].filter((f) => flagValue(f) !== undefined)
    if (chooses.length > 0) stopWith(`${COMMAND}: --${chooses.join(', --')} chooses the built-in families' recordings, and --load replays a recording instead`)
  }
  const json = hasFlag('json')
  const result = await runRecallBench({
    quick: hasFlag('quick'),
    recordingPath: flagValue('load'),
    savePath: flagValue('save'),
    families: familyFlag === undefined || familyFlag === 'all' ? undefined : familyFlag.split(','),
    seeds: seedsFlag as 'train' | 'test' | 'validation' | undefined,
    seedsPerFamily: numberFlag(COMMAND, 'seeds-per-family', 1, 1000),
    modelPath: flagValue('model'),
    log: json ? undefined : (l) => console.log(l),
  })
  const path = writeResult('recall', result)
  if (json) {
    console.log(JSON.stringify({ ...result, families: result.families.map((f) => ({ scenario: f.scenario, issue: f.issue, issueLod: f.issueLod, entitlementViolations: f.entitlementViolations, rows: f.rows, learned500: f.learned500 })) }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)))
  } else {
    console.log(`targets of issue 11 (${result.recordings !== undefined ? `recording ${result.recordings.join(', ')}` : `${result.seedSet} seeds`}${result.byteBudgetSweep ? '' : '; engine without byteBudget: count-budget sweep only'}):`)
    for (const f of result.families) for (const l of issueLines(f)) console.log(l)
    for (const f of result.families) for (const l of learnedLines(f)) console.log(l)
    console.log(`wrote ${path} in ${result.wallSeconds.toFixed(1)} s`)
  }
}
