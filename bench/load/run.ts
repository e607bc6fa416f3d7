import { flagValue, hasFlag, isMain, writeResult } from '../lib/cli'
import { quantile } from '../lib/stats'
import { connectCrowd } from './bot-clients'
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
  /** CPU of the benchmark process itself (all clients), % of one core: near 100% means the clients, not the server, were the limit. */
  clientCpuPercent: number
}

/** Everything the load benchmark measured. */
export interface LoadBenchResult {
  quick: boolean
  runs: LoadRun[]
  wallSeconds: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Measures one configuration: starts the example server (child process, 127.0.0.1, free port),
 * connects the clients, warms up, measures, then disconnects and stops the server.
 */
export async function measureLoad(o: {
  attention: boolean
  clients: number
  bots: number
  seconds: number
  warmupSeconds: number
  /** Server entry module (default: the example server). */
  entry?: string
}): Promise<LoadRun> {
  const { attention, clients, bots, seconds, warmupSeconds } = o
  const server = await startServerProcess({ bots, attention, entry: o.entry })
  let crowd: Awaited<ReturnType<typeof connectCrowd>> | null = null
  try {
    crowd = await connectCrowd({ port: server.port, count: clients })
    await sleep(warmupSeconds * 1000)
    crowd.resetCounters()
    await server.resetTimings()
    const cpu0 = server.cpuSeconds()
    const own0 = process.cpuUsage()
    const t0 = performance.now()
    await sleep(seconds * 1000)
    const cpu1 = server.cpuSeconds()
    const own = process.cpuUsage(own0)
    const wall = (performance.now() - t0) / 1000
    const bytes = Float64Array.from(crowd.bytes)
    const messages = Float64Array.from(crowd.messages)
    const t = await server.timings()
    const rss = server.rssBytes()
    let sum = 0
    let msgs = 0
    let silent = 0
    for (let i = 0; i < clients; i++) {
      sum += bytes[i]!
      msgs += messages[i]!
      if (messages[i] === 0) silent++
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
      droppedClients: crowd.dropped(),
      clientCpuPercent: ((own.user + own.system) / 1e6 / wall) * 100,
    }
  } finally {
    await crowd?.close()
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
      const r = await measureLoad({ attention, clients, bots, seconds, warmupSeconds: warmup, entry: options.entry })
      runs.push(r)
      log(
        `load: ${clients} clients, ${bots} bots, plugin ${attention ? 'on ' : 'off'}: tick ${r.tickMedianMs.toFixed(2)} ms (p99 ${r.tickP99Ms.toFixed(2)}), ` +
          `CPU ${r.cpuPercent.toFixed(0)}%, RSS ${r.rssMiB.toFixed(0)} MiB, ${r.bytesPerClientPerSec.toFixed(0)} B/client/s, ` +
          `dropped ${r.droppedClients}, client process CPU ${r.clientCpuPercent.toFixed(0)}%`,
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
