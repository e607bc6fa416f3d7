// Sending alone: what one patch's sends cost the server at N clients, with ws's own send and with the
// example server's direct frames (example-server/src/direct-frames.ts), alternating in one process.
// The server is this process (a ws server on 127.0.0.1); N plain ws clients connect from 3 child
// processes and only count bytes. Every 50 ms the server sends each client one binary message of
// 230-270 bytes (a view patch at 500 clients is about that), timed in process CPU and wall clock.
// The two paths alternate every 40 patches, so both see the same clients and the same machine.
//
//   node --import tsx bench/load/send-bench.ts                 500 clients, 800 patches
//   node --import tsx bench/load/send-bench.ts --clients 200 --patches 400
import { fork } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { WebSocket, WebSocketServer } from 'ws'
import { sendFramesDirectly, setDirectFrames } from '../../example-server/src/direct-frames'
import { flagValue } from '../lib/cli'
import { quantile } from '../lib/stats'

const here = fileURLToPath(import.meta.url)

if (process.env.SEND_BENCH_CLIENTS !== undefined) {
  // a load-generator child: COUNT sockets that receive and count
  const port = Number(process.env.PORT)
  let bytes = 0
  for (let i = 0; i < Number(process.env.SEND_BENCH_CLIENTS); i++) {
    const w = new WebSocket(`ws://127.0.0.1:${port}`)
    w.on('message', (d: Buffer) => {
      bytes += d.length
    })
    w.on('error', () => {})
  }
  process.on('message', () => process.send?.({ bytes }))
  process.on('disconnect', () => process.exit(0))
} else {
  const clients = Number(flagValue('clients') ?? 500)
  const patches = Number(flagValue('patches') ?? 800)
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  await new Promise((ok) => wss.once('listening', ok))
  const port = (wss.address() as AddressInfo).port
  const sockets: WebSocket[] = []
  wss.on('connection', (ws) => {
    sendFramesDirectly(ws)
    sockets.push(ws)
  })
  const children = [0, 1, 2].map((k) =>
    fork(here, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, PORT: String(port), SEND_BENCH_CLIENTS: String(Math.floor(clients / 3) + (k < clients % 3 ? 1 : 0)) } }),
  )
  while (sockets.length < clients) await new Promise((r) => setTimeout(r, 50))
  const payloads = Array.from({ length: clients }, (_, i) => Uint8Array.from({ length: 230 + (i % 40) }, (_, k) => (i + k) & 255))
  const runs = { ws: { cpu: [] as number[], wall: [] as number[] }, direct: { cpu: [] as number[], wall: [] as number[] } }
  for (let p = 0; p < patches; p++) {
    const direct = Math.floor(p / 40) % 2 === 1
    setDirectFrames(direct)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < sockets.length; i++) sockets[i]!.send(payloads[i]!, { binary: true })
    const c = process.cpuUsage(c0)
    const wall = performance.now() - t0
    // the first patches warm up
    if (p >= 80) {
      const r = direct ? runs.direct : runs.ws
      r.cpu.push((c.user + c.system) / 1000)
      r.wall.push(wall)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  setDirectFrames(true)
  for (const [name, r] of Object.entries(runs)) {
    console.log(
      `${name.padEnd(6)} ${r.cpu.length} patches of ${clients} sends: CPU median ${quantile(r.cpu, 0.5).toFixed(2)} ms (p99 ${quantile(r.cpu, 0.99).toFixed(2)}), ` +
        `wall median ${quantile(r.wall, 0.5).toFixed(2)} ms (p99 ${quantile(r.wall, 0.99).toFixed(2)})`,
    )
  }
  console.log(`direct / ws CPU median: ${(quantile(runs.direct.cpu, 0.5) / quantile(runs.ws.cpu, 0.5)).toFixed(3)}`)
  for (const c of children) c.kill()
  wss.close()
  process.exit(0)
}
