// Owns: the learned scorer on the room's thread. Double buffering: tick t sends its rows to the
// inference worker and scores with the answer to an earlier tick's rows (t-1 when the worker keeps
// up); pairs that answer does not cover, and every row while the model is failing, get the built-in
// heads. The tick never waits for the worker. See docs/learned-attention.md.
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { createHeadScorer, DEFAULT_WEIGHTS, FEATURE_COUNT, scoreRow, weightVector } from '../ecs/heads'
import type { HeadWeights } from '../ecs/heads'
import type { AttentionScorer, ExplainedScore, ScorerBatch } from '../ecs/types'
import { checkInteger, checkRange } from '../ecs/validate'
import type { FromWorker, RunArrays, ToWorker } from './messages'
import { INPUT_WIDTH } from './model-inputs'

/** Options of {@link createOnnxScorer}. */
export interface OnnxScorerOptions {
  /** The ONNX model: its bytes, or a file path. */
  model: Uint8Array | string
  /** Weights of the built-in heads that score what the model has not (yet) scored. @defaultValue DEFAULT_WEIGHTS */
  weights?: Partial<HeadWeights>
  /** Inference threads inside the worker. @defaultValue 1 */
  threads?: number
  /** Answers older than this many ticks are not used (the heads score instead). @defaultValue 10 */
  maxStaleTicks?: number
  /** A request unanswered for this long counts as a hang: the worker is restarted. @defaultValue 2000 */
  hangTimeoutMs?: number
  /** Receives failures (once per episode) and recoveries. @defaultValue console.warn */
  onEvent?: (event: LearnedScorerEvent) => void
  /** The worker script (tests substitute one). @defaultValue the package's own worker */
  workerUrl?: URL
  /**
   * Offline replay only (benchmarks, training tools), never in a room: each tick first waits for the
   * answer to the previous tick's rows, so a replay is deterministic. @defaultValue false
   */
  lockstep?: boolean
}

/** A failure or recovery of the learned scorer, reported once per episode, not per tick. */
export interface LearnedScorerEvent {
  /** What happened: the model threw or failed to load, hung, returned garbage, answered too late, or answers again. */
  kind: 'error' | 'hang' | 'garbage' | 'stale' | 'recovered'
  /** A one-line description (what was expected and what was found). */
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
  /** Rows the model scored on the last tick. */
  modelRows: number
  /** Rows the heads scored on the last tick (pairs the model has not seen, or all of them while it fails). */
  fallbackRows: number
  /** Inference time of the last answer, in ms (worker thread). */
  lastInferenceMs: number
  /** Rows per second of inference over the answers so far (worker time only). */
  rowsPerSecond: number
  /** null when serving from the model, else the kind of the current failure. */
  degraded: LearnedScorerEvent['kind'] | null
}

/** The learned scorer: an {@link AttentionScorer} backed by an ONNX model in a worker thread. @experimental */
export interface OnnxScorer extends AttentionScorer {
  scoreBatch(batch: ScorerBatch, out: Float32Array): void
  explainScore(observer: number, entity: number): ExplainedScore | null
  /** Counters and the current state. */
  stats(): LearnedScorerStats
  /** Resolves once no request is in flight (or after `timeoutMs`): lets a benchmark leave the worker time between ticks. */
  settle(timeoutMs?: number): Promise<boolean>
  /** Stops the worker. */
  dispose(): Promise<void>
}

/** One side of the double buffer: a request's arrays (away in the worker while in flight) and its answer. */
interface Slot {
  arrays: RunArrays
  /** Generation of every entity id when the rows were taken (stays on this thread). */
  gen: Uint32Array
  observerCount: number
  /** Rows the arrays hold. */
  rowCap: number
  rows: number
  tick: number
  scores: Float32Array
}

const PREFIX = 'colyseus-attention/learned'

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

function newSlot(rows: number, observers: number, capacity: number): Slot {
  return {
    arrays: {
      features: new Float32Array(rows * FEATURE_COUNT),
      rowEid: new Uint32Array(rows),
      observers: new Uint32Array(observers),
      observerStart: new Int32Array(observers + 1),
      state: new Float32Array(capacity * 7),
      capacity,
      speedScale: 1,
    },
    gen: new Uint32Array(capacity),
    observerCount: 0,
    rowCap: rows,
    rows: 0,
    tick: -1,
    scores: new Float32Array(rows),
  }
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
  const threads = options.threads ?? 1
  const maxStale = options.maxStaleTicks ?? 10
  const hangMs = options.hangTimeoutMs ?? 2000
  checkInteger('threads', threads, 1, 16)
  checkInteger('maxStaleTicks', maxStale, 0, 1e6)
  checkRange('hangTimeoutMs', hangMs, 0, 1e9, true)
  const model = typeof options.model === 'string' ? new Uint8Array(await readFile(options.model)) : options.model
  if (!(model instanceof Uint8Array) || model.length === 0) throw new TypeError(`${PREFIX}: model must be ONNX bytes or a path to an .onnx file`)
  const heads = createHeadScorer({ ...DEFAULT_WEIGHTS, ...options.weights })
  const onEvent = options.onEvent ?? ((e: LearnedScorerEvent) => console.warn(`${PREFIX}: ${e.message}`))
  const where = options.workerUrl !== undefined ? { url: options.workerUrl, eval: false } : defaultWorker()

  const lockstep = options.lockstep ?? false
  let replyPort: MessagePort | null = null
  const signal = new Int32Array(new SharedArrayBuffer(4))
  let settled: (() => void) | null = null
  let worker: Worker | null = null
  let ready = false
  let disposed = false
  // slots[current] holds the answer in use; the other one is free or in flight
  const slots: Slot[] = [newSlot(1024, 64, 0), newSlot(1024, 64, 0)]
  let current = -1
  let inFlight = -1
  let sentAt = 0
  let nextId = 1
  let restartAt = 0
  const stats: LearnedScorerStats = { requests: 0, answers: 0, failures: 0, modelRows: 0, fallbackRows: 0, lastInferenceMs: 0, rowsPerSecond: 0, degraded: null }
  let inferRows = 0
  let inferMs = 0

  // per-entity lookups of the answer in use, sized at the first batch (stamps, not Sets)
  let obsIndex = new Int32Array(0)
  let obsStamp = new Uint32Array(0)
  let candStamp = new Uint32Array(0)
  let candScore = new Float32Array(0)
  let answerVersion = 0
  let stamp = 0

  const fail = (kind: LearnedScorerEvent['kind'], message: string): void => {
    stats.failures++
    if (stats.degraded === kind) return
    stats.degraded = kind
    onEvent({ kind, message: `${message}; the built-in heads score until it answers again` })
  }

  const indexAnswer = (s: Slot): void => {
    if (obsIndex.length === 0) return
    answerVersion++
    for (let i = 0; i < s.observerCount; i++) {
      const o = s.arrays.observers[i]!
      if (o < obsIndex.length) {
        obsIndex[o] = i
        obsStamp[o] = answerVersion
      }
    }
  }

  const onMessage = (m: FromWorker, resolveInit: ((err: Error | null) => void) | null): void => {
    if (m.type === 'ready') {
      ready = true
      resolveInit?.(null)
      return
    }
    if (m.type === 'invalid') {
      resolveInit?.(new RangeError(`${PREFIX}: the model does not fit: ${m.message}`))
      if (resolveInit === null) fail('error', `the model failed to load again: ${m.message}`)
      return
    }
    if (inFlight === -1) return
    settled?.()
    settled = null
    const s = slots[inFlight]!
    s.arrays = m.batch
    const slotIndex = inFlight
    inFlight = -1
    if (m.type === 'failed') {
      current = -1
      fail('error', `the model threw: ${m.message}`)
      return
    }
    const sc = m.scores
    for (let r = 0; r < s.rows; r++) {
      const v = sc[r]!
      if (!(v >= -1e6 && v <= 1e6)) {
        current = -1
        fail('garbage', `the model returned ${v} (row ${r} of ${s.rows}); scores must be finite, within +-1e6`)
        return
      }
    }
    s.scores = sc
    stats.answers++
    stats.lastInferenceMs = m.ms
    inferRows += s.rows
    inferMs += m.ms
    stats.rowsPerSecond = inferMs > 0 ? (inferRows / inferMs) * 1000 : 0
    current = slotIndex
    indexAnswer(s)
    if (stats.degraded !== null && stats.degraded !== 'stale') {
      stats.degraded = null
      onEvent({ kind: 'recovered', message: 'the model answers again' })
    }
  }

  const start = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      ready = false
      const w = new Worker(where.url, { eval: where.eval })
      w.unref()
      worker = w
      let pending: ((err: Error | null) => void) | null = (err) => {
        pending = null
        if (err === null) resolve()
        else reject(err)
      }
      w.on('message', (m: FromWorker) => {
        if (worker === w) onMessage(m, pending)
      })
      w.on('error', (e) => {
        if (worker !== w) return
        if (pending !== null) pending(new Error(`${PREFIX}: the inference worker failed: ${e.message}`))
        else fail('error', `the inference worker crashed: ${e.message}`)
        worker = null
        inFlight = -1
      })
      const init: ToWorker = { type: 'init', model, threads, width: INPUT_WIDTH }
      if (lockstep) {
        const ch = new MessageChannel()
        replyPort?.close()
        replyPort = ch.port1
        init.reply = ch.port2
        init.signal = signal
        w.postMessage(init, [ch.port2])
      } else w.postMessage(init)
    })

  const restart = (): void => {
    const old = worker
    worker = null
    ready = false
    if (inFlight !== -1) {
      // the transferred buffers went down with the worker
      const a = slots[inFlight]!
      slots[inFlight] = newSlot(a.rowCap, Math.max(64, a.observerCount), a.gen.length)
      inFlight = -1
    }
    current = -1
    void old?.terminate()
    if (disposed) return
    start().catch((e: Error) => fail('error', e.message))
  }

  await start().catch(async (e: unknown) => {
    const w = worker as Worker | null
    worker = null
    await w?.terminate()
    throw e
  })

  const ensureLookups = (cap: number): void => {
    if (obsIndex.length >= cap) return
    obsIndex = new Int32Array(cap)
    obsStamp = new Uint32Array(cap)
    candStamp = new Uint32Array(cap)
    candScore = new Float32Array(cap)
    if (current !== -1) indexAnswer(slots[current]!)
  }

  // the fallback heads' weights, in feature order (the head scorer's weighted sum, heads.ts)
  const hw = weightVector({ ...DEFAULT_WEIGHTS, ...options.weights })

  /**
   * Writes every row of `out`: the answer's score where it covers the pair, else the heads' (the
   * heads are computed only for the rows the model did not score). Returns the rows it scored.
   */
  const overlay = (batch: ScorerBatch, s: Slot, out: Float32Array): number => {
    const gen = batch.generation
    const f = batch.features
    const ids = s.arrays.rowEid
    const starts = s.arrays.observerStart
    const sc = s.scores
    let scored = 0
    for (let i = 0; i < batch.observerCount; i++) {
      const o = batch.observers[i]!
      const b0 = batch.observerStart[i]!
      const b1 = batch.observerStart[i + 1]!
      if (obsStamp[o] !== answerVersion) {
        for (let r = b0; r < b1; r++) scoreRow(hw, f, r * FEATURE_COUNT, out, r)
        continue
      }
      const j = obsIndex[o]!
      const a0 = starts[j]!
      const n = b1 - b0
      // fast path: the grid returns an observer's candidates in the same order from tick to tick
      // while nobody changes cell, so the answer's rows usually line up with this tick's
      let same = starts[j + 1]! - a0 === n
      for (let r = 0; same && r < n; r++) same = ids[a0 + r] === batch.rowEid[b0 + r]
      if (same) {
        for (let r = 0; r < n; r++) {
          const e = batch.rowEid[b0 + r]!
          // the same entity as when the model saw it, not a recycled id
          if (s.gen[e] === gen[e]) {
            out[b0 + r] = sc[a0 + r]!
            scored++
          } else scoreRow(hw, f, (b0 + r) * FEATURE_COUNT, out, b0 + r)
        }
        continue
      }
      if (stamp >= 0x3fffffff) {
        candStamp.fill(0)
        stamp = 0
      }
      const st = ++stamp
      for (let r = a0; r < starts[j + 1]!; r++) {
        const e = ids[r]!
        candStamp[e] = st
        candScore[e] = sc[r]!
      }
      for (let r = b0; r < b1; r++) {
        const e = batch.rowEid[r]!
        if (candStamp[e] === st && s.gen[e] === gen[e]) {
          out[r] = candScore[e]!
          scored++
        } else scoreRow(hw, f, r * FEATURE_COUNT, out, r)
      }
    }
    return scored
  }

  /** Copies the batch into the free slot and sends it to the worker (memcpy only: the worker derives the geometry). */
  const send = (batch: ScorerBatch, now: number): void => {
    const k = current === 0 ? 1 : 0
    let s = slots[k]!
    const cap = batch.components.capacity
    if (s.rowCap < batch.rows || s.arrays.observers.length < batch.observerCount || s.gen.length !== cap) {
      let rows = Math.max(1024, s.rowCap)
      while (rows < batch.rows) rows *= 2
      let obs = Math.max(64, s.arrays.observers.length)
      while (obs < batch.observerCount) obs *= 2
      s = slots[k] = newSlot(rows, obs, cap)
    }
    const a = s.arrays
    const n = batch.observerCount
    a.features.set(batch.features.subarray(0, batch.rows * FEATURE_COUNT))
    a.rowEid.set(batch.rowEid.subarray(0, batch.rows))
    a.observers.set(batch.observers.subarray(0, n))
    a.observerStart.set(batch.observerStart.subarray(0, n + 1))
    const c = batch.components
    const st = a.state
    st.set(c.Position.x, 0)
    st.set(c.Position.y, cap)
    st.set(c.Velocity.x, 2 * cap)
    st.set(c.Velocity.y, 3 * cap)
    st.set(c.Facing.x, 4 * cap)
    st.set(c.Facing.y, 5 * cap)
    st.set(c.Observer.radius, 6 * cap)
    a.speedScale = batch.speedScale
    s.gen.set(batch.generation)
    s.observerCount = n
    s.rows = batch.rows
    s.tick = batch.tick
    const msg: ToWorker = { type: 'run', id: nextId++, rows: batch.rows, observerCount: n, batch: a }
    worker!.postMessage(msg, [a.features, a.rowEid, a.observers, a.observerStart, a.state].map((x) => x.buffer as ArrayBuffer))
    inFlight = k
    sentAt = now
    stats.requests++
  }

  const scorer: OnnxScorer = {
    score(features, rows, out) {
      heads.score(features, rows, out)
    },
    scoreBatch(batch, out) {
      ensureLookups(batch.components.capacity)
      const now = performance.now()
      if (inFlight !== -1 && now - sentAt > hangMs) {
        fail('hang', `the model did not answer within ${hangMs} ms; restarting its worker`)
        restart()
        restartAt = now
      } else if (worker === null && !disposed && now - restartAt > 1000) {
        restartAt = now
        restart()
      }
      if (lockstep && inFlight !== -1 && replyPort !== null) {
        // offline replay: block until the previous tick's answer (or the hang timeout)
        const deadline = now + hangMs
        for (;;) {
          const seen = Atomics.load(signal, 0)
          const m = receiveMessageOnPort(replyPort)
          if (m !== undefined) {
            onMessage(m.message as FromWorker, null)
            break
          }
          const left = deadline - performance.now()
          if (left <= 0 || Atomics.wait(signal, 0, seen, left) === 'timed-out') break
        }
      }
      let scored = -1
      if (current !== -1) {
        const s = slots[current]!
        if (batch.tick - s.tick <= maxStale) {
          scored = overlay(batch, s, out)
          if (stats.degraded === 'stale') {
            stats.degraded = null
            onEvent({ kind: 'recovered', message: 'the model answers again' })
          }
        } else fail('stale', `the model's last answer is ${batch.tick - s.tick} ticks old (more than maxStaleTicks ${maxStale})`)
      }
      if (scored === -1) {
        heads.score(batch.features, batch.rows, out)
        scored = 0
      }
      stats.modelRows = scored
      stats.fallbackRows = batch.rows - scored
      if (ready && inFlight === -1 && worker !== null && batch.rows > 0) send(batch, now)
    },
    explainScore(o, e) {
      if (current === -1 || o >= obsStamp.length || obsStamp[o] !== answerVersion) return null
      const s = slots[current]!
      const j = obsIndex[o]!
      const starts = s.arrays.observerStart
      for (let r = starts[j]!; r < starts[j + 1]!; r++) if (s.arrays.rowEid[r] === e) return { score: s.scores[r]!, source: 'model' }
      return null
    },
    stats: () => ({ ...stats }),
    settle(timeoutMs = hangMs) {
      if (inFlight === -1) return Promise.resolve(true)
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs)
        settled = () => {
          clearTimeout(t)
          resolve(true)
        }
      })
    },
    async dispose() {
      disposed = true
      replyPort?.close()
      const w = worker as Worker | null
      worker = null
      await w?.terminate()
    },
  }
  return scorer
}
