import { parseZoneSize } from 'colyseus-attention/zones'
import { startServer } from './server'

// Reads PORT, HOST, BOTS, SEED, ATTENTION (0 = off) and ATTENTION_DEBUG (1 = debug endpoints);
// REDIS_URL (several processes sharing Colyseus' Redis presence and driver), PUBLIC_ADDRESS
// (host:port other processes' clients reach this one at) and ZONES (a zoned world, e.g. 2x2).
const intEnv = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name} must be an integer in [${min}, ${max}]; got ${raw}`)
    process.exit(2)
  }
  return n
}

const port = intEnv('PORT', 2567, 0, 65535)
const zonesEnv = process.env.ZONES
const zones = zonesEnv === undefined || zonesEnv === '' ? undefined : parseZoneSize(zonesEnv)
if (zones === null) {
  console.error(`ZONES must be <columns>x<rows> with each in [1, 16] (e.g. 2x2); got ${zonesEnv}`)
  process.exit(2)
}
const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const server = await startServer({
  redisUrl,
  zones,
  publicAddress: process.env.PUBLIC_ADDRESS === '' ? undefined : process.env.PUBLIC_ADDRESS,
  port,
  host: process.env.HOST ?? '0.0.0.0',
  bots: intEnv('BOTS', 300, 0, 20000),
  seed: intEnv('SEED', 1, 0, 2 ** 31),
  debug: process.env.ATTENTION_DEBUG === '1',
  attention: process.env.ATTENTION !== '0',
}).catch((e: unknown) => {
  console.error(`arena: could not start: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
const mode = `${zones === undefined ? 'one arena' : `zones ${zones.columns}x${zones.rows}`}${redisUrl === undefined ? '' : `, redis ${redisUrl}`}`
console.log(`arena listening on http://localhost:${server.port} (${mode}; debug ${process.env.ATTENTION_DEBUG === '1' ? 'on' : 'off'})`)
let stopping = false
const stop = (): void => {
  // Ctrl-C reaches every process of the group, and a cluster script may send SIGTERM as well
  if (stopping) return
  stopping = true
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
