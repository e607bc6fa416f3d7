import { Client, type Room } from '@colyseus/sdk'
import { createPrng } from '../lib/prng'

/** A crowd of real @colyseus/sdk clients in one room, moving randomly, counting bytes received. */
export interface ClientCrowd {
  readonly rooms: readonly Room[]
  /** WebSocket message bytes received per client since the last `resetCounters()`. */
  readonly bytes: Float64Array
  /** Messages received per client since the last `resetCounters()`. */
  readonly messages: Float64Array
  /** Clients whose connection closed before `close()` (reconnection is off: a drop is a drop). */
  readonly dropped: () => number
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
  let dropped = 0
  let closing = false
  for (let i = 0; i < o.count; i += batch) {
    const joins: Promise<Room>[] = []
    for (let j = i; j < Math.min(o.count, i + batch); j++) {
      joins.push(
        withTimeout(
          // a matchmaking request refused by a busy server (the HTTP fetch fails) is tried again, twice
          retry(() => new Client(endpoint).joinOrCreate(o.room ?? 'arena', {}), 3).then((room) => {
            // a game client handles the server's messages (overlay, events); here they are only counted
            room.onMessage('*', () => {})
            room.reconnection.enabled = false
            room.onLeave(() => {
              if (!closing) dropped++
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
