// `npm run bench`: runs every benchmark (engine, sync, recall, load) and writes docs/benchmarks.md
// with tables and SVG charts. `--quick` runs the small version (under a minute); `--docs <dir>`
// writes the report elsewhere (the tests do, so a quick run never overwrites the real report);
// `--report-only` rewrites the report from the last run's .bench-results/*.json; `--help` prints
// every flag (USAGE, at the end).
import os from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { acceptFlags, flagValue, hasFlag, isMain, REPO_ROOT, RESULTS_DIR, stopWith, writeResult } from './lib/cli'
import { machineInfo } from './lib/machine'
import { runLoadBench } from './load/run'
import { runRecallBench } from './recall/run'
import { writeReport, type BenchResults, type ReportPaths } from './report/write-report'

/** Options of {@link runAll}. */
export interface RunAllOptions {
  quick?: boolean
  /** Report folder. @defaultValue `<repo>/docs` */
  docsDir?: string
  /** Folder for the raw JSON results. @defaultValue `<repo>/.bench-results` */
  resultsDir?: string
  /** Parts to run. @defaultValue all four */
  parts?: readonly Part[]
  log?: (line: string) => void
}

/** The four parts of the benchmark. */
export type Part = 'engine' | 'sync' | 'recall' | 'load'
/** Every part, in run order. */
export const PARTS: readonly Part[] = ['engine', 'sync', 'recall', 'load']

/**
 * Runs a benchmark script of the plugin in a process of its own (`--json`, one object per line)
 * and returns its objects. A fresh process per benchmark: code that ran before in the same
 * process (another benchmark's systems and options) changes how V8 optimises the next one.
 */
function runInChild(file: string, quick: boolean): Record<string, unknown>[] {
  const args = ['--expose-gc', '--import', 'tsx', resolve(REPO_ROOT, file), '--json', ...(quick ? ['--quick'] : [])]
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) throw r.error
  if (r.status !== 0) throw new Error(`${file} exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`)
  return r.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/**
 * Runs the chosen parts in order (a failing part is recorded, not fatal), then writes the report.
 * @returns the results and the files written.
 */
export async function runAll(o: RunAllOptions = {}): Promise<{ results: BenchResults; paths: ReportPaths }> {
  const quick = o.quick ?? false
  const parts = o.parts ?? PARTS
  const log = o.log ?? (() => {})
  const t0 = performance.now()
  const results: BenchResults = {
    quick,
    machine: machineInfo(),
    engine: null,
    sync: null,
    recall: null,
    load: null,
    errors: [],
    wallSeconds: 0,
    loadAverages: [],
  }
  const attempt = async (part: Part, run: () => Promise<unknown>): Promise<void> => {
    if (!parts.includes(part)) return
    log(`== ${part}${quick ? ' (quick)' : ''}`)
    const started = performance.now()
    const load = { part, start: os.loadavg()[0]!, end: Number.NaN }
    try {
      const value = await run()
      ;(results as unknown as Record<Part, unknown>)[part] = value
      writeResult(part, value, o.resultsDir)
      log(`== ${part} done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e)
      results.errors.push({ part, error })
      log(`== ${part} FAILED: ${error}`)
    }
    load.end = os.loadavg()[0]!
    results.loadAverages!.push(load)
  }
  let threads: Record<string, unknown>[] = []
  await attempt('engine', async () => {
    const out = runInChild('plugin/bench/engine.bench.ts', quick)
    // the same run also measures option threads (lines of kind 'threads')
    threads = out.filter((x) => x.kind === 'threads').map(({ kind: _, ...t }) => t)
    return out.filter((x) => x.kind === undefined)
  })
  if (parts.includes('engine') && threads.length > 0) {
    results.threads = threads
    writeResult('threads', threads, o.resultsDir)
  }
  let tiers: Record<string, unknown>[] = []
  let garbage: Record<string, unknown> | null = null
  let leave: Record<string, unknown> | null = null
  await attempt('sync', async () => {
    const out = runInChild('plugin/bench/sync.bench.ts', quick)
    // the same run also measures the update-rate tiers (lines of kind 'tier')
    tiers = out.filter((x) => x.kind === 'tier').map(({ kind: _, ...t }) => t)
    garbage = out.find((x) => x.kind === 'garbage') ?? null
    leave = out.find((x) => x.kind === 'leave') ?? null
    return out.filter((x) => x.kind === undefined)
  })
  if (parts.includes('sync') && tiers.length > 0) {
    results.tiers = tiers as unknown as BenchResults['tiers']
    writeResult('tiers', results.tiers, o.resultsDir)
  }
  for (const [name, line] of [['garbage', garbage], ['leave', leave]] as const) {
    if (!parts.includes('sync') || line === null) continue
    const { kind: _, ...g } = line as Record<string, unknown>
    results[name] = g
    writeResult(name, g, o.resultsDir)
  }
  await attempt('recall', () => runRecallBench({ quick, log }))
  await attempt('load', () => runLoadBench({ quick, log }))
  results.wallSeconds = (performance.now() - t0) / 1000
  writeResult('meta', { quick, wallSeconds: results.wallSeconds, errors: results.errors, machine: results.machine, loadAverages: results.loadAverages }, o.resultsDir)
  const paths = writeReport(results, o.docsDir)
  log(`wrote ${paths.markdown} and ${paths.images.length} charts in ${results.wallSeconds.toFixed(0)} s`)
  return { results, paths }
}

/**
 * Rewrites the report from the raw results of the last run (`.bench-results/*.json`) without
 * running anything: for report layout changes. The numbers stay those of that run.
 */
export function reportFromResults(resultsDir = RESULTS_DIR, docsDir?: string): ReportPaths {
  const read = (name: string): unknown => {
    const p = resolve(resultsDir, `${name}.json`)
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as unknown) : null
  }
  const meta = (read('meta') ?? {}) as { quick?: boolean; wallSeconds?: number; errors?: BenchResults['errors']; machine?: BenchResults['machine']; loadAverages?: BenchResults['loadAverages'] }
  const results: BenchResults = {
    quick: meta.quick ?? false,
    // the machine and commit of the run that measured the numbers (runs before it was recorded: this one's)
    machine: meta.machine ?? machineInfo(),
    engine: read('engine'),
    threads: read('threads'),
    sync: read('sync'),
    tiers: read('tiers'),
    garbage: read('garbage'),
    leave: read('leave'),
    recall: read('recall') as BenchResults['recall'],
    load: read('load') as BenchResults['load'],
    cluster: read('cluster'),
    errors: meta.errors ?? [],
    wallSeconds: meta.wallSeconds ?? Number.NaN,
    loadAverages: meta.loadAverages,
  }
  return writeReport(results, docsDir)
}

const COMMAND = 'npm run bench'

/** What `npm run bench -- --help` prints. */
const USAGE = `usage: ${COMMAND} -- [flags]
Runs every benchmark (${PARTS.join(', ')}; engine and sync each in a process of its own) and writes
docs/benchmarks.md with tables and SVG charts (a few minutes).
  --quick           the small version the test suite runs (under a minute)
  --only P,P,...    only these parts, of ${PARTS.join(', ')} (default all four)
  --docs DIR        write the report (and its images/) to DIR instead of docs/
  --report-only     run nothing: rewrite the report from the last run's .bench-results/*.json
                    (with --docs: into DIR)
Writes .bench-results/*.json; exit code 1 when a part failed.`

if (isMain(import.meta.url)) {
  acceptFlags(COMMAND, USAGE, ['only', 'docs'], ['quick', 'report-only'])
  const only = flagValue('only')
  const docs = flagValue('docs')
  const unknown = only?.split(',').filter((p) => !(PARTS as readonly string[]).includes(p)) ?? []
  if (unknown.length > 0) stopWith(`${COMMAND}: --only has no part ${unknown.map((p) => p || "''").join(', ')}; the parts are ${PARTS.join(', ')}`)
  if (hasFlag('report-only')) {
    if (only !== undefined) stopWith(`${COMMAND}: --only chooses the parts to run, and --report-only runs none`)
    console.log(`wrote ${reportFromResults(RESULTS_DIR, docs ? resolve(docs) : undefined).markdown}`)
  } else {
    const { results } = await runAll({
      quick: hasFlag('quick'),
      docsDir: docs ? resolve(docs) : undefined,
      parts: only ? (only.split(',') as Part[]) : undefined,
      log: (l) => console.log(l),
    })
    if (results.errors.length > 0) process.exitCode = 1
  }
}
