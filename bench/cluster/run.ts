// npm run bench:cluster: a 2x2 zoned arena with a few hundred bots and sdk clients, on 2 processes
// sharing a redis-server on 127.0.0.1, against the same world in one process. Measures the
// cross-border latency, the Redis traffic per zone against what the zone's clients receive, and
// the server CPU per process. Flags: --quick (short), --bots N, --clients N (per zone), --seconds N,
// --processes N; --help prints them.
import { readFileSync } from 'node:fs'
import { Client, type Room } from '@colyseus/sdk'
import { createRandom } from '../../example-server/src/random'
import { getJson, startProcess, startRedis, zonesOf, type ServerProcess, type TestRedis } from '../../example-server/scripts/processes'
import { acceptFlags, hasFlag, isMain, numberFlag, writeResult } from '../lib/cli'
import { quantile } from '../lib/stats'
import { createEntityKeys } from '../../plugin/src/index'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TICK_MS = 50
const CLK_TCK = 100

interface Options {
  bots: number
  clientsPerZone: number
  seconds: number
  warmup: number
  processes: number
  log: (line: string) => void
}

/** One cluster layout's results. */
export interface ClusterRun {
  processes: number
  redis: boolean
  bots: number
  clients: number
  seconds: number
  /** Spawn-to-visible at an observer across the border and at one on the same side, ms. */
  crossMs: { median: number; p99: number; n: number }
  localMs: { median: number; p99: number; n: number }
  /** Cross-border minus same-side delay per probe (what crossing the border adds), ms and ticks. */
  extraMs: { median: number; p99: number }
  extraTicksP99: number
  /** Per zone: border messages and bytes published per second, bytes its clients received per second. */
  zones: { zone: number; msgsPerSecond: number; bytesPerSecond: number; deliveredBytesPerSecond: number; clientBytesPerSecond: number; ratio: number; ghosts: number }[]
  /** CPU use of each server process (1.0 = one core). */
  cpu: number[]
}

const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK
}

interface Tapped {
  room: Room
  zone: number
  bytes: number
}

/** Counts the bytes a room receives by wrapping its connection's onmessage. */
function tap(room: Room, zone: number): Tapped {
  const t: Tapped = { room, zone, bytes: 0 }
  const events = (room.connection as unknown as { events: { onmessage?: (e: { data: unknown }) => unknown } }).events
  const inner = events.onmessage
  events.onmessage = (e) => {
    const d = e.data
    t.bytes += d instanceof ArrayBuffer ? d.byteLength : ArrayBuffer.isView(d) ? d.byteLength : typeof d === 'string' ? d.length : 0
    return inner?.(e)
  }
  for (const m of ['attention', 'destroyed', 'handover']) room.onMessage(m, () => {})
  return t
}

const ZONE_CENTRES = [
  [400, 400],
  [1200, 400],
  [400, 1200],
  [1200, 1200],
]

/** Probe pairs: a probe spawned in `zone` at (x, y), an observer on the same side and one across. */
const PROBES = [
  { zone: 0, x: 790, y: 400, local: [750, 400, 0], cross: 1, at: [835, 400, Math.PI] },
  { zone: 3, x: 810, y: 1200, local: [850, 1200, Math.PI], cross: 2, at: [765, 1200, 0] },
] as const

async function runLayout(processes: number, o: Options): Promise<ClusterRun> {
  let redis: TestRedis | null = null
  // (one entity key secret for every process of the world)
  const env: Record<string, string> = { ZONES: '2x2', BOTS: String(o.bots), SEED: '5', ATTENTION_DEBUG: '1', ENTITY_KEY_SECRET: createEntityKeys().secret }
  if (processes > 1) {
    redis = await startRedis()
    env.REDIS_URL = redis.url
    env.CLUSTER_PROCESSES = String(processes)
  }
  const procs: ServerProcess[] = await Promise.all(Array.from({ length: processes }, () => startProcess(env)))
  const rooms: Tapped[] = []
  try {
    const t0 = Date.now()
    while ((await zonesOf(procs)).length < 4) {
      if (Date.now() - t0 > 30_000) throw new Error('zone rooms did not come up')
      await sleep(200)
    }
    const hosts = await zonesOf(procs)
    o.log(`  ${processes} process(es): zones on ports ${hosts.map((z) => `${z.zone}:${z.proc.port}`).join(' ')}`)
    // crowd: clients spread over each zone (joined through the processes in turn), wandering
    const rnd = createRandom(9)
    for (let zone = 0; zone < 4; zone++) {
      for (let i = 0; i < o.clientsPerZone; i++) {
        const via = procs[(zone + i) % procs.length]!
        const [cx, cy] = ZONE_CENTRES[zone]!
        const room = await new Client(via.url).join('arena', { zone, x: cx! + (rnd() - 0.5) * 600, y: cy! + (rnd() - 0.5) * 600 })
        rooms.push(tap(room, zone))
        room.send('face', { angle: rnd() * Math.PI * 2 })
      }
    }
    const probes = []
    for (const p of PROBES) {
      const local = await new Client(procs[0]!.url).join('arena', { zone: p.zone, x: p.local[0], y: p.local[1] })
      const cross = await new Client(procs[procs.length - 1]!.url).join('arena', { zone: p.cross, x: p.at[0], y: p.at[1] })
      local.send('face', { angle: p.local[2] })
      cross.send('face', { angle: p.at[2] })
      rooms.push(tap(local, p.zone), tap(cross, p.cross))
      probes.push({ ...p, localRoom: local, crossRoom: cross, proc: hosts.find((z) => z.zone === p.zone)!.proc })
    }
    await sleep(o.warmup * 1000)
    const cross: number[] = []
    const localMs: number[] = []
    const extra: number[] = []
    const before = await zonesOf(procs)
    const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!))
    for (const r of rooms) r.bytes = 0
    const start = Date.now()
    let k = 0
    while (Date.now() - start < o.seconds * 1000) {
      const p = probes[k++ % probes.length]!
      const y = p.y + (rnd() - 0.5) * 20
      const ts = Date.now()
      const { key } = await getJson<{ key: string }>(`${p.proc.url}/debug/spawn?zone=${p.zone}&x=${p.x}&y=${y}`)
      let tl = -1
      let tc = -1
      const has = (r: Room): boolean => (r.state as { entities?: Map<string, unknown> } | undefined)?.entities?.has(key) === true
      while (Date.now() - ts < 2000 && (tl < 0 || tc < 0)) {
        if (tl < 0 && has(p.localRoom)) tl = Date.now() - ts
        if (tc < 0 && has(p.crossRoom)) tc = Date.now() - ts
        await sleep(1)
      }
      if (tl >= 0) localMs.push(tl)
      if (tc >= 0) cross.push(tc)
      if (tl >= 0 && tc >= 0) extra.push(tc - tl)
      await getJson(`${p.proc.url}/debug/despawn?zone=${p.zone}&key=${key}`).catch(() => {})
      await sleep(150)
    }
    const secs = (Date.now() - start) / 1000
    const cpu = procs.map((p, i) => (cpuSeconds(p.child.pid!) - cpu0[i]!) / secs)
    const after = await zonesOf(procs)
    const zones = after.map((z) => {
      const b = before.find((x) => x.zone === z.zone)!
      const bytesPerSecond = (z.stats.publishedBytes - b.stats.publishedBytes) / secs
      const clientBytesPerSecond = rooms.filter((r) => r.zone === z.zone).reduce((s, r) => s + r.bytes, 0) / secs
      // every summary reaches each neighbour (3 in a 2x2 grid) and comes back to its sender
      const deliveredBytesPerSecond = bytesPerSecond * 4
      return {
        zone: z.zone,
        msgsPerSecond: (z.stats.published - b.stats.published) / secs,
        bytesPerSecond,
        deliveredBytesPerSecond,
        clientBytesPerSecond,
        ratio: clientBytesPerSecond > 0 ? bytesPerSecond / clientBytesPerSecond : 0,
        ghosts: z.stats.ghosts,
      }
    })
    const stat = (v: number[]) => ({ median: quantile(v, 0.5), p99: quantile(v, 0.99), n: v.length })
    const ex = stat(extra)
    return {
      processes,
      redis: redis !== null,
      bots: o.bots,
      clients: rooms.length,
      seconds: secs,
      crossMs: stat(cross),
      localMs: stat(localMs),
      extraMs: { median: ex.median, p99: ex.p99 },
      extraTicksP99: ex.p99 / TICK_MS,
      zones,
      cpu,
    }
  } finally {
    for (const r of rooms) await Promise.race([r.room.leave().catch(() => {}), sleep(300)])
    for (const p of procs) await p.stop()
    await redis?.stop()
  }
}

/** Runs the same zoned world on one process, then on `processes` processes with Redis. */
export async function runClusterBench(o: Options): Promise<ClusterRun[]> {
  o.log(`bench:cluster: 2x2 zones, ${o.bots} bots, ${o.clientsPerZone} clients per zone (+4 probe observers), ${o.seconds} s measured`)
  const runs: ClusterRun[] = []
  for (const n of [1, o.processes]) {
    const r = await runLayout(n, o)
    runs.push(r)
    o.log(`  ${n} process(es)${r.redis ? ' + redis' : ''}: cross-border ${r.crossMs.median.toFixed(0)}/${r.crossMs.p99.toFixed(0)} ms (median/p99, n=${r.crossMs.n}); same side ${r.localMs.median.toFixed(0)}/${r.localMs.p99.toFixed(0)} ms; extra ${r.extraMs.median.toFixed(0)}/${r.extraMs.p99.toFixed(0)} ms = ${r.extraTicksP99.toFixed(2)} ticks p99`)
    for (const z of r.zones) o.log(`    zone ${z.zone}: ${z.msgsPerSecond.toFixed(1)} msgs/s, ${(z.bytesPerSecond / 1024).toFixed(1)} KiB/s published (${(z.deliveredBytesPerSecond / 1024).toFixed(1)} KiB/s delivered), clients receive ${(z.clientBytesPerSecond / 1024).toFixed(1)} KiB/s: ${(z.ratio * 100).toFixed(1)}%, ${z.ghosts} ghosts`)
    o.log(`    CPU per process: ${r.cpu.map((c) => `${(c * 100).toFixed(0)}%`).join(', ')}`)
  }
  return runs
}

/** What `npm run bench:cluster -- --help` prints. */
const USAGE = `usage: npm run bench:cluster -- [flags]
A 2x2 zoned arena on one process, then on several sharing a redis-server on 127.0.0.1: the delay a
border adds, each zone's Redis traffic against what its clients receive, the CPU per process
(docs/scaling.md).
  --bots N        bots in the whole world (default 400)
  --clients N     sdk clients per zone, 4 probe observers on top (default 15; with --quick 5)
  --seconds S     measured seconds per layout (default 30; with --quick 8)
  --processes N   processes of the second layout, 2 to 16 (default 2)
  --quick         short: 5 clients per zone, 8 s, 3 s of warm-up
Writes .bench-results/cluster.json.`

if (isMain(import.meta.url)) {
  const cmd = 'npm run bench:cluster'
  acceptFlags(cmd, USAGE, ['bots', 'clients', 'seconds', 'processes'], ['quick'])
  const quick = hasFlag('quick')
  const runs = await runClusterBench({
    bots: numberFlag(cmd, 'bots', 0, 20000) ?? 400,
    clientsPerZone: numberFlag(cmd, 'clients', 0, 500) ?? (quick ? 5 : 15),
    seconds: numberFlag(cmd, 'seconds', 1, 3600, false) ?? (quick ? 8 : 30),
    warmup: quick ? 3 : 5,
    processes: numberFlag(cmd, 'processes', 2, 16) ?? 2,
    log: (line) => console.log(line),
  })
  console.log(`results: ${writeResult('cluster', { at: new Date().toISOString(), runs })}`)
  process.exit(0)
}
