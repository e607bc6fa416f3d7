// Owns: the inference thread. onnxruntime-web's session.run blocks its thread for the whole
// inference, so it runs here and never on the room's event loop. Protocol: see messages.ts.
import * as ort from 'onnxruntime-web'
import { parentPort } from 'node:worker_threads'
import { AnswerStatus, Control, Meta, STATE_SECTIONS, waitAsync, type FromWorker, type SlotArrays, type ToWorker } from './messages'
import { FEATURE_COUNT, scoreRow } from '../ecs/heads'
import { INPUT_MASK, INPUT_X, OUTPUT_SCORE } from './model-contract'
import { writeModelInputs, type ModelInputSource } from './model-inputs'
import { AnswerSmoothing } from './answer-smoothing'
import { ReachGuard } from './reach-guard'

const port = parentPort
if (port === null) throw new Error('colyseus-attention/learned: worker.ts runs in a worker thread only')

let session: ort.InferenceSession | null = null
const slots: SlotArrays[] = []
const versions: number[] = []
/** Resolves the wait for a slot's new buffers. */
let slotArrived: (() => void) | null = null
let width = 0
/** Observers per inference call. */
const CHUNK = 128
let padded = new Float32Array(0)
let rowsBuf = new Float32Array(0)
let mask = new Float32Array(0)
let smoothing = 0
let headWeights = new Float64Array(0)
let residual = true
let reachSeconds = 0
/** Per row: the heads' score of the row the model answered (the corrections' base, the guard's floor). */
let headScores = new Float32Array(0)
/** The previous answer's smoothed scores (OnnxScorerOptions.smoothing). */
const smoothed = new AnswerSmoothing()
/** The fastest speed seen per entity id (OnnxScorerOptions.reachSeconds). */
const guard = new ReachGuard()
/** The tick of the previous answer's request (-1: none yet). */
let previousTick = -1

const send = (m: FromWorker): void => {
  port.postMessage(m)
}

/** Checks names and shapes; returns what is wrong, or null. */
async function check(s: ort.InferenceSession, w: number): Promise<string | null> {
  const want = `inputs ${INPUT_X} [observers, candidates, ${w}] and ${INPUT_MASK} [observers, candidates], output ${OUTPUT_SCORE} [observers, candidates]`
  const found = `inputs ${s.inputNames.join(', ') || '(none)'}, outputs ${s.outputNames.join(', ') || '(none)'}`
  if (!s.inputNames.includes(INPUT_X) || !s.inputNames.includes(INPUT_MASK) || s.inputNames.length !== 2 || !s.outputNames.includes(OUTPUT_SCORE)) {
    return `expected ${want}; found ${found}`
  }
  const meta = (s as { inputMetadata?: readonly { name: string; shape?: readonly (number | string)[] }[] }).inputMetadata
  const xm = meta?.find((m) => m.name === INPUT_X)
  if (xm?.shape !== undefined) {
    const last = xm.shape[xm.shape.length - 1]
    if (xm.shape.length !== 3 || (typeof last === 'number' && last !== w)) {
      return `expected input ${INPUT_X} of shape [observers, candidates, ${w}]; found [${xm.shape.join(', ')}]`
    }
  }
  try {
    const out = await s.run({
      [INPUT_X]: new ort.Tensor('float32', new Float32Array(2 * w), [1, 2, w]),
      [INPUT_MASK]: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]),
    })
    const y = out[OUTPUT_SCORE]
    if (y === undefined || y.type !== 'float32' || y.dims.length !== 2 || y.dims[0] !== 1 || y.dims[1] !== 2) {
      return `expected output ${OUTPUT_SCORE} float32 [observers, candidates] ([1, 2] for a 1 x 2 batch); found ${y === undefined ? 'none' : `${y.type} [${y.dims.join(', ')}]`}`
    }
  } catch (e) {
    return `expected ${want}; a 1 x 2 batch failed: ${(e as Error).message}`
  }
  return null
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'slot') {
    slots[m.index] = m.arrays
    versions[m.index] = m.version
    slotArrived?.()
    return
  }
  void init(m)
})

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  ort.env.wasm.numThreads = m.threads
  ort.env.logLevel = 'error'
  let s: ort.InferenceSession
  try {
    s = await ort.InferenceSession.create(m.model, { executionProviders: ['wasm'] })
  } catch (e) {
    // not an ONNX model onnxruntime-web can load (e.g. "protobuf parsing failed"): not a contract question
    send({ type: 'invalid', reason: 'parse', message: (e as Error).message })
    return
  }
  try {
    const problem = await check(s, m.width)
    if (problem !== null) {
      send({ type: 'invalid', reason: 'contract', message: problem })
      return
    }
    session = s
    width = m.width
    smoothing = m.smoothing
    headWeights = Float64Array.from(m.headWeights)
    residual = m.residual
    reachSeconds = m.reachSeconds
    m.slots.forEach((a, i) => {
      slots[i] = a
      versions[i] = m.versions[i]!
    })
    // waiting before saying ready: a request sent right after it is not missed
    void serve(m.control)
    send({ type: 'ready' })
  } catch (e) {
    send({ type: 'invalid', reason: 'contract', message: `checking the model failed: ${(e as Error).message}` })
  }
}

/** Waits for each request (Atomics, without blocking this thread's messages) and answers it. */
async function serve(ctl: Int32Array): Promise<void> {
  // a fresh control block: no request before 0
  let seen = 0
  for (;;) {
    const w = waitAsync(ctl, Control.Request, seen)
    if (w.async) await w.value
    const request = Atomics.load(ctl, Control.Request)
    if (request === seen) continue
    seen = request
    const k = Atomics.load(ctl, Control.Slot)
    const version = Atomics.load(ctl, Control.Version)
    // grown buffers come as a message, which may arrive after the signal
    while (versions[k] !== version) await new Promise<void>((r) => (slotArrived = r))
    await answer(ctl, slots[k]!, request)
  }
}

/** Computes the model's inputs from the slot's request, runs the model and writes its scores. */
async function answer(ctl: Int32Array, batch: SlotArrays, request: number): Promise<void> {
  const rows = batch.meta[Meta.Rows]!
  const observerCount = batch.meta[Meta.Observers]!
  const { observerStart } = batch
  const scores = batch.scores
  try {
    if (session === null) throw new Error('no session')
    const t0 = performance.now()
    const cap = batch.state.length / STATE_SECTIONS
    const st = batch.state
    const part = (k: number): Float32Array => st.subarray(k * cap, (k + 1) * cap)
    const source: ModelInputSource = {
      features: batch.features,
      rowEid: batch.rowEid,
      observers: batch.observers,
      observerCount,
      observerStart,
      speedScale: batch.meta[Meta.SpeedScale]!,
      components: {
        Position: { x: part(0), y: part(1) },
        Velocity: { x: part(2), y: part(3) },
        Facing: { x: part(4), y: part(5) },
        Observer: { radius: part(6) },
      },
    }
    if (rowsBuf.length < rows * width) rowsBuf = new Float32Array(rows * width * 2)
    const x = rowsBuf
    writeModelInputs(source, x)
    // pad per chunk of observers with similar row counts (sorted by count), so little of the model's
    // work goes to padding; the model's softmax runs per observer over its own rows (masked)
    const order = Array.from({ length: observerCount }, (_, i) => i).sort(
      (p, q) => observerStart[p + 1]! - observerStart[p]! - (observerStart[q + 1]! - observerStart[q]!),
    )
    for (let c0 = 0; c0 < observerCount; c0 += CHUNK) {
      const c1 = Math.min(observerCount, c0 + CHUNK)
      let widest = 1
      for (let k = c0; k < c1; k++) widest = Math.max(widest, observerStart[order[k]! + 1]! - observerStart[order[k]!]!)
      const n = c1 - c0
      if (padded.length < n * widest * width) padded = new Float32Array(n * widest * width * 2)
      if (mask.length < n * widest) mask = new Float32Array(n * widest * 2)
      const px = padded.subarray(0, n * widest * width)
      const pm = mask.subarray(0, n * widest)
      px.fill(0)
      pm.fill(0)
      for (let k = c0; k < c1; k++) {
        const i = order[k]!
        const a = observerStart[i]!
        const len = observerStart[i + 1]! - a
        px.set(x.subarray(a * width, (a + len) * width), (k - c0) * widest * width)
        pm.fill(1, (k - c0) * widest, (k - c0) * widest + len)
      }
      const out = await session.run({
        [INPUT_X]: new ort.Tensor('float32', px, [n, widest, width]),
        [INPUT_MASK]: new ort.Tensor('float32', pm, [n, widest]),
      })
      const y = out[OUTPUT_SCORE]!.data as Float32Array
      for (let k = c0; k < c1; k++) {
        const i = order[k]!
        const a = observerStart[i]!
        const len = observerStart[i + 1]! - a
        scores.set(y.subarray((k - c0) * widest, (k - c0) * widest + len), a)
      }
    }
    // each row's heads' score, as the engine computes it (each feature as stored, in float32):
    // corrections (OnnxScorerOptions.residual) are the model's score minus it, and the guard holds
    // served scores at it; neither needs it when the answers are scores and the guard is off
    const guarding = reachSeconds > 0
    if (residual || guarding) {
      if (headScores.length < rows) headScores = new Float32Array(rows * 2)
      for (let r = 0; r < rows; r++) scoreRow(headWeights, batch.features, r * FEATURE_COUNT, headScores, r)
    }
    if (residual) for (let r = 0; r < rows; r++) scores[r] = scores[r]! - headScores[r]!
    // another system's first request: the previous answers' pairs and speeds are another world's entities
    const restart = batch.meta.length > Meta.Restart && batch.meta[Meta.Restart] === 1
    if (restart) guard.reset()
    if (smoothing > 0) {
      const tick = batch.meta.length > Meta.Tick ? batch.meta[Meta.Tick]! : previousTick + 1
      // the weight of the past decays per tick, however many ticks an inference takes
      const w = restart || previousTick < 0 || tick <= previousTick ? 0 : Math.pow(smoothing, tick - previousTick)
      smoothed.apply({ observers: batch.observers, observerStart, observerCount, rowEid: batch.rowEid, generation: part(7), scores }, w)
      previousTick = tick
    }
    // after the smoothing: what is served (the smoothing keeps the model's own answers); off for
    // the worker's life when reachSeconds is 0, so no speeds are kept then
    if (guarding) {
      guard.apply(
        { observers: batch.observers, observerStart, observerCount, rowEid: batch.rowEid, x: part(0), y: part(1), vx: part(2), vy: part(3), generation: part(7), scores, heads: residual ? null : headScores },
        reachSeconds,
      )
    }
    batch.meta[Meta.Guarded] = guarding ? guard.guarded : 0
    batch.meta[Meta.Ms] = performance.now() - t0
    Atomics.store(ctl, Control.Status, AnswerStatus.Ok)
  } catch (e) {
    // the text first, so that it is there when the room thread sees the failure
    send({ type: 'failed', request, message: (e as Error).message })
    Atomics.store(ctl, Control.Status, AnswerStatus.Failed)
  }
  Atomics.store(ctl, Control.Answer, request)
  Atomics.notify(ctl, Control.Answer)
}
