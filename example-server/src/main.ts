import { startServer } from './server'

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
const server = await startServer({
  port,
  host: process.env.HOST ?? '0.0.0.0',
  bots: intEnv('BOTS', 300, 0, 20000),
  seed: intEnv('SEED', 1, 0, 2 ** 31),
  debug: process.env.ATTENTION_DEBUG === '1',
  attention: process.env.ATTENTION !== '0',
  scorer,
})
console.log(`arena listening on http://localhost:${server.port} (scorer ${scorer}, debug ${process.env.ATTENTION_DEBUG === '1' ? 'on' : 'off'})`)
const stop = (): void => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
