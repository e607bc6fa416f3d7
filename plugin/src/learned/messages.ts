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
      /** Rows, INPUT_WIDTH wide (transferred; comes back with the answer). */
      x: Float32Array
      rows: number
      /** observerCount + 1 row offsets (transferred; comes back with the answer). */
      observerStart: Int32Array
      observerCount: number
    }

/** Worker to room thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'invalid'; message: string }
  | { type: 'result'; id: number; scores: Float32Array; x: Float32Array; observerStart: Int32Array; ms: number }
  | { type: 'failed'; id: number; message: string; x: Float32Array; observerStart: Int32Array }
