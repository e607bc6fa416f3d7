import { createServer } from 'node:net'
import { defineRoom, defineServer, type Room } from '@colyseus/core'
import { WebSocketTransport } from '@colyseus/ws-transport'

/** A real Colyseus server on 127.0.0.1 and a free port, for tests that connect @colyseus/sdk clients. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`, for `new Client(url)`. */
  readonly url: string
  stop(): Promise<void>
}

/** Starts a server with one room type, `name`, on a free loopback port. */
export async function startTestServer(name: string, room: new (...args: never[]) => Room): Promise<TestServer> {
  const port = await new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0))
    })
  })
  const rooms: Record<string, ReturnType<typeof defineRoom>> = {}
  rooms[name] = defineRoom(room as never) as unknown as ReturnType<typeof defineRoom>
  const server = defineServer({ rooms, transport: new WebSocketTransport(), greet: false })
  await server.listen(port, '127.0.0.1')
  return { url: `http://127.0.0.1:${port}`, stop: () => server.gracefullyShutdown(false) }
}

/** Resolves once `cond()` holds, polling every 10 ms; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
