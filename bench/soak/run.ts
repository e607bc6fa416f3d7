// The soak: the example server (a child process, 127.0.0.1, no Redis) with a few hundred bots that die
// and respawn, and a crowd of sdk clients that join, move, leave, drop and reconnect at random. Every
// second it compares what each client holds with its server-side views (see entitlement.ts) and
// samples the server's heap and RSS. Usage:
//   npm run soak -- --minutes 10 [--clients 200] [--bots 300] [--churn 10] [--seed 1] [--json]
//     [--seconds N] [--warmup S] [--leave-rate P] [--drop-rate P] (per client per second, default 0.01); --help prints them
// Exits 1 when a limit is broken (leaks, heap growth, dropped or stuck clients, tick p99, a crash).
import { resolve } from 'node:path'
import { acceptFlags, hasFlag, isMain, numberFlag, REPO_ROOT, writeResult } from '../lib/cli'
import { createPrng } from '../lib/prng'
import { quantile } from '../lib/stats'
import { spawnServerChild } from '../lib/child-process'
import type { CheckReply, SampleReply, SoakReply, SoakRequest, SummaryReply, TimingsReply } from './protocol'
import { createSoakCrowd, type Behaviour, type ClientTrouble } from './soak-clients'

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Length of the run, warm-up included. @defaultValue 600 */
  seconds?: number
  /** @defaultValue 200 */
  clients?: number
  /** @defaultValue 300 */
  bots?: number
  /** Bots killed and respawned per second. @defaultValue 10 */
  churn?: number
  seed?: number
  /**
   * Seconds, after 90% of the clients are first connected, before heap growth and tick times are
   * measured. @defaultValue 20% of the run, at least 10 s, at most 60 s
   */
  warmupSeconds?: number
  behaviour?: Behaviour
  limits?: Partial<SoakLimits>
  /** A control for tests: the server puts hidden entities in views behind the plugin's back. */
  injectLeak?: boolean
  log?: (line: string) => void
}

/** What a run must stay within. */
export interface SoakLimits {
  leaks: number
  /** Heap growth after warm-up, as a fraction (0.05 = 5%). */
  heapGrowth: number
  droppedClients: number
  stuckClients: number
  clientDecodeErrors: number
  /**
   * Tick p99 in CPU time, ms (the patch interval is 50 ms). CPU time, not wall time: on a shared
   * machine the wall-clock p99 mostly measures the other processes.
   */
  tickCpuP99Ms: number
}

const DEFAULT_LIMITS: SoakLimits = { leaks: 0, heapGrowth: 0.05, droppedClients: 0, stuckClients: 0, clientDecodeErrors: 0, tickCpuP99Ms: 50 }

/** Everything a soak run measured. */
export interface SoakResult {
  seconds: number
  clients: number
  bots: number
  churnPerSecond: number
  warmupSeconds: number
  /** Seconds from the start until 90% of the clients were connected (NaN: never). */
  connectedAfterSeconds: number
  /** Client-side leaks (held, never in the view) + server-side ones (a view beyond the entitlement). */
  leaks: number
  clientLeaks: number
  serverLeaks: number
  /** Keys held over a second after leaving the view. */
  stale: number
  /** Entities a second in the view, not held by the client. */
  missing: number
  viewMismatch: number
  /** Client-vs-view comparisons made (one per client per second). */
  comparisons: number
  patches: number
  botsKilled: number
  idsReused: number
  joins: number
  leaves: number
  drops: number
  reconnects: number
  joinFailures: number
  droppedClients: number
  stuckClients: number
  /** Patches (or parts) a client's decoder could not apply ("refId not found", definition mismatch). */
  clientDecodeErrors: number
  heapStartMiB: number
  heapEndMiB: number
  /** (heap at the end - heap after warm-up) / heap after warm-up; heap measured after a full GC. */
  heapGrowth: number
  /** Least-squares slope of the post-warm-up heap, MiB per minute. */
  heapSlopeMiBPerMin: number
  rssStartMiB: number
  rssEndMiB: number
  rssMaxMiB: number
  /** Server work per patch interval (steps + patch), wall clock, ms. */
  tickMedianMs: number
  tickP99Ms: number
  tickMaxMs: number
  /** The same in process CPU time, ms. */
  tickCpuMedianMs: number
  tickCpuP99Ms: number
  serverErrors: number
  crashed: boolean
  /** Heap (after GC) samples after warm-up: [seconds since start, MiB]. */
  heapSamples: [number, number][]
  samples: string[]
  limits: SoakLimits
  /** Broken limits, in words; empty when the run passed. */
  failures: string[]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const MiB = 2 ** 20

/** Starts the soak server child (with --expose-gc) and returns it with a request function. */
async function startSoakServer(o: { bots: number; seed: number; churn: number; injectLeak: boolean }) {
  const child = await spawnServerChild({
    entry: resolve(REPO_ROOT, 'bench/soak/server-entry.ts'),
    nodeArgs: ['--expose-gc'],
    cwd: resolve(REPO_ROOT, 'example-server'),
    env: { BOTS: String(o.bots), SEED: String(o.seed), SOAK_CHURN: String(o.churn), SOAK_INJECT_LEAK: o.injectLeak ? '1' : '0' },
  })
  const ask = <T extends SoakReply>(msg: SoakRequest): Promise<T> => child.ask<T>(msg, msg.type)
  return { port: child.port, output: child.output, ask, stop: () => child.stop(), exited: () => child.exited(), exitCode: () => child.exitCode() }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length
  if (n < 2) return 0
  let sx = 0
  let sy = 0
  for (const [x, y] of points) {
    sx += x
    sy += y
  }
  const mx = sx / n
  const my = sy / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) * (x - mx)
  }
  return den === 0 ? 0 : num / den
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

/**
 * Runs the soak: bounded by `seconds` (plus at most ~30 s to connect and shut down).
 * @returns what it measured, with `failures` listing every broken limit.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const seconds = options.seconds ?? 600
  const clients = options.clients ?? 200
  const bots = options.bots ?? 300
  const churnPerSecond = options.churn ?? 10
  const seed = options.seed ?? 1
  const warmupSeconds = options.warmupSeconds ?? Math.min(60, Math.max(10, seconds * 0.2))
  const behaviour = options.behaviour ?? { leave: 0.01, drop: 0.01 }
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const log = options.log ?? (() => {})
  const samples: string[] = []
  const server = await startSoakServer({ bots, seed, churn: churnPerSecond, injectLeak: options.injectLeak === true })
  // the sdk announces every reconnection attempt on console.info: hundreds of lines per run
  const info = console.info
  console.info = (...a: unknown[]) => {
    if (typeof a[0] !== 'string' || !a[0].startsWith('[Colyseus reconnection]')) info(...a)
  }
  // a client's schema decoder that meets a patch it cannot apply logs it (and skips that part of the
  // patch): count those, they are desyncs
  let decodeErrors = 0
  const error = console.error
  const warn = console.warn
  console.error = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].includes('"refId" not found')) {
      if (decodeErrors++ === 0) samples.push(`client decode error: ${a[0]}`)
    } else error(...a)
  }
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].startsWith('@colyseus/schema: definition mismatch')) {
      if (decodeErrors++ === 0) samples.push(`client decode error: ${a[0]}`)
    } else if (a[0] !== 'Please report this issue to the developers.') warn(...a)
  }
  const crowd = createSoakCrowd({ port: server.port, count: clients, rng: createPrng(seed), behaviour })
  const checks: CheckReply = { type: 'check', clients: 0, leaks: 0, stale: 0, missing: 0, viewMismatch: 0, unknown: 0, samples: [] }
  const heap: [number, number][] = []
  const rss: number[] = []
  let warmMark: number | null = null
  let rssAtWarm: number | null = null
  let crashed = false
  const t0 = performance.now()
  let lastStep = t0
  let nextCheck = t0 + 1000
  // warm-up ends `warmupSeconds` after the crowd is first (nearly) all connected: the heap grows with
  // the number of clients, and joining 200 takes a while on a busy machine
  let nextHeap = Number.POSITIVE_INFINITY
  let fullAt = Number.NaN
  let nextLog = t0 + 10_000
  let summary: SummaryReply | null = null
  let timings: TimingsReply | null = null
  try {
    // one loop, 100 ms a turn, bounded by the run's length
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(100)
      const now = performance.now()
      if (server.exited()) {
        crashed = true
        break
      }
      crowd.step(now, now - lastStep)
      lastStep = now
      if (Number.isNaN(fullAt) && crowd.connected() >= Math.floor(clients * 0.9)) {
        fullAt = now
        nextHeap = now + warmupSeconds * 1000
      }
      if (now >= nextCheck) {
        nextCheck += 1000
        const r = await server.ask<CheckReply>({ type: 'check', holdings: crowd.holdings(performance.now()) })
        checks.clients += r.clients
        checks.leaks += r.leaks
        checks.stale += r.stale
        checks.missing += r.missing
        checks.viewMismatch += r.viewMismatch
        checks.unknown += r.unknown
        for (const s of r.samples) {
          const session = /^client (\S+) /.exec(s)?.[1]
          if (samples.length < 20) samples.push(session === undefined ? s : `${s} [${crowd.describe(session, performance.now())}]`)
        }
        const m = await server.ask<SampleReply>({ type: 'sample', gc: false })
        rss.push(m.rss / MiB)
      }
      if (now >= nextHeap) {
        // a full GC every 5 s after warm-up: the live heap, not the garbage of the moment
        nextHeap += 5000
        const m = await server.ask<SampleReply>({ type: 'sample', gc: true })
        heap.push([(now - t0) / 1000, m.heapUsed / MiB])
        if (warmMark === null) {
          warmMark = m.now
          rssAtWarm = m.rss / MiB
        }
      }
      if (now >= nextLog) {
        nextLog += 10_000
        const h = heap.at(-1)
        log(
          `soak: ${((now - t0) / 1000).toFixed(0)} s, ${crowd.connected()} connected, leaks ${checks.leaks}, stale ${checks.stale}, ` +
            `${h ? `heap ${h[1].toFixed(1)} MiB, ` : ''}RSS ${(rss.at(-1) ?? 0).toFixed(0)} MiB, dropped ${crowd.trouble.dropped}, stuck ${crowd.trouble.stuck}`,
        )
      }
    }
  } finally {
    if (!server.exited()) {
      summary = await server.ask<SummaryReply>({ type: 'summary' }).catch(() => null)
      timings = await server.ask<TimingsReply>({ type: 'timings', sinceMs: warmMark ?? 0 }).catch(() => null)
    }
    await crowd.close()
    crashed ||= server.exited()
    await server.stop()
    console.info = info
    console.error = error
    console.warn = warn
  }
  const trouble: ClientTrouble = crowd.trouble
  const tick = timings?.tick ?? []
  const tickCpu = timings?.cpu ?? []
  const serverLeaks = summary?.serverLeaks ?? 0
  for (const s of summary?.samples ?? []) if (samples.length < 20 && !samples.includes(s)) samples.push(s)
  for (const s of trouble.samples) if (samples.length < 30) samples.push(s)
  for (const s of summary?.errorSamples ?? []) if (samples.length < 40) samples.push(`server error: ${s}`)
  if (crashed) samples.push(`server exited (code ${server.exitCode()}); last output:\n${server.output.slice(-15).join('\n')}`)
  const k = Math.max(1, Math.min(3, Math.floor(heap.length / 3)))
  const heapStart = mean(heap.slice(0, k).map((h) => h[1]))
  const heapEnd = mean(heap.slice(-k).map((h) => h[1]))
  const heapGrowth = heap.length >= 2 ? (heapEnd - heapStart) / heapStart : 0
  const result: SoakResult = {
    seconds: (performance.now() - t0) / 1000,
    clients,
    bots,
    churnPerSecond,
    warmupSeconds,
    connectedAfterSeconds: (fullAt - t0) / 1000,
    leaks: checks.leaks + serverLeaks,
    clientLeaks: checks.leaks,
    serverLeaks,
    stale: checks.stale,
    missing: checks.missing,
    viewMismatch: checks.viewMismatch,
    comparisons: checks.clients,
    patches: summary?.patches ?? 0,
    botsKilled: summary?.botsKilled ?? 0,
    idsReused: summary?.idsReused ?? 0,
    joins: crowd.actions.joins,
    leaves: crowd.actions.leaves,
    drops: crowd.actions.drops,
    reconnects: crowd.actions.reconnects,
    joinFailures: trouble.joinFailures,
    droppedClients: trouble.dropped + trouble.joinFailures,
    stuckClients: trouble.stuck,
    clientDecodeErrors: decodeErrors,
    heapStartMiB: heapStart,
    heapEndMiB: heapEnd,
    heapGrowth,
    heapSlopeMiBPerMin: slope(heap) * 60,
    // a run shorter than the first post-warm-up heap sample starts from its first RSS sample
    rssStartMiB: rssAtWarm ?? rss[0] ?? Number.NaN,
    rssEndMiB: rss.at(-1) ?? Number.NaN,
    rssMaxMiB: rss.length > 0 ? Math.max(...rss) : Number.NaN,
    tickMedianMs: quantile(tick, 0.5),
    tickP99Ms: quantile(tick, 0.99),
    tickMaxMs: tick.length > 0 ? Math.max(...tick) : Number.NaN,
    tickCpuMedianMs: quantile(tickCpu, 0.5),
    tickCpuP99Ms: quantile(tickCpu, 0.99),
    serverErrors: summary?.errors ?? 0,
    crashed,
    heapSamples: heap.map(([t, h]) => [Math.round(t), Math.round(h * 100) / 100]),
    samples,
    limits,
    failures: [],
  }
  const f = result.failures
  if (crashed) f.push('the server crashed')
  if (result.leaks > limits.leaks) f.push(`${result.leaks} leaks (limit ${limits.leaks})`)
  if (result.stale > limits.leaks) f.push(`${result.stale} entities held over a second after leaving the view (limit ${limits.leaks})`)
  if (heap.length < 2) f.push('too few heap samples after warm-up to measure growth (run longer)')
  else if (heapGrowth >= limits.heapGrowth) f.push(`heap grew ${(heapGrowth * 100).toFixed(1)}% after warm-up (limit ${(limits.heapGrowth * 100).toFixed(0)}%)`)
  if (result.droppedClients > limits.droppedClients) f.push(`${result.droppedClients} clients dropped or failed to join (limit ${limits.droppedClients})`)
  if (result.stuckClients > limits.stuckClients) f.push(`${result.stuckClients} stuck clients (limit ${limits.stuckClients})`)
  if (result.clientDecodeErrors > limits.clientDecodeErrors) {
    f.push(`${result.clientDecodeErrors} client decode errors (limit ${limits.clientDecodeErrors})`)
  }
  if (!(result.tickCpuP99Ms < limits.tickCpuP99Ms)) f.push(`tick p99 ${result.tickCpuP99Ms.toFixed(1)} ms of CPU (limit ${limits.tickCpuP99Ms} ms)`)
  if (result.comparisons === 0) f.push('no client was ever compared with its view')
  return result
}

/** The human summary of a run. */
export function formatSoak(r: SoakResult): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`
  // a run too short to sample has no value: say so rather than print NaN
  const mib = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
  const lines = [
    `soak: ${r.seconds.toFixed(0)} s, ${r.clients} clients, ${r.bots} bots, ${r.churnPerSecond} bots/s killed and respawned (${r.idsReused} ids reused), 90% connected after ${r.connectedAfterSeconds.toFixed(0)} s, then ${r.warmupSeconds.toFixed(0)} s of warm-up`,
    `  clients:  ${r.joins} joins, ${r.leaves} leaves, ${r.drops} socket drops, ${r.reconnects} reconnections; dropped ${r.droppedClients} (join failures ${r.joinFailures}), stuck ${r.stuckClients}, decode errors ${r.clientDecodeErrors}`,
    `  leaks:    ${r.leaks} (client-side ${r.clientLeaks}, server-side ${r.serverLeaks}) in ${r.comparisons} client comparisons and ${r.patches} patches; stale ${r.stale}, missing ${r.missing}, StateView mismatches ${r.viewMismatch}`,
    `  heap:     ${mib(r.heapStartMiB, 1)} -> ${mib(r.heapEndMiB, 1)} MiB after GC (${pct(r.heapGrowth)}, slope ${r.heapSlopeMiBPerMin.toFixed(3)} MiB/min)`,
    `  RSS:      ${mib(r.rssStartMiB, 0)} -> ${mib(r.rssEndMiB, 0)} MiB (max ${mib(r.rssMaxMiB, 0)})`,
    `  tick:     median ${r.tickMedianMs.toFixed(2)} ms, p99 ${r.tickP99Ms.toFixed(2)} ms, max ${r.tickMaxMs.toFixed(1)} ms wall; CPU median ${r.tickCpuMedianMs.toFixed(2)} ms, p99 ${r.tickCpuP99Ms.toFixed(2)} ms (server work per patch, oracle excluded)`,
    `  server:   ${r.crashed ? 'CRASHED' : 'up'}, ${r.serverErrors} error lines`,
  ]
  if (r.samples.length > 0) lines.push('  samples:', ...r.samples.slice(0, 15).map((s) => `    ${s}`))
  lines.push(r.failures.length === 0 ? 'PASS: every limit held' : `FAIL: ${r.failures.join('; ')}`)
  return lines.join('\n')
}

/** What `npm run soak -- --help` prints (docs/soak.md). */
const USAGE = `usage: npm run soak -- [flags]
The example server under churn, dropped sockets and reconnections, checked for leaks (docs/soak.md).
  --minutes M       run length, warm-up included (default 10)
  --seconds S       run length in seconds (instead of --minutes)
  --clients N       sdk clients (default 200)
  --bots N          arena bots (default 300)
  --churn N         bots killed and respawned per second (default 10)
  --seed N          (default 1)
  --warmup S        seconds after the crowd is connected before heap and ticks are measured
                    (default 20% of the run, 10 to 60)
  --leave-rate P    chance per client per second to leave and join again (default 0.01)
  --drop-rate P     chance per client per second to drop its socket and reconnect (default 0.01)
  --json            only the result as JSON on stdout (use npm run -s)
Writes .bench-results/soak.json; exit code 1 when a limit is broken.`

if (isMain(import.meta.url)) {
  const cmd = 'npm run soak'
  acceptFlags(cmd, USAGE, ['minutes', 'seconds', 'clients', 'bots', 'churn', 'seed', 'warmup', 'leave-rate', 'drop-rate'], ['json'])
  const minutes = numberFlag(cmd, 'minutes', 0.1, 24 * 60, false)
  const json = hasFlag('json')
  const result = await runSoak({
    seconds: numberFlag(cmd, 'seconds', 1, 24 * 3600, false) ?? (minutes ?? 10) * 60,
    clients: numberFlag(cmd, 'clients', 1, 2000),
    bots: numberFlag(cmd, 'bots', 0, 20000),
    churn: numberFlag(cmd, 'churn', 0, 1000),
    seed: numberFlag(cmd, 'seed', 0, 2 ** 31),
    warmupSeconds: numberFlag(cmd, 'warmup', 0, 3600, false),
    behaviour: { leave: numberFlag(cmd, 'leave-rate', 0, 1, false) ?? 0.01, drop: numberFlag(cmd, 'drop-rate', 0, 1, false) ?? 0.01 },
    log: json ? () => {} : (l) => console.log(l),
  })
  const path = writeResult('soak', result)
  if (json) console.log(JSON.stringify(result, null, 2))
  else console.log(`${formatSoak(result)}\nwrote ${path}`)
  process.exit(result.failures.length === 0 ? 0 : 1)
}
