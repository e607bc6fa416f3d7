import { flagValue, hasFlag, isMain, writeResult } from '../lib/cli'
import { summarize, type RecallRow } from './metrics'
import { attentionPolicy } from './policies/attention-policy'
import { fullPolicy } from './policies/full-policy'
import type { PolicyFactory } from './policies/interest-policy'
import { nearestPolicy } from './policies/nearest-policy'
import { compareLearned, replayLearned, type LearnedPoint } from './policies/learned-policy'
import { radiusPolicy } from './policies/radius-policy'
import { countByKind, INTERACTION_NAMES } from './recording'
import { readRecording, writeRecording } from './recording-file'
import { replay } from './replay'
import { FULL_SCENARIO, QUICK_SCENARIO, recordScenario, type ScenarioConfig } from './scenario'
import { evaluateTargets, type TargetReport } from './targets'

/** Options of {@link runRecallBench}. */
export interface RecallBenchOptions {
  /** Small scenario and sweep (a few seconds). */
  quick?: boolean
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /** Replay this recording file instead of recording the scenario (see recording-file.ts). */
  recordingPath?: string
  /** Also save the recording to this file. */
  savePath?: string
  /** Also replay the `attention (learned)` policy with this ONNX model. */
  modelPath?: string
}

/** Everything the recall benchmark measured. */
export interface RecallBenchResult {
  quick: boolean
  scenario: ScenarioConfig & { entities: number; ticks: number; interactions: Record<string, number> }
  rows: RecallRow[]
  targets200: TargetReport
  targets500: TargetReport
  /** With a model: the learned rows against the heads and radius AOI at equal bytes (T = 500 ms). */
  learned500?: LearnedPoint[]
  wallSeconds: number
}

/** The sweeps: parameter lists per policy (full run and --quick). */
export const SWEEPS = {
  full: {
    radius: [5, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50, 60, 80],
    nearest: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
    attention: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48],
    // ablations of the engine's defaults, to explain the attention curve (not tuned winners)
    noHysteresis: [2, 4, 8, 16],
    radius25: [2, 4, 8, 16],
    // the learned scorer with --model: the budgets where the policies differ (each replay waits on inference)
    learned: [1, 2, 3, 4, 6, 8],
  },
  quick: {
    radius: [5, 10, 20, 40],
    nearest: [2, 8],
    attention: [2, 4, 8, 16],
    noHysteresis: [],
    radius25: [],
  },
} as const

/** The policy configurations of a sweep, in report order. */
export function sweepPolicies(quick: boolean): PolicyFactory[] {
  const s = quick ? SWEEPS.quick : SWEEPS.full
  return [
    fullPolicy(),
    ...s.radius.map((r) => radiusPolicy(r)),
    ...s.nearest.map((k) => nearestPolicy(k)),
    ...s.attention.map((k) => attentionPolicy(k)),
    ...s.noHysteresis.map((k) => attentionPolicy(k, { engine: { hysteresis: false }, variant: 'no hysteresis' })),
    ...s.radius25.map((k) => attentionPolicy(k, { radius: 25 })),
  ]
}

/**
 * Records the scenario once, replays it through every policy of the sweep and evaluates the targets.
 * Deterministic: same options, same numbers (bytes and recall; timings vary).
 */
export async function runRecallBench(options: RecallBenchOptions = {}): Promise<RecallBenchResult> {
  const quick = options.quick ?? false
  const log = options.log ?? (() => {})
  const t0 = performance.now()
  const config = quick ? QUICK_SCENARIO : FULL_SCENARIO
  const rec = options.recordingPath ? readRecording(options.recordingPath) : recordScenario(config)
  if (options.savePath) writeRecording(options.savePath, rec)
  const byKind = countByKind(rec.interactions)
  log(`recall: scenario ${rec.entityCount} entities, ${config.players} players, ${config.seconds} s, ${rec.interactions.count} interactions`)
  const rows: RecallRow[] = []
  for (const factory of sweepPolicies(quick)) {
    const row = summarize(replay(rec, factory))
    rows.push(row)
    log(
      `  ${row.label.padEnd(34)} recall@200 ${(row.recall200 * 100).toFixed(2)}%  @500 ${(row.recall500 * 100).toFixed(2)}%  ` +
        `${row.bytesPerClientPerSec.toFixed(0)} B/client/s  churn ${row.churnPerClientPerSec.toFixed(2)}/s`,
    )
    // yield so a caller's timers and I/O keep running
    await new Promise((r) => setImmediate(r))
  }
  if (options.modelPath !== undefined) {
    for (const row of await replayLearned(rec, options.modelPath, quick ? SWEEPS.quick.attention : SWEEPS.full.learned, log)) {
      rows.push(row)
      log(`  ${row.label.padEnd(34)} recall@200 ${(row.recall200 * 100).toFixed(2)}%  @500 ${(row.recall500 * 100).toFixed(2)}%  ${row.bytesPerClientPerSec.toFixed(0)} B/client/s`)
    }
  }
  return {
    learned500: options.modelPath === undefined ? undefined : compareLearned(rows, 0.5),
    quick,
    scenario: {
      ...config,
      seed: rec.seed,
      entities: rec.entityCount,
      ticks: rec.ticks,
      interactions: Object.fromEntries(INTERACTION_NAMES.map((name, k) => [name, byKind[k]!])),
    },
    rows,
    targets200: evaluateTargets(rows, 0.2),
    targets500: evaluateTargets(rows, 0.5),
    wallSeconds: (performance.now() - t0) / 1000,
  }
}

if (isMain(import.meta.url)) {
  const json = hasFlag('json')
  const say = (l: string): void => void (json ? process.stderr : process.stdout).write(`${l}\n`)
  const result = await runRecallBench({
    quick: hasFlag('quick'),
    recordingPath: flagValue('load'),
    savePath: flagValue('save'),
    modelPath: flagValue('model'),
    log: say,
  })
  for (const p of result.learned500 ?? []) {
    const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`)
    say(`  learned K=${p.budget}: ${p.bytesPerClientPerSec.toFixed(0)} B/s miss@500 ${pct(p.learnedMiss)} vs heads ${pct(p.headsMiss)} (x${p.vsHeads?.toFixed(2) ?? 'n/a'}) vs radius ${pct(p.radiusMiss)} (x${p.vsRadius?.toFixed(2) ?? 'n/a'})`)
  }
  if (json) console.log(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)))
  const t = result.targets200
  say(`target "half the misses of radius AOI at equal bytes" (T=200ms): ${t.halfTheMissesMet}`)
  for (const p of t.equalBytes) {
    say(`  K=${p.budget}: ${p.bytesPerClientPerSec.toFixed(0)} B/s attention miss ${(p.attentionMiss * 100).toFixed(2)}% vs radius ${(p.radiusMiss * 100).toFixed(2)}%`)
  }
  say(`target "99.5% recall at <=15% of full-state bytes": ${t.recall995Within15Met} ${JSON.stringify(t.recall995)}`)
  say(`wrote ${writeResult('recall', result)} in ${result.wallSeconds.toFixed(1)} s`)
}
