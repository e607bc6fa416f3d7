// npm run demo:cluster: a local cluster for trying the zoned world. Starts a redis-server on
// 127.0.0.1 (free port, no persistence), PROCESSES example servers (default 2) on ports 2567, 2568...
// sharing it, with ZONES (default 2x2) zone rooms placed across them. Open the first URL printed
// in a browser (or any of them: every process serves every room). Ctrl-C stops everything.
import { createEntityKeys } from 'colyseus-attention'
import { startProcess, startRedis, zonesOf, type ServerProcess } from './processes'

const count = Number(process.env.PROCESSES ?? 2)
const zones = process.env.ZONES ?? '2x2'
const basePort = Number(process.env.PORT ?? 2567)
if (!Number.isInteger(count) || count < 1 || count > 16) {
  console.error(`PROCESSES must be an integer in [1, 16]; got ${process.env.PROCESSES}`)
  process.exit(2)
}
// the processes listen on PORT, PORT + 1, ...
if (!Number.isInteger(basePort) || basePort < 1 || basePort + count - 1 > 65535) {
  console.error(`PORT must be an integer in [1, ${65536 - count}] for ${count} processes; got ${process.env.PORT}`)
  process.exit(2)
}

const redis = await startRedis()
console.log(`[cluster] redis-server on ${redis.url}`)
const procs: ServerProcess[] = []
let stopping = false
const stop = async (code: number): Promise<void> => {
  if (stopping) return
  stopping = true
  console.log('[cluster] stopping')
  await Promise.all(procs.map((p) => p.stop()))
  await redis.stop()
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
try {
  // one entity key secret for every process of the world (an entity keeps its key from zone to zone)
  const secret = process.env.ENTITY_KEY_SECRET || createEntityKeys().secret
  const env = { REDIS_URL: redis.url, CLUSTER_PROCESSES: String(count), ZONES: zones, ENTITY_KEY_SECRET: secret, BOTS: process.env.BOTS ?? '400', ATTENTION_DEBUG: process.env.ATTENTION_DEBUG ?? '1' }
  for (let i = 0; i < count; i++) procs.push(await startProcess(env, false, basePort + i, `[server ${i + 1}]`))
  await Promise.all(procs.map((p) => p.waitFor(/arena listening/)))
  // the zone rooms come up one per 1.5 s check: print the URL once a page can join any of them
  const [columns, rows] = zones.split('x').map(Number)
  const want = (columns ?? 1) * (rows ?? 1)
  const until = Date.now() + 60_000
  // (counted through the debug endpoint: without it, just give them a few seconds)
  if (env.ATTENTION_DEBUG !== '1') await new Promise((r) => setTimeout(r, 1500 * (want + 1)))
  else while ((await zonesOf(procs).catch(() => [])).length < want && Date.now() < until) await new Promise((r) => setTimeout(r, 250))
  for (const p of procs) {
    p.child.once('exit', (code) => {
      if (!stopping) console.log(`[cluster] server on port ${p.port} exited (${code}); the others keep serving`)
    })
  }
  console.log(`[cluster] ${count} processes, zones ${zones}: open http://localhost:${basePort} (Ctrl-C stops everything)`)
} catch (e) {
  console.error(`[cluster] could not start: ${e instanceof Error ? e.message : String(e)}`)
  await stop(1)
}
