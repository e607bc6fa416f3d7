import { WebSocketTransport, type TransportOptions } from '@colyseus/ws-transport'
import type { WebSocket, WebSocketServer } from 'ws'

/*
 * Owns: a cheaper way to put the server's binary messages on the wire, one socket write per message.
 *
 * Colyseus sends every patch and message with `ws.send(bytes, { binary: true })`. For each send the
 * ws library builds an options object, wraps the bytes in a Buffer, allocates a 2-10 byte frame
 * header, corks the socket, writes header and payload as two chunks and uncorks (Node's stream
 * then gathers them into an array for one writev). At 500 clients that is 500 times per patch, and
 * about a kilobyte of garbage each. Here the frame (header and payload) is built in one Buffer from
 * Node's pool and written with one `socket.write`: the same bytes on the wire, the same syscall
 * count, less CPU and garbage per send (measured in docs/scaling.md).
 *
 * Only the plain case is taken over: an open socket, a binary unfragmented message of at most
 * DIRECT_MAX_BYTES without compression or a callback, and ws's sender idle (nothing queued behind a
 * deflate or a blob).
 * Everything else goes to ws's own send, so ordering with ws's own frames (pings, close) holds.
 */

/** The ws internals read here (ws 8.x). */
interface WsInternals {
  _socket: { write(chunk: Uint8Array): boolean } | null | undefined
  _sender: { _state: number; _queue: unknown[]; _firstFragment: boolean } | null | undefined
  _extensions: Record<string, unknown>
}

type Send = WebSocket['send']
const OPEN = 1
/**
 * Largest payload taken over: the frame then comes from Node's Buffer pool (allocUnsafe below 4 KiB)
 * and the copy is cheaper than ws's per-send objects. Larger payloads (full-state patches) go to
 * ws, which writes them without a copy.
 */
export const DIRECT_MAX_BYTES = 4086
let direct = 0
let enabled = true

/**
 * Turns the direct path on or off for every socket already set up (off: ws's own send), for the
 * load benchmark's interleaved comparison (bench/load, `--alternate direct-frames`). @defaultValue on
 */
export function setDirectFrames(on: boolean): void {
  enabled = on
}

/** Messages written by {@link sendFramesDirectly} in this process so far (the others went to ws's own send). */
export function framesSentDirectly(): number {
  return direct
}

/** True when ws would write this message straight to the socket, framed as one binary frame. */
function plain(ws: WebSocket, data: unknown, options: unknown, cb: unknown): data is Uint8Array {
  if (cb !== undefined || !(data instanceof Uint8Array) || data.byteLength > DIRECT_MAX_BYTES || ws.readyState !== OPEN) return false
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) return false
    const o = options as { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean }
    if (o.binary !== true || o.compress === true || o.fin === false || o.mask === true) return false
  }
  const w = ws as unknown as WsInternals
  const s = w._sender
  return (
    w._socket != null &&
    s !== null &&
    s !== undefined &&
    s._state === 0 &&
    s._queue.length === 0 &&
    s._firstFragment === true &&
    w._extensions['permessage-deflate'] === undefined
  )
}

/** One unmasked final binary frame (RFC 6455 5.2) carrying `data`, in a Buffer of its own. */
export function binaryFrame(data: Uint8Array): Buffer {
  const n = data.byteLength
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10
  const f = Buffer.allocUnsafe(head + n)
  f[0] = 0x82
  if (head === 2) f[1] = n
  else if (head === 4) {
    f[1] = 126
    f.writeUInt16BE(n, 2)
  } else {
    f[1] = 127
    f.writeUInt32BE(Math.floor(n / 2 ** 32), 2)
    f.writeUInt32BE(n >>> 0, 6)
  }
  f.set(data, head)
  return f
}

/** Makes `ws.send` write plain binary messages as one frame with one socket write (see above). */
export function sendFramesDirectly(ws: WebSocket): void {
  const own: Send = ws.send
  const send = function (this: WebSocket, data: unknown, options?: unknown, cb?: unknown): void {
    if (typeof options === 'function') {
      cb = options
      options = undefined
    }
    if (!enabled || !plain(this, data, options, cb)) {
      ;(own as (...a: unknown[]) => void).call(this, data, ...(options === undefined ? [] : [options]), ...(cb === undefined ? [] : [cb]))
      return
    }
    direct++
    ;(this as unknown as WsInternals)._socket!.write(binaryFrame(data))
  }
  ws.send = send as Send
}

/** Applies {@link sendFramesDirectly} to every socket `wss` accepts from now on. */
export function sendFramesDirectlyOn(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket) => sendFramesDirectly(ws))
}

/** Colyseus's WebSocket transport with {@link sendFramesDirectly} on every client socket. */
export class DirectFrameTransport extends WebSocketTransport {
  constructor(options?: TransportOptions) {
    super(options)
    sendFramesDirectlyOn(this.wss)
  }
}
