import { connectCrowd } from './load/bot-clients'
import { startServerProcess } from './load/server-process'
const attention = process.env.ATT !== '0'
const server = await startServerProcess({ bots: 300, attention, env: { NODE_OPTIONS: '--import /work/main/bench/prof-hook-tmp.mjs' } })
const crowd = await connectCrowd({ port: server.port, count: 200 })
await new Promise((r) => setTimeout(r, 12000))
await server.resetTimings()
await new Promise((r) => setTimeout(r, 7000))
const t = await server.timings() as Record<string, number[]>
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]
console.log(Object.entries(t).map(([k, v]) => `${k} ${med(v)?.toFixed(2)}`).join('  '))
await crowd.close()
await server.stop()
process.exit(0)
