// Entry point of the load benchmark's server child process: instruments every Colyseus Room's
// simulation step and patch broadcast, then starts the example server unchanged.
// The parent asks for the timings over IPC: 'reset' clears them, 'stats' returns them.
//
// Each phase is timed twice: wall clock (performance.now) and process CPU time (process.cpuUsage,
// microsecond resolution). On a shared 2-core machine the wall clock of a phase also counts the
// time the server thread sat runnable while another process (a load generator, someone else's job)
// had the core; CPU time does not, so it is the server's own cost. A wall time well above the CPU
// time means contention, not server work. Process CPU includes V8's GC helper threads, which is
// work the tick caused.
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { Session } from 'node:inspector'
import { pathToFileURL } from 'node:url'
import { getHeapStatistics } from 'node:v8'
import { Room } from '@colyseus/core'

/** One phase's samples (ms), wall clock and process CPU, in recording order. */
export interface PhaseSamples {
  wall: number[]
  cpu: number[]
  /**
   * Heap bytes allocated during each call (growth of the used heap; NaN when it shrank: a
   * collection ran inside the call). Sync and encode only (NaN for the others).
   */
  heap: number[]
}

/** Timings the parent reads over IPC. */
export interface TickTimings {
  /** Simulation steps (setTimestep / setFixedTimestep callback), one sample per step. */
  step: PhaseSamples
  /** `onBeforePatch` (the plugin's sync: interest, view edits, the room's own messages), per patch. */
  sync: PhaseSamples
  /** The attention plugin's `sync()` alone (inside `onBeforePatch`), per patch; empty without the plugin. */
  pluginSync: PhaseSamples
  /** The serializer's `applyPatches` (encode the shared patch and each view, send), per patch. */
  encode: PhaseSamples
  /** The whole `broadcastPatch`, per patch. */
  patch: PhaseSamples
  /** Server work per patch interval: the steps since the previous patch plus the patch. */
  tick: PhaseSamples
  /** Milliseconds between successive patch starts (the patch timer's period as it really ran). */
  interval: number[]
  /** Per tick (as `tick`): performance.now() at the start of its first step (or of its patch) and at its end. */
  tickSpan: { start: number[]; end: number[] }
  /**
   * Per tick (as `tick`), with an interleaved comparison (BENCH_ALTERNATE): 1 when the variant was
   * on for the whole tick, 0 when off, -1 when it switched during the tick (left out of both).
   * Empty without one.
   */
  tickVariant: number[]
  /** Garbage-collection pauses on the main thread: start (performance.now() clock) and duration, ms; kind as Node reports it (1 minor, 4 major, 8 incremental marking, 16 weak callbacks: perf_hooks.constants). */
  gc: { start: number[]; duration: number[]; kind: number[] }
  /** Over the whole measurement (since the last reset): */
  window: {
    ms: number
    /** Process CPU (user + system) in ms, read inside the server (cross-check of /proc). */
    cpuMs: number
    /** Fraction of the time the event loop was busy (not waiting for I/O or timers), 0..1. */
    eventLoopUtilization: number
    /** Event-loop delay p99, ms (a timer firing late by this much or more 1% of the time). */
    loopDelayP99Ms: number
    /** Garbage-collection pauses: count and total ms (main thread). */
    gcCount: number
    gcMs: number
    /** Sockets the server closed or lost during the window, by close code. */
    closes: Record<string, number>
  }
}

// preallocated rings: recording must not itself add garbage to the process being measured
const CAP = 20_000
interface Ring {
  wall: Float64Array
  cpu: Float64Array
  heap: Float64Array
  n: number
}
const ring = (): Ring => ({ wall: new Float64Array(CAP), cpu: new Float64Array(CAP), heap: new Float64Array(CAP), n: 0 })
const rings = { step: ring(), sync: ring(), pluginSync: ring(), encode: ring(), patch: ring(), tick: ring() }
const intervals = new Float64Array(CAP)
let intervalCount = 0
let lastPatchStart = -1
let stepWall = 0
let stepCpu = 0
/** Start of the first step since the last patch (-1: none yet). */
let firstStepStart = -1
const tickStart = new Float64Array(CAP)
const tickEnd = new Float64Array(CAP)
const tickVariant = new Int8Array(CAP)
/** The interleaved comparison's variant now (1 on, 0 off), and at the start of the current tick. */
let variant = 1
let tickStartVariant = -1
const gcStart = new Float64Array(CAP)
const gcDuration = new Float64Array(CAP)
const gcKind = new Float64Array(CAP)
let gcN = 0

const record = (r: Ring, wall: number, cpu: number, heap = Number.NaN): void => {
  if (r.n >= CAP) return
  r.wall[r.n] = wall
  r.cpu[r.n] = cpu
  r.heap[r.n] = heap
  r.n++
}
// heap growth across a call, from the used heap before and after: a collection inside the call
// usually shrinks it (then the sample is NaN; a median over the calls is robust to the few a
// collection cut short). The reading itself allocates a little, measured at start.
// (v8's heap statistics, not process.memoryUsage(): that one also reads the RSS from /proc, ~10 us)
const heapUsed = (): number => getHeapStatistics().used_heap_size
let readingCost = 0
{
  const costs: number[] = []
  for (let k = 0; k < 101; k++) {
    const h0 = heapUsed()
    costs.push(heapUsed() - h0)
  }
  readingCost = costs.sort((a, b) => a - b)[50]!
}
const heapSince = (h0: number): number => {
  const grown = heapUsed() - h0
  return grown < 0 ? Number.NaN : Math.max(0, grown - readingCost)
}
const cpuMsSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}

type AnyFn = (...args: unknown[]) => unknown
const proto = Room.prototype as unknown as Record<string, AnyFn>

const timedStep = (fn: AnyFn): AnyFn =>
  function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const r = fn.apply(this, args)
    const cpu = cpuMsSince(c0)
    const wall = performance.now() - t0
    if (firstStepStart < 0) {
      firstStepStart = t0
      tickStartVariant = variant
    }
    record(rings.step, wall, cpu)
    stepWall += wall
    stepCpu += cpu
    return r
  }

for (const name of ['setTimestep', 'setFixedTimestep'] as const) {
  const original = proto[name]!
  proto[name] = function (this: unknown, cb: unknown, ...rest: unknown[]) {
    return original.call(this, typeof cb === 'function' ? timedStep(cb as AnyFn) : cb, ...rest)
  }
}

/** Objects whose methods are already wrapped, by method name. */
const wrapped = new WeakMap<object, Set<string>>()

/**
 * Wraps `obj[key]` so that each call is recorded in `r`, once per object: others may wrap the
 * method again later (the plugin wraps the serializer's applyPatches), and theirs then calls ours.
 */
const wrapOnce = (obj: Record<string, unknown>, key: string, r: Ring): void => {
  let keys = wrapped.get(obj)
  if (keys === undefined) wrapped.set(obj, (keys = new Set()))
  const fn = obj[key]
  if (keys.has(key) || typeof fn !== 'function') return
  keys.add(key)
  obj[key] = function (this: unknown, ...args: unknown[]) {
    const h0 = heapUsed()
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const out = (fn as AnyFn).apply(this, args)
    const cpu = cpuMsSince(c0)
    const wall = performance.now() - t0
    record(r, wall, cpu, heapSince(h0))
    return out
  }
}

const broadcastPatch = proto.broadcastPatch!
proto.broadcastPatch = function (this: Record<string, unknown>, ...args: unknown[]) {
  wrapOnce(this, 'onBeforePatch', rings.sync)
  const plugin = (this.plugins as Record<string, Record<string, unknown> | undefined> | undefined)?.attention
  if (plugin !== undefined) wrapOnce(plugin, 'sync', rings.pluginSync)
  const serializer = this._serializer as Record<string, unknown> | undefined
  if (serializer !== undefined) wrapOnce(serializer, 'applyPatches', rings.encode)
  const t0 = performance.now()
  if (lastPatchStart >= 0 && intervalCount < CAP) intervals[intervalCount++] = t0 - lastPatchStart
  lastPatchStart = t0
  const c0 = process.cpuUsage()
  const patchStartVariant = variant
  const r = broadcastPatch.apply(this, args)
  const cpu = cpuMsSince(c0)
  const wall = performance.now() - t0
  record(rings.patch, wall, cpu)
  if (rings.tick.n < CAP) {
    tickStart[rings.tick.n] = firstStepStart < 0 ? t0 : firstStepStart
    tickEnd[rings.tick.n] = t0 + wall
    const v0 = firstStepStart < 0 ? patchStartVariant : tickStartVariant
    tickVariant[rings.tick.n] = v0 === variant && patchStartVariant === variant ? variant : -1
  }
  record(rings.tick, wall + stepWall, cpu + stepCpu)
  stepWall = 0
  stepCpu = 0
  firstStepStart = -1
  return r
}

// window-level meters
let windowStart = performance.now()
let windowCpu = process.cpuUsage()
let elu0 = performance.eventLoopUtilization()
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
let gcCount = 0
let gcMs = 0
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++
    gcMs += e.duration
    if (gcN < CAP) {
      gcStart[gcN] = e.startTime
      gcDuration[gcN] = e.duration
      gcKind[gcN] = ((e as { detail?: { kind?: number } }).detail)?.kind ?? 0
      gcN++
    }
  }
}).observe({ entryTypes: ['gc'] })
const closes: Record<string, number> = {}
let closeCounting = false
// count the close codes of the server's sockets (the ws library's WebSocket emits 'close')
const { WebSocket } = (await import('ws')) as unknown as { WebSocket: { prototype: { emit: (this: unknown, ev: string, ...a: unknown[]) => boolean } } }
const emit = WebSocket.prototype.emit
WebSocket.prototype.emit = function (this: unknown, ev: string, ...a: unknown[]) {
  if (ev === 'close' && closeCounting) closes[String(a[0])] = (closes[String(a[0])] ?? 0) + 1
  return emit.call(this, ev, ...a)
}

const samples = (r: Ring): PhaseSamples => ({
  wall: Array.from(r.wall.subarray(0, r.n)),
  cpu: Array.from(r.cpu.subarray(0, r.n)),
  heap: Array.from(r.heap.subarray(0, r.n)),
})

// allocation sampling (garbage included) over the measurement, when the parent asks for it
let sampling: Session | null = null
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((ok, fail) => sampling!.post(method, params ?? {}, (err, res) => (err ? fail(err) : ok(res))))

process.on('message', (m: unknown) => {
  if (m === 'heap-start') {
    sampling = new Session()
    sampling.connect()
    void post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }).then(
      () => process.send?.({ type: 'heap-start' }),
    )
  } else if (m === 'heap-stop' && sampling !== null) {
    void post('HeapProfiler.stopSampling').then((r) => {
      sampling?.disconnect()
      sampling = null
      process.send?.({ type: 'heap-stop', profile: JSON.stringify((r as { profile: unknown }).profile) })
    })
  } else if (m === 'reset') {
    for (const r of Object.values(rings)) r.n = 0
    intervalCount = 0
    lastPatchStart = -1
    stepWall = 0
    stepCpu = 0
    firstStepStart = -1
    gcN = 0
    windowStart = performance.now()
    windowCpu = process.cpuUsage()
    elu0 = performance.eventLoopUtilization()
    loopDelay.reset()
    gcCount = 0
    gcMs = 0
    for (const k of Object.keys(closes)) delete closes[k]
    closeCounting = true
    process.send?.({ type: 'reset' })
  } else if (m === 'stats') {
    const timings: TickTimings = {
      step: samples(rings.step),
      sync: samples(rings.sync),
      pluginSync: samples(rings.pluginSync),
      encode: samples(rings.encode),
      patch: samples(rings.patch),
      tick: samples(rings.tick),
      interval: Array.from(intervals.subarray(0, intervalCount)),
      tickSpan: { start: Array.from(tickStart.subarray(0, rings.tick.n)), end: Array.from(tickEnd.subarray(0, rings.tick.n)) },
      tickVariant: alternating ? Array.from(tickVariant.subarray(0, rings.tick.n)) : [],
      gc: { start: Array.from(gcStart.subarray(0, gcN)), duration: Array.from(gcDuration.subarray(0, gcN)), kind: Array.from(gcKind.subarray(0, gcN)) },
      window: {
        ms: performance.now() - windowStart,
        cpuMs: cpuMsSince(windowCpu),
        eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        gcCount,
        gcMs,
        closes: { ...closes },
      },
    }
    closeCounting = false
    process.send?.({ type: 'stats', timings })
  }
})
// the parent's IPC channel must not keep the server alive after SIGTERM
process.channel?.unref()

// An interleaved comparison inside one run: BENCH_ALTERNATE_MS=<ms> flips a variant on and off every
// <ms> by calling export BENCH_ALTERNATE_EXPORT of module BENCH_ALTERNATE_MODULE with true / false
// (the same module instance the server imports), and labels each tick with it (tickVariant). Both
// variants then share the process, the clients and whatever else the machine is doing.
const alternateMs = Number(process.env.BENCH_ALTERNATE_MS ?? 0)
const alternating = alternateMs > 0
if (alternating) {
  const mod = process.env.BENCH_ALTERNATE_MODULE
  const name = process.env.BENCH_ALTERNATE_EXPORT
  if (!mod || !name) throw new Error('BENCH_ALTERNATE_MS needs BENCH_ALTERNATE_MODULE and BENCH_ALTERNATE_EXPORT')
  const flip = (await import(pathToFileURL(mod).href) as Record<string, unknown>)[name]
  if (typeof flip !== 'function') throw new Error(`${mod} has no function ${name}`)
  flip(true)
  setInterval(() => {
    variant ^= 1
    ;(flip as (on: boolean) => void)(variant === 1)
  }, alternateMs).unref()
}

const entry = process.env.BENCH_SERVER_ENTRY
if (!entry) throw new Error('BENCH_SERVER_ENTRY is not set')
await import(pathToFileURL(entry).href)
