// Owns: option `threads`: the worker threads that run the per-observer phase of a tick beside the
// room's thread, and the synchronous hand-off. The room's thread rebuilds the grid (everything
// order-dependent stays on it), then every thread claims chunks of the observer list from a
// shared counter and runs observer-pass.ts over them; each observer's set, hint and byte state
// are its slot's alone, so the threads never write the same memory. The room's thread then waits
// (Atomics.wait, never async) until every worker it let in says it is done. PERFORMANCE.md,
// "observers on worker threads", has the measurements.
//
// The Node modules it needs are taken with process.getBuiltinModule when threads are asked for,
// so that the engine's static imports stay bitecs alone.
import type { Worker } from 'node:worker_threads'
import type { BandOptions, ByteCostOptions } from './bands'
import type { Broadphase } from './broadphase'
import type { AttentionComponents } from './components'
import type { DenseList } from './entity-tracker'
import type { FeatureParams } from './features'
import type { HeadWeights } from './heads'
import { passObservers, type ObserverPass } from './observer-pass'
import type { HysteresisOptions } from './types'

/** Slots of the control array (an Int32Array on a SharedArrayBuffer). */
export const Control = {
  /** This tick's scalars, written by the room's thread before it lets the workers in. */
  Tick: 0,
  PositionedCount: 1,
  AlwaysCount: 2,
  GridEnd: 3,
  ExemptEnd: 4,
  PackedEnd: 5,
  WideCount: 6,
  Stamp: 7,
  /** Next unclaimed index of the observer list (claimed `CHUNK` at a time with Atomics.add). */
  Next: 8,
  /** 1: workers leave their loop (dispose). */
  Stop: 9,
  /** Index + 1 of a worker whose pass threw this tick. */
  Failed: 10,
  /** Test hook: 1 makes a worker's next pass throw, 2 hang (the fault tests). */
  Fault: 11,
  ObserverCount: 12,
  /** Observers the workers passed, all ticks together (the benchmark's share of work). */
  WorkerObservers: 13,
  /** Test hook: 1 makes the room's thread leave the observers to the workers (it takes what they leave). */
  MainDefers: 14,
  /** Per worker `w` (0-based): Go, Ack and Ready at `WORKER_BASE + 3 w`, `+ 1`, `+ 2`. */
  WorkerBase: 16,
} as const

/** Observers per claim: small enough to balance two threads on a busy machine, large enough that claims cost nothing. */
export const CHUNK = 16

/** The tuning a worker's pass needs (plain data, cloned). */
export interface PassConfig {
  capacity: number
  maxObservers: number
  stride: number
  cellSize: number
  interactionSlots: number
  threads: number
  every: number
  params: FeatureParams
  rowWeights: HeadWeights
  hysteresis: HysteresisOptions
  bands: BandOptions
  byteCosts: ByteCostOptions
  dt: number
}

/** What a worker receives: shared arrays (SharedArrayBuffer-backed, so the clone shares their memory) and its config. */
export interface WorkerInit {
  /** 1-based thread index (the room's thread is 0). */
  index: number
  control: Int32Array
  components: AttentionComponents
  /** The arrays the interest sets, broadphase, interaction store and K-th-score hints were made with, in order (shared-alloc.ts). */
  replay: (Uint8Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array)[]
  flags: Uint16Array
  generation: Uint32Array
  positionedIds: Uint32Array
  observerIds: Uint32Array
  alwaysIds: Uint32Array
  slotOf: Int32Array
  ownHead: Int32Array
  ownNext: Int32Array
  byteScale: Float32Array
  estBytes: Float32Array
  selfStill: Float64Array
  stillCharge: Float64Array
  floorBytes: Float64Array
  detailBytes: Float64Array
  price: Float32Array
  priceBudget: Float32Array
  priceAge: Float32Array
  scoredTick: Uint32Array
  doneTick: Uint32Array
  config: PassConfig
}

/** The workers of one system and the hand-off of a tick. */
export interface ObserverThreads {
  /** The control array (shared with the workers). */
  readonly control: Int32Array
  /** The workers (thread i + 1 is `workers[i]`). */
  readonly workers: readonly Worker[]
  /** Threads taking part in the next tick: 1 plus the workers that are ready; 1 after a fallback. */
  running(): number
  /**
   * Runs `pass` over the observers `obs[0..obsN)` on every ready thread, this one included, and
   * returns when all are done. A worker that throws or does not answer within the timeout turns
   * the threads off for good (said once): this thread then redoes the observers not done.
   */
  run(pass: ObserverPass, obs: Uint32Array, obsN: number): void
  /** Option pipelined: lets the workers in on every observer and returns at once (`finish` completes the pass). */
  start(pass: ObserverPass, obs: Uint32Array, obsN: number): void
  /** Option pipelined: waits for the run `start` began (nothing when none is in flight). */
  finish(): void
  /** Stops and terminates the workers and drops a pass in flight; `running()` is 1 from then on. Idempotent. */
  dispose(): void
}

/** Passes chunks of `obs[0..obsN)` claimed from the shared counter until none is left; returns the observers passed. */
export function claim(pass: ObserverPass, obs: Uint32Array, obsN: number): number {
  const ctl = pass.control
  let done = 0
  for (;;) {
    const i = Atomics.add(ctl, Control.Next, CHUNK)
    if (i >= obsN) return done
    const end = i + CHUNK < obsN ? i + CHUNK : obsN
    passObservers(pass, obs, i, end)
    done += end - i
  }
}

const registry = new WeakMap<object, ObserverThreads>()
/** The threads of a system (tests and the benchmark; not part of the package's API). */
export function threadsOf(system: object): ObserverThreads | undefined {
  return registry.get(system)
}
/** Registers `threads` as `system`'s (see {@link threadsOf}). */
export function registerThreads(system: object, threads: ObserverThreads): void {
  registry.set(system, threads)
}

/** The worker's entry: the built file next to the bundle, else the TypeScript source through tsx (tests, benches). */
function workerSource(): { url: URL | string; eval: boolean } {
  const { existsSync } = process.getBuiltinModule('node:fs')
  const { createRequire } = process.getBuiltinModule('node:module')
  const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url')
  const here = import.meta.url
  const js = new URL('./engine-worker.js', here)
  if (existsSync(fileURLToPath(js))) return { url: js, eval: false }
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const ts = new URL('./observer-worker.ts', here).href
  return { url: `import(${JSON.stringify(tsx)}).then((a) => a.register()).then(() => import(${JSON.stringify(ts)}))`, eval: true }
}

/**
 * Starts `threads - 1` workers over the shared state in `init` (every field but `index` and
 * `control`). They start in the background: until a worker is ready, ticks run without it.
 * @param timeoutMs - how long a tick waits for a worker before it falls back to this thread.
 */
export function createObserverThreads(
  threads: number,
  timeoutMs: number,
  init: Omit<WorkerInit, 'index' | 'control'>,
  bp: Broadphase,
  positioned: DenseList,
  alwaysRelevant: DenseList,
): ObserverThreads {
  const n = threads - 1
  const control = new Int32Array(new SharedArrayBuffer(4 * (Control.WorkerBase + 3 * n)))
  const admitted = new Uint8Array(n)
  const workers: Worker[] = []
  let failed = false
  let disposed = false
  const src = workerSource()
  const { Worker: WorkerThread } = process.getBuiltinModule('node:worker_threads')

  /** Turns the threads off for good, said once; the workers are stopped. */
  const fail = (why: string): void => {
    if (failed) return
    failed = true
    console.warn(`colyseus-attention: option threads: ${why}; the observers run on the room's thread from now on`)
    stop()
  }
  const stop = (): void => {
    Atomics.store(control, Control.Stop, 1)
    for (let w = 0; w < n; w++) Atomics.notify(control, Control.WorkerBase + 3 * w)
    for (const wk of workers) void wk.terminate().catch(() => undefined)
  }

  for (let w = 0; w < n; w++) {
    const data: WorkerInit = { ...init, index: w + 1, control }
    const wk = new WorkerThread(src.url, { eval: src.eval, workerData: data })
    wk.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'error') fail(`worker ${w + 1} failed: ${m.message ?? 'unknown error'}`)
    })
    wk.on('error', (e: Error) => fail(`worker ${w + 1} failed: ${e.message}`))
    wk.on('exit', () => {
      if (!disposed) fail(`worker ${w + 1} exited`)
    })
    // a worker blocked in Atomics.wait must not keep the process alive (a system never disposed).
    // After the listeners: adding a 'message' listener refs the worker again. Nothing waits for a
    // worker's start on the event loop (the tick reads its Ready slot), so a worker that is still
    // starting need not hold the process open either.
    wk.unref()
    workers.push(wk)
  }

  const running = (): number => {
    if (failed || disposed) return 1
    let r = 1
    for (let w = 0; w < n; w++) r += Atomics.load(control, Control.WorkerBase + 3 * w + 2)
    return r
  }

  // option pipelined: a run started and not yet finished
  let flightPass: ObserverPass | null = null
  let flightObs: Uint32Array = new Uint32Array(0)
  let flightN = 0
  const start = (pass: ObserverPass, obs: Uint32Array, obsN: number): void => {
    if (failed) {
      passObservers(pass, obs, 0, obsN)
      return
    }
    control[Control.MainDefers] = 1
    begin(pass, obsN)
    // no worker ready yet: this tick's state is read now, on this thread
    let any = 0
    for (let w = 0; w < n; w++) any |= admitted[w]!
    if (any === 0) {
      complete(pass, obs, obsN, pass.tick)
      return
    }
    flightPass = pass
    flightObs = obs
    flightN = obsN
  }
  const finish = (): void => {
    const pass = flightPass
    if (pass === null) return
    flightPass = null
    complete(pass, flightObs, flightN, pass.tick)
  }

  const run = (pass: ObserverPass, obs: Uint32Array, obsN: number): void => {
    const tick = pass.tick
    if (failed) {
      passObservers(pass, obs, 0, obsN)
      return
    }
    begin(pass, obsN)
    complete(pass, obs, obsN, tick)
  }

  const begin = (pass: ObserverPass, obsN: number): void => {
    const tick = pass.tick
    const ctl = control
    ctl[Control.Tick] = tick
    ctl[Control.PositionedCount] = positioned.count
    ctl[Control.AlwaysCount] = alwaysRelevant.count
    ctl[Control.GridEnd] = bp.gridEnd
    ctl[Control.ExemptEnd] = bp.exemptEnd
    ctl[Control.PackedEnd] = bp.packedEnd
    ctl[Control.WideCount] = bp.wideN
    ctl[Control.Stamp] = bp.stamp
    ctl[Control.ObserverCount] = obsN
    Atomics.store(ctl, Control.Next, 0)
    // the stores above (and the grid, sets and stores written before) happen before a worker's
    // Atomics.load of its Go slot
    for (let w = 0; w < n; w++) {
      const at = Control.WorkerBase + 3 * w
      admitted[w] = Atomics.load(ctl, at + 2)
      if (admitted[w] === 0) continue
      Atomics.store(ctl, at, tick)
      Atomics.notify(ctl, at)
    }
  }

  const complete = (pass: ObserverPass, obs: Uint32Array, obsN: number, tick: number): void => {
    const ctl = control
    const defer = ctl[Control.MainDefers] === 1
    if (!defer) claim(pass, obs, obsN)
    let late = false
    for (let w = 0; w < n; w++) {
      if (admitted[w] === 0) continue
      const ack = Control.WorkerBase + 3 * w + 1
      const seen = Atomics.load(ctl, ack)
      if (seen === tick) continue
      Atomics.wait(ctl, ack, seen, timeoutMs)
      if (Atomics.load(ctl, ack) !== tick) late = true
    }
    if (defer && !late) claim(pass, obs, obsN)
    const thrown = Atomics.load(ctl, Control.Failed)
    if (!late && thrown === 0) return
    // no thread claims another chunk of this tick (a late worker included): what is left is this
    // thread's; a worker stuck inside an observer is the one case not covered (it is terminated)
    Atomics.store(ctl, Control.Next, 0x3fffffff)
    fail(late ? `a worker did not finish a tick within ${timeoutMs} ms` : `worker ${thrown} threw during a tick`)
    // this thread redoes what no thread finished (slots a failed pass wrote part of included)
    const slotOf = pass.slotOf
    const done = pass.doneTick
    for (let i = 0; i < obsN; i++) if (done[slotOf[obs[i]!]!] !== tick) passObservers(pass, obs, i, i + 1)
  }

  return {
    control,
    workers,
    running,
    run,
    start,
    finish,
    dispose() {
      if (disposed) return
      disposed = true
      // a pass in flight (option pipelined) is dropped: its sets are never read, and finish() must
      // not wait for a worker that was stopped
      flightPass = null
      stop()
    },
  }
}
