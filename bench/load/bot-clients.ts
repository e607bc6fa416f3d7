import { Client, type Room } from '@colyseus/sdk'
import { createPrng } from '../lib/prng'

/** A crowd of real @colyseus/sdk clients in one room, moving randomly, counting bytes received. */
export interface ClientCrowd {
  readonly rooms: readonly Room[]
  /** WebSocket message bytes received per client since the last `resetCounters()`. */
  readonly bytes: Float64Array
  /** Messages received per client since the last `resetCounters()`. */
  readonly messages: Float64Array
  /** Patches that failed to decode (decoding clients only; should be 0). */
  readonly decodeErrors: () => number
  /** Clients that decode their patches (see {@link CrowdOptions.decodeEvery}). */
  readonly decoding: number
  /** Clients whose connection closed before `close()` (reconnection is off: a drop is a drop). */
  readonly dropped: () => number
  /** Close codes of the dropped connections, with their counts. */
  readonly dropCodes: () => Record<string, number>
  resetCounters(): void
  /** Leaves every room and stops the input timers. */
  close(): Promise<void>
}

/** Options of {@link connectCrowd}. */
export interface CrowdOptions {
  port: number
  count: number
  /** Room name. @defaultValue 'arena' */
  room?: string
  seed?: number
  /** Milliseconds between inputs of one client. @defaultValue 100 */
  inputIntervalMs?: number
  /** Clients connecting at once. @defaultValue 20 */
  batch?: number
  /** Index of the first client in the whole load (crowds split over processes keep their inputs). @defaultValue 0 */
  first?: number
  /**
   * Every this many clients (by index in the whole load) one decodes its patches into a schema
   * state like a game client; the others count the bytes and skip decoding (1: all decode). The
   * server does the same work either way: it cannot tell whether a client decodes. What changes is
   * the load generator's CPU, which on a small machine competes with the server. @defaultValue 1
   */
  decodeEvery?: number
}

/** What a thin client puts in place of the sdk's schema serializer: it keeps nothing and decodes nothing. */
const THIN_SERIALIZER = {
  setState(): void {},
  getState(): undefined {
    return undefined
  },
  patch(): void {},
  teardown(): void {},
  handshake(): void {},
}

/**
 * Connects `count` clients to ws://127.0.0.1:port (batches of `batch`), each sending `move`
 * {dx, dy} in [-1, 1] (a new random direction now and then) and `face` {angle} at a fixed rate.
 * @returns the crowd, already joined.
 */
export async function connectCrowd(o: CrowdOptions): Promise<ClientCrowd> {
  const rng = createPrng(o.seed ?? 7)
  const rooms: Room[] = []
  const bytes = new Float64Array(o.count)
  const messages = new Float64Array(o.count)
  const batch = o.batch ?? 20
  const timers: NodeJS.Timeout[] = []
  const endpoint = `ws://127.0.0.1:${o.port}`
  const decodeEvery = o.decodeEvery ?? 1
  if (!Number.isInteger(decodeEvery) || decodeEvery < 1) throw new RangeError(`decodeEvery must be an integer >= 1; got ${decodeEvery}`)
  let decoding = 0
  let decodeErrors = 0
  let dropped = 0
  const dropCodes: Record<string, number> = {}
  let closing = false
  for (let i = 0; i < o.count; i += batch) {
    const joins: Promise<Room>[] = []
    for (let j = i; j < Math.min(o.count, i + batch); j++) {
      joins.push(
        withTimeout(
          // a matchmaking request refused by a busy server (the HTTP fetch fails) is tried again, twice
          retry(() => new Client(endpoint).joinOrCreate(o.room ?? 'arena', {}), 3).then((room) => {
            // a game client handles the server's messages (events; it never asks for the debug overlay); here they are only counted
            room.onMessage('*', () => {})
            room.reconnection.enabled = false
            const ser = room as unknown as { serializer: { patch: (...a: unknown[]) => unknown; setState: (...a: unknown[]) => unknown } }
            if (((o.first ?? 0) + j) % decodeEvery === 0) {
              decoding++
              // a patch that fails to decode would throw inside the socket's message handler: count it
              for (const k of ['patch', 'setState'] as const) {
                const f = ser.serializer[k]
                ser.serializer[k] = function (this: unknown, ...a: unknown[]) {
                  try {
                    return f.apply(this, a)
                  } catch {
                    decodeErrors++
                    return undefined
                  }
                }
              }
            } else ser.serializer = THIN_SERIALIZER
            room.onLeave((code) => {
              if (closing) return
              dropped++
              dropCodes[String(code)] = (dropCodes[String(code)] ?? 0) + 1
            })
            return room
          }),
          30_000,
          `client ${(o.first ?? 0) + j} did not join within 30 s`,
        ),
      )
    }
    rooms.push(...(await Promise.all(joins)))
  }
  rooms.forEach((room, i) => {
    // the SDK's WebSocket transport exposes its socket: count every frame the server sends
    const ws = (room.connection as unknown as { transport: { ws: { addEventListener(t: string, f: (e: { data: ArrayBuffer | string }) => void): void } } })
      .transport.ws
    ws.addEventListener('message', (e) => {
      bytes[i] = bytes[i]! + (typeof e.data === 'string' ? Buffer.byteLength(e.data) : e.data.byteLength)
      messages[i] = messages[i]! + 1
    })
    let dx = rng.range(-1, 1)
    let dy = rng.range(-1, 1)
    let turn = 0
    const r = createPrng((o.seed ?? 7) * 1000 + (o.first ?? 0) + i)
    timers.push(
      setInterval(
        () => {
          if (--turn <= 0) {
            dx = r.range(-1, 1)
            dy = r.range(-1, 1)
            turn = 5 + r.int(30)
          }
          if (room.connection.isOpen) {
            room.send('move', { dx, dy })
            if (turn % 5 === 0) room.send('face', { angle: Math.atan2(dy, dx) })
          }
        },
        o.inputIntervalMs ?? 100,
      ),
    )
  })
  return {
    rooms,
    bytes,
    messages,
    dropped: () => dropped,
    decodeErrors: () => decodeErrors,
    decoding,
    dropCodes: () => ({ ...dropCodes }),
    resetCounters() {
      bytes.fill(0)
      messages.fill(0)
    },
    async close() {
      closing = true
      for (const t of timers) clearInterval(t)
      await Promise.all(rooms.map((r) => withTimeout(r.leave(true), 5000, 'leave').catch(() => 0)))
    },
  }
}

/** Calls `f` until it resolves, at most `times` times, 500 ms apart; rejects with the last error. */
async function retry<T>(f: () => Promise<T>, times: number): Promise<T> {
  for (let k = 1; ; k++) {
    try {
      return await f()
    } catch (e) {
      if (k >= times) throw e
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

/** Rejects with `message` when `p` has not settled within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(message)), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        ok(v)
      },
      (e: unknown) => {
        clearTimeout(t)
        fail(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}
