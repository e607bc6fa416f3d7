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
//   attention-threads  the attention plugin with the engine's observers on two threads (option
//                   threads: 2, shared stores; docs/concepts.md 5c): the room's thread's time per
//                   tick; run on the 10,000-entity row only (on a 2-core machine it needs a free core)
//   attention-pipelined  the same two threads pipelined (option pipelined): the worker scores the
//                   next tick while the room's thread syncs and encodes, the sets a tick later; the
//                   room's thread's time per tick, its wait for the worker at the end included;
//                   the 10,000-entity row only
//   radius-grid     the fair baseline: a radius AOI over a uniform spatial grid, each view's set diffed
//                   against its last one (what a careful Colyseus user writes), its radius chosen so
//                   that its mean set size equals the plugin's, encoded by Colyseus as it is
//
// The world keeps the density of 1,000 entities on 1600 x 1600 whatever the entity count.
//
//   npm run bench:sync              readable table
//   npm run bench:sync -- --json    one JSON object per scenario per line
//   npm run bench:sync -- --quick   small run (< 20 s), for the eval harness
//   npm run bench:sync -- --entities 10000 --clients 500 --ticks 40   one row (clients: a list)
//   POLICIES=attention,radius npm run bench:sync   only those policies (for profiling)
//   npm run bench:sync -- --no-garbage --no-leave   without the garbage and the client-leave measurements
//   npm run bench:sync -- --help    every flag with its default (USAGE, at the end)
import type { Client } from '@colyseus/core'
import { Decoder, Encoder, schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { WebSocket } from 'ws'
import { addObserver, AttentionPlugin, AttentionTags, Band, createAttentionComponents, createAttentionSystem, disposeViews, installViewEncoding, installWebSocketGlobal, setFacingAngle } from '../src/index'
import { acceptFlags, hasFlag, integerListFlag, isMain, numberFlag, stopWith } from '../../bench/lib/cli'

/** Every policy the benchmark knows (the names `POLICIES=` takes). */
const SYNC_POLICIES = ['attention', 'attention-threads', 'attention-pipelined', 'full', 'radius', 'radius-indexed', 'radius-grid'] as const

/** The policies. */
export type SyncPolicy = (typeof SYNC_POLICIES)[number]

/** Whether `policy` is the plugin (one engine thread or two). */
const isAttention = (policy: SyncPolicy): boolean => policy === 'attention' || policy === 'attention-threads' || policy === 'attention-pipelined'

/** Options of {@link runSyncBench}. */
export interface SyncBenchOptions {
  quick?: boolean
  /**
   * Policies of every row. @defaultValue attention, full, radius, radius-indexed, radius-grid; on
   * the extra rows without the two radius scans and with attention-threads and attention-pipelined
   */
  policies?: readonly SyncPolicy[]
  entities?: number
  clients?: number[]
  /** Extra rows run after the main ones: [entities, clients, ticks]. */
  extraRows?: readonly (readonly [number, number, number])[]
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
  /** Mean interest-set size over every view and measured tick (attention: members, radius: entities in range). */
  setSize: number
  /** AOI radius (radius-grid: calibrated to the plugin's mean set size). */
  radius: number
}

const POLICIES: readonly SyncPolicy[] = ['attention', 'full', 'radius', 'radius-indexed', 'radius-grid']
/** Sizes of a run without options, full and quick. */
const DEFAULTS = {
  full: { entities: 1000, clients: [50, 100, 200, 350, 500], ticks: 100, reps: 5 },
  quick: { entities: 400, clients: [20], ticks: 30, reps: 1 },
} as const
const TICK_HZ = 20
/** World side for 1,000 entities; other counts keep the density. */
const WORLD = 1600
const RADIUS = 180
const worldSide = (entities: number): number => WORLD * Math.sqrt(entities / 1000)
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
function createScenario(policy: SyncPolicy, entities: number, clients: number, out: Samples, gridRadius = RADIUS): Scenario {
  const rnd = rng(42)
  const side = worldSide(entities)
  const world = createWorld()
  const pipelined = policy === 'attention-pipelined'
  const threads = policy === 'attention-threads' || pipelined ? 2 : 1
  const C = createAttentionComponents(entities + 16, { shared: threads > 1 })
  const attention = createAttentionSystem(world, { components: C, cellSize: 60, dt: 1 / TICK_HZ, speedScale: 40, threads, pipelined })
  const state = new State()
  const encoder = new Encoder(state)
  const instances: Entity[] = []
  const eids: number[] = []
  for (let i = 0; i < entities; i++) {
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    addComponent(world, eid, C.Velocity)
    C.Position.x[eid] = rnd() * side
    C.Position.y[eid] = rnd() * side
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
  if (isAttention(policy) || policy === 'radius-indexed') installViewEncoding(encoder)
  if (isAttention(policy)) {
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
      if (x < 0 || x > side) C.Velocity.x[eid] = -C.Velocity.x[eid]!
      if (y < 0 || y > side) C.Velocity.y[eid] = -C.Velocity.y[eid]!
      x = Math.min(side, Math.max(0, x))
      y = Math.min(side, Math.max(0, y))
      C.Position.x[eid] = x
      C.Position.y[eid] = y
      if (rnd() < 0.02) {
        const a = rnd() * Math.PI * 2
        C.Velocity.x[eid] = Math.cos(a) * 20
        C.Velocity.y[eid] = Math.sin(a) * 20
        setFacingAngle(world, C, eid, a)
      }
      const e = instances[eid]!
      if (!isAttention(policy) || plugin.watchBand(eid) >= Band.Medium) writeMotion(eid)
      if (tick % 4 === 0) {
        e.cx = Math.round(x)
        e.cy = Math.round(y)
      }
      if (rnd() < 0.01) e.hp = (e.hp + 1) % 100
    }
  }

  // entities in range summed over the views, this tick (for setSize)
  let setSum = 0
  const radiusRefresh = (): void => {
    const r2 = RADIUS * RADIUS
    setSum = 0
    for (let i = 0; i < observers.length; i++) {
      const o = observers[i]!
      const view = views[i]!
      const ox = C.Position.x[o]!
      const oy = C.Position.y[o]!
      for (const eid of eids) {
        const dx = C.Position.x[eid]! - ox
        const dy = C.Position.y[eid]! - oy
        const inside = dx * dx + dy * dy <= r2
        if (inside) setSum++
        const e = instances[eid]!
        if (inside && !view.has(e)) view.add(e, AttentionTags.Motion | AttentionTags.Detail)
        else if (!inside && view.has(e)) {
          view.remove(e, AttentionTags.Motion | AttentionTags.Detail)
          view.remove(e)
        }
      }
    }
  }

  const grid = policy === 'radius-grid' ? createGridAoi(C.Position, eids, observers, gridRadius, side) : null
  const gridRefresh = (): void => {
    const g = grid!
    g.rebuild()
    setSum = 0
    for (let i = 0; i < observers.length; i++) {
      const view = views[i]!
      const n = g.query(i)
      setSum += g.heldCount(i)
      for (let k = 0; k < n; k++) view.add(instances[g.entered[k]!]!, AttentionTags.Motion | AttentionTags.Detail)
      for (let k = 0; k < g.exitedN; k++) {
        const e = instances[g.exited[k]!]!
        view.remove(e, AttentionTags.Motion | AttentionTags.Detail)
        view.remove(e)
      }
    }
  }

  let tick = 0
  const encoded = new Map<StateView, number>()
  const runTick = (measure: boolean): void => {
    step(tick++)
    const t0 = performance.now()
    if (isAttention(policy)) {
      attention(world)
      if (out.garbage !== undefined) {
        // heap growth across the sync step; a tick with a collection inside it shrinks and is skipped
        const h0 = process.memoryUsage().heapUsed
        plugin.sync()
        const h1 = process.memoryUsage().heapUsed
        if (measure && h1 >= h0) out.garbage.push(h1 - h0)
      } else plugin.sync()
    } else if (policy === 'radius' || policy === 'radius-indexed') radiusRefresh()
    else if (policy === 'radius-grid') gridRefresh()
    const tMid = performance.now()
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
    // pipelined: the worker is done before the next step writes the stores (the plugin does this after a patch)
    if (pipelined) attention.settle()
    const t1 = performance.now()
    if (first !== null) decoder.decode(first)
    if (measure) {
      out.measured++
      out.times.push(t1 - t0)
      out.interest.push(tMid - t0)
      out.encode.push(t1 - tMid)
      out.bytes += tickBytes
      out.held += probe.entities.size
      if (isAttention(policy)) for (const o of observers) setSum += attention.memberCount(o)
      else if (policy === 'full') setSum = entities * clients
      out.setSum += setSum / clients
      setSum = 0
    }
  }
  out.views = new Set(views).size
  return {
    run(n, measure) {
      for (let i = 0; i < n; i++) runTick(measure)
    },
    dispose() {
      // one walk of the state for all the views (schema's dispose() walks it per view: seconds at 10,000 entities)
      disposeViews([...new Set(views)])
      // ends the engine's workers (attention-threads, attention-pipelined)
      attention.dispose()
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
  /** Sum over measured ticks of the mean set size per view. */
  setSum: number
  /** Heap bytes allocated by each measured sync step, when measured (attention only; not timed). */
  garbage?: number[]
  measured: number
  views: number
}

/** Radius AOI over a uniform grid: each observer's entities in range, diffed against its last set. */
interface GridAoi {
  /** Re-buckets every entity (once per tick). */
  rebuild(): void
  /** Finds observer `i`'s entities in range: writes the entrants to `entered` (returns how many) and the leavers to `exited`. */
  query(i: number): number
  heldCount(i: number): number
  readonly entered: Int32Array
  readonly exited: Int32Array
  exitedN: number
}

/**
 * The fair baseline's interest step, written as a careful user would: entities counting-sorted
 * into cells of the radius' size once per tick, each observer scanning its 3 x 3 cells, and its
 * set diffed against the last one with a stamp array (no Sets, no allocation per tick).
 */
function createGridAoi(P: { x: Float32Array | Float64Array; y: Float32Array | Float64Array }, eids: readonly number[], observers: readonly number[], radius: number, side: number): GridAoi {
  const cell = radius
  const cols = Math.ceil(side / cell) + 1
  const cells = cols * cols
  const cap = Math.max(...eids) + 1
  const start = new Int32Array(cells + 1)
  const items = new Int32Array(eids.length)
  const cellOf = new Int32Array(cap)
  const mark = new Uint32Array(cap)
  let stamp = 0
  const held = observers.map(() => new Int32Array(64))
  const heldN = new Int32Array(observers.length)
  const inSet = observers.map(() => new Uint8Array(cap))
  const g: GridAoi = {
    entered: new Int32Array(eids.length),
    exited: new Int32Array(eids.length),
    exitedN: 0,
    rebuild() {
      start.fill(0)
      for (const e of eids) {
        const cx = Math.min(cols - 1, Math.max(0, Math.floor(P.x[e]! / cell)))
        const cy = Math.min(cols - 1, Math.max(0, Math.floor(P.y[e]! / cell)))
        const c = cy * cols + cx
        cellOf[e] = c
        start[c + 1]!++
      }
      for (let c = 0; c < cells; c++) start[c + 1]! += start[c]!
      // fill from the end of each cell's range (start[c + 1] counts down to start[c])
      for (const e of eids) items[--start[cellOf[e]! + 1]!] = e
      // start[c + 1] now holds the start of cell c: shift back
      for (let c = 0; c < cells; c++) start[c] = start[c + 1]!
      start[cells] = eids.length
      // after the shift start[c]..start[c + 1] is cell c
    },
    query(i) {
      const o = observers[i]!
      const ox = P.x[o]!
      const oy = P.y[o]!
      const r2 = radius * radius
      const cx = Math.min(cols - 1, Math.max(0, Math.floor(ox / cell)))
      const cy = Math.min(cols - 1, Math.max(0, Math.floor(oy / cell)))
      const mine = inSet[i]!
      if (++stamp === 0xffffffff) {
        mark.fill(0)
        stamp = 1
      }
      let n = 0
      let total = 0
      for (let y = Math.max(0, cy - 1); y <= Math.min(cols - 1, cy + 1); y++) {
        for (let x = Math.max(0, cx - 1); x <= Math.min(cols - 1, cx + 1); x++) {
          const c = y * cols + x
          for (let k = start[c]!; k < start[c + 1]!; k++) {
            const e = items[k]!
            const dx = P.x[e]! - ox
            const dy = P.y[e]! - oy
            if (dx * dx + dy * dy > r2) continue
            mark[e] = stamp
            total++
            if (mine[e] === 0) g.entered[n++] = e
          }
        }
      }
      // leavers: held before, not found now; the kept ones are compacted, then the entrants appended
      let list = held[i]!
      let m = 0
      g.exitedN = 0
      for (let k = 0; k < heldN[i]!; k++) {
        const e = list[k]!
        if (mark[e] === stamp) list[m++] = e
        else {
          g.exited[g.exitedN++] = e
          mine[e] = 0
        }
      }
      if (total > list.length) {
        const grown = new Int32Array(Math.max(total, list.length * 2))
        grown.set(list.subarray(0, m))
        list = held[i] = grown
      }
      for (let k = 0; k < n; k++) {
        const e = g.entered[k]!
        list[m++] = e
        mine[e] = 1
      }
      heldN[i] = m
      return n
    },
    heldCount(i) {
      return heldN[i]!
    },
  }
  return g
}

/**
 * The radius at which the mean number of entities in range of an observer (itself included) is
 * `target`, on the scenario's initial world (bisection; the world stays uniform as it moves).
 */
function radiusForSetSize(entities: number, clients: number, target: number): number {
  const rnd = rng(42)
  const side = worldSide(entities)
  const xs = new Float64Array(entities)
  const ys = new Float64Array(entities)
  // the same draws as createScenario's: position x, y, then the heading
  for (let i = 0; i < entities; i++) {
    xs[i] = rnd() * side
    ys[i] = rnd() * side
    rnd()
  }
  const meanInRange = (r: number): number => {
    let sum = 0
    for (let o = 0; o < clients; o++) {
      for (let e = 0; e < entities; e++) {
        const dx = xs[e]! - xs[o]!
        const dy = ys[e]! - ys[o]!
        if (dx * dx + dy * dy <= r * r) sum++
      }
    }
    return sum / clients
  }
  let lo = 1
  let hi = side
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2
    if (meanInRange(mid) < target) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/**
 * Runs each policy `reps` times on a fresh world (20 warm-up ticks, then `ticks` measured), the
 * policies alternating, and pools each policy's ticks. The machine's speed drifts over seconds
 * (other processes, CPU frequency): alternating short runs spreads every policy over the same
 * stretch of time, so their ratio does not depend on which one ran while the machine was slow.
 * Each run starts after a full GC (with --expose-gc), with no other run's objects alive.
 */
function runAlternating(policies: readonly SyncPolicy[], entities: number, clients: number, ticks: number, reps: number): SyncBenchResult[] {
  const fresh = (): Samples => ({ times: [], interest: [], encode: [], bytes: 0, held: 0, setSum: 0, measured: 0, views: 0 })
  const pooled = policies.map(fresh)
  // the fair baseline's radius: its mean set size is the plugin's (measured on a short run of it)
  let gridRadius = RADIUS
  if (policies.includes('radius-grid')) {
    const probe = fresh()
    const sc = createScenario('attention', entities, clients, probe)
    sc.run(20, false)
    sc.run(Math.min(ticks, 20), true)
    sc.dispose()
    gridRadius = radiusForSetSize(entities, clients, probe.setSum / probe.measured)
  }
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < policies.length; k++) {
      // rotate the order so that no policy always runs right after the same one
      const i = (k + rep) % policies.length
      ;(globalThis as { gc?: () => void }).gc?.()
      const sc = createScenario(policies[i]!, entities, clients, pooled[i]!, gridRadius)
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
      setSize: p.setSum / p.measured,
      radius: policy === 'radius-grid' ? gridRadius : RADIUS,
    }
  })
}

/** Runs the sync benchmark: every policy at each client count, in the same process. */
export async function runSyncBench(opts: SyncBenchOptions = {}): Promise<SyncBenchResult[]> {
  const d = opts.quick ? DEFAULTS.quick : DEFAULTS.full
  const entities = opts.entities ?? d.entities
  const clientCounts = opts.clients ?? d.clients
  const ticks = opts.ticks ?? d.ticks
  const reps = opts.reps ?? d.reps
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, 8 * 1024 * 1024)
  const results: SyncBenchResult[] = []
  // V8 specialises a closure's optimised code to its context only while it is the only closure
  // of its kind: a process with a second room (a second attention system) runs the generic code,
  // up to about 1.1x slower (PERFORMANCE.md). A throwaway system first makes every scenario measure it.
  createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
  const policies = opts.policies ?? POLICIES
  // the large room: 10,000 entities at the same density, 500 clients, fewer ticks
  const extraRows = opts.extraRows ?? (opts.quick || opts.clients !== undefined ? [] : [[10_000, 500, 40] as const])
  // at 10,000 entities the scan-everything radius rows take a second per tick: the fair baseline stands for them;
  // by default the plugin runs there twice more with two engine threads, synchronous and pipelined
  const extraPolicies = policies.filter((p) => p !== 'radius' && p !== 'radius-indexed')
  if (opts.policies === undefined) extraPolicies.splice(extraPolicies.indexOf('attention') + 1, 0, 'attention-threads', 'attention-pipelined')
  const rows: (readonly [number, number, number, readonly SyncPolicy[]])[] = [
    ...clientCounts.map((c) => [entities, c, ticks, policies] as const),
    ...extraRows.map(([n, c, t]) => [n, c, t, extraPolicies] as const),
  ]
  for (const [n, clients, t, ps] of rows) {
    for (const r of runAlternating(ps, n, clients, t, reps)) {
      results.push(r)
      opts.onResult?.(r)
    }
  }
  return results
}

/** Garbage the plugin's sync step leaves per tick (not a timed test). */
export interface GarbageResult {
  entities: number
  clients: number
  /** Median KB allocated on the heap by one `AttentionPlugin.sync()` (engine and encoding not included). */
  kbPerTick: number
  /** Ticks measured (those without a collection inside the sync step). */
  ticks: number
}

/**
 * Measures the heap allocated by the sync step (`AttentionPlugin.sync`, the view edits of a tick)
 * in the attention scenario, as the growth of the used heap across it. The reading itself costs a
 * few hundred bytes, measured on an empty step and subtracted.
 */
export function runGarbageBench(entities = 1000, clients = 200, ticks = 100): GarbageResult {
  const empty: number[] = []
  for (let k = 0; k < 200; k++) {
    const h0 = process.memoryUsage().heapUsed
    const h1 = process.memoryUsage().heapUsed
    if (h1 >= h0) empty.push(h1 - h0)
  }
  const out: Samples = { times: [], interest: [], encode: [], bytes: 0, held: 0, setSum: 0, measured: 0, views: 0, garbage: [] }
  ;(globalThis as { gc?: () => void }).gc?.()
  const sc = createScenario('attention', entities, clients, out)
  sc.run(40, false)
  sc.run(ticks, true)
  sc.dispose()
  return { entities, clients, kbPerTick: Math.max(0, median(out.garbage!) - median(empty)) / 1024, ticks: out.garbage!.length }
}

/** What disposing a client's view costs the room's thread: schema's `view.dispose()` against the plugin's `disposeViews`. */
export interface LeaveResult {
  entities: number
  clients: number
  /** Median ms to dispose one view (a client that leaves), each way. */
  stockMs: number
  pluginMs: number
  /** ms to dispose the other half of the views at once (a room that closes): a loop of `view.dispose()`, one `disposeViews` call. */
  closeStockMs: number
  closePluginMs: number
  /** Views disposed in the close. */
  closeViews: number
}

/**
 * Two copies of a room of `entities` entities with `clients` views of 25 members each (as the
 * plugin's views hold them: with the motion tag); half the views of each leave one by one, taking
 * turns (schema's `dispose()` in one room, `disposeViews` in the other), then each room closes with
 * the other half.
 */
export function runLeaveBench(entities = 10000, clients = 500): LeaveResult {
  const build = () => {
    const state = new State()
    const encoder = new Encoder(state)
    for (let i = 0; i < entities; i++) state.entities.set(String(i), new Entity())
    encoder.encode()
    encoder.discardChanges()
    const views: StateView[] = []
    for (let v = 0; v < clients; v++) {
      const view = new StateView()
      for (let k = 0; k < 25; k++) view.add(state.entities.get(String((v * 7919 + k * 104729) % entities))!, AttentionTags.Motion)
      views.push(view)
    }
    return views
  }
  const stock = build()
  const plugin = build()
  const half = clients >> 1
  const a: number[] = []
  const b: number[] = []
  for (let i = 0; i < half; i++) {
    let t0 = performance.now()
    stock[i]!.dispose()
    a.push(performance.now() - t0)
    t0 = performance.now()
    disposeViews([plugin[i]!])
    b.push(performance.now() - t0)
  }
  let t0 = performance.now()
  for (let i = half; i < clients; i++) stock[i]!.dispose()
  const closeStockMs = performance.now() - t0
  t0 = performance.now()
  disposeViews(plugin.slice(half))
  const closePluginMs = performance.now() - t0
  return { entities, clients, stockMs: median(a), pluginMs: median(b), closeStockMs, closePluginMs, closeViews: clients - half }
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

const COMMAND = 'npm run bench:sync'

/** What `npm run bench:sync -- --help` prints. */
const USAGE = `usage: ${COMMAND} -- [flags]
Server CPU per tick (attention + view sync + encoding) and bytes per client per second for one room
of moving entities, each policy in the same run (docs/benchmarks.md, "Sync"); then the sync step's
garbage, a client's leave and the bands' bytes.
  --entities N        entities in the room, 1 to 100000, at the same density (default ${DEFAULTS.full.entities}; with --quick ${DEFAULTS.quick.entities})
  --clients N,N,...   client counts, a row each, each at most the entities (default ${DEFAULTS.full.clients.join(',')};
                      with --quick ${DEFAULTS.quick.clients.join(',')}); without --clients or --quick, a row of 10,000 entities
                      and 500 clients (40 ticks) follows
  --ticks N           measured ticks per run, after 20 of warm-up (default ${DEFAULTS.full.ticks}; with --quick ${DEFAULTS.quick.ticks})
  --reps N            runs of each scenario, the policies taking turns, pooled (default ${DEFAULTS.full.reps}; with --quick ${DEFAULTS.quick.reps})
  --quick             the small run (under 20 s), for the eval harness
  --no-garbage        leave out the sync step's garbage measurement
  --no-leave          leave out the client-leave measurement
  --json              one JSON object per line (with npm run -s, stdout is the JSON alone)
  POLICIES=a,b,...    environment variable: only these policies, of
                      ${SYNC_POLICIES.join(', ')}
                      (default ${POLICIES.join(', ')}; the 10,000-entity
                      row leaves out the two radius scans and adds attention-threads and attention-pipelined)`

/** The policies `POLICIES` names (undefined when it is not set); an unknown name stops the command. */
function policiesFromEnv(env: string | undefined): SyncPolicy[] | undefined {
  if (env === undefined) return undefined
  const names = env.split(',').map((p) => p.trim())
  const unknown = names.filter((p) => !(SYNC_POLICIES as readonly string[]).includes(p))
  if (unknown.length > 0) stopWith(`${COMMAND}: POLICIES has no policy ${unknown.map((p) => p || "''").join(', ')}; the policies are ${SYNC_POLICIES.join(', ')}`)
  return names as SyncPolicy[]
}

async function main(): Promise<void> {
  acceptFlags(COMMAND, USAGE, ['entities', 'clients', 'ticks', 'reps'], ['json', 'quick', 'no-garbage', 'no-leave'])
  // its rooms are stubs without sockets: the plugin's warning for Node 20's missing WebSocket (which
  // only reconnecting clients need) would be noise in the output
  installWebSocketGlobal(WebSocket)
  const json = hasFlag('json')
  const quick = hasFlag('quick')
  const policies = policiesFromEnv(process.env.POLICIES)
  const d = quick ? DEFAULTS.quick : DEFAULTS.full
  const entities = numberFlag(COMMAND, 'entities', 1, 100_000)
  // every client is one of the entities (its observer)
  const clients = integerListFlag(COMMAND, 'clients', 1, entities ?? d.entities)
  if (clients === undefined && entities !== undefined && d.clients.some((c) => c > entities)) {
    stopWith(`${COMMAND}: --entities ${entities} is below the default client counts ${d.clients.join(',')}: add --clients`)
  }
  const ticks = numberFlag(COMMAND, 'ticks', 1, 100_000)
  const reps = numberFlag(COMMAND, 'reps', 1, 1000)
  if (!json) {
    console.log(`sync bench: ${quick ? 'quick' : 'full'} run, radius ${RADIUS}, budget ${BUDGET}, world ${WORLD}x${WORLD} per 1,000 entities, ${TICK_HZ} patches/s`)
    console.log('policy         entities clients  ms/tick  p90 ms  interest  encode   bytes/client/s  entities/client  set size  radius  views')
  }
  const results = await runSyncBench({
    quick,
    policies,
    entities,
    clients,
    ticks,
    reps,
    onResult: (r) => {
      if (json) console.log(JSON.stringify(r))
      else {
        console.log(
          `${r.policy.padEnd(17)} ${String(r.entities).padStart(8)} ${String(r.clients).padStart(7)} ${r.msPerTick.toFixed(2).padStart(8)} ${r.p90MsPerTick.toFixed(2).padStart(8)} ${r.interestMs.toFixed(2).padStart(8)} ${r.encodeMs.toFixed(2).padStart(7)} ${r.bytesPerClientPerSec.toFixed(0).padStart(15)} ${r.entitiesPerClient.toFixed(1).padStart(16)} ${r.setSize.toFixed(1).padStart(9)} ${r.radius.toFixed(0).padStart(7)} ${String(r.views).padStart(6)}`,
        )
      }
    },
  })
  if (!hasFlag('no-garbage')) {
    const g = runGarbageBench(quick ? 400 : 1000, quick ? 20 : 200, quick ? 30 : 100)
    if (json) console.log(JSON.stringify({ kind: 'garbage', ...g }))
    else console.log(`garbage: ${g.kbPerTick.toFixed(1)} KB per tick in the sync step (${g.entities} entities, ${g.clients} clients, median of ${g.ticks} ticks)`)
  }
  if (!hasFlag('no-leave')) {
    const l = runLeaveBench(quick ? 2000 : 10000, quick ? 40 : 500)
    if (json) console.log(JSON.stringify({ kind: 'leave', ...l }))
    else console.log(`leave: disposing a client's view at ${l.entities} entities, ${l.clients} views: ${l.stockMs.toFixed(3)} ms with view.dispose(), ${l.pluginMs.toFixed(3)} ms with disposeViews; closing the room (${l.closeViews} views): ${l.closeStockMs.toFixed(0)} ms, ${l.closePluginMs.toFixed(1)} ms`)
  }
  const tiers = runTierBench(quick ? 100 : 200, quick ? 40 : 100)
  for (const t of tiers) {
    if (json) console.log(JSON.stringify({ kind: 'tier', ...t }))
    else console.log(`band ${t.band.padEnd(6)} costs its client ${t.bytesPerEntityPerSec.toFixed(1)} bytes per entity per second`)
  }
  if (!json) {
    const rows = new Set(results.map((r) => `${r.entities}/${r.clients}`))
    for (const row of rows) {
      const get = (p: SyncPolicy) => results.find((r) => r.policy === p && `${r.entities}/${r.clients}` === row)
      const a = get('attention')
      if (a === undefined) continue
      const share = (p: SyncPolicy, of: (r: SyncBenchResult) => number, what: string): string => {
        const b = get(p)
        return b === undefined ? '' : ` ${what} ${((100 * of(a)) / of(b)).toFixed(1)}% of ${p};`
      }
      console.log(
        `${row.replace('/', ' entities, ')} clients: attention bytes =${share('full', (r) => r.bytesPerClientPerSec, '')}` +
          ` attention ms (engine + sync + encoding) =${share('radius-grid', (r) => r.msPerTick, '')}${share('radius', (r) => r.msPerTick, '')}${share('radius-indexed', (r) => r.msPerTick, '')}`,
      )
    }
  }
}

if (isMain(import.meta.url)) await main()
