// Owns the Node 20 workaround for Colyseus 0.18 reconnection: nothing else in the plugin touches
// globals. Colyseus 0.18's Room reads the global `WebSocket` (its OPEN constant) when a client
// reconnects; Node 22 has that global, Node 20 does not and the reconnection fails with a
// ReferenceError. The fix is a real WebSocket class (the sdk, when loaded later in the same
// process, constructs sockets from the global), so the caller passes one: `ws` is not our dependency.

/** A WebSocket class, such as `WebSocket` from the `ws` package. */
export type WebSocketClass = (abstract new (...args: never[]) => unknown) & {
  /** The readyState of an open socket: 1. */
  readonly OPEN: number
}

let warned = false

function hasGlobal(): boolean {
  return (globalThis as { WebSocket?: unknown }).WebSocket !== undefined
}

/**
 * Gives the process a global `WebSocket` when it has none (Node 20), which Colyseus 0.18 needs to
 * reconnect a client. Call it once at startup; on Node 22 and later it does nothing.
 * @param impl - a WebSocket class, usually `WebSocket` from the `ws` package.
 * @returns true if `impl` was installed, false if a global `WebSocket` already existed.
 * @example
 * import { WebSocket } from 'ws'
 * import { installWebSocketGlobal } from 'colyseus-attention'
 * installWebSocketGlobal(WebSocket) // before clients can reconnect: at server startup
 */
export function installWebSocketGlobal(impl: WebSocketClass): boolean {
  if (typeof impl !== 'function' || impl.OPEN !== 1) {
    throw new TypeError('installWebSocketGlobal: impl must be a WebSocket class with OPEN === 1, such as WebSocket from the "ws" package')
  }
  if (hasGlobal()) return false
  ;(globalThis as { WebSocket?: unknown }).WebSocket = impl
  return true
}

/** Warns once per process when Colyseus would fail to reconnect clients for want of a global WebSocket. */
export function warnIfNoWebSocketGlobal(): void {
  if (warned || hasGlobal()) return
  warned = true
  console.warn(
    `colyseus-attention: this Node (${process.version}) has no global WebSocket, so Colyseus 0.18 cannot ` +
      `reconnect clients (ReferenceError: WebSocket is not defined). Run Node 22+, or call ` +
      `installWebSocketGlobal(WebSocket) with WebSocket from the "ws" package at startup.`,
  )
}
