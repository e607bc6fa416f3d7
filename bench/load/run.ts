// `npm run bench:load`: the example server under real @colyseus/sdk clients, plugin off then on,
// for each client count. The server is a child process (server-entry.ts times its ticks from the
// inside); the clients run in load-generator child processes of their own (crowd-entry.ts).
//
// What a run reports, and why it is measured this way (a 2-core machine shared with other jobs):
// - tick time in process CPU (the server's own cost) beside wall clock (which also counts time the
//   server sat runnable while another process had the core); on/off ratios compare CPU medians;
// - per phase: step (game logic, attention engine), sync (onBeforePatch: the plugin's sync() and
//   the room's own messages), encode+send (applyPatches); heap allocated per patch; GC; loop use;
// - only one client in 10 decodes its patches (the server cannot tell; decoding full state for
//   hundreds of clients starved the load generators, whose late pongs then got them dropped by
//   the server's ping timeout: the "off" rows of older reports lost most of their clients);
//   --client-nice 10 lets the server have a core first (closer to a server on its own machine,
//   but on a machine busy with other jobs the niced generators fall behind and get dropped);
// - dropped clients with their close codes; patches that failed to decode;
// - what the slowest ticks (at or above the CPU p99) had in common: how many overlapped a GC pause
//   of the server's main thread, the mean pause inside them, and the p99 of the ticks without one
//   (a diagnostic: the tick figures count GC like any other work).
//
//   npm run bench:load -- --clients 200,500             client counts (default 50,100,200)
//   npm run bench:load -- --plugin on --seconds 30      one mode, longer runs
//   npm run bench:load -- --decode-every 1 --client-nice 10  every client decodes; niced generators
//   npm run bench:load -- --cpu-prof DIR | --heap-profile DIR | --raw DIR   profiles, raw timings
//   npm run bench:load -- --engine-threads 2          the engine scores observers on the room's thread and a worker (default 1)
//   npm run bench:load -- --pipelined                 the engine's threads pipelined (PIPELINED=1; engine threads default to 2)
//   npm run bench:load -- --direct-frames off           the ws library's own send (default: one write per frame)
//   npm run bench:load -- --server-flags=--max-semi-space-size=64,--no-parallel-scavenge
//                                                       node flags of the server (default SERVER_FLAGS; none: no flags)
//   npm run bench:load -- --alternate direct-frames     on/off flipped every 2 s (--alternate-ms) inside each run, reported apart
import { loadavg, setPriority } from 'node:os'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { spawnBenchChild, type BenchChild } from '../lib/child-process'
import { acceptFlags, flagValue, hasFlag, integerListFlag, isMain, numberFlag, REPO_ROOT, stopWith, writeResult } from '../lib/cli'
import { quantile } from '../lib/stats'
import type { CrowdReply } from './crowd-entry'
import type { TickTimings } from './server-entry'
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
  /**
   * One client in this many decodes its patches like a game client; the others only count bytes
   * (the server cannot tell the difference; the load generators then need a fraction of the CPU
   * that on a 2-core machine the server competes for). 1: every client decodes. @defaultValue 10
   */
  decodeEvery?: number
  /**
   * Niceness of the load-generator processes: 0 gives them the server's priority; 10 lets the
   * server run first whenever both want a core (as on a machine of its own), but on a machine busy
   * with other jobs the niced generators fall behind their sockets and the server drops them for
   * late pongs. @defaultValue 0
   */
  clientNice?: number
  /** Plugin settings to run for each client count. @defaultValue [false, true] (off, then on) */
  modes?: boolean[]
  /** Node flags for the server process (e.g. `['--cpu-prof', '--cpu-prof-dir=prof']` to profile it). @defaultValue {@link SERVER_FLAGS} */
  serverNodeArgs?: readonly string[]
  /**
   * The example server writes each binary message as one frame with one socket write
   * (example-server/src/direct-frames.ts); false: the ws library's own send. @defaultValue true
   */
  directFrames?: boolean
  /**
   * Threads the server's attention engine scores observers on (ENGINE_THREADS of the example
   * server; the engine's `threads` option). @defaultValue 1
   */
  engineThreads?: number
  /**
   * Pipeline the engine's threads (PIPELINED of the example server; the engine's `pipelined`
   * option); the engine threads then default to 2. @defaultValue false
   */
  pipelined?: boolean
  /**
   * An interleaved comparison inside each run: the variant is switched on and off every
   * `everyMs` in the server process, and the ticks of each half are reported apart (see
   * {@link ALTERNATES}). Both halves share the process, the clients and the machine's other load.
   */
  alternate?: Alternate
  /** Folder to write each run's raw server timings to (one JSON file per run), for analysis. */
  rawDir?: string
  /** Folder to write each run's allocation profile to (`.heapprofile`, garbage included), for analysis. */
  heapDir?: string
  log?: (line: string) => void
}

/** One server run: a client count with the plugin on or off. */
export interface LoadRun {
  attention: boolean
  clients: number
  bots: number
  seconds: number
  /** Server work per patch interval (simulation steps + patch: interest, encode, send), wall clock, ms. */
  tickMedianMs: number
  tickP99Ms: number
  /** The same intervals in process CPU time, ms: the server's own cost, without time lost to other processes. */
  tickCpuMedianMs: number
  tickCpuP99Ms: number
  /** Simulation step (the room's update: game logic and the attention engine), wall and CPU medians, ms. */
  stepMedianMs: number
  stepCpuMedianMs: number
  /** `onBeforePatch` (the plugin's view sync and the room's own messages), wall and CPU medians, ms. */
  syncMedianMs: number
  syncCpuMedianMs: number
  /** Heap KB allocated per patch by `onBeforePatch` (the sync step and the room's messages), median. */
  syncHeapKB: number
  /** The attention plugin's `sync()` alone: CPU median (ms) and heap KB allocated per patch (median); NaN without the plugin. */
  pluginSyncCpuMedianMs: number
  pluginSyncHeapKB: number
  /** Heap KB allocated per patch by `applyPatches` (encoding and sending), median. */
  encodeHeapKB: number
  /** The serializer's `applyPatches` (encoding and sending), wall and CPU medians, ms. */
  encodeMedianMs: number
  encodeCpuMedianMs: number
  patchMedianMs: number
  patchP99Ms: number
  /** Time between successive patches, p99 (the target is the patch rate, 50 ms). */
  intervalP99Ms: number
  /** Patch intervals measured. */
  ticks: number
  /** Server process CPU (user + system) as % of one core, from /proc/<pid>/stat. */
  cpuPercent: number
  /** The same, read inside the server with process.cpuUsage (a cross-check). */
  cpuPercentInProcess: number
  /** Share of the time the server's event loop was busy (ticks, socket reads and writes, messages), 0..1. */
  eventLoopUtilization: number
  /** Event-loop delay p99, ms. */
  loopDelayP99Ms: number
  /** Garbage-collection pause time per second of run, ms. */
  gcMsPerSec: number
  /**
   * What the slowest ticks (CPU at or above the p99) had in common: how many there were, how many
   * overlapped a GC pause of the main thread and the mean pause time inside them, ms. A diagnostic:
   * the tick figures above count GC time like any other.
   */
  slowTicks: number
  slowTicksWithGc: number
  gcMsPerSlowTick: number
  /** Tick CPU p99 over the ticks that overlapped no GC pause (diagnostic, see slowTicks). */
  tickCpuP99NoGcMs: number
  /** Scavenges (minor GCs) per second and their median pause, ms. */
  minorGcPerSec: number
  minorGcMedianMs: number
  /** Major GCs (mark-compact, kind 4) per second, and the pause time per second of them and of incremental marking steps (kind 8), ms. */
  majorGcPerSec: number
  majorGcMsPerSec: number
  rssMiB: number
  /** WebSocket payload bytes received per client per second. */
  bytesPerClientPerSec: number
  messagesPerClientPerSec: number
  /** Clients that received nothing during the measurement (should be 0). */
  silentClients: number
  /** Clients whose connection closed during the run (reconnection is off). */
  droppedClients: number
  /** Close codes the dropped clients saw, with their counts (1006: the socket closed without a close frame). */
  dropCodes: Record<string, number>
  /** One client in this many decoded its patches (see {@link LoadBenchOptions.decodeEvery}). */
  decodeEvery: number
  /** Niceness the load generators ran at. */
  clientNice: number
  /** Whether the server wrote its messages as one frame per socket write (see {@link LoadBenchOptions.directFrames}). */
  directFrames: boolean
  /** Threads the server's attention engine scored observers on (see {@link LoadBenchOptions.engineThreads}). */
  engineThreads: number
  /** Whether the engine's threads were pipelined (see {@link LoadBenchOptions.pipelined}). */
  pipelined: boolean
  /** Node flags of the server process. */
  serverFlags: string[]
  /** With {@link LoadBenchOptions.alternate}: its name and the ticks with the variant on and off (ticks that straddled a flip are in neither). */
  alternate?: { name: string; everyMs: number; on: VariantTicks; off: VariantTicks }
  /** Clients that decoded their patches into a schema state (the others only counted bytes). */
  decodingClients: number
  /** Patches those clients failed to decode (should be 0). */
  decodeErrors: number
  /** Close codes of the sockets the server saw close during the measurement. */
  serverCloseCodes: Record<string, number>
  /** CPU of the load-generator processes together (all clients), % of one core. */
  clientCpuPercent: number
  /** Load-generator processes (the clients are split evenly over them; none is the server). */
  clientProcesses: number
  /** CPU of the busiest load-generator process, % of one core: near 100% means the clients, not the server, were the limit. */
  clientProcessMaxCpuPercent: number
}

/**
 * Node flags the server runs with unless told otherwise (docs/scaling.md, "server flags"), reported
 * with every run:
 * - a young generation of 64 MiB semi-spaces (V8's default grows to 16): scavenges about 3x rarer
 *   at 500 clients, at the same pause each;
 * - an old generation that starts with room for more than that young generation: V8 starts a major
 *   collection whenever the old generation's headroom is below the young generation's capacity
 *   (what one scavenge could promote), so with 64 MiB semi-spaces and ~28 MiB of live objects it
 *   ran a mark-compact every second or two, although the old generation grew by only about 1 MB
 *   per collection.
 */
export const SERVER_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--initial-old-space-size=128']

/** Tick figures of one half of an interleaved comparison (ms). */
export interface VariantTicks {
  ticks: number
  tickCpuMedianMs: number
  tickCpuP99Ms: number
  tickMedianMs: number
  tickP99Ms: number
}

/** A server-side switch the load benchmark can flip during a run. */
export interface Alternate {
  name: string
  /** Module of the server that exports the switch (it is imported by the server too: the same instance). */
  module: string
  /** The switch: a function taking true (variant on) or false. */
  exportName: string
  /** Milliseconds between flips. */
  everyMs: number
}

/** The switches `--alternate NAME` knows. */
export const ALTERNATES: Record<string, Omit<Alternate, 'everyMs'>> = {
  'direct-frames': { name: 'direct-frames', module: resolve(REPO_ROOT, 'example-server/src/direct-frames.ts'), exportName: 'setDirectFrames' },
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
async function startCrowdProcess(port: number, first: number, count: number, decodeEvery: number, nice: number): Promise<CrowdProcess> {
  const child = spawnBenchChild({
    entry: resolve(REPO_ROOT, 'bench/load/crowd-entry.ts'),
    cwd: REPO_ROOT,
    env: { PORT: String(port), COUNT: String(count), FIRST: String(first), SEED: '7', DECODE_EVERY: String(decodeEvery) },
  })
  if (nice !== 0) setPriority(child.pid, nice)
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
  serverNodeArgs?: readonly string[]
  /** @defaultValue true */
  directFrames?: boolean
  /** @defaultValue 1 (2 when pipelined) */
  engineThreads?: number
  /** @defaultValue false */
  pipelined?: boolean
  alternate?: Alternate
  /** @defaultValue 10 */
  decodeEvery?: number
  /** @defaultValue 0 */
  clientNice?: number
  /** Writes the server's raw timings (TickTimings) to this file. */
  rawFile?: string
  /** Writes the server's allocation profile over the measurement to this file. */
  heapFile?: string
}): Promise<LoadRun> {
  const { attention, clients, bots, seconds, warmupSeconds } = o
  const directFrames = o.directFrames ?? true
  const pipelined = o.pipelined ?? false
  const engineThreads = o.engineThreads ?? (pipelined ? 2 : 1)
  const serverFlags = [...(o.serverNodeArgs ?? SERVER_FLAGS)]
  const server = await startServerProcess({ bots, attention, entry: o.entry, nodeArgs: serverFlags, env: {
      DIRECT_FRAMES: directFrames ? '1' : '0',
      ENGINE_THREADS: String(engineThreads),
      PIPELINED: pipelined ? '1' : '0',
      ...(o.alternate === undefined
        ? {}
        : { BENCH_ALTERNATE_MS: String(o.alternate.everyMs), BENCH_ALTERNATE_MODULE: o.alternate.module, BENCH_ALTERNATE_EXPORT: o.alternate.exportName }),
    },
  })
  const crowds: CrowdProcess[] = []
  try {
    const n = Math.max(1, Math.ceil(clients / (o.clientsPerProcess ?? 200)))
    // one process at a time: joins are what the server admits fastest in order
    for (let k = 0, first = 0; k < n; k++) {
      const count = Math.floor(clients / n) + (k < clients % n ? 1 : 0)
      crowds.push(await startCrowdProcess(server.port, first, count, o.decodeEvery ?? 10, o.clientNice ?? 0))
      first += count
    }
    await sleep(warmupSeconds * 1000)
    await Promise.all(crowds.map((c) => c.child.ask({ type: 'reset' }, 'reset')))
    await server.resetTimings()
    if (o.heapFile !== undefined) await server.startHeapSampling()
    const cpu0 = server.cpuSeconds()
    const own0 = crowds.map((c) => c.child.cpuSeconds())
    const t0 = performance.now()
    await sleep(seconds * 1000)
    const cpu1 = server.cpuSeconds()
    const own = crowds.map((c, k) => c.child.cpuSeconds() - own0[k]!)
    const wall = (performance.now() - t0) / 1000
    const stats = await Promise.all(crowds.map((c) => c.child.ask<Extract<CrowdReply, { type: 'stats' }>>({ type: 'stats' }, 'stats')))
    const t = await server.timings()
    if (o.heapFile !== undefined) {
      mkdirSync(dirname(o.heapFile), { recursive: true })
      writeFileSync(o.heapFile, await server.stopHeapSampling())
    }
    if (o.rawFile !== undefined) {
      mkdirSync(dirname(o.rawFile), { recursive: true })
      writeFileSync(o.rawFile, JSON.stringify(t))
    }
    const slow = slowTickCauses(t)
    const rss = server.rssBytes()
    let sum = 0
    let msgs = 0
    let silent = 0
    let dropped = 0
    let decoding = 0
    let decodeErrors = 0
    const dropCodes: Record<string, number> = {}
    for (const st of stats) {
      decoding += st.decoding
      decodeErrors += st.decodeErrors
      dropped += st.dropped
      for (const [c, k] of Object.entries(st.dropCodes)) dropCodes[c] = (dropCodes[c] ?? 0) + k
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
      tickMedianMs: quantile(t.tick.wall, 0.5),
      tickP99Ms: quantile(t.tick.wall, 0.99),
      tickCpuMedianMs: quantile(t.tick.cpu, 0.5),
      tickCpuP99Ms: quantile(t.tick.cpu, 0.99),
      stepMedianMs: quantile(t.step.wall, 0.5),
      stepCpuMedianMs: quantile(t.step.cpu, 0.5),
      syncMedianMs: quantile(t.sync.wall, 0.5),
      syncCpuMedianMs: quantile(t.sync.cpu, 0.5),
      syncHeapKB: quantile(t.sync.heap.filter(Number.isFinite), 0.5) / 1024,
      pluginSyncCpuMedianMs: quantile(t.pluginSync.cpu, 0.5),
      pluginSyncHeapKB: quantile(t.pluginSync.heap.filter(Number.isFinite), 0.5) / 1024,
      encodeHeapKB: quantile(t.encode.heap.filter(Number.isFinite), 0.5) / 1024,
      encodeMedianMs: quantile(t.encode.wall, 0.5),
      encodeCpuMedianMs: quantile(t.encode.cpu, 0.5),
      patchMedianMs: quantile(t.patch.wall, 0.5),
      patchP99Ms: quantile(t.patch.wall, 0.99),
      intervalP99Ms: quantile(t.interval, 0.99),
      ticks: t.tick.wall.length,
      cpuPercent: ((cpu1 - cpu0) / wall) * 100,
      cpuPercentInProcess: (t.window.cpuMs / t.window.ms) * 100,
      eventLoopUtilization: t.window.eventLoopUtilization,
      loopDelayP99Ms: t.window.loopDelayP99Ms,
      gcMsPerSec: t.window.gcMs / (t.window.ms / 1000),
      ...slow,
      ...gcKinds(t),
      rssMiB: rss / 2 ** 20,
      bytesPerClientPerSec: sum / clients / wall,
      messagesPerClientPerSec: msgs / clients / wall,
      silentClients: silent,
      droppedClients: dropped,
      dropCodes,
      decodeEvery: o.decodeEvery ?? 10,
      clientNice: o.clientNice ?? 0,
      directFrames,
      engineThreads,
      pipelined,
      serverFlags: serverFlags.filter((f) => !f.startsWith('--cpu-prof')),
      ...(o.alternate === undefined
        ? {}
        : { alternate: { name: o.alternate.name, everyMs: o.alternate.everyMs, on: variantTicks(t, 1), off: variantTicks(t, 0) } }),
      decodingClients: decoding,
      decodeErrors,
      serverCloseCodes: t.window.closes,
      clientCpuPercent: (own.reduce((a, b) => a + b, 0) / wall) * 100,
      clientProcesses: crowds.length,
      clientProcessMaxCpuPercent: (Math.max(0, ...own) / wall) * 100,
    }
  } finally {
    await Promise.all(crowds.map(closeCrowdProcess))
    await server.stop()
  }
}

/** Minor and major GC figures of {@link LoadRun} from the server's pause log. */
function gcKinds(t: TickTimings): Pick<LoadRun, 'minorGcPerSec' | 'minorGcMedianMs' | 'majorGcPerSec' | 'majorGcMsPerSec'> {
  const sec = t.window.ms / 1000
  const minor: number[] = []
  let major = 0
  let majorMs = 0
  for (let i = 0; i < t.gc.kind.length; i++) {
    const k = t.gc.kind[i]!
    if (k === 1) minor.push(t.gc.duration[i]!)
    else if (k === 4 || k === 8) {
      if (k === 4) major++
      majorMs += t.gc.duration[i]!
    }
  }
  return { minorGcPerSec: minor.length / sec, minorGcMedianMs: minor.length === 0 ? 0 : quantile(minor, 0.5), majorGcPerSec: major / sec, majorGcMsPerSec: majorMs / sec }
}

/** The tick figures of the ticks labelled `v` (1 on, 0 off) by an interleaved comparison. */
function variantTicks(t: TickTimings, v: number): VariantTicks {
  const cpu: number[] = []
  const wall: number[] = []
  for (let i = 0; i < t.tickVariant.length; i++) {
    if (t.tickVariant[i] !== v) continue
    cpu.push(t.tick.cpu[i]!)
    wall.push(t.tick.wall[i]!)
  }
  return { ticks: cpu.length, tickCpuMedianMs: quantile(cpu, 0.5), tickCpuP99Ms: quantile(cpu, 0.99), tickMedianMs: quantile(wall, 0.5), tickP99Ms: quantile(wall, 0.99) }
}

/** GC pause time (ms) inside each tick's span, from the server's pause log (both sorted by start). */
function gcPerTick(t: TickTimings): number[] {
  const out = new Array<number>(t.tickSpan.start.length).fill(0)
  let g = 0
  for (let i = 0; i < out.length; i++) {
    const a = t.tickSpan.start[i]!
    const b = t.tickSpan.end[i]!
    while (g < t.gc.start.length && t.gc.start[g]! + t.gc.duration[g]! < a) g++
    for (let k = g; k < t.gc.start.length && t.gc.start[k]! <= b; k++) {
      out[i]! += Math.min(b, t.gc.start[k]! + t.gc.duration[k]!) - Math.max(a, t.gc.start[k]!)
    }
  }
  return out
}

/** The slow-tick diagnostic of {@link LoadRun} (slowTicks and the fields after it). */
function slowTickCauses(t: TickTimings): Pick<LoadRun, 'slowTicks' | 'slowTicksWithGc' | 'gcMsPerSlowTick' | 'tickCpuP99NoGcMs'> {
  const cpu = t.tick.cpu
  const gc = gcPerTick(t)
  const p99 = quantile(cpu, 0.99)
  let slowTicks = 0
  let withGc = 0
  let gcMs = 0
  const clean: number[] = []
  for (let i = 0; i < cpu.length; i++) {
    if (gc[i] === 0) clean.push(cpu[i]!)
    if (cpu[i]! < p99) continue
    slowTicks++
    if (gc[i]! > 0) withGc++
    gcMs += gc[i]!
  }
  return { slowTicks, slowTicksWithGc: withGc, gcMsPerSlowTick: slowTicks === 0 ? 0 : gcMs / slowTicks, tickCpuP99NoGcMs: quantile(clean, 0.99) }
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
    for (const attention of options.modes ?? [false, true]) {
      const r = await measureLoad({
        attention,
        clients,
        bots,
        seconds,
        warmupSeconds: warmup,
        entry: options.entry,
        clientsPerProcess: options.clientsPerProcess,
        serverNodeArgs: options.serverNodeArgs,
        directFrames: options.directFrames,
        engineThreads: options.engineThreads,
        pipelined: options.pipelined,
        alternate: options.alternate,
        decodeEvery: options.decodeEvery,
        clientNice: options.clientNice,
        heapFile: options.heapDir === undefined ? undefined : resolve(options.heapDir, `load-${clients}-${attention ? 'on' : 'off'}.heapprofile`),
        rawFile: options.rawDir === undefined ? undefined : resolve(options.rawDir, `load-${clients}-${attention ? 'on' : 'off'}.json`),
      })
      runs.push(r)
      log(
        `load: ${clients} clients, ${bots} bots, plugin ${attention ? 'on ' : 'off'}: tick ${r.tickMedianMs.toFixed(2)} ms (p99 ${r.tickP99Ms.toFixed(2)}) wall, ` +
          `${r.tickCpuMedianMs.toFixed(2)} ms (p99 ${r.tickCpuP99Ms.toFixed(2)}) CPU [step ${r.stepCpuMedianMs.toFixed(2)}, sync ${r.syncCpuMedianMs.toFixed(2)}, encode+send ${r.encodeCpuMedianMs.toFixed(2)}], ` +
          `CPU ${r.cpuPercent.toFixed(0)}% (in-process ${r.cpuPercentInProcess.toFixed(0)}%), loop busy ${(r.eventLoopUtilization * 100).toFixed(0)}%, GC ${r.gcMsPerSec.toFixed(1)} ms/s ` +
          `(${r.minorGcPerSec.toFixed(2)} scavenges/s of ${r.minorGcMedianMs.toFixed(1)} ms median; ${r.majorGcPerSec.toFixed(2)} major/s, major + incremental ${r.majorGcMsPerSec.toFixed(1)} ms/s), ` +
          `ticks at or above the p99: ${r.slowTicks}, ${r.slowTicksWithGc} with a GC pause inside (${r.gcMsPerSlowTick.toFixed(1)} ms each on average; p99 of ticks without one ${r.tickCpuP99NoGcMs.toFixed(2)} ms), ` +
          `heap per patch: sync ${r.syncHeapKB.toFixed(1)} KB (plugin sync() ${r.pluginSyncHeapKB.toFixed(1)} KB in ${r.pluginSyncCpuMedianMs.toFixed(2)} ms), encode+send ${r.encodeHeapKB.toFixed(1)} KB, ` +
          `direct frames ${r.directFrames ? 'on' : 'off'}, engine threads ${r.engineThreads}${r.pipelined ? ' pipelined' : ''}, server flags ${r.serverFlags.join(' ') || 'none'}, RSS ${r.rssMiB.toFixed(0)} MiB, ${r.bytesPerClientPerSec.toFixed(0)} B/client/s, ` +
          `dropped ${r.droppedClients}${r.droppedClients > 0 ? ` (codes ${JSON.stringify(r.dropCodes)})` : ''}, ${r.decodingClients} decoding (${r.decodeErrors} errors), ${r.clientProcesses} load-generator process(es) at ${r.clientCpuPercent.toFixed(0)}% CPU (busiest ${r.clientProcessMaxCpuPercent.toFixed(0)}%), ` +
          `load average ${loadavg()[0]!.toFixed(2)}`,
      )
      const a = r.alternate
      if (a !== undefined) {
        const f = (v: VariantTicks): string =>
          `${v.ticks} ticks, CPU ${v.tickCpuMedianMs.toFixed(2)} ms (p99 ${v.tickCpuP99Ms.toFixed(2)}), wall ${v.tickMedianMs.toFixed(2)} ms (p99 ${v.tickP99Ms.toFixed(2)})`
        log(`load: interleaved ${a.name} (flipped every ${a.everyMs} ms): on ${f(a.on)}; off ${f(a.off)}; on/off CPU median ${(a.on.tickCpuMedianMs / a.off.tickCpuMedianMs).toFixed(3)}, p99 ${(a.on.tickCpuP99Ms / a.off.tickCpuP99Ms).toFixed(3)}`)
      }
    }
  }
  return { quick, runs, wallSeconds: (performance.now() - t0) / 1000 }
}

const COMMAND = 'npm run bench:load'

/** Stops the command with a usage error (exit code 2), named like the shared flag checks'. */
function fail(message: string): never {
  return stopWith(`${COMMAND}: ${message}`)
}

/** What `npm run bench:load -- --help` prints. */
const USAGE = `usage: npm run bench:load -- [flags]
The example server (a child process on 127.0.0.1) under real @colyseus/sdk clients, with the plugin
off, then on, for each client count (docs/benchmarks.md, "Load on a real server").
  --clients N,N,...        client counts (default 50,100,200; with --quick 20)
  --plugin on|off          one mode only (default: off, then on)
  --seconds S              measured seconds per run, after warm-up (default 15; with --quick 3)
  --quick                  small and short: 20 clients, 100 bots, 3 s per run
  --clients-per-process N  clients per load-generator process (default 200)
  --decode-every N         one client in N decodes its patches (default 10; 1: every client)
  --client-nice N          niceness of the load generators, 0 to 19 (default 0)
  --direct-frames on|off   off: the ws library's own send (default on)
  --engine-threads N       threads the engine scores observers on, 1 to 8 (default 1)
  --pipelined              the engine's threads pipelined (engine threads then default to 2)
  --server-flags=F,F|none  node flags of the server (default ${SERVER_FLAGS.join(',')})
  --alternate ${Object.keys(ALTERNATES).join('|')}  that variant flipped on and off inside each run, reported apart
  --alternate-ms MS        how often --alternate flips (default 2000)
  --cpu-prof DIR           a CPU profile of the server per run
  --heap-profile DIR       an allocation profile of the server per run
  --raw DIR                the server's raw timings per run (JSON)
Writes .bench-results/load.json.`

if (isMain(import.meta.url)) {
  acceptFlags(
    COMMAND,
    USAGE,
    ['clients', 'seconds', 'plugin', 'clients-per-process', 'cpu-prof', 'decode-every', 'client-nice', 'raw', 'heap-profile', 'direct-frames', 'engine-threads', 'alternate', 'server-flags', 'alternate-ms'],
    ['quick', 'pipelined'],
  )
  const plugin = flagValue('plugin')
  const prof = flagValue('cpu-prof')
  const raw = flagValue('raw')
  const heap = flagValue('heap-profile')
  const frames = flagValue('direct-frames')
  const alternate = flagValue('alternate')
  const serverFlags = flagValue('server-flags')
  if (serverFlags !== undefined && serverFlags !== 'none' && !/^(--[a-z0-9-]+(=[\w.]+)?)(,--[a-z0-9-]+(=[\w.]+)?)*$/.test(serverFlags)) fail(`--server-flags must be comma-separated node flags; got ${serverFlags}`)
  const result = await runLoadBench({
    quick: hasFlag('quick'),
    clientCounts: integerListFlag(COMMAND, 'clients', 1, 2000),
    seconds: numberFlag(COMMAND, 'seconds', 1, 600, false),
    modes: plugin === undefined ? undefined : plugin === 'on' ? [true] : plugin === 'off' ? [false] : fail(`--plugin must be on or off; got ${plugin}`),
    clientsPerProcess: numberFlag(COMMAND, 'clients-per-process', 1, 2000),
    decodeEvery: numberFlag(COMMAND, 'decode-every', 1, 2000),
    rawDir: raw,
    heapDir: heap,
    alternate:
      alternate === undefined
        ? undefined
        : ALTERNATES[alternate] === undefined
          ? fail(`--alternate must be one of ${Object.keys(ALTERNATES).join(', ')}; got ${alternate}`)
          : { ...ALTERNATES[alternate]!, everyMs: numberFlag(COMMAND, 'alternate-ms', 100, 60_000) ?? 2000 },
    directFrames: frames === undefined ? undefined : frames === 'on' ? true : frames === 'off' ? false : fail(`--direct-frames must be on or off; got ${frames}`),
    engineThreads: numberFlag(COMMAND, 'engine-threads', 1, 8),
    pipelined: hasFlag('pipelined'),
    clientNice: numberFlag(COMMAND, 'client-nice', 0, 19),
    serverNodeArgs: [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof)}`] : []), ...(serverFlags === undefined ? SERVER_FLAGS : serverFlags === 'none' ? [] : serverFlags.split(','))],
    log: (l) => console.log(l),
  })
  console.log(`wrote ${writeResult('load', result)} in ${result.wallSeconds.toFixed(1)} s`)
}
