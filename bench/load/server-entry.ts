// Entry point of the load benchmark's server child process: instruments every Colyseus Room's
// simulation step and patch broadcast (timing them), then starts the example server unchanged.
// The parent asks for the timings over IPC: 'reset' clears them, 'stats' returns them.
import { pathToFileURL } from 'node:url'
import { Room } from '@colyseus/core'

/** Timings the parent reads over IPC. */
export interface TickTimings {
  /** Milliseconds of each simulation step (setTimestep / setFixedTimestep callback). */
  step: number[]
  /** Milliseconds of each patch broadcast (onBeforePatch + encode + send). */
  patch: number[]
  /** Server work per patch interval: the steps since the previous patch plus the patch, ms. */
  tick: number[]
}

const timings: TickTimings = { step: [], patch: [], tick: [] }
let stepsSincePatch = 0
const CAP = 200_000

type AnyFn = (...args: unknown[]) => unknown
const proto = Room.prototype as unknown as Record<string, AnyFn>

const timed = (fn: AnyFn): AnyFn =>
  function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now()
    const r = fn.apply(this, args)
    const ms = performance.now() - t0
    if (timings.step.length < CAP) timings.step.push(ms)
    stepsSincePatch += ms
    return r
  }

for (const name of ['setTimestep', 'setFixedTimestep'] as const) {
  const original = proto[name]!
  proto[name] = function (this: unknown, cb: unknown, ...rest: unknown[]) {
    return original.call(this, typeof cb === 'function' ? timed(cb as AnyFn) : cb, ...rest)
  }
}
const broadcastPatch = proto.broadcastPatch!
proto.broadcastPatch = function (this: unknown, ...args: unknown[]) {
  const t0 = performance.now()
  const r = broadcastPatch.apply(this, args)
  const ms = performance.now() - t0
  if (timings.patch.length < CAP) {
    timings.patch.push(ms)
    timings.tick.push(ms + stepsSincePatch)
  }
  stepsSincePatch = 0
  return r
}

process.on('message', (m: unknown) => {
  if (m === 'reset') {
    timings.step.length = 0
    timings.patch.length = 0
    timings.tick.length = 0
    stepsSincePatch = 0
    process.send?.({ type: 'reset' })
  } else if (m === 'stats') {
    process.send?.({ type: 'stats', timings })
  }
})
// the parent's IPC channel must not keep the server alive after SIGTERM
process.channel?.unref()

const entry = process.env.BENCH_SERVER_ENTRY
if (!entry) throw new Error('BENCH_SERVER_ENTRY is not set')
await import(pathToFileURL(entry).href)
