import { createConnection, type AddressInfo } from 'node:net'
import { Client } from '@colyseus/sdk'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { arenaRooms, type ArenaRoom } from '../src/arena-room'
import { binaryFrame, framesSentDirectly, sendFramesDirectly } from '../src/direct-frames'
import { startServer } from '../src/server'

// Real sockets on 127.0.0.1: a ws server whose sockets send directly, read by a ws client and by a
// raw TCP reader that sees the bytes on the wire.

const SIZES = [0, 1, 125, 126, 127, 1000, 1024, 1025, 4096, 65535, 65536, 70000]
const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (k * 31 + seed) & 255)

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!()
})

/** A ws server on a free port whose accepted sockets get `prepare`; resolves with the port and the first socket. */
async function serve(prepare: (ws: WebSocket) => void): Promise<{ port: number; socket: Promise<WebSocket> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  closers.push(() => new Promise((ok) => wss.close(() => ok())))
  await new Promise((ok) => wss.once('listening', ok))
  const socket = new Promise<WebSocket>((ok) =>
    wss.once('connection', (ws) => {
      prepare(ws)
      ok(ws)
    }),
  )
  return { port: (wss.address() as AddressInfo).port, socket }
}

/** The bytes a raw TCP client reads after its WebSocket handshake, once `total` of them arrived. */
async function wireBytes(send: (ws: WebSocket) => void, total: number, prepare: (ws: WebSocket) => void): Promise<Buffer> {
  const srv = await serve(prepare)
  const sock = createConnection(srv.port, '127.0.0.1')
  closers.push(async () => void sock.destroy())
  const key = Buffer.from('0123456789abcdef').toString('base64')
  sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  const chunks: Buffer[] = []
  let headerDone = false
  const done = new Promise<Buffer>((ok) => {
    sock.on('data', (d: Buffer) => {
      chunks.push(d)
      let all = Buffer.concat(chunks)
      if (!headerDone) {
        const end = all.indexOf('\r\n\r\n')
        if (end < 0) return
        headerDone = true
        all = all.subarray(end + 4)
        chunks.length = 0
        chunks.push(all)
      }
      if (all.length >= total) ok(all)
    })
  })
  send(await srv.socket)
  return done
}

describe('direct frames', () => {
  it('should frame any payload size as ws does: one final binary frame, correct length encoding', () => {
    for (const n of SIZES) {
      const data = payload(n, n)
      const f = binaryFrame(data)
      expect(f[0]).toBe(0x82)
      const head = n < 126 ? 2 : n < 65536 ? 4 : 10
      expect(f.length).toBe(head + n)
      const len = head === 2 ? f[1]! : head === 4 ? f.readUInt16BE(2) : f.readUInt32BE(2) * 2 ** 32 + f.readUInt32BE(6)
      expect([head === 2 ? len : f[1]!, len]).toEqual([head === 2 ? n : head === 4 ? 126 : 127, n])
      expect(Buffer.compare(f.subarray(head), Buffer.from(data))).toBe(0)
    }
  })

  it('should put the same bytes on the wire as the ws library for every size, in order', async () => {
    const messages = SIZES.map((n) => payload(n, n + 7))
    const total = messages.reduce((a, m) => a + m.length + (m.length < 126 ? 2 : m.length < 65536 ? 4 : 10), 0)
    const sendAll = (ws: WebSocket): void => {
      for (const m of messages) ws.send(m, { binary: true })
    }
    const own = await wireBytes(sendAll, total, () => {})
    const direct = await wireBytes(sendAll, total, sendFramesDirectly)
    expect(own.length).toBe(total)
    expect(Buffer.compare(direct, own)).toBe(0)
  })

  it('should deliver every message to a ws client unchanged, subarrays and Buffers alike, and leave text and callbacks to ws', async () => {
    const srv = await serve(sendFramesDirectly)
    const client = new WebSocket(`ws://127.0.0.1:${srv.port}`)
    closers.push(async () => client.close())
    const got: { data: Buffer; binary: boolean }[] = []
    client.on('message', (data: Buffer, binary: boolean) => got.push({ data, binary }))
    await new Promise((ok) => client.once('open', ok))
    const ws = await srv.socket
    const big = payload(3000, 1)
    const sent: Uint8Array[] = []
    for (const n of SIZES) {
      const m = payload(n, n)
      sent.push(m)
      ws.send(m, { binary: true })
    }
    // a subarray at an offset of a larger buffer (what the encoder hands Colyseus) and a Buffer
    sent.push(big.subarray(100, 900))
    ws.send(big.subarray(100, 900), { binary: true })
    sent.push(Buffer.from('node buffer'))
    ws.send(Buffer.from('node buffer'), { binary: true })
    // with a callback: ws's own path, in order, callback called
    let called = false
    sent.push(payload(10, 2))
    ws.send(payload(10, 2), { binary: true }, () => (called = true))
    ws.send('text frame')
    const deadline = Date.now() + 5000
    while (got.length < sent.length + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(got.length).toBe(sent.length + 1)
    for (let i = 0; i < sent.length; i++) {
      expect(got[i]!.binary).toBe(true)
      expect(Buffer.compare(got[i]!.data, Buffer.from(sent[i]!))).toBe(0)
    }
    expect(got[sent.length]!.binary).toBe(false)
    expect(got[sent.length]!.data.toString()).toBe('text frame')
    expect(called).toBe(true)
  })

  it('should send nothing on a closed socket (ws decides, as before)', async () => {
    const srv = await serve(sendFramesDirectly)
    const client = new WebSocket(`ws://127.0.0.1:${srv.port}`)
    await new Promise((ok) => client.once('open', ok))
    const ws = await srv.socket
    ws.close()
    await new Promise((ok) => client.once('close', ok))
    expect(() => ws.send(payload(5, 0), { binary: true })).not.toThrow()
  })

  it('should carry a Colyseus room: sdk clients join and decode the patches of the example server', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1', bots: 40, seed: 5 })
    closers.push(() => server.stop())
    const client = new Client(`http://127.0.0.1:${server.port}`)
    const room = await client.joinOrCreate('arena')
    room.onMessage('destroyed', () => {})
    closers.push(async () => void (await room.leave(true).catch(() => 0)))
    const before = framesSentDirectly()
    let patches = 0
    room.onStateChange(() => patches++)
    const deadline = Date.now() + 5000
    while (patches < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(patches).toBeGreaterThanOrEqual(10)
    const arena = arenaRooms.get(room.roomId) as ArenaRoom
    const state = room.state as { entities: Map<string, unknown> }
    expect(state.entities.size).toBeGreaterThan(0)
    expect(arena).toBeDefined()
    // the patches came through the direct path
    expect(framesSentDirectly() - before).toBeGreaterThanOrEqual(10)
  })
})
