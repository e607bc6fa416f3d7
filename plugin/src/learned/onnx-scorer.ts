// Owns: the learned scorer on the room's thread. Double buffering: tick t sends its rows to the
// inference worker and scores with the answer to an earlier tick's rows (t-1 when the worker keeps
// up); pairs that answer does not cover, and every row while the model is failing, get the built-in
// heads. The tick never waits for the worker. See docs/learned-attention.md.
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { createHeadScorer, DEFAULT_WEIGHTS, FEATURE_COUNT, HEAD_NAMES, weightVector } from '../ecs/heads'
import type { HeadWeights } from '../ecs/heads'
import type { AttentionScorer, ExplainedScore, OptionalKeys, PairScores, ScorerBatch } from '../ecs/types'
import { checkInteger, checkKeys, checkKind, checkObject, checkRange, definedOver, describeGiven } from '../ecs/validate'
import { AnswerStatus, Control, STATE_SECTIONS, Meta, waitAsync, type FromWorker, type SlotArrays, type ToWorker } from './messages'
import { INPUT_WIDTH } from './model-inputs'

/** Options of {@link createOnnxScorer}. */
export interface OnnxScorerOptions {
  /**
   * The ONNX model: its bytes, or its file, by path (relative paths from the working directory) or
   * by `file:` URL (`new URL('./model.onnx', import.meta.url)`).
   */
  model: Uint8Array | string | URL
  /** Weights of the built-in heads that score what the model has not (yet) scored. @defaultValue DEFAULT_WEIGHTS */
  weights?: OptionalKeys<HeadWeights> | undefined
  /** Inference threads inside the worker (an integer, 1 to 16). @defaultValue 1 */
  threads?: number | undefined
  /** Answers older than this many ticks are not used (the heads score instead); an integer, 0 to 1e6. @defaultValue 10 */
  maxStaleTicks?: number | undefined
  /** A request unanswered for this long (ms, > 0, up to 1e9) counts as a hang: the worker is restarted. @defaultValue 2000 */
  hangTimeoutMs?: number | undefined
  /**
   * Receives failures and recoveries, one line each: each kind of failure once per episode, and the
   * `recovered` that ends the episode only after the model served every tick for
   * `10 * maxStaleTicks` ticks (at least 20), so a model that is steadily about `maxStaleTicks`
   * late reports `stale` once instead of alternating with `recovered`. Nothing after `dispose()`.
   * @defaultValue console.warn
   */
  onEvent?: ((event: LearnedScorerEvent) => void) | undefined
  /** The worker script (tests substitute one). @defaultValue the package's own worker */
  workerUrl?: URL | undefined
  /**
   * Offline replay only (benchmarks, training tools), never in a room: each tick first waits for the
   * answer to the previous tick's rows, so a replay is deterministic. @defaultValue false
   */
  lockstep?: boolean | undefined
  /**
   * Temporal smoothing of the model's scores, per tick, in [0, 0.95]: each answer's score of a pair
   * is `w * previous + (1 - w) * new` with `w = smoothing ^ ticks`, where `previous` is that pair's
   * smoothed score in the worker's previous answer and `ticks` the ticks between the two requests
   * (a pair the previous answer did not have, or a recycled id, takes the new score). Model scores
   * flicker more than the heads' from tick to tick, and every flicker across the set's edge is an
   * enter and an exit the client pays for; see docs/learned-attention.md. 0 uses each answer as it is.
   * @defaultValue 0.75
   */
  smoothing?: number | undefined
  /**
   * Serve the model's answers as corrections to this tick's heads: a pair scores the built-in
   * heads' score of this tick's row (with `weights`) plus what the model added to the heads' score
   * of the row it answered. An answer is a tick or more old when it is served; the correction ages,
   * the heads' part does not (a fast pair is scored where it is, not where it was), and `smoothing`
   * smooths the corrections alone. false serves the model's scores as they are.
   * @defaultValue true
   */
  residual?: boolean | undefined
  /**
   * The reach guard, in seconds: an answer may not score a pair below the heads' score of its row
   * when the candidate could reach the observer within this many seconds at the fastest speed it
   * has been seen moving at (the worker keeps that speed per entity, from the requests). A model
   * learns how often a kind of candidate interacts and lowers one that seldom does, such as a rider
   * trotting near an enemy player: how fast it can close in is not in its row. The model may still
   * raise such a pair. 0 turns the guard off.
   * @defaultValue 1 (the window the shipped model is trained on: an interaction within the next second)
   */
  reachSeconds?: number | undefined
}

/** A failure or recovery of the learned scorer, reported once per episode, not per tick (see OnnxScorerOptions.onEvent). */
export interface LearnedScorerEvent {
  /** What happened: the model threw or failed to load, hung, returned garbage, answered too late, or answers again. */
  kind: 'error' | 'hang' | 'garbage' | 'stale' | 'recovered'
  /** A one-line description (what was expected and what was found): no line breaks. */
  message: string
}

/** What the learned scorer did so far. */
export interface LearnedScorerStats {
  /** Batches sent to the worker. */
  requests: number
  /** Valid answers received. */
  answers: number
  /** Failures seen (each counted; reported once per episode). */
  failures: number
  /**
   * Rows the model scored on the last tick: on a request tick one per candidate, on the other
   * ticks only the rows written (a candidate scoring below its observer's K-th-score hint gets none).
   */
  modelRows: number
  /** Rows the heads scored on the last tick (pairs the model has not seen, or all of them while it fails), counted as `modelRows`. */
  fallbackRows: number
  /** Inference time of the last answer, in ms (worker thread). */
  lastInferenceMs: number
  /** Rows per second of inference over the answers so far (worker time only). */
  rowsPerSecond: number
  /** Rows of the last answer the reach guard kept from going below the heads' score (OnnxScorerOptions.reachSeconds). */
  guardedRows: number
  /** null when serving from the model, else the kind of the current failure (current even while its reports are held back). */
  degraded: LearnedScorerEvent['kind'] | null
}

/**
 * The learned scorer: an {@link AttentionScorer} backed by an ONNX model in a worker thread. It
 * serves one attention system at a time (its `pairScores` keep that system's answers): a second
 * `createAttentionSystem` with it throws until the first is disposed. The system's `dispose()`
 * does not dispose the scorer: a next system may take it over (it starts from none of the previous
 * system's answers), and the scorer's own `dispose()` stops its worker. @experimental
 */
export interface OnnxScorer extends AttentionScorer {
  pairScores: PairScores
  explainScore(observer: number, entity: number): ExplainedScore | null
  /** Counters and the current state. */
  stats(): LearnedScorerStats
  /** Resolves once no request is in flight (or after `timeoutMs`): lets a benchmark leave the worker time between ticks. */
  settle(timeoutMs?: number): Promise<boolean>
  /** Stops the worker; ticks after it score on the heads and report nothing, and `createAttentionSystem` refuses the scorer. */
  dispose(): Promise<void>
}

/** One side of the double buffer: a request's shared arrays and, once answered, its scores. */
interface Slot {
  arrays: SlotArrays
  /** Bumped when the arrays are replaced (the worker learns them from a message). */
  version: number
  /** Generation of every entity id when the rows were taken (stays on this thread). */
  gen: Uint32Array
  observerCount: number
  rows: number
  tick: number
  /** The request number it went out as. */
  request: number
}

const PREFIX = 'colyseus-attention/learned'

/** The onnxruntime-web version the scorer is tested with: plugin/package.json's devDependency (a test keeps them equal). */
const ORT_VERSION = '1.30.0'

/** `text` on one line: warnings and errors are one line each, whatever the model's runtime wrote. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim()

/** What a failed worker's error says to a user: the missing optional peer gets the command that installs it. */
function workerFailure(e: Error & { code?: unknown }): string {
  if (e.code === 'ERR_MODULE_NOT_FOUND' && /onnxruntime-web/.test(e.message)) {
    return `onnxruntime-web, the learned scorer's optional peer dependency, is not installed: npm i -E onnxruntime-web@${ORT_VERSION} (${oneLine(e.message)})`
  }
  return oneLine(e.message)
}

/** Reads the model file, or throws an error that names it (a relative path resolved too: it is read from the working directory). */
async function readModel(path: string): Promise<Uint8Array> {
  const name = isAbsolute(path) ? path : `${path} (resolved: ${resolve(path)})`
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(path))
  } catch (e) {
    const err = e as Error & { code?: unknown }
    const why = err.code === 'ENOENT' ? 'no such file' : oneLine(err.message)
    throw new Error(`${PREFIX}: could not read the model file ${name}: ${why}`, { cause: e })
  }
  if (bytes.length === 0) throw new Error(`${PREFIX}: the model file ${name} is empty (0 bytes)`)
  return bytes
}

/** OnnxScorerOptions.model as bytes: read from its file (a path or a `file:` URL), or as given; anything else throws, saying what was given. */
async function modelBytes(model: unknown): Promise<Uint8Array> {
  if (typeof model === 'string' && model !== '') return readModel(model)
  if (model instanceof URL && model.protocol === 'file:') {
    let path: string
    try {
      path = fileURLToPath(model)
    } catch (e) {
      throw new TypeError(`${PREFIX}: model: the file: URL ${model.href} names no file on this machine (${oneLine((e as Error).message)})`, { cause: e })
    }
    return readModel(path)
  }
  if (model instanceof Uint8Array && model.length > 0) return model
  const must = `${PREFIX}: model must be ONNX bytes (a Uint8Array) or a path to an .onnx file (a string or a file: URL); got`
  if (model instanceof Uint8Array) throw new TypeError(`${must} an empty ${model.constructor.name} (0 bytes)`)
  if (model instanceof ArrayBuffer || model instanceof SharedArrayBuffer) {
    const kind = model instanceof ArrayBuffer ? 'an ArrayBuffer' : 'a SharedArrayBuffer'
    throw new TypeError(`${must} ${kind} (${model.byteLength} bytes): wrap it in new Uint8Array(buffer)`)
  }
  if (model instanceof URL) {
    throw new TypeError(`${must} the URL ${model.href}: only a file: URL is read; fetch the model yourself and pass its bytes, new Uint8Array(await response.arrayBuffer())`)
  }
  throw new TypeError(`${must} ${describeGiven(model)}`)
}

/**
 * Default of OnnxScorerOptions.smoothing: chosen on the training seeds of the built-in families,
 * after 0.5, 0.75 and 0.9 had first been tried on battle's test seed (disclosed in
 * docs/learned-attention.md, "Equal bytes, both ways, and smoothing").
 */
const DEFAULT_SMOOTHING = 0.75

/**
 * Default of OnnxScorerOptions.reachSeconds: the shipped model's own window (it is trained to
 * predict an interaction within the next second), not fitted to a recording; 0.5 and 2 measured in
 * docs/learned-attention.md, "The reach guard".
 */
const DEFAULT_REACH_SECONDS = 1

/** Ticks the model must serve in a row, per tick of maxStaleTicks, before a failure episode ends with `recovered` (at least MIN_RECOVERY_TICKS). */
const RECOVERY_PER_STALE_TICK = 10
const MIN_RECOVERY_TICKS = 20

/** Bits of `LearnedScorerEvent['kind']` reported in the current episode. */
const KIND_BIT = { error: 1, hang: 2, garbage: 4, stale: 8, recovered: 0 } as const

function defaultWorker(): { url: URL | string; eval: boolean } {
  const here = import.meta.url
  // built: dist/learned.js (or .cjs) next to dist/learned-worker.js
  const js = new URL('./learned-worker.js', here)
  if (existsSync(fileURLToPath(js))) return { url: js, eval: false }
  // running from the TypeScript sources (tests, benches): load the worker through tsx
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const ts = new URL('./worker.ts', here).href
  return { url: `import(${JSON.stringify(tsx)}).then((a) => a.register()).then(() => import(${JSON.stringify(ts)}))`, eval: true }
}

const shared = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(Math.max(4, bytes))

function newSlot(rows: number, observers: number, capacity: number, version: number): Slot {
  return {
    arrays: {
      features: new Float32Array(shared(rows * FEATURE_COUNT * 4)),
      rowEid: new Uint32Array(shared(rows * 4)),
      observers: new Uint32Array(shared(observers * 4)),
      observerStart: new Int32Array(shared((observers + 1) * 4)),
      state: new Float32Array(shared(capacity * STATE_SECTIONS * 4)),
      scores: new Float32Array(shared(rows * 4)),
      meta: new Float64Array(shared(Meta.Size * 8)),
    },
    version,
    gen: new Uint32Array(capacity),
    observerCount: 0,
    rows: 0,
    tick: -1,
    request: 0,
  }
}

// counters (a typed array: plugin/src/ecs/PERFORMANCE.md, "doubles in closures")
const REQUESTS = 0
const ANSWERS = 1
const FAILURES = 2
const MODEL_ROWS = 3
const FALLBACK_ROWS = 4
const LAST_MS = 5
const INFER_ROWS = 6
const INFER_MS = 7
const GUARDED_ROWS = 8

// Every option by name: a misspelt one fails at creation instead of being ignored (the Record type keeps the list complete).
const OPTION_KEYS: Record<keyof OnnxScorerOptions, true> = {
  model: true, weights: true, threads: true, maxStaleTicks: true, hangTimeoutMs: true, onEvent: true, workerUrl: true, lockstep: true, smoothing: true, residual: true, reachSeconds: true,
}

/**
 * Creates the learned scorer: loads the model in a worker thread, checks that it fits (input and
 * output names and shapes; an error says what was expected and what was found) and resolves once
 * it answered a test batch. Pass it as `scorer` to `createAttentionSystem`.
 * @param options - the model and the fail-safe tuning.
 * @returns the scorer; `dispose()` it with the room.
 * @example
 * const scorer = await createOnnxScorer({ model: defaultModelPath() })
 * const attention = createAttentionSystem(world, { components: C, scorer })
 */
export async function createOnnxScorer(options: OnnxScorerOptions): Promise<OnnxScorer> {
  checkObject('createOnnxScorer', options)
  checkKeys('createOnnxScorer', options, Object.keys(OPTION_KEYS))
  if (options.weights !== undefined) {
    checkObject('createOnnxScorer', options.weights, 'weights')
    checkKeys('createOnnxScorer', options.weights, HEAD_NAMES, 'weights')
  }
  if (options.onEvent !== undefined) checkKind('onEvent', options.onEvent, 'function')
  if (options.lockstep !== undefined) checkKind('lockstep', options.lockstep, 'boolean')
  if (options.residual !== undefined) checkKind('residual', options.residual, 'boolean')
  const residual = options.residual ?? true
  if (options.workerUrl !== undefined && !(options.workerUrl instanceof URL)) {
    throw new TypeError(`${PREFIX}: workerUrl must be a URL (new URL(...)); got ${describeGiven(options.workerUrl)}`)
  }
  const threads = options.threads ?? 1
  const maxStale = options.maxStaleTicks ?? 10
  const hangMs = options.hangTimeoutMs ?? 2000
  checkInteger('threads', threads, 1, 16)
  checkInteger('maxStaleTicks', maxStale, 0, 1e6)
  checkRange('hangTimeoutMs', hangMs, 0, 1e9, true)
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING
  checkRange('smoothing', smoothing, 0, 0.95)
  const reachSeconds = options.reachSeconds ?? DEFAULT_REACH_SECONDS
  checkRange('reachSeconds', reachSeconds, 0, 1e6)
  const model = await modelBytes(options.model)
  const modelName = typeof options.model === 'string' ? options.model : options.model instanceof URL ? fileURLToPath(options.model) : `the ${model.length} bytes given`
  const weights = definedOver(DEFAULT_WEIGHTS, options.weights)
  const heads = createHeadScorer(weights)
  const onEvent = options.onEvent ?? ((e: LearnedScorerEvent) => console.warn(`${PREFIX}: ${e.message}`))
  const where = options.workerUrl !== undefined ? { url: options.workerUrl, eval: false } : defaultWorker()
  const lockstep = options.lockstep ?? false

  let worker: Worker | null = null
  // one control block per worker: a replaced worker cannot disturb its successor's
  let control = new Int32Array(shared(Control.Size * 4))
  let ready = false
  let disposed = false
  // slots[current] holds the answer in use; the other one is free or in flight
  const slots: Slot[] = [newSlot(1024, 64, 0, 1), newSlot(1024, 64, 0, 1)]
  let current = -1
  let inFlight = -1
  // this tick's request slot (-1: none), and whether the answer in use is fresh enough to serve
  let recording = -1
  let usable = false
  let nextRequest = 0
  // after a system took the scorer over (attach): the request in flight is the previous system's,
  // dropped once answered, and the next request restarts the worker's smoothing
  let orphaned = false
  let restartNext = false
  const counters = new Float64Array(9)
  let degraded: LearnedScorerEvent['kind'] | null = null
  let failedRequest = -1
  let failedText = ''
  // the episode's reports: KIND_BIT of each kind reported since the last `recovered`, and the tick
  // since which every tick served the model's answer (-1: it did not serve the last tick)
  let reported = 0
  let servingSince = -1
  const recoveryTicks = Math.max(MIN_RECOVERY_TICKS, RECOVERY_PER_STALE_TICK * maxStale)

  // per-entity lookups of the answer in use, sized at the first tick (stamps, not Sets)
  let obsIndex = new Int32Array(0)
  let obsStamp = new Uint32Array(0)
  let answerVersion = 0
  let generation: Uint32Array = new Uint32Array(0)

  /** Counts a failure; true when its kind was not reported yet in this episode (then report it). */
  const failing = (kind: LearnedScorerEvent['kind']): boolean => {
    counters[FAILURES] = counters[FAILURES]! + 1
    degraded = kind
    if ((reported & KIND_BIT[kind]) !== 0 || disposed) return false
    reported |= KIND_BIT[kind]
    return true
  }
  const report = (kind: LearnedScorerEvent['kind'], message: string): void => {
    onEvent({ kind, message: `${oneLine(message)}; the built-in heads score until it answers again` })
  }
  /** Once the model serves again (the report waits: see `served`). */
  const recovered = (): void => {
    degraded = null
  }
  /** Called every tick: ends a reported episode once the model has served `recoveryTicks` ticks in a row. */
  const served = (tick: number, serving: boolean): void => {
    if (!serving) servingSince = -1
    else if (servingSince === -1) servingSince = tick
    else if (reported !== 0 && tick - servingSince >= recoveryTicks && !disposed) {
      reported = 0
      onEvent({ kind: 'recovered', message: `the model answers again (served ${recoveryTicks} ticks in a row)` })
    }
  }

  const indexAnswer = (s: Slot): void => {
    if (obsIndex.length === 0) return
    if (answerVersion >= 0x3fffffff) {
      obsStamp.fill(0)
      answerVersion = 0
    }
    answerVersion++
    const obs = s.arrays.observers
    for (let i = 0; i < s.observerCount; i++) {
      const o = obs[i]!
      if (o < obsIndex.length) {
        obsIndex[o] = i
        obsStamp[o] = answerVersion
      }
    }
  }

  /** The worker answered the request in flight: check the answer and serve from it. */
  const adopt = (): void => {
    const k = inFlight
    const s = slots[k]!
    inFlight = -1
    if (Atomics.load(control, Control.Status) === AnswerStatus.Failed) {
      current = -1
      if (failing('error')) report('error', `the model threw${failedRequest === s.request ? `: ${failedText}` : ''}`)
      return
    }
    const sc = s.arrays.scores
    for (let r = 0; r < s.rows; r++) {
      const v = sc[r]!
      if (!(v >= -1e6 && v <= 1e6)) {
        current = -1
        if (failing('garbage')) report('garbage', `the model returned ${v} (row ${r} of ${s.rows}); scores must be finite, within +-1e6`)
        return
      }
    }
    const ms = s.arrays.meta[Meta.Ms]!
    counters[ANSWERS] = counters[ANSWERS]! + 1
    counters[LAST_MS] = ms
    counters[GUARDED_ROWS] = s.arrays.meta[Meta.Guarded]!
    counters[INFER_ROWS] = counters[INFER_ROWS]! + s.rows
    counters[INFER_MS] = counters[INFER_MS]! + ms
    current = k
    indexAnswer(s)
    if (degraded !== null && degraded !== 'stale') recovered()
  }

  /**
   * Starts a worker and resolves once it loaded the model. The worker never keeps the process alive
   * once it serves (a room that is not disposed does not hold the process open); while the first one
   * loads it does, so that `await createOnnxScorer(...)` at a module's top level is not cut short.
   * @param background - a replacement (restart): not even while it loads.
   */
  const start = (background: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      ready = false
      control = new Int32Array(shared(Control.Size * 4))
      const w = new Worker(where.url, { eval: where.eval })
      worker = w
      let pending: ((err: Error | null) => void) | null = (err) => {
        pending = null
        if (err === null) resolve()
        else reject(err)
      }
      /** The worker died (an error, or an exit nobody asked for): fail the start, or report and replace it. */
      const died = (startFailure: string, crash: string): void => {
        worker = null
        drop()
        if (pending !== null) pending(new Error(`${PREFIX}: ${startFailure}`))
        else {
          if (failing('error')) report('error', crash)
          setTimeout(() => worker === null && restart(), 1000).unref()
        }
      }
      // a 'message' listener re-refs a worker that was unref()ed before it: unref() after the listeners
      w.on('message', (m: FromWorker) => {
        if (worker !== w) return
        if (m.type === 'ready') {
          ready = true
          w.unref()
          pending?.(null)
        } else if (m.type === 'invalid') {
          const what = m.reason === 'parse' ? `the model (${modelName}) could not be parsed as ONNX: ${oneLine(m.message)}` : `the model does not fit: ${oneLine(m.message)}`
          if (pending !== null) pending(m.reason === 'parse' ? new Error(`${PREFIX}: ${what}`) : new RangeError(`${PREFIX}: ${what}`))
          else if (failing('error')) report('error', `the model failed to load again: ${what}`)
        } else {
          failedRequest = m.request
          failedText = m.message
        }
      })
      w.on('error', (e) => {
        if (worker !== w) return
        died(`the inference worker failed: ${workerFailure(e)}`, `the inference worker crashed: ${workerFailure(e)}`)
      })
      // after an error, or after terminate() (worker is no longer w then), this is not news
      w.on('exit', (code) => {
        if (worker !== w) return
        died(`the inference worker exited with code ${code} before it was ready`, `the inference worker exited with code ${code}`)
      })
      if (background) w.unref()
      const init: ToWorker = { type: 'init', model, threads, smoothing, headWeights: Array.from(weightVector(weights)), residual, reachSeconds, width: INPUT_WIDTH, control, slots: slots.map((s) => s.arrays), versions: slots.map((s) => s.version) }
      w.postMessage(init)
    })

  /** Forgets the request in flight: its slot gets new buffers (the old worker may still write into its own). */
  const drop = (): void => {
    if (inFlight !== -1) {
      const a = slots[inFlight]!
      slots[inFlight] = newSlot(a.arrays.rowEid.length, Math.max(64, a.arrays.observers.length), a.gen.length, a.version + 1)
      inFlight = -1
    }
    orphaned = false
    current = -1
  }

  const restart = (): void => {
    const old = worker
    worker = null
    ready = false
    drop()
    void old?.terminate()
    if (disposed) return
    start(true).catch((e: Error) => {
      if (failing('error')) report('error', e.message.replace(`${PREFIX}: `, ''))
    })
  }

  await start(false).catch(async (e: unknown) => {
    const w = worker as Worker | null
    worker = null
    await w?.terminate()
    throw e
  })

  const ensureLookups = (cap: number): void => {
    if (obsIndex.length >= cap) return
    obsIndex = new Int32Array(cap)
    obsStamp = new Uint32Array(cap)
    if (current !== -1) indexAnswer(slots[current]!)
  }

  /** Offline replay: blocks until the request in flight is answered (or for the hang timeout). */
  const waitForAnswer = (): void => {
    const ctl = control
    const want = slots[inFlight]!.request
    for (;;) {
      const seen = Atomics.load(ctl, Control.Answer)
      if (seen === want || Atomics.wait(ctl, Control.Answer, seen, hangMs) === 'timed-out') return
    }
  }

  // The hang watchdog, between ticks (a clock read in the tick would allocate): a request still in
  // flight at every check over hangMs has hung, and its worker is replaced.
  const every = Math.max(5, hangMs / 4)
  let watched = 0
  let watchedFor = 0
  const watchdog = setInterval(() => {
    // answered but not adopted yet (no tick since, e.g. a paused room) is not a hang
    if (disposed || worker === null || inFlight === -1 || Atomics.load(control, Control.Answer) === slots[inFlight]!.request) {
      watched = 0
      return
    }
    const r = slots[inFlight]!.request
    if (r !== watched) {
      watched = r
      watchedFor = 0
    } else if ((watchedFor += every) >= hangMs) {
      watched = 0
      if (failing('hang')) report('hang', `the model did not answer within ${hangMs} ms; restarting its worker`)
      restart()
    }
  }, every)
  watchdog.unref()

  /** Fills the tick's request slot (the engine wrote the features into it, unless they spilled) and signals the worker. */
  const send = (batch: ScorerBatch): void => {
    const k = recording
    let s = slots[k]!
    const rows = batch.rows
    const n = batch.observerCount
    const cap = batch.components.capacity
    if (s.arrays.rowEid.length < rows || s.arrays.observers.length < n || s.gen.length !== cap) {
      // outgrown (allocates; rare): new shared buffers, announced to the worker before the request
      let r = Math.max(1024, s.arrays.rowEid.length)
      while (r < rows * 1.25) r *= 2
      let o = Math.max(64, s.arrays.observers.length)
      while (o < n) o *= 2
      s = slots[k] = newSlot(r, o, cap, s.version + 1)
      const m: ToWorker = { type: 'slot', index: k, version: s.version, arrays: s.arrays }
      worker!.postMessage(m)
    }
    const a = s.arrays
    // rows that did not fit the slot went to the engine's scratch (allocates a view; rare)
    if (batch.features !== a.features) a.features.set(batch.features.subarray(0, rows * FEATURE_COUNT))
    // plain loops: a subarray view would allocate every tick
    const ids = batch.rowEid
    const dst = a.rowEid
    for (let r = 0; r < rows; r++) dst[r] = ids[r]!
    for (let i = 0; i < n; i++) a.observers[i] = batch.observers[i]!
    for (let i = 0; i <= n; i++) a.observerStart[i] = batch.observerStart[i]!
    const c = batch.components
    const st = a.state
    st.set(c.Position.x, 0)
    st.set(c.Position.y, cap)
    st.set(c.Velocity.x, 2 * cap)
    st.set(c.Velocity.y, 3 * cap)
    st.set(c.Facing.x, 4 * cap)
    st.set(c.Facing.y, 5 * cap)
    st.set(c.Observer.radius, 6 * cap)
    // generations (exact in float32 up to 2^24): the worker's smoothing tells a recycled id from the entity it scored before
    st.set(batch.generation, 7 * cap)
    a.meta[Meta.Rows] = rows
    a.meta[Meta.Observers] = n
    a.meta[Meta.SpeedScale] = batch.speedScale
    a.meta[Meta.Tick] = batch.tick
    a.meta[Meta.Restart] = restartNext ? 1 : 0
    restartNext = false
    s.gen.set(batch.generation)
    s.observerCount = n
    s.rows = rows
    s.tick = batch.tick
    nextRequest = nextRequest >= 0x3fffffff ? 1 : nextRequest + 1
    s.request = nextRequest
    // plain writes, published by the atomic store after them
    control[Control.Slot] = k
    control[Control.Version] = s.version
    Atomics.store(control, Control.Request, nextRequest)
    Atomics.notify(control, Control.Request)
    inFlight = k
    counters[REQUESTS] = counters[REQUESTS]! + 1
  }

  const pairScores: PairScores = {
    headWeights: weightVector(weights),
    residual,
    attach() {
      // no worker to answer: refused at the system's creation rather than serving it on the heads unsaid
      if (disposed) throw new Error(`${PREFIX}: this scorer was disposed: create a new one with createOnnxScorer`)
      // a system takes the scorer (the first, or one after a disposed one): what it kept is the
      // previous system's, whose ids name other entities in this system's world
      current = -1
      usable = false
      recording = -1
      if (inFlight !== -1) orphaned = true
      restartNext = true
    },
    begin(batch) {
      ensureLookups(batch.components.capacity)
      generation = batch.generation
      if (inFlight !== -1) {
        // offline replay: wait for the previous tick's answer (or the hang timeout)
        if (lockstep) waitForAnswer()
        // a plain read polls (an Atomics call per tick allocates now and then); the atomic one
        // confirms, ordering the worker's writes of the scores before ours
        const want = slots[inFlight]!.request
        if (control[Control.Answer] === want && Atomics.load(control, Control.Answer) === want) {
          if (!orphaned) adopt()
          else {
            // the previous system's rows: their ids name other entities in this world
            inFlight = -1
            orphaned = false
          }
        }
      }
      usable = false
      if (current !== -1) {
        const age = batch.tick - slots[current]!.tick
        if (age <= maxStale) {
          usable = true
          if (degraded === 'stale') recovered()
        } else if (failing('stale')) report('stale', `the model's last answer is ${age} ticks old (more than maxStaleTicks ${maxStale})`)
      }
      served(batch.tick, usable)
      recording = ready && inFlight === -1 && worker !== null ? (current === 0 ? 1 : 0) : -1
      return recording === -1 ? null : slots[recording]!.arrays.features
    },
    load(o, mark, stamp, score) {
      if (!usable || obsStamp[o] !== answerVersion) return false
      const s = slots[current]!
      const j = obsIndex[o]!
      const ids = s.arrays.rowEid
      const starts = s.arrays.observerStart
      const sc = s.arrays.scores
      const then = s.gen
      const now = generation
      const end = starts[j + 1]!
      for (let r = starts[j]!; r < end; r++) {
        const e = ids[r]!
        // the same entity as when the model saw it, not a recycled id
        if (then[e] === now[e]) {
          stamp[e] = mark
          score[e] = sc[r]!
        }
      }
      return true
    },
    end(batch, scored) {
      counters[MODEL_ROWS] = scored
      counters[FALLBACK_ROWS] = batch.rows - scored
      if (recording !== -1 && batch.rows > 0 && worker !== null && ready) send(batch)
      recording = -1
    },
  }

  const scorer: OnnxScorer = {
    score(features, rows, out) {
      heads.score(features, rows, out)
    },
    pairScores,
    explainScore(o, e) {
      if (current === -1 || o >= obsStamp.length || obsStamp[o] !== answerVersion) return null
      const s = slots[current]!
      const j = obsIndex[o]!
      const starts = s.arrays.observerStart
      // with `residual`, the answer is what the model added to the heads' score (the explained row's
      // score is this tick's heads plus it)
      for (let r = starts[j]!; r < starts[j + 1]!; r++) if (s.arrays.rowEid[r] === e) return { score: s.arrays.scores[r]!, source: residual ? 'model correction' : 'model' }
      return null
    },
    stats: () => ({
      requests: counters[REQUESTS]!,
      answers: counters[ANSWERS]!,
      failures: counters[FAILURES]!,
      modelRows: counters[MODEL_ROWS]!,
      fallbackRows: counters[FALLBACK_ROWS]!,
      lastInferenceMs: counters[LAST_MS]!,
      rowsPerSecond: counters[INFER_MS]! > 0 ? (counters[INFER_ROWS]! / counters[INFER_MS]!) * 1000 : 0,
      guardedRows: counters[GUARDED_ROWS]!,
      degraded,
    }),
    async settle(timeoutMs = hangMs) {
      const deadline = performance.now() + timeoutMs
      while (inFlight !== -1) {
        const ctl = control
        const seen = Atomics.load(ctl, Control.Answer)
        if (seen === slots[inFlight]!.request) return true
        const left = deadline - performance.now()
        if (left <= 0) return false
        const w = waitAsync(ctl, Control.Answer, seen, left)
        if (!w.async) continue
        // a pending Atomics.waitAsync does not keep the process alive, and the worker does not either
        const alive = setTimeout(() => {}, left)
        await w.value
        clearTimeout(alive)
      }
      return true
    },
    async dispose() {
      disposed = true
      clearInterval(watchdog)
      const w = worker as Worker | null
      worker = null
      // later ticks (a room may tick once more) score on the heads and report nothing
      current = -1
      inFlight = -1
      await w?.terminate()
    },
  }
  return scorer
}
