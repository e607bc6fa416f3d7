import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineRoom, defineServer } from '@colyseus/core'
import { Encoder } from '@colyseus/schema'
import { WebSocketTransport } from '@colyseus/ws-transport'
import express from 'express'
import { installWebSocketGlobal } from 'colyseus-attention'
import { WebSocket } from 'ws'
import { ArenaRoom } from './arena-room'
import { mountDebugRoutes } from './debug-routes'

/** Options of {@link startServer}. */
export interface StartOptions {
  /** TCP port; 0 picks a free one. @defaultValue 2567 */
  port?: number
  /** Interface to bind. @defaultValue '0.0.0.0' */
  host?: string
  /** NPC bots per arena. @defaultValue 300 */
  bots?: number
  /** Mount /debug/interest and /debug/explain. @defaultValue false */
  debug?: boolean
  /** Arena PRNG seed. @defaultValue 1 */
  seed?: number
  /** false: baseline without interest management (every client gets everything). @defaultValue true */
  attention?: boolean
  /** Most entities entering a client's view per patch. @defaultValue 24 */
  entryBudget?: number
  /** Hard visibility bound per client (see `ArenaOptions.maxRange`). @defaultValue undefined (none) */
  maxRange?: number
  /** `learned`: rooms score with the shipped ONNX model instead of the built-in heads. @defaultValue 'heads' */
  scorer?: 'heads' | 'learned'
  /** Directory of the built browser client. @defaultValue example-client/dist */
  clientDir?: string
}

/** A running example server. */
export interface RunningServer {
  port: number
  stop(): Promise<void>
}

const here = dirname(fileURLToPath(import.meta.url))

// Colyseus 0.18 needs a global `WebSocket` to reconnect a client: Node 22 has it, Node 20 does not.
installWebSocketGlobal(WebSocket)

/** Finds a free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, host, () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => ok(port))
    })
  })
}

/**
 * Starts the example Colyseus server with the `arena` room and the browser client.
 * @example
 * const server = await startServer({ port: 0, host: '127.0.0.1', bots: 100, debug: true })
 * // ... connect clients to ws://127.0.0.1:${server.port}
 * await server.stop()
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '0.0.0.0'
  const port = options.port === 0 ? await freePort(host === '0.0.0.0' ? '127.0.0.1' : host) : (options.port ?? 2567)
  const clientDir = options.clientDir ?? resolve(here, '../../example-client/dist')
  // all views encode into one buffer; size it for a few hundred clients up front
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, 4 * 1024 * 1024)
  const server = defineServer({
    rooms: {
      arena: defineRoom(ArenaRoom, { bots: options.bots ?? 300, seed: options.seed ?? 1, attention: options.attention !== false, entryBudget: options.entryBudget, debug: options.debug === true, maxRange: options.maxRange, scorer: options.scorer }),
    },
    transport: new WebSocketTransport(),
    greet: false,
    // the caller owns the process: main.ts stops on SIGINT/SIGTERM, tests call stop(). Colyseus's
    // own signal handlers would run a second shutdown next to the caller's, and the loser of the
    // race prints "error during shutdown: already_shutting_down".
    gracefullyShutdown: false,
    express: (app) => {
      if (options.debug) mountDebugRoutes(app)
      if (existsSync(resolve(clientDir, 'index.html'))) app.use(express.static(clientDir))
      else {
        app.get('/', (_req, res) => {
          res.type('text/plain').send('The browser client is not built yet: run `npm run build -w example-client`, then reload.\n')
        })
      }
    },
  })
  await server.listen(port, host)
  return {
    port,
    stop: async () => {
      await server.gracefullyShutdown(false)
    },
  }
}
