import { startServer, type RunningServer } from './server'

// Reads PORT, HOST, BOTS, SEED, ATTENTION (0 = off), SCORER (heads | learned) and ATTENTION_DEBUG (1 = debug endpoints).
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
const scorer = process.env.SCORER ?? 'heads'
if (scorer !== 'heads' && scorer !== 'learned') {
  console.error(`SCORER must be heads or learned; got ${scorer}`)
  process.exit(2)
}
const options = {
  port,
  host: process.env.HOST ?? '0.0.0.0',
  bots: intEnv('BOTS', 300, 0, 20000),
  seed: intEnv('SEED', 1, 0, 2 ** 31),
  debug: process.env.ATTENTION_DEBUG === '1',
  attention: process.env.ATTENTION !== '0',
  scorer: scorer as 'heads' | 'learned',
}

// Ctrl-C reaches this process more than once (the terminal signals the whole process group, and the
// tsx runner relays it as well): shut down on the first signal only. The handlers go in before the
// server starts, so a signal during start-up cannot kill the process halfway.
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

server = await startServer(options)
if (stopping) {
  stopping = false
  stop()
} else {
  console.log(`arena listening on http://localhost:${server.port} (scorer ${scorer}, debug ${options.debug ? 'on' : 'off'})`)
}
