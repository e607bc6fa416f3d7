// Engine benchmark: ms per tick of the attention system against the brute-force oracle
// (O(entities x observers), test/support/brute-force.ts) on the same moving world, same run.
//
//   npm run bench:engine              readable table, then the learned scorer's row
//   npm run bench:engine -- --json    one JSON object per scenario per line (bench/run-all.ts reads them)
//   npm run bench:engine -- --quick   small scenarios only (< 20 s), for the eval harness
//   npm run bench:engine -- --threads 1,2 --rounds 3   option threads at 10k x 1,000, nothing else
//   npm run bench:engine -- --help    every flag with its default (USAGE, at the end)
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { cpus, loadavg } from 'node:os'
import { existsSync } from 'node:fs'
import { addObserver, createAttentionComponents, createAttentionSystem, setFacingAngle } from '../src/index'
import type { AttentionComponents } from '../src/index'
import { createBruteForceAttention } from '../test/support/brute-force'
import { createOnnxScorer, defaultModelPath } from '../src/learned/index'
import { Control, threadsOf } from '../src/ecs/observer-threads'
import { acceptFlags, flagValue, hasFlag, integerListFlag, isMain, numberFlag, stopWith } from '../../bench/lib/cli'

/** One benchmark scenario. */
export interface EngineScenario {
  entities: number
  observers: number
}

/** Options of {@link runEngineBench}. */
export interface EngineBenchOptions {
  /** Small scenarios and fewer ticks (< 20 s). */
  quick?: boolean
  /** Scenarios to run instead of the default grid. */
  scenarios?: EngineScenario[]
  /** Engine ticks measured per scenario (after 20 warm-up ticks). @defaultValue 60 (30 quick) */
  ticks?: number
  /** Skip the brute force when one of its ticks is estimated above this many ms. @defaultValue 2000 */
  bruteForceBudgetMs?: number
  /** Called with each result as soon as it is measured. */
  onResult?: (r: EngineBenchResult) => void
}

/** The measurement of one scenario. */
export interface EngineBenchResult {
  name: string
  entities: number
  observers: number
  k: number
  radius: number
  /** Side of the square world (density: entities / side^2). */
  worldSide: number
  /** Mean number of entities within the radius of an observer (sampled). */
  meanInRadius: number
  /** Median ms per engine tick. */
  msPerTick: number
  /** 90th percentile ms per engine tick. */
  p90MsPerTick: number
  /** Median ms per brute-force tick, or null when skipped as too slow. */
  bruteForceMsPerTick: number | null
  bruteForceTicks: number
  /** bruteForceMsPerTick / msPerTick, or null. */
  speedup: number | null
  /** Mean interest-set size (members, rule members included) after the last engine tick. */
  meanSetSize: number
  ticks: number
}

const K = 32
const RADIUS = 50
/** Target mean number of entities within RADIUS of an observer: the world is sized for it. */
const TARGET_IN_RADIUS = 150
const DT = 0.05
const MAX_SPEED = 8

const FULL: EngineScenario[] = [
  { entities: 1_000, observers: 100 },
  { entities: 1_000, observers: 1_000 },
  { entities: 10_000, observers: 100 },
  { entities: 10_000, observers: 1_000 },
  { entities: 50_000, observers: 100 },
  { entities: 50_000, observers: 1_000 },
]
const QUICK: EngineScenario[] = [
  { entities: 1_000, observers: 100 },
  { entities: 10_000, observers: 100 },
]

/** Deterministic xorshift32 in [0, 1), allocation-free. */
function createRandom(seed: number): () => number {
  const s = new Uint32Array([seed || 1])
  return () => {
    let x = s[0]!
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    s[0] = x
    return (x >>> 0) / 4294967296
  }
}

export interface BenchWorld {
  world: World
  C: AttentionComponents
  side: number
  /** Advances every entity one random-walk step (velocity jitter, bounce at the walls). */
  move(): void
}

export function buildWorld(s: EngineScenario, seed: number, shared = false): BenchWorld {
  const world = createWorld()
  const C = createAttentionComponents(s.entities + 1, { shared })
  // Uniform density so that a disc of RADIUS holds TARGET_IN_RADIUS entities on average.
  const side = Math.sqrt((s.entities * Math.PI * RADIUS * RADIUS) / TARGET_IN_RADIUS)
  const rnd = createRandom(seed)
  for (let i = 0; i < s.entities; i++) {
    const e = addEntity(world)
    C.Position.x[e] = rnd() * side
    C.Position.y[e] = rnd() * side
    addComponent(world, e, C.Position)
    C.Velocity.x[e] = (rnd() - 0.5) * MAX_SPEED
    C.Velocity.y[e] = (rnd() - 0.5) * MAX_SPEED
    addComponent(world, e, C.Velocity)
    setFacingAngle(world, C, e, rnd() * 2 * Math.PI)
    // Observers are spread evenly over the ids (every n-th entity).
    if (i % Math.floor(s.entities / s.observers) === 0 && i / Math.floor(s.entities / s.observers) < s.observers) {
      addObserver(world, C, e, { radius: RADIUS, budget: K })
    }
  }
  const n = s.entities
  const P = C.Position, V = C.Velocity, F = C.Facing
  const move = (): void => {
    for (let e = 1; e <= n; e++) {
      let vx = V.x[e]! + (rnd() - 0.5) * 2
      let vy = V.y[e]! + (rnd() - 0.5) * 2
      const sp = Math.sqrt(vx * vx + vy * vy)
      if (sp > MAX_SPEED) { vx *= MAX_SPEED / sp; vy *= MAX_SPEED / sp }
      let x = P.x[e]! + vx * DT
      let y = P.y[e]! + vy * DT
      if (x < 0) { x = -x; vx = -vx } else if (x > side) { x = 2 * side - x; vx = -vx }
      if (y < 0) { y = -y; vy = -vy } else if (y > side) { y = 2 * side - y; vy = -vy }
      P.x[e] = x; P.y[e] = y; V.x[e] = vx; V.y[e] = vy
      const len = Math.sqrt(vx * vx + vy * vy)
      if (len > 0) { F.x[e] = vx / len; F.y[e] = vy / len } // face where you walk
    }
  }
  return { world, C, side, move }
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y)
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!
}
function percentile(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y)
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

/** Mean count of entities within RADIUS of a sample of observers. */
function sampleDensity(w: BenchWorld, s: EngineScenario): number {
  const P = w.C.Position
  const step = Math.max(1, Math.floor(s.entities / 50))
  let total = 0, samples = 0
  for (let o = 1; o <= s.entities; o += step) {
    let c = 0
    for (let e = 1; e <= s.entities; e++) {
      if (e === o) continue
      const dx = P.x[e]! - P.x[o]!, dy = P.y[e]! - P.y[o]!
      if (dx * dx + dy * dy <= RADIUS * RADIUS) c++
    }
    total += c
    samples++
  }
  return total / samples
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) g()
}

/**
 * Runs the engine benchmark: for each scenario, the engine's median ms per tick and, on the same
 * world, the brute-force oracle's (skipped when estimated above the budget).
 * @returns one result per scenario.
 */
export async function runEngineBench(opts: EngineBenchOptions = {}): Promise<EngineBenchResult[]> {
  const quick = opts.quick ?? false
  const scenarios = opts.scenarios ?? (quick ? QUICK : FULL)
  const ticks = opts.ticks ?? (quick ? 30 : 60)
  const warmup = 20
  const bfBudget = opts.bruteForceBudgetMs ?? 2000
  const results: EngineBenchResult[] = []
  // V8 specialises a closure's optimised code to its context only while it is the only closure
  // of its kind: a process with a second room (a second attention system) runs the generic code,
  // slower (by 0 to 12% at 10k x 1,000 in the paired runs of PERFORMANCE.md, "kernels at module
  // level"). A throwaway system first makes every scenario measure that code.
  createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
  let seed = 12345
  for (const s of scenarios) {
    const w = buildWorld(s, seed++)
    const engine = createAttentionSystem(w.world, { components: w.C, maxObservers: Math.max(1024, s.observers) })
    const times: number[] = []
    for (let i = 0; i < warmup + ticks; i++) {
      w.move()
      const t0 = performance.now()
      engine(w.world)
      const t1 = performance.now()
      if (i >= warmup) times.push(t1 - t0)
    }
    let members = 0, observers = 0
    for (let e = 1; e <= s.entities; e++) {
      if (engine.isObserver(e)) { members += engine.memberCount(e); observers++ }
    }
    engine.dispose()

    // Brute force on the same world (it keeps moving): estimate from the pair count first.
    const bf = createBruteForceAttention(w.world, { components: w.C })
    const bfTimes: number[] = []
    const pairs = s.entities * s.observers
    // About 25 ns per (observer, entity) pair on this kind of machine: skip what cannot fit.
    if (pairs * 25e-6 <= bfBudget * 1.5) {
      gc()
      w.move()
      const t0 = performance.now()
      bf(w.world) // warm-up tick, also the real estimate
      const first = performance.now() - t0
      if (first <= bfBudget) {
        // Cheap ticks get two more warm-up ticks: the first one includes compilation.
        if (first < 100) for (let i = 0; i < 2; i++) { w.move(); bf(w.world) }
        const n = quick ? 5 : first < 100 ? 10 : first < 500 ? 5 : 3
        for (let i = 0; i < n; i++) {
          w.move()
          const a = performance.now()
          bf(w.world)
          bfTimes.push(performance.now() - a)
        }
      }
    }
    const ms = median(times)
    const bfMs = bfTimes.length > 0 ? median(bfTimes) : null
    const r: EngineBenchResult = {
      name: `${s.entities / 1000}k entities x ${s.observers} observers`,
      entities: s.entities,
      observers: s.observers,
      k: K,
      radius: RADIUS,
      worldSide: Math.round(w.side),
      meanInRadius: Math.round(sampleDensity(w, s)),
      msPerTick: round(ms),
      p90MsPerTick: round(percentile(times, 0.9)),
      bruteForceMsPerTick: bfMs === null ? null : round(bfMs),
      bruteForceTicks: bfTimes.length,
      speedup: bfMs === null ? null : round(bfMs / ms, 1),
      meanSetSize: round(members / Math.max(1, observers), 1),
      ticks,
    }
    results.push(r)
    opts.onResult?.(r)
    gc()
  }
  return results
}

/** The learned scorer's row: main-thread cost next to the built-in heads on the same world. */
export interface LearnedBenchResult {
  name: string
  observers: number
  /** Mean candidate rows per observer per tick (the request ticks', which write every candidate's row). */
  rowsPerObserver: number
  /**
   * Request ticks (the costly kind: every candidate's features for the worker, and the snapshot
   * copies), each beside a tick of the built-in heads on the same world: the medians of each, and
   * the median of the per-tick ratios learned / heads, less 1.
   */
  headsMsPerTick: number
  learnedMsPerTick: number
  overhead: number
  /**
   * At a room's pace (a tick every 50 ms, never waiting for the worker, which answers when it
   * can), each learned tick beside a tick of the heads: the mean ms per tick of each (the request
   * ticks count at the rate they happen), the overhead of the means (target <= 0.3), and the share
   * of ticks that sent a request.
   */
  pacedHeadsMsPerTick: number
  pacedLearnedMsPerTick: number
  /** pacedLearnedMsPerTick / pacedHeadsMsPerTick - 1 (target <= 0.3). */
  pacedOverhead: number
  pacedRequestShare: number
  /** At a room's pace, the median per-tick ratio learned / heads of the ticks without a request, less 1. */
  pacedOtherOverhead: number
  /** maxStaleTicks of the scorer (answers older than this are not used: the heads score those ticks). */
  maxStaleTicks: number
  /** Inference throughput of the worker (rows per second of inference time) and ms per answer. */
  inferenceRowsPerSec: number
  inferenceMsPerAnswer: number
  /** Share of rows the model scored on request ticks (the rest: the heads, for pairs new since its last answer). */
  modelShare: number
  ticks: number
}

/**
 * Measures the main thread's tick with the learned scorer beside the built-in heads on one world,
 * the two ticking on the same world state one after the other, which goes first alternating
 * (the first tick after a pause runs on colder caches). First request ticks only: between ticks
 * the benchmark waits (untimed) for the worker's answer, so every learned tick sends a request.
 * Then at a room's pace: a tick every 50 ms, the worker answering when it can.
 */
export async function runLearnedBench(s: EngineScenario, modelPath: string, ticks = 40, maxStaleTicks = 10): Promise<LearnedBenchResult> {
  const w = buildWorld(s, 777)
  const maxObservers = Math.max(1024, s.observers)
  const heads = createAttentionSystem(w.world, { components: w.C, maxObservers })
  const scorer = await createOnnxScorer({ model: modelPath, hangTimeoutMs: 60_000, maxStaleTicks })
  const engine = createAttentionSystem(w.world, { components: w.C, maxObservers, scorer })
  // which system goes first: a coin flip per tick (seeded), not the tick's parity, which the
  // worker's answer period could lock onto and put every request tick on the same side
  const coin = createRandom(4242)
  /** One tick of each on the current world; returns [learned ms, heads ms]. */
  const pair = (): [number, number] => {
    let tl = 0
    let th = 0
    const learnedFirst = coin() < 0.5 ? 0 : 1
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now()
      if (k === learnedFirst) {
        engine(w.world)
        tl = performance.now() - t0
      } else {
        heads(w.world)
        th = performance.now() - t0
      }
    }
    return [tl, th]
  }
  const learnedTimes: number[] = []
  const headTimes: number[] = []
  const ratios: number[] = []
  let modelRows = 0
  let allRows = 0
  for (let i = 0; i < 20 + ticks; i++) {
    w.move()
    await scorer.settle(60_000)
    const requests = scorer.stats().requests
    const [tl, th] = pair()
    const st = scorer.stats()
    // a tick that sent no request (the worker still busy after the timeout) is not this kind
    if (i >= 20 && st.requests > requests) {
      learnedTimes.push(tl)
      headTimes.push(th)
      ratios.push(tl / th)
      modelRows += st.modelRows
      allRows += st.modelRows + st.fallbackRows
    }
  }
  const st = scorer.stats()
  // a room's pace: one tick every 50 ms; the worker answers when it can (its ticks are not awaited)
  const paced = { heads: [] as number[], learned: [] as number[], other: [] as number[], requests: 0 }
  for (let i = 0; i < 20 + ticks; i++) {
    w.move()
    const requests = scorer.stats().requests
    const t0 = performance.now()
    const [tl, th] = pair()
    if (i >= 20) {
      paced.learned.push(tl)
      paced.heads.push(th)
      if (scorer.stats().requests > requests) paced.requests++
      else paced.other.push(tl / th)
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 50 - (performance.now() - t0))))
  }
  heads.dispose()
  engine.dispose()
  await scorer.dispose()
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)
  const ph = mean(paced.heads)
  const pl = mean(paced.learned)
  const n = Math.max(1, learnedTimes.length)
  return {
    name: `${s.entities / 1000}k entities x ${s.observers} observers`,
    observers: s.observers,
    rowsPerObserver: round(allRows / n / s.observers, 1),
    headsMsPerTick: round(median(headTimes)),
    learnedMsPerTick: round(median(learnedTimes)),
    overhead: round(median(ratios) - 1),
    pacedHeadsMsPerTick: round(ph),
    pacedLearnedMsPerTick: round(pl),
    pacedOverhead: round(pl / ph - 1),
    pacedRequestShare: round(paced.requests / ticks),
    pacedOtherOverhead: round(median(paced.other) - 1),
    maxStaleTicks,
    inferenceRowsPerSec: Math.round(st.rowsPerSecond),
    inferenceMsPerAnswer: round(st.lastInferenceMs),
    modelShare: round(modelRows / Math.max(1, allRows)),
    ticks: learnedTimes.length,
  }
}

/** One thread count's measurement in {@link runThreadsBench}. */
export interface ThreadsBenchResult {
  threads: number
  /** Stores on SharedArrayBuffers (every count > 1 needs them; 1 is measured both ways). */
  sharedStores: boolean
  msPerTick: number
  p90MsPerTick: number
  /** Brute-force ms per tick (same run) / msPerTick. */
  speedup: number | null
  /** Median over ticks of (this tick's ms / the one-thread heap-store system's ms on the same tick). */
  ratioToOneThread: number
  /** Threads that took part (1 + ready workers) at the end. */
  running: number
  /** Share of the observers the worker threads passed, over every tick of the run. */
  workerShare: number
  /** The machine's 1-minute load average when the round started (a shared machine: above the core count, the threads compete with other work). */
  loadAverage: number
}

/**
 * Option `threads` at one scenario: one world per configuration, all built from the same seed (so
 * identical, and moved identically), each with its system; every tick moves all worlds, then runs
 * the systems in a rotating order, so that machine noise falls on all of them alike. The first
 * configuration is the default engine (one thread, stores on the heap); then each count of
 * `counts` on shared stores.
 */
export async function runThreadsBench(s: EngineScenario, counts: number[], ticks = 200, warmup = 30): Promise<ThreadsBenchResult[]> {
  const loadAverage = loadavg()[0]!
  createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
  const configs = [{ threads: 1, shared: false }, ...counts.map((n) => ({ threads: n, shared: true }))]
  const maxObservers = Math.max(1024, s.observers)
  const worlds = configs.map((cfg) => buildWorld(s, 4242, cfg.shared))
  const systems = configs.map((cfg, i) => createAttentionSystem(worlds[i]!.world, { components: worlds[i]!.C, maxObservers, threads: cfg.threads }))
  // workers start in the background: wait until every one takes part
  const t0 = performance.now()
  while (systems.some((sys, i) => sys.threadsRunning() < configs[i]!.threads) && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20))
  const times = configs.map(() => [] as number[])
  const ratios = configs.map(() => [] as number[])
  const tickMs = new Float64Array(configs.length)
  for (let t = 0; t < warmup + ticks; t++) {
    for (const w of worlds) w.move()
    for (let k = 0; k < configs.length; k++) {
      const i = (k + t) % configs.length
      const a = performance.now()
      systems[i]!(worlds[i]!.world)
      tickMs[i] = performance.now() - a
    }
    if (t < warmup) continue
    for (let i = 0; i < configs.length; i++) {
      times[i]!.push(tickMs[i]!)
      ratios[i]!.push(tickMs[i]! / tickMs[0]!)
    }
  }
  const running = systems.map((sys) => sys.threadsRunning())
  const workerShare = systems.map((sys) => {
    const th = threadsOf(sys)
    return th === undefined ? 0 : Atomics.load(th.control, Control.WorkerObservers) / (s.observers * (warmup + ticks))
  })
  for (const sys of systems) sys.dispose()
  gc()
  // brute force on the first world, after the engines (a few ticks: it is slow)
  const bf = createBruteForceAttention(worlds[0]!.world, { components: worlds[0]!.C })
  worlds[0]!.move()
  bf(worlds[0]!.world)
  const bfTimes: number[] = []
  for (let i = 0; i < 3; i++) {
    worlds[0]!.move()
    const a = performance.now()
    bf(worlds[0]!.world)
    bfTimes.push(performance.now() - a)
  }
  const bfMs = median(bfTimes)
  return configs.map((cfg, i) => ({
    threads: cfg.threads,
    sharedStores: cfg.shared,
    msPerTick: round(median(times[i]!)),
    p90MsPerTick: round(percentile(times[i]!, 0.9)),
    speedup: round(bfMs / median(times[i]!), 1),
    ratioToOneThread: round(median(ratios[i]!)),
    running: running[i]!,
    workerShare: round(workerShare[i]!),
    loadAverage: round(loadAverage, 2),
  }))
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

function printTable(rs: EngineBenchResult[]): void {
  const rows = rs.map((r) => [
    r.name,
    String(r.worldSide),
    String(r.meanInRadius),
    r.msPerTick.toFixed(3),
    r.p90MsPerTick.toFixed(3),
    r.bruteForceMsPerTick === null ? 'skipped' : r.bruteForceMsPerTick.toFixed(1),
    r.speedup === null ? '-' : `${r.speedup}x`,
    String(r.meanSetSize),
  ])
  const head = ['scenario', 'world side', 'in radius', 'engine ms/tick', 'p90', 'brute force ms/tick', 'speedup', 'mean set']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
  console.log(`\nK = ${K}, radius = ${RADIUS}, default options (hysteresis on), entities random-walk every tick (dt ${DT} s, speed <= ${MAX_SPEED});`)
  console.log(`world sized for ~${TARGET_IN_RADIUS} entities within the radius of each observer; median over the measured ticks after warm-up.`)
}

const COMMAND = 'npm run bench:engine'
const scenarioName = (s: EngineScenario): string => `${s.entities / 1000}k x ${s.observers}`

/** What `npm run bench:engine -- --help` prints. */
const USAGE = `usage: ${COMMAND} -- [flags]
The attention system's ms per tick against the brute-force oracle on the same random-walk world
(docs/benchmarks.md, "Engine"), then the learned scorer's row next to the built-in heads.
  --quick             the small run (under 20 s): ${QUICK.map(scenarioName).join(', ')} (entities x observers), 30 ticks
                      each; the default: ${FULL.map(scenarioName).join(', ')},
                      60 ticks each
  --json              one JSON object per scenario per line (with npm run -s, stdout is the JSON alone);
                      without --quick one round of option threads 2 at 10k x 1,000 follows (kind 'threads')
  --no-threads        with --json: leave that round out
  --learned           with --json: the learned-scorer row too, as one {"learned": ...} line (without
                      --json it runs by default)
  --no-learned        leave the learned-scorer row out
  --learned-only      only the learned-scorer row (10k entities x 1,000 observers; with --quick 1k x 100)
  --model <m.onnx>    the learned scorer's model (default: the shipped one, plugin/models/default.onnx)
  --max-stale <n>     the learned scorer's maxStaleTicks (default 10, the scorer's own default; with 3 the
                      worker's answers at 10k x 1,000 are too old on about half of the ticks, which the
                      heads then score)
  --threads [N,N,...] instead of all the above: option threads at one scenario, each count of the list
                      (1 to 64; default 1,2) against one thread on heap stores, the systems ticking in
                      turn on identical worlds
  --rounds R          with --threads: rounds (default 1)
  --entities E        with --threads: entities (default 10000)
  --observers O       with --threads: observers, at most E (default 1000)
  --ticks N           with --threads: measured ticks per round, after 30 of warm-up (default 200)`

/** Flags that size the `--threads` run only. */
const THREADS_FLAGS = ['rounds', 'entities', 'observers', 'ticks'] as const

/** The `--threads` run: its thread counts and scenario, read before anything starts (see {@link USAGE}). */
function threadsRun(args: readonly string[]): { counts: number[]; rounds: number; scenario: EngineScenario; ticks: number } | null {
  const counts = integerListFlag(COMMAND, 'threads', 1, 64, args)
  if (counts === undefined) {
    for (const f of THREADS_FLAGS) if (flagValue(f, args) !== undefined) stopWith(`${COMMAND}: --${f} sizes the --threads run only; add --threads (\`${COMMAND} -- --help\` prints the usage)`)
    return null
  }
  if (flagValue('model', args) !== undefined) stopWith(`${COMMAND}: --model is for the learned-scorer row, which --threads leaves out`)
  const entities = numberFlag(COMMAND, 'entities', 1, 1_000_000, true, args) ?? 10_000
  // buildWorld spreads the observers over the entities: there cannot be more
  const observers = numberFlag(COMMAND, 'observers', 1, entities, true, args) ?? 1_000
  if (observers > entities) stopWith(`${COMMAND}: --entities ${entities} is below the default --observers 1000: add --observers (1 to ${entities})`)
  return { counts, rounds: numberFlag(COMMAND, 'rounds', 1, 1000, true, args) ?? 1, scenario: { entities, observers }, ticks: numberFlag(COMMAND, 'ticks', 1, 100_000, true, args) ?? 200 }
}

async function main(): Promise<void> {
  // a bare --threads (no list after it) measures the default counts, as it always has
  const args = process.argv.slice(2).map((a, i, all) => (a === '--threads' && (all[i + 1] === undefined || all[i + 1]!.startsWith('--')) ? '--threads=1,2' : a))
  acceptFlags(COMMAND, USAGE, ['threads', ...THREADS_FLAGS, 'model', 'max-stale'], ['json', 'quick', 'learned-only', 'no-threads', 'no-learned', 'learned'], args)
  const json = hasFlag('json', args)
  const quick = hasFlag('quick', args)
  const threads = threadsRun(args)
  const learnedOnly = hasFlag('learned-only', args)
  if (hasFlag('no-learned', args) && (learnedOnly || hasFlag('learned', args))) stopWith(`${COMMAND}: --no-learned contradicts --${learnedOnly ? 'learned-only' : 'learned'}`)
  // --json lines are engine scenarios to the report harness (bench/run-all.ts): there the learned row
  // comes only when asked for, as one `{"learned": ...}` line
  const learnedRow = threads === null && !hasFlag('no-learned', args) && (!json || hasFlag('learned', args) || learnedOnly)
  const modelFlag = flagValue('model', args)
  if (modelFlag !== undefined && threads === null && !learnedRow) stopWith(`${COMMAND}: --model is for the learned-scorer row, which this command leaves out${json ? ' (with --json add --learned)' : ''}`)
  if (modelFlag !== undefined && !existsSync(modelFlag)) stopWith(`${COMMAND}: --model: no file ${modelFlag}`)
  const model = modelFlag ?? defaultModelPath()
  const maxStale = numberFlag(COMMAND, 'max-stale', 0, 1e6, true, args) ?? 10
  if (flagValue('max-stale', args) !== undefined && !learnedRow) stopWith(`${COMMAND}: --max-stale is for the learned-scorer row, which this command leaves out`)
  if (!json) console.log(`engine benchmark${quick ? ' (quick)' : ''}, node ${process.version}\n`)
  if (threads !== null) {
    const { counts, rounds, scenario: s, ticks } = threads
    for (let r = 0; r < rounds; r++) {
      const rs = await runThreadsBench(s, counts, ticks)
      if (json) for (const x of rs) console.log(JSON.stringify({ round: r, ...x }))
      else {
        console.log(`round ${r + 1}: ${s.entities} entities x ${s.observers} observers, ${cpus().length} cores, load average ${rs[0]!.loadAverage} at the start`)
        for (const x of rs) {
          console.log(
            `  threads ${x.threads} (${x.sharedStores ? 'shared' : 'heap'} stores, ${x.running} running): ${x.msPerTick.toFixed(2)} ms/tick (p90 ${x.p90MsPerTick.toFixed(2)}), ` +
              `${x.speedup}x brute force, ${x.ratioToOneThread.toFixed(3)} of one thread's time per tick, workers passed ${(x.workerShare * 100).toFixed(0)}% of the observers`,
          )
        }
      }
    }
    return
  }
  if (!learnedOnly) {
    const results = await runEngineBench({ quick, onResult: json ? (r) => console.log(JSON.stringify(r)) : undefined })
    if (!json) printTable(results)
    // the report harness also gets one round of option threads at 10k x 1,000 (lines of kind 'threads')
    if (json && !quick && !hasFlag('no-threads', args)) {
      for (const x of await runThreadsBench({ entities: 10_000, observers: 1_000 }, [2], 150)) console.log(JSON.stringify({ kind: 'threads', ...x }))
    }
  }
  if (!learnedRow) return
  const s = quick ? { entities: 1_000, observers: 100 } : { entities: 10_000, observers: 1_000 }
  const r = await runLearnedBench(s, model, quick ? 20 : 40, maxStale)
  if (json) console.log(JSON.stringify({ learned: r }))
  else {
    // NaN: no tick of that kind (every paced tick a request, or no request sent)
    const pct = (v: number): string => (Number.isNaN(v) ? 'n/a' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`)
    const ms = (v: number): string => (Number.isNaN(v) ? 'n/a' : v.toFixed(3))
    console.log(`\nlearned scorer (${model.split('/').pop()}, maxStaleTicks ${r.maxStaleTicks}), ${r.name}, ~${r.rowsPerObserver} candidate rows per observer:`)
    console.log(
      `  at a room's pace (a tick every 50 ms, requests only when the worker is free: ${(r.pacedRequestShare * 100).toFixed(0)}% of ticks): ` +
        `heads ${r.pacedHeadsMsPerTick.toFixed(3)} ms/tick, learned ${r.pacedLearnedMsPerTick.toFixed(3)} ms/tick mean (${pct(r.pacedOverhead)}, target <= +30%); ticks without a request ${pct(r.pacedOtherOverhead)} (median per tick)`,
    )
    console.log(`  request ticks alone (${r.ticks}): heads ${ms(r.headsMsPerTick)} ms/tick, learned ${ms(r.learnedMsPerTick)} ms/tick (median per tick ${pct(r.overhead)})`)
    console.log(`  inference in the worker: ${r.inferenceRowsPerSec.toLocaleString('en-US')} rows/s, ${r.inferenceMsPerAnswer.toFixed(1)} ms per answer; model-scored share of rows ${(r.modelShare * 100).toFixed(1)}%`)
  }
}

if (isMain(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
