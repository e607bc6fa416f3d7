// Sync benchmark: server CPU per tick (attention + view sync + encoding) and bytes per client per
// second for one room of moving entities, under four policies measured in the same run:
//   attention       this plugin (engine + AttentionPlugin.sync + per-view encoding, shared views,
//                   bands, and the per-view change lists the plugin installs on the room's encoder)
//   full            no filter: every client receives every entity, every field (encoded once)
//   radius          a per-tick radius refresh of each client's StateView, written the
//                   straightforward way (view.has / view.add / view.remove over every entity for
//                   every client), encoded by Colyseus as it is
//   radius-indexed  the same radius refresh with the plugin's per-view change lists installed on
//                   the encoder (installViewEncoding): shows how much of the gap is encoding
//
//   npm run bench:sync              readable table
//   npm run bench:sync -- --json    one JSON object per scenario per line
//   npm run bench:sync -- --quick   small run (< 20 s), for the eval harness
//   POLICIES=attention,radius npm run bench:sync   only those policies (for profiling)
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'
const nsUsed = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size
import type { Client } from '@colyseus/core'
import { Decoder, Encoder, schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, AttentionPlugin, AttentionTags, Band, createAttentionComponents, createAttentionSystem, installViewEncoding, setFacingAngle } from '../dist/index.js'

/** The policies. */
export type SyncPolicy = 'attention' | 'full' | 'radius' | 'radius-indexed'

/** Options of {@link runSyncBench}. */
export interface SyncBenchOptions {
  quick?: boolean
  entities?: number
  clients?: number[]
  /** Measured ticks per run of a scenario, after warm-up. @defaultValue 100 (30 quick) */
  ticks?: number
  /** Runs of each scenario, alternating with the other policies' (their ticks are pooled). @defaultValue 5 (1 quick) */
  reps?: number
  onResult?: (r: SyncBenchResult) => void
}

/** One measured scenario. */
export interface SyncBenchResult {
  policy: SyncPolicy
  entities: number
  clients: number
  /** Median server ms per tick: attention + view sync + encoding (not the simulation). */
  msPerTick: number
  p90MsPerTick: number
  /** Mean bytes sent per client per second at 20 patches per second. */
  bytesPerClientPerSec: number
  /** Mean entities each client holds (decoded on a sample client). */
  entitiesPerClient: number
  /** Distinct views encoded per patch. */
  views: number
  /** Median ms per tick of the interest step alone (attention: engine + sync; radius: the refresh). */
  interestMs: number
  /** Median ms per tick of encoding (shared part + every distinct view). */
  encodeMs: number
}

const POLICIES: readonly SyncPolicy[] = ['attention', 'full', 'radius', 'radius-indexed']
const TICK_HZ = 20
const WORLD = 1600
const RADIUS = 180
const BUDGET = 24

const Entity = schema(
  {
    kind: t.string().default('bot'),
    cx: t.int16().default(0),
    cy: t.int16().default(0),
    x: t.float32().default(0).view(AttentionTags.Motion),
    y: t.float32().default(0).view(AttentionTags.Motion),
    angle: t.float32().default(0).view(AttentionTags.Motion),
    hp: t.uint8().default(100).view(AttentionTags.Detail),
  },
  'BenchEntity',
)
type Entity = SchemaType<typeof Entity>
const State = schema({ entities: t.map(Entity).view() }, 'BenchState')

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), a | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0
}

/** One policy on a fresh, identically seeded world. */
interface Scenario {
  /** Runs `n` more ticks; `measure` records them into the samples (else they are warm-up). */
  run(n: number, measure: boolean): void
  /** Disposes the views. */
  dispose(): void
}

/** Sets up one policy on a fresh, identically seeded world, recording into `out`. */
function createScenario(policy: SyncPolicy, entities: number, clients: number, out: Samples): Scenario {
  const rnd = rng(42)
  const world = createWorld()
  const C = createAttentionComponents(entities + 16)
  const attention = createAttentionSystem(world, { components: C, cellSize: 60, dt: 1 / TICK_HZ, speedScale: 40 })
  const state = new State()
  const encoder = new Encoder(state)
  const instances: Entity[] = []
  const eids: number[] = []
  for (let i = 0; i < entities; i++) {
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    addComponent(world, eid, C.Velocity)
    C.Position.x[eid] = rnd() * WORLD
    C.Position.y[eid] = rnd() * WORLD
    const a = rnd() * Math.PI * 2
    C.Velocity.x[eid] = Math.cos(a) * 20
    C.Velocity.y[eid] = Math.sin(a) * 20
    setFacingAngle(world, C, eid, a)
    const e = new Entity()
    e.x = C.Position.x[eid]!
    e.y = C.Position.y[eid]!
    instances[eid] = e
    eids.push(eid)
    state.entities.set(String(eid), e)
  }
  const observers = eids.slice(0, clients)
  for (const o of observers) addObserver(world, C, o, { radius: RADIUS, budget: BUDGET })

  // per-client views, per policy
  const views: StateView[] = []
  const writeMotion = (eid: number): void => {
    const e = instances[eid]!
    e.x = C.Position.x[eid]!
    e.y = C.Position.y[eid]!
    e.angle = Math.atan2(C.Velocity.y[eid]!, C.Velocity.x[eid]!)
  }
  // like the example server: full-rate fields are written only for entities a view holds at
  // Medium or High (watchBand), and refreshed by the plugin right before a view starts receiving them
  const plugin = new AttentionPlugin({ entryBudget: 64, refresh: (eid) => writeMotion(eid) })
  // in a room the plugin installs this on the room's encoder itself; here there is no room
  if (policy === 'attention' || policy === 'radius-indexed') installViewEncoding(encoder)
  if (policy === 'attention') {
    plugin.use(attention)
    for (const eid of eids) plugin.track(eid, instances[eid]!)
    observers.forEach((o, i) => {
      // the plugin only reads sessionId and sets view: a plain object stands in for the transport client
      const client = { sessionId: `c${i}`, view: undefined as StateView | undefined }
      plugin.bind(client as unknown as Client, o)
      views.push(client.view!)
    })
  } else if (policy === 'full') {
    const all = new StateView()
    for (const eid of eids) all.add(instances[eid]!, AttentionTags.Motion | AttentionTags.Detail)
    for (let i = 0; i < clients; i++) views.push(all)
  } else {
    for (let i = 0; i < clients; i++) views.push(new StateView())
  }
  // one decoding client, to check what a client actually holds
  const probe = new State()
  const decoder = new Decoder(probe)
  {
    const it = { offset: 0 }
    encoder.encodeAll(it)
    decoder.decode(encoder.encodeAllView(views[0]!, it.offset, it))
    encoder.discardChanges()
  }

  const step = (tick: number): void => {
    for (const eid of eids) {
      let x = C.Position.x[eid]! + C.Velocity.x[eid]! / TICK_HZ
      let y = C.Position.y[eid]! + C.Velocity.y[eid]! / TICK_HZ
      if (x < 0 || x > WORLD) C.Velocity.x[eid] = -C.Velocity.x[eid]!
      if (y < 0 || y > WORLD) C.Velocity.y[eid] = -C.Velocity.y[eid]!
      x = Math.min(WORLD, Math.max(0, x))
      y = Math.min(WORLD, Math.max(0, y))
      C.Position.x[eid] = x
      C.Position.y[eid] = y
      if (rnd() < 0.02) {
        const a = rnd() * Math.PI * 2
        C.Velocity.x[eid] = Math.cos(a) * 20
        C.Velocity.y[eid] = Math.sin(a) * 20
        setFacingAngle(world, C, eid, a)
      }
      const e = instances[eid]!
      if (policy !== 'attention' || plugin.watchBand(eid) >= Band.Medium) writeMotion(eid)
      if (tick % 4 === 0) {
        e.cx = Math.round(x)
        e.cy = Math.round(y)
      }
      if (rnd() < 0.01) e.hp = (e.hp + 1) % 100
    }
  }

  const radiusRefresh = (): void => {
    const r2 = RADIUS * RADIUS
    for (let i = 0; i < observers.length; i++) {
      const o = observers[i]!
      const view = views[i]!
      const ox = C.Position.x[o]!
      const oy = C.Position.y[o]!
      for (const eid of eids) {
        const dx = C.Position.x[eid]! - ox
        const dy = C.Position.y[eid]! - oy
        const inside = dx * dx + dy * dy <= r2
        const e = instances[eid]!
        if (inside && !view.has(e)) view.add(e, AttentionTags.Motion | AttentionTags.Detail)
        else if (!inside && view.has(e)) {
          view.remove(e, AttentionTags.Motion | AttentionTags.Detail)
          view.remove(e)
        }
      }
    }
  }

  let tick = 0
  const encoded = new Map<StateView, number>()
  const runTick = (measure: boolean): void => {
    step(tick++)
    const a0 = nsUsed()
    const t0 = performance.now()
    if (policy === 'attention') {
      attention(world)
      const aE = nsUsed()
      plugin.sync()
      const aS = nsUsed()
      if (measure && aE >= a0 && aS >= aE) { const H = ((globalThis as any).__alloc2 ??= { e: [] as number[], s: [] as number[] }); H.e.push(aE - a0); H.s.push(aS - aE) }
    } else if (policy === 'radius' || policy === 'radius-indexed') radiusRefresh()
    const tMid = performance.now()
    const a1 = nsUsed()
    // what Colyseus' SchemaSerializer does per patch: shared part once, then each distinct view once
    const it = { offset: 0 }
    encoder.encode(it)
    const shared = it.offset
    let tickBytes = 0
    let first: Uint8Array | null = null
    for (const view of views) {
      let n = encoded.get(view)
      if (n === undefined) {
        const buf = encoder.encodeView(view, shared, it)
        if (first === null) first = buf.slice()
        n = buf.length
        encoded.set(view, n)
      }
      tickBytes += n
    }
    encoded.clear()
    encoder.discardChanges()
    const t1 = performance.now()
    const a2 = nsUsed()
    if (measure && a1 >= a0 && a2 >= a1) { const G = ((globalThis as any).__alloc ??= { i: [] as number[], e: [] as number[] }); G.i.push(a1 - a0); G.e.push(a2 - a1) }
    if (first !== null) decoder.decode(first)
    if (measure) {
      out.measured++
      out.times.push(t1 - t0)
      out.interest.push(tMid - t0)
      out.encode.push(t1 - tMid)
      out.bytes += tickBytes
      out.held += probe.entities.size
    }
  }
  out.views = new Set(views).size
  return {
    run(n, measure) {
      for (let i = 0; i < n; i++) runTick(measure)
    },
    dispose() {
      for (const v of new Set(views)) v.dispose()
    },
  }
}

/** The samples of one policy, pooled over its runs. */
interface Samples {
  times: number[]
  interest: number[]
  encode: number[]
  bytes: number
  held: number
  measured: number
  views: number
}

/**
 * Runs each policy `reps` times on a fresh world (20 warm-up ticks, then `ticks` measured), the
 * policies alternating, and pools each policy's ticks. The machine's speed drifts over seconds
 * (other processes, CPU frequency): alternating short runs spreads every policy over the same
 * stretch of time, so their ratio does not depend on which one ran while the machine was slow.
 * Each run starts after a full GC (with --expose-gc), with no other run's objects alive.
 */
function runAlternating(policies: readonly SyncPolicy[], entities: number, clients: number, ticks: number, reps: number): SyncBenchResult[] {
  const pooled = policies.map((): Samples => ({ times: [], interest: [], encode: [], bytes: 0, held: 0, measured: 0, views: 0 }))
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < policies.length; k++) {
      // rotate the order so that no policy always runs right after the same one
      const i = (k + rep) % policies.length
      ;(globalThis as { gc?: () => void }).gc?.()
      const sc = createScenario(policies[i]!, entities, clients, pooled[i]!)
      sc.run(20, false)
      sc.run(ticks, true)
      sc.dispose()
    }
  }
  return policies.map((policy, i) => {
    const p = pooled[i]!
    return {
      policy,
      entities,
      clients,
      msPerTick: median(p.times),
      p90MsPerTick: pct(p.times, 0.9),
      bytesPerClientPerSec: (p.bytes / p.measured / clients) * TICK_HZ,
      entitiesPerClient: p.held / p.measured,
      views: p.views,
      interestMs: median(p.interest),
      encodeMs: median(p.encode),
    }
  })
}

/** Runs the sync benchmark: every policy at each client count, in the same process. */
export async function runSyncBench(opts: SyncBenchOptions = {}): Promise<SyncBenchResult[]> {
  const entities = opts.entities ?? (opts.quick ? 400 : 1000)
  const clientCounts = opts.clients ?? (opts.quick ? [20] : [50, 200])
  const ticks = opts.ticks ?? (opts.quick ? 30 : 100)
  const reps = opts.reps ?? (opts.quick ? 1 : 5)
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, 8 * 1024 * 1024)
  const results: SyncBenchResult[] = []
  // V8 specialises a closure's optimised code to its context only while it is the only closure
  // of its kind: a process with a second room (a second attention system) runs the generic code,
  // about 1.4x slower. A throwaway system first makes every scenario measure that code.
  createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
  const policies = (process.env.POLICIES?.split(',') as SyncPolicy[] | undefined) ?? POLICIES
  for (const clients of clientCounts) {
    for (const r of runAlternating(policies, entities, clients, ticks, reps)) {
      results.push(r)
      opts.onResult?.(r)
    }
  }
  return results
}

/** Bytes one client pays per entity per second, by the band the entity is held at. */
export interface TierResult {
  band: 'low' | 'medium' | 'high'
  entities: number
  bytesPerEntityPerSec: number
}

/**
 * Update-rate tiers: three views hold the same moving entities at Low, Medium and High band tags;
 * what each view is sent per entity per second is what a member of that band costs its client.
 */
export function runTierBench(entities = 200, ticks = 100): TierResult[] {
  const rnd = rng(7)
  const state = new State()
  const encoder = new Encoder(state)
  const list: Entity[] = []
  for (let i = 0; i < entities; i++) {
    const e = new Entity()
    e.x = rnd() * WORLD
    e.y = rnd() * WORLD
    list.push(e)
    state.entities.set(String(i), e)
  }
  const tags = [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail] as const
  const views = tags.map(() => new StateView())
  {
    const it = { offset: 0 }
    encoder.encodeAll(it)
    encoder.discardChanges()
  }
  list.forEach((e) => views.forEach((v, b) => (tags[b] === 0 ? v.add(e) : v.add(e, tags[b]))))
  const bytes = [0, 0, 0]
  for (let tick = 0; tick < ticks + 1; tick++) {
    for (const e of list) {
      e.x += rnd() - 0.5
      e.y += rnd() - 0.5
      e.angle = rnd() * 6.28
      if (tick % 4 === 0) {
        e.cx = Math.round(e.x)
        e.cy = Math.round(e.y)
      }
      if (rnd() < 0.01) e.hp = (e.hp + 1) % 100
    }
    const it = { offset: 0 }
    encoder.encode(it)
    const shared = it.offset
    views.forEach((v, b) => {
      const n = encoder.encodeView(v, shared, it).length
      // tick 0 carries the initial add of every entity: measure the steady state after it
      if (tick > 0) bytes[b]! += n
    })
    encoder.discardChanges()
  }
  views.forEach((v) => v.dispose())
  return (['low', 'medium', 'high'] as const).map((band, b) => ({ band, entities, bytesPerEntityPerSec: (bytes[b]! / ticks / entities) * TICK_HZ }))
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json')
  const quick = process.argv.includes('--quick')
  if (!json) {
    console.log(`sync bench: ${quick ? 'quick' : 'full'} run, radius ${RADIUS}, budget ${BUDGET}, world ${WORLD}x${WORLD}, ${TICK_HZ} patches/s`)
    console.log('policy     entities clients  ms/tick  p90 ms  interest  encode   bytes/client/s  entities/client  views')
  }
  const results = await runSyncBench({
    quick,
    onResult: (r) => {
      if (json) console.log(JSON.stringify(r))
      else {
        console.log(
          `${r.policy.padEnd(10)} ${String(r.entities).padStart(8)} ${String(r.clients).padStart(7)} ${r.msPerTick.toFixed(2).padStart(8)} ${r.p90MsPerTick.toFixed(2).padStart(8)} ${r.interestMs.toFixed(2).padStart(8)} ${r.encodeMs.toFixed(2).padStart(7)} ${r.bytesPerClientPerSec.toFixed(0).padStart(15)} ${r.entitiesPerClient.toFixed(1).padStart(16)} ${String(r.views).padStart(6)}`,
        )
      }
    },
  })
  const tiers = runTierBench(quick ? 100 : 200, quick ? 40 : 100)
  for (const t of tiers) {
    if (json) console.log(JSON.stringify({ kind: 'tier', ...t }))
    else console.log(`band ${t.band.padEnd(6)} costs its client ${t.bytesPerEntityPerSec.toFixed(1)} bytes per entity per second`)
  }
  if (!json) {
    for (const clients of new Set(results.map((r) => r.clients))) {
      const get = (p: SyncPolicy) => results.find((r) => r.policy === p && r.clients === clients)!
      const a = get('attention')
      if (POLICIES.some((p) => !results.some((r) => r.policy === p && r.clients === clients))) continue
      console.log(
        `${clients} clients: attention bytes = ${((100 * a.bytesPerClientPerSec) / get('full').bytesPerClientPerSec).toFixed(1)}% of full state; ` +
          `attention ms = ${((100 * a.msPerTick) / get('radius').msPerTick).toFixed(1)}% of the radius refresh ` +
          `(${((100 * a.msPerTick) / get('radius-indexed').msPerTick).toFixed(1)}% of the radius refresh with indexed encoding)`,
      )
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
