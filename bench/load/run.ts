import { resolve } from 'node:path'
import { spawnBenchChild, type BenchChild } from '../lib/child-process'
import { flagValue, hasFlag, isMain, REPO_ROOT, writeResult } from '../lib/cli'
import { quantile } from '../lib/stats'
import type { CrowdReply } from './crowd-entry'
import { startServerProcess } from './server-process'

/** Options of {@link runLoadBench}. */
export interface LoadBenchOptions {
  /** Small and short (20 clients, a few seconds per run). */
  quick?: boolean
  /** Client counts to run, each with the plugin off and on. */
  clientCounts?: number[]
  /** Bots the server simulates. */
  bots?: number
  /** Measured seconds per run (after warm-up). */
  seconds?: number
  warmupSeconds?: number
  /** Server entry module (default: the example server). */
  entry?: string
  /** Clients per load-generator process. @defaultValue 200 */
  clientsPerProcess?: number
  log?: (line: string) => void
}

/** One server run: a client count with the plugin on or off. */
export interface LoadRun {
  attention: boolean
  clients: number
  bots: number
  seconds: number
  /** Server work per patch interval (simulation steps + patch: interest, encode, send), ms. */
  tickMedianMs: number
  tickP99Ms: number
  stepMedianMs: number
  patchMedianMs: number
  patchP99Ms: number
  /** Patch intervals measured. */
  ticks: number
  /** Server process CPU (user + system) as % of one core. */
  cpuPercent: number
  rssMiB: number
  /** WebSocket payload bytes received per client per second. */
  bytesPerClientPerSec: number
  messagesPerClientPerSec: number
  /** Clients that received nothing during the measurement (should be 0). */
  silentClients: number
  /** Clients whose connection closed during the run (reconnection is off). */
  droppedClients: number
  /** CPU of the load-generator processes together (all clients), % of one core. */
  clientCpuPercent: number
  /** Load-generator processes (the clients are split evenly over them; none is the server). */
  clientProcesses: number
  /** CPU of the busiest load-generator process, % of one core: near 100% means the clients, not the server, were the limit. */
  clientProcessMaxCpuPercent: number
}

/** Everything the load benchmark measured. */
export interface LoadBenchResult {
  quick: boolean
  runs: LoadRun[]
  wallSeconds: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** One load-generator child process and its share of the clients. */
interface CrowdProcess {
  readonly child: BenchChild
  readonly count: number
}

/** Starts `count` sdk clients (indices from `first`) in a child process and waits until they joined. */
async function startCrowdProcess(port: number, first: number, count: number): Promise<CrowdProcess> {
  const child = spawnBenchChild({
    entry: resolve(REPO_ROOT, 'bench/load/crowd-entry.ts'),
    cwd: REPO_ROOT,
    env: { PORT: String(port), COUNT: String(count), FIRST: String(first), SEED: '7' },
  })
  const joined = await new Promise<CrowdReply>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`clients ${first}..${first + count - 1} did not join within 120 s`)), 120_000)
    child.process.on('message', (m: CrowdReply) => {
      if (m.type !== 'ready' && m.type !== 'failed') return
      clearTimeout(timer)
      ok(m)
    })
    void child.exit.then(() => {
      clearTimeout(timer)
      fail(new Error(`load generator exited (code ${child.exitCode()}): ${child.output.slice(-5).join('\n')}`))
    })
  }).catch(async (e: unknown) => {
    await child.stop()
    throw e
  })
  if (joined.type === 'failed') {
    await child.stop()
    throw new Error(`load generator failed: ${joined.error}`)
  }
  return { child, count }
}

/** Leaves every room, then stops the process. */
async function closeCrowdProcess(c: CrowdProcess): Promise<void> {
  await c.child.ask({ type: 'close' }, 'close', 15_000).catch(() => null)
  await c.child.stop()
}

/**
 * Measures one configuration: starts the example server (child process, 127.0.0.1, free port),
 * connects the clients from load-generator child processes (`clientsPerProcess` each), warms up,
 * measures, then disconnects and stops every process.
 */
export async function measureLoad(o: {
  attention: boolean
  clients: number
  bots: number
  seconds: number
  warmupSeconds: number
  /** Server entry module (default: the example server). */
  entry?: string
  /** @defaultValue 200 */
  clientsPerProcess?: number
}): Promise<LoadRun> {
  const { attention, clients, bots, seconds, warmupSeconds } = o
  const server = await startServerProcess({ bots, attention, entry: o.entry })
  const crowds: CrowdProcess[] = []
  try {
    const n = Math.max(1, Math.ceil(clients / (o.clientsPerProcess ?? 200)))
    // one process at a time: joins are what the server admits fastest in order
    for (let k = 0, first = 0; k < n; k++) {
      const count = Math.floor(clients / n) + (k < clients % n ? 1 : 0)
      crowds.push(await startCrowdProcess(server.port, first, count))
      first += count
    }
    await sleep(warmupSeconds * 1000)
    await Promise.all(crowds.map((c) => c.child.ask({ type: 'reset' }, 'reset')))
    await server.resetTimings()
    const cpu0 = server.cpuSeconds()
    const own0 = crowds.map((c) => c.child.cpuSeconds())
    const t0 = performance.now()
    await sleep(seconds * 1000)
    const cpu1 = server.cpuSeconds()
    const own = crowds.map((c, k) => c.child.cpuSeconds() - own0[k]!)
    const wall = (performance.now() - t0) / 1000
    const stats = await Promise.all(crowds.map((c) => c.child.ask<Extract<CrowdReply, { type: 'stats' }>>({ type: 'stats' }, 'stats')))
    const t = await server.timings()
    const rss = server.rssBytes()
    let sum = 0
    let msgs = 0
    let silent = 0
    let dropped = 0
    for (const st of stats) {
      dropped += st.dropped
      for (let i = 0; i < st.bytes.length; i++) {
        sum += st.bytes[i]!
        msgs += st.messages[i]!
        if (st.messages[i] === 0) silent++
      }
    }
    return {
      attention,
      clients,
      bots,
      seconds: wall,
      tickMedianMs: quantile(t.tick, 0.5),
      tickP99Ms: quantile(t.tick, 0.99),
      stepMedianMs: quantile(t.step, 0.5),
      patchMedianMs: quantile(t.patch, 0.5),
      patchP99Ms: quantile(t.patch, 0.99),
      ticks: t.tick.length,
      cpuPercent: ((cpu1 - cpu0) / wall) * 100,
      rssMiB: rss / 2 ** 20,
      bytesPerClientPerSec: sum / clients / wall,
      messagesPerClientPerSec: msgs / clients / wall,
      silentClients: silent,
      droppedClients: dropped,
      clientCpuPercent: (own.reduce((a, b) => a + b, 0) / wall) * 100,
      clientProcesses: crowds.length,
      clientProcessMaxCpuPercent: (Math.max(0, ...own) / wall) * 100,
    }
  } finally {
    await Promise.all(crowds.map(closeCrowdProcess))
    await server.stop()
  }
}

/**
 * Runs the example server under real WebSocket clients for each client count, plugin off then on.
 * Bounded: every run stops by itself after warm-up + `seconds`.
 */
export async function runLoadBench(options: LoadBenchOptions = {}): Promise<LoadBenchResult> {
  const quick = options.quick ?? false
  const counts = options.clientCounts ?? (quick ? [20] : [50, 100, 200])
  const bots = options.bots ?? (quick ? 100 : 300)
  const seconds = options.seconds ?? (quick ? 3 : 15)
  const warmup = options.warmupSeconds ?? (quick ? 1.5 : 3)
  const log = options.log ?? (() => {})
  const t0 = performance.now()
  const runs: LoadRun[] = []
  for (const clients of counts) {
    for (const attention of [false, true]) {
      const r = await measureLoad({ attention, clients, bots, seconds, warmupSeconds: warmup, entry: options.entry, clientsPerProcess: options.clientsPerProcess })
      runs.push(r)
      log(
        `load: ${clients} clients, ${bots} bots, plugin ${attention ? 'on ' : 'off'}: tick ${r.tickMedianMs.toFixed(2)} ms (p99 ${r.tickP99Ms.toFixed(2)}), ` +
          `CPU ${r.cpuPercent.toFixed(0)}%, RSS ${r.rssMiB.toFixed(0)} MiB, ${r.bytesPerClientPerSec.toFixed(0)} B/client/s, ` +
          `dropped ${r.droppedClients}, ${r.clientProcesses} load-generator process(es) at ${r.clientCpuPercent.toFixed(0)}% CPU (busiest ${r.clientProcessMaxCpuPercent.toFixed(0)}%)`,
      )
    }
  }
  return { quick, runs, wallSeconds: (performance.now() - t0) / 1000 }
}

if (isMain(import.meta.url)) {
  const clients = flagValue('clients')
  const result = await runLoadBench({
    quick: hasFlag('quick'),
    clientCounts: clients ? clients.split(',').map(Number) : undefined,
    log: (l) => console.log(l),
  })
  console.log(`wrote ${writeResult('load', result)} in ${result.wallSeconds.toFixed(1)} s`)
}
