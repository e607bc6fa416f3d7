import type { MessagePort } from 'node:worker_threads'

// Owns: the messages between the scorer (room thread) and its inference worker.

/** Room thread to worker. */
export type ToWorker =
  | {
      type: 'init'
      model: Uint8Array
      threads: number
      width: number
      /** Lockstep mode: answers go to this port, then `signal[0]` is bumped and notified. */
      reply?: MessagePort
      signal?: Int32Array
    }
  | {
      type: 'run'
      id: number
      rows: number
      observerCount: number
      /** Every array below is transferred and comes back with the answer. */
      batch: RunArrays
    }

/**
 * One request's data: the feature rows and pair ids, plus a snapshot of the entity state the
 * geometry columns need (the worker computes them, off the room's thread).
 */
export interface RunArrays {
  /** rows x FEATURE_COUNT */
  features: Float32Array
  rowEid: Uint32Array
  observers: Uint32Array
  /** observerCount + 1 */
  observerStart: Int32Array
  /** capacity x 7: position x, y, velocity x, y, facing x, y, observer radius (section by section). */
  state: Float32Array
  capacity: number
  speedScale: number
}

/** Worker to room thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'invalid'; message: string }
  | { type: 'result'; id: number; scores: Float32Array; batch: RunArrays; ms: number }
  | { type: 'failed'; id: number; message: string; batch: RunArrays }
