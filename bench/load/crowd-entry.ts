// Entry point of a load-generator child process: a slice of the load benchmark's @colyseus/sdk
// clients, in a process of its own so that decoding patches for hundreds of clients does not share
// a core with the parent or with the other slices. The parent drives it over IPC:
//   { type: 'reset' }  clears the byte counters          -> { type: 'reset' }
//   { type: 'stats' }  the counters since the last reset -> { type: 'stats', bytes, messages, dropped, dropCodes, decoding, decodeErrors }
//   { type: 'close' }  leaves every room                 -> { type: 'close' }, then the process exits
// It joins at start (PORT, COUNT, FIRST, SEED, DECODE_EVERY in its environment) and sends { type: 'ready' } or
// { type: 'failed', error }.
import { connectCrowd } from './bot-clients'

/** A reply of the crowd process. */
export type CrowdReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'reset' }
  | { type: 'close' }
  | { type: 'stats'; bytes: number[]; messages: number[]; dropped: number; dropCodes: Record<string, number>; decoding: number; decodeErrors: number }

const send = (m: CrowdReply): void => {
  process.send?.(m)
}
const env = (name: string): number => {
  const v = Number(process.env[name])
  if (!Number.isFinite(v)) throw new Error(`${name} is not set`)
  return v
}

try {
  const crowd = await connectCrowd({ port: env('PORT'), count: env('COUNT'), first: env('FIRST'), seed: env('SEED'), decodeEvery: env('DECODE_EVERY') })
  process.on('message', (m: unknown) => {
    const type = (m as { type?: string }).type
    if (type === 'reset') {
      crowd.resetCounters()
      send({ type: 'reset' })
    } else if (type === 'stats') {
      send({ type: 'stats', bytes: Array.from(crowd.bytes), messages: Array.from(crowd.messages), dropped: crowd.dropped(), dropCodes: crowd.dropCodes(), decoding: crowd.decoding, decodeErrors: crowd.decodeErrors() })
    } else if (type === 'close') {
      void crowd.close().then(() => {
        send({ type: 'close' })
        process.exit(0)
      })
    }
  })
  send({ type: 'ready' })
} catch (e) {
  send({ type: 'failed', error: e instanceof Error ? e.message : String(e) })
  process.exit(1)
}
