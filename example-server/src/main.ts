import { parseZoneSize } from 'colyseus-attention/zones'
import { WORLD_SIZE, ZONE_MARGIN } from './arena-room'
import { startServer, type RunningServer } from './server'

// Reads PORT, HOST (default 0.0.0.0; 127.0.0.1 with ATTENTION_DEBUG=1), BOTS, SEED, ATTENTION (0 = off), DIRECT_FRAMES (0 = the ws library's own send), ATTENTION_DEBUG (1 = debug endpoints; these three are 0 or 1) and
// BYTE_BUDGET (bytes per second per client; 0 = a count budget of 24), SCORER (heads | learned);
// ENGINE_THREADS (threads the attention engine scores observers on, 1 to 8; more than 1 needs SCORER=heads);
// PIPELINED (1: the engine's threads score the next tick while the room syncs and sends; ENGINE_THREADS then defaults to 2);
// MAX_CLIENTS (players per arena room, 1 to 2000, default 500), MAX_ROOMS (arena rooms per process outside a zoned world, 1 to 256, default 4);
// ENTITY_KEY_SECRET (16 lowercase hex digits, the same in every process of a zoned world on Redis: entity keys keep across zones);
// REDIS_URL (several
// processes sharing Colyseus' Redis presence and driver), PUBLIC_ADDRESS (host:port other
// processes' clients reach this one at), ZONES (a zoned world, e.g. 2x2) and CLUSTER_PROCESSES (how
// many processes the cluster starts with: zones are placed once that many are up).
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
  console.error(`ZONES must be <columns>x<rows> with each in [1, 16] and at most 255 zones (e.g. 2x2); got ${zonesEnv}`)
  process.exit(2)
}
// a zone's smaller side must hold the border margin (only neighbouring zones exchange)
if (zones !== undefined && Math.min(WORLD_SIZE / zones.columns, WORLD_SIZE / zones.rows) < ZONE_MARGIN) {
  const most = Math.floor(WORLD_SIZE / ZONE_MARGIN)
  console.error(`ZONES ${zonesEnv} makes zones narrower than the border margin (${ZONE_MARGIN} units of a ${WORLD_SIZE}-unit world): at most ${most} columns and ${most} rows`)
  process.exit(2)
}
const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const scorer = process.env.SCORER ?? 'heads'
if (scorer !== 'heads' && scorer !== 'learned') {
  console.error(`SCORER must be heads or learned; got ${scorer}`)
  process.exit(2)
}
const pipelined = intEnv('PIPELINED', 0, 0, 1) === 1
if (pipelined && scorer !== 'heads') {
  console.error(`PIPELINED=1 needs SCORER=heads (the engine's threads score with the built-in heads); got SCORER=${scorer}`)
  process.exit(2)
}
const options = {
  redisUrl,
  processes: intEnv('CLUSTER_PROCESSES', 1, 1, 64),
  zones,
  publicAddress: process.env.PUBLIC_ADDRESS === '' ? undefined : process.env.PUBLIC_ADDRESS,
  port,
  // unset: startServer's default (0.0.0.0, or 127.0.0.1 in debug mode: its routes show anyone what clients may not see)
  host: process.env.HOST === '' ? undefined : process.env.HOST,
  bots: intEnv('BOTS', 300, 0, 20000),
  seed: intEnv('SEED', 1, 0, 2 ** 31),
  // switches are 0 or 1: a typo such as ATTENTION=off must not leave the plugin on unnoticed
  debug: intEnv('ATTENTION_DEBUG', 0, 0, 1) === 1,
  attention: intEnv('ATTENTION', 1, 0, 1) === 1,
  directFrames: intEnv('DIRECT_FRAMES', 1, 0, 1) === 1,
  byteBudget: intEnv('BYTE_BUDGET', 0, 0, 10_000_000),
  scorer: scorer as 'heads' | 'learned',
  // unset: startServer's default (1, or 2 when pipelined)
  engineThreads: process.env.ENGINE_THREADS ? intEnv('ENGINE_THREADS', 1, 1, 8) : undefined,
  enginePipelined: pipelined,
  // unset: startServer's defaults
  maxClients: process.env.MAX_CLIENTS ? intEnv('MAX_CLIENTS', 500, 1, 2000) : undefined,
  maxRooms: process.env.MAX_ROOMS ? intEnv('MAX_ROOMS', 4, 1, 256) : undefined,
  entityKeySecret: process.env.ENTITY_KEY_SECRET === '' ? undefined : process.env.ENTITY_KEY_SECRET,
}

// Ctrl-C reaches this process more than once (the terminal signals the whole process group, the
// tsx runner relays it as well, and a cluster script may send SIGTERM): shut down on the first
// signal only. The handlers go in before the server starts, so a signal during start-up cannot
// kill the process halfway.
let server: RunningServer | null = null
let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  if (server === null) return // start-up finishes, then stops (below)
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

server = await startServer(options).catch((e: unknown) => {
  console.error(`arena: could not start: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
if (stopping) {
  stopping = false
  stop()
} else {
  const mode = `${zones === undefined ? 'one arena' : `zones ${zones.columns}x${zones.rows}`}${redisUrl === undefined ? '' : `, redis ${redisUrl}`}`
  const h = server.host
  const shown = h === '0.0.0.0' || h === '::' ? 'localhost' : h.includes(':') ? `[${h}]` : h
  console.log(`arena listening on http://${shown}:${server.port} (${mode}; scorer ${scorer}, debug ${options.debug ? 'on' : 'off'})`)
  if (options.debug && options.host === undefined) {
    console.log(`debug routes on: listening on ${h} only (the /debug routes show what clients may not see, to anyone who reaches the port; set HOST to listen elsewhere)`)
  } else if (options.debug && !h.startsWith('127.') && h !== '::1') {
    console.warn(`debug routes on, listening on ${h} (HOST): the /debug routes show what clients may not see to anyone who reaches the port`)
  }
}
