// Owns: the protocol between the scorer (room thread) and its inference worker. Requests and
// answers live in SharedArrayBuffers and are signalled with Atomics, so a tick neither copies a
// request into a message nor allocates one: the room thread fills the free slot, then bumps
// `Control.Request`; the worker writes the slot's scores, then bumps `Control.Answer` to the same
// number. Only set-up, buffer growth and failure texts travel as messages.

/** Fields of the control block (an Int32Array over a SharedArrayBuffer, one per worker). */
export const Control = {
  /** Number of the latest request (room thread; the worker waits on it). */
  Request: 0,
  /** Slot of the latest request. */
  Slot: 1,
  /** Version of that slot's buffers (the worker learns new ones from a `slot` message). */
  Version: 2,
  /** Number of the latest request answered (worker; the room thread polls it). */
  Answer: 3,
  /** How that answer ended: {@link AnswerStatus}. */
  Status: 4,
  Size: 5,
} as const

/** What `Atomics.waitAsync` returns (Node 16 and later; the project's ES2022 lib does not type it). */
export type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> }

/** `Atomics.waitAsync`: waits for `a[i]` to change from `value` without blocking the thread's event loop. */
export const waitAsync = (a: Int32Array, i: number, value: number, timeoutMs?: number): WaitAsyncResult =>
  (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitAsyncResult }).waitAsync(a, i, value, timeoutMs)

/** Values of `Control.Status`. */
export const AnswerStatus = { Ok: 1, Failed: 2 } as const

/** Fields of a slot's `meta` (a Float64Array). */
export const Meta = {
  /** Rows of the request. */
  Rows: 0,
  /** Observers of the request. */
  Observers: 1,
  /** The engine's speedScale. */
  SpeedScale: 2,
  /** Inference time of the answer, in ms (worker). */
  Ms: 3,
  /** The engine's tick the request's rows were taken on (the worker's smoothing weighs by the ticks between two requests). */
  Tick: 4,
  /** 1 when the request is the first of a system that took the scorer over (`attach`): the worker's smoothing starts over. */
  Restart: 5,
  /** Rows of the answer the reach guard lifted to the heads' score (worker; OnnxScorerOptions.reachSeconds). */
  Guarded: 6,
  Size: 7,
} as const

/** Sections of a slot's `state` snapshot (one float per entity id each). */
export const STATE_SECTIONS = 8

/**
 * One side of the double buffer, every array over a SharedArrayBuffer: the request (feature rows and
 * pair ids, plus a snapshot of the entity state the geometry columns need; the worker computes
 * them, off the room's thread) and the answer's scores.
 */
export interface SlotArrays {
  /** rows x FEATURE_COUNT */
  features: Float32Array
  rowEid: Uint32Array
  observers: Uint32Array
  /** observers + 1 */
  observerStart: Int32Array
  /** capacity x {@link STATE_SECTIONS}: position x, y, velocity x, y, facing x, y, observer radius, entity generation (section by section). */
  state: Float32Array
  /** One per row: the answer. */
  scores: Float32Array
  /** {@link Meta} */
  meta: Float64Array
}

/** Room thread to worker. */
export type ToWorker =
  | {
      type: 'init'
      model: Uint8Array
      threads: number
      /** Weight of a pair's previous score (0: off); see OnnxScorerOptions.smoothing. */
      smoothing: number
      /** The heads' weights in feature order: each row's heads' score, as the engine computes it. */
      headWeights: number[]
      /**
       * The answers are corrections (OnnxScorerOptions.residual): the worker subtracts each row's
       * heads' score from the model's. False: the answers are the model's scores.
       */
      residual: boolean
      /** OnnxScorerOptions.reachSeconds (0: no reach guard). */
      reachSeconds: number
      width: number
      /** {@link Control}, over a SharedArrayBuffer. */
      control: Int32Array
      /** The slots' buffers so far (version 1 each). */
      slots: SlotArrays[]
      versions: number[]
    }
  | { type: 'slot'; index: number; version: number; arrays: SlotArrays }

/** Worker to room thread (answers go through the shared buffers; a failure's text comes here). */
export type FromWorker =
  | { type: 'ready' }
  /** The model failed to load: `parse`, onnxruntime-web could not load it as ONNX; `contract`, it loaded but does not fit (names, shapes, a test batch). */
  | { type: 'invalid'; reason: 'parse' | 'contract'; message: string }
  | { type: 'failed'; request: number; message: string }
