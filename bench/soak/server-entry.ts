// Entry point of the soak's server child process: the example server (one process, no Redis) on
// 127.0.0.1, plus what the soak needs inside it: tick timings, the entitlement oracle after every
// patch, the bot churn, and memory samples. The parent talks to it over IPC (see protocol.ts).
// Settings come from the environment: PORT, BOTS, SEED, SOAK_CHURN (bots killed and respawned per
// second), SOAK_INJECT_LEAK=1 (a control: every 2 s a hidden entity goes straight into a client's
// StateView behind the plugin's back, and the oracle must report it).
import { Room } from '@colyseus/core'
import { arenaRooms, type ArenaRoom } from '../../example-server/src/arena-room'
import { startServer } from '../../example-server/src/server'
import { createPrng } from '../lib/prng'
import { createBotChurn, type BotChurn } from './bot-churn'
import { createEntitlementOracle, type EntitlementOracle } from './entitlement'
import type { SoakReply, SoakRequest } from './protocol'

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && process.env[name] !== '' ? v : fallback
}
const port = env('PORT', 0)
const bots = env('BOTS', 300)
const seed = env('SEED', 1)
const churnPerSecond = env('SOAK_CHURN', 10)
const injectLeak = process.env.SOAK_INJECT_LEAK === '1'

// --- tick timings: steps since the last patch + the patch, without the oracle's own time; wall clock
// and process CPU time (the latter barely moves when other processes compete for the cores) ---
// (typed arrays allocated once, outside the heap: growing JS arrays would show up as heap growth)
const CAP = 40_000
const tickAt = new Float64Array(CAP)
const tickMs = new Float64Array(CAP)
const tickCpuMs = new Float64Array(CAP)
/** Ticks recorded so far; the last CAP are kept (a ring). */
let ticks = 0
let stepsSincePatch = 0
let cpuSincePatch = 0
let oracleMs = 0
let oracleCpuMs = 0
type AnyFn = (...args: unknown[]) => unknown
const proto = Room.prototype as unknown as Record<string, AnyFn>
for (const name of ['setTimestep', 'setFixedTimestep'] as const) {
  const original = proto[name]!
  proto[name] = function (this: unknown, cb: unknown, ...rest: unknown[]) {
    if (typeof cb !== 'function') return original.call(this, cb, ...rest)
    const step = cb as AnyFn
    return original.call(
      this,
      function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now()
        const c0 = process.cpuUsage()
        const r = step.apply(this, args)
        stepsSincePatch += performance.now() - t0
        const c = process.cpuUsage(c0)
        cpuSincePatch += (c.user + c.system) / 1000
        return r
      },
      ...rest,
    )
  }
}
const broadcastPatch = proto.broadcastPatch!
proto.broadcastPatch = function (this: unknown, ...args: unknown[]) {
  oracleMs = 0
  oracleCpuMs = 0
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const r = broadcastPatch.apply(this, args)
  const ms = performance.now() - t0 - oracleMs
  const c = process.cpuUsage(c0)
  const cpu = (c.user + c.system) / 1000 - oracleCpuMs
  const k = ticks++ % CAP
  tickAt[k] = t0
  tickMs[k] = ms + stepsSincePatch
  tickCpuMs[k] = cpu + cpuSincePatch
  stepsSincePatch = 0
  cpuSincePatch = 0
  return r
}

// --- errors: anything the server prints through console.error (Colyseus logs caught errors there) ---
let errors = 0
const errorSamples: string[] = []
const consoleError = console.error
console.error = (...a: unknown[]) => {
  errors++
  if (errorSamples.length < 10) errorSamples.push(a.map(String).join(' ').slice(0, 300))
  consoleError(...a)
}
process.on('uncaughtException', (e) => {
  consoleError('[soak] uncaught exception in the server:', e)
  process.exit(70)
})

await startServer({ port, host: '127.0.0.1', bots, seed })

// --- the arena room appears with its first client: attach the oracle and start the churn ---
let room: ArenaRoom | null = null
let oracle: EntitlementOracle | null = null
let churn: BotChurn | null = null
const rng = createPrng(seed * 7919 + 1)
let owed = 0
const attach = setInterval(() => {
  const r = arenaRooms.values().next().value as ArenaRoom | undefined
  if (r === undefined || r === room) return
  room = r
  const o = createEntitlementOracle(r.arena.attention.capacity)
  oracle = o
  r.afterSync = (rr) => {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    o.afterSync(rr)
    oracleMs += performance.now() - t0
    const c = process.cpuUsage(c0)
    oracleCpuMs += (c.user + c.system) / 1000
  }
  churn = createBotChurn(r, rng)
}, 100)
const churnTimer = setInterval(() => {
  if (churn === null) return
  owed += churnPerSecond / 10
  const n = Math.floor(owed)
  owed -= n
  if (n > 0) churn.churn(n)
}, 100)

const injectTimer = setInterval(() => {
  if (!injectLeak || room === null || room.clients.length === 0) return
  const client = room.clients[rng.int(room.clients.length)]!
  const a = room.arena
  for (const [key, inst] of room.state.entities) {
    if (a.mood[room.entityOf(key)] === 'ghost' && client.view !== undefined && !client.view.has(inst)) {
      client.view.add(inst)
      return
    }
  }
}, 2000)

const reply = (m: SoakReply): void => {
  process.send?.(m)
}
process.on('message', (raw: unknown) => {
  const m = raw as SoakRequest
  if (m.type === 'check') {
    if (room === null || oracle === null) reply({ type: 'check', clients: 0, leaks: 0, stale: 0, missing: 0, viewMismatch: 0, unknown: m.holdings.length, samples: [] })
    else reply(oracle.compare(room, m.holdings))
  } else if (m.type === 'sample') {
    if (m.gc) (globalThis as { gc?: () => void }).gc?.()
    const mem = process.memoryUsage()
    reply({ type: 'sample', heapUsed: mem.heapUsed, rss: mem.rss, clients: room?.clients.length ?? 0, entities: room?.state.entities.size ?? 0, now: performance.now() })
  } else if (m.type === 'timings') {
    const tick: number[] = []
    const cpu: number[] = []
    for (let i = 0; i < Math.min(ticks, CAP); i++) {
      if (tickAt[i]! < m.sinceMs) continue
      tick.push(tickMs[i]!)
      cpu.push(tickCpuMs[i]!)
    }
    reply({ type: 'timings', tick, cpu, patches: oracle?.patches ?? 0 })
  } else if (m.type === 'summary') {
    reply({
      type: 'summary',
      serverLeaks: oracle?.serverLeaks ?? 0,
      samples: oracle?.samples ?? [],
      patches: oracle?.patches ?? 0,
      botsKilled: churn?.killed ?? 0,
      idsReused: churn?.reused ?? 0,
      errors,
      errorSamples,
    })
  }
})
// the parent's IPC channel must not keep the server alive after SIGTERM
process.channel?.unref()
process.on('SIGTERM', () => {
  clearInterval(attach)
  clearInterval(churnTimer)
  clearInterval(injectTimer)
  process.exit(0)
})
