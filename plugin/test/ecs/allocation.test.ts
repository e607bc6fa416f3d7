import { describe, expect, it, vi } from 'vitest'
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, DEFAULT_WEIGHTS, setAimTarget, setFacingAngle, type AttentionScorer } from '../../src/index'
import { createOnnxScorer, defaultModelPath } from '../../src/learned/index'

const ENTITIES = 2000
const OBSERVERS = 100
const TICKS = 2000
const WARMUP = 400
/** Bytes of heap growth tolerated over all measured ticks (V8 bookkeeping, the measurement itself). */
const BOUND = 32 * 1024

const gc = (globalThis as { gc?: () => void }).gc

/** Measurement windows: V8 itself allocates now and then (compilation, feedback), never in all of them. */
const WINDOWS = 4

/**
 * Heap growth of `run(TICKS)` with no GC in between, over up to WINDOWS windows: the smallest growth
 * of a window without a collection, and whether every window saw one. A real per-tick allocation
 * grows the heap in every window; V8's occasional own allocations do not. The first window without
 * a collection that stays under BOUND ends the measurement: the later ones could only lower the
 * minimum, so the verdict is the same, and a loop that allocates never stops early. `run(WARMUP)`
 * first, so the very same code is compiled and optimized beforehand.
 */
async function measure(run: (ticks: number) => void): Promise<{ bytes: number; gcRan: boolean }> {
  run(WARMUP)
  let bytes = Infinity
  let windowsWithGc = 0
  for (let w = 0; w < WINDOWS; w++) {
    const events: PerformanceEntry[] = []
    const obs = new PerformanceObserver((list) => { events.push(...list.getEntries()) })
    obs.observe({ entryTypes: ['gc'] })
    gc!()
    gc!()
    await new Promise((r) => setImmediate(r))
    const t0 = performance.now()
    const before = process.memoryUsage().heapUsed
    run(TICKS)
    const after = process.memoryUsage().heapUsed
    const t1 = performance.now()
    await new Promise((r) => setTimeout(r, 50))
    obs.disconnect()
    // Entries of the gc() calls above arrive late: count only collections inside the window.
    if (events.some((e) => e.startTime >= t0 && e.startTime <= t1)) windowsWithGc++
    else bytes = Math.min(bytes, after - before)
    if (bytes < BOUND) break
  }
  return { bytes, gcRan: windowsWithGc === WINDOWS }
}

/**
 * A world of moving entities. Movement replays precomputed random-walk frames with TypedArray.set,
 * so the test's own per-tick work allocates nothing (plain double arithmetic in a closure can box).
 */
function buildWorld(runEngine = true, scorer?: AttentionScorer, rescoreEvery = 1, threads = 1, pipelined = false, observers = OBSERVERS) {
  const world = createWorld()
  const C = createAttentionComponents(ENTITIES + 1, { shared: threads > 1 })
  const side = Math.sqrt((ENTITIES * Math.PI * 50 * 50) / 150) // ~150 entities within radius 50 of each observer
  for (let i = 0; i < ENTITIES; i++) {
    const e = addEntity(world)
    C.Position.x[e] = Math.random() * side
    C.Position.y[e] = Math.random() * side
    addComponent(world, e, C.Position)
    addComponent(world, e, C.Velocity)
    setFacingAngle(world, C, e, Math.random() * 2 * Math.PI)
    // every other observer on a byte budget; a few entities aim at observers (candidates from afar)
    if (i < observers) addObserver(world, C, e, { radius: 50, budget: 32, byteBudget: i % 2 === 0 ? 1500 : 0 })
    else if (i < observers + 50) setAimTarget(world, C, e, 1 + (i % observers))
  }
  const FRAMES = 64
  const dt = 0.05
  const frames: { px: Float32Array; py: Float32Array; vx: Float32Array; vy: Float32Array }[] = []
  const vx = new Float32Array(ENTITIES + 1).map(() => (Math.random() - 0.5) * 10)
  const vy = new Float32Array(ENTITIES + 1).map(() => (Math.random() - 0.5) * 10)
  const px = Float32Array.from(C.Position.x), py = Float32Array.from(C.Position.y)
  for (let f = 0; f < FRAMES; f++) {
    // Ping-pong: the second half walks the first half back, so the cycle has no teleport.
    const back = f >= FRAMES / 2
    for (let e = 1; e <= ENTITIES; e++) {
      if (!back) {
        vx[e] = vx[e]! + (Math.random() - 0.5); vy[e] = vy[e]! + (Math.random() - 0.5)
        px[e] = Math.min(side, Math.max(0, px[e]! + vx[e]! * dt)); py[e] = Math.min(side, Math.max(0, py[e]! + vy[e]! * dt))
      }
    }
    frames.push(back
      ? frames[FRAMES - 1 - f]!
      : { px: px.slice(), py: py.slice(), vx: vx.slice(), vy: vy.slice() })
  }
  const sys = createAttentionSystem(world, { components: C, scorer, rescoreEvery, threads, pipelined })
  const t = new Int32Array(1)
  const step = (): void => {
    const fr = frames[t[0]! % FRAMES]!
    t[0] = t[0]! + 1
    C.Position.x.set(fr.px); C.Position.y.set(fr.py)
    C.Velocity.x.set(fr.vx); C.Velocity.y.set(fr.vy)
    if (runEngine) sys(world)
  }
  return { sys, step }
}

describe('allocation', () => {
  it('should run with global.gc exposed', () => {
    expect(typeof gc).toBe('function')
  })

  it('should measure no growth for the test world alone (no false positive)', async () => {
    const { step } = buildWorld(false)
    const r = await measure((n) => {
      for (let i = 0; i < n; i++) step()
    })
    expect(r.gcRan).toBe(false)
    expect(r.bytes).toBeLessThan(BOUND)
  })

  it('should detect a loop that allocates a little per tick (the method can fail)', async () => {
    const { step } = buildWorld(false)
    const sink: { last: number[] | null } = { last: null }
    const leaky = await measure((n) => {
      for (let i = 0; i < n; i++) {
        step()
        sink.last = [i, i + 1, i + 2, i + 3] // about 48 bytes per tick, kept alive one tick
      }
    })
    expect(sink.last).not.toBeNull()
    expect(leaky.gcRan || leaky.bytes > BOUND, `leaky loop grew ${leaky.bytes} bytes`).toBe(true)
  })

  it('should allocate nothing measurable in a steady-state tick (2k entities, 100 observers, hysteresis on)', async () => {
    const { sys, step } = buildWorld()
    // Touch the read accessors too: the sync layer calls them every tick.
    const acc = new Float64Array(1) // a typed slot: a captured `let` double would box on every write
    const weights = new Float32Array(512)
    const read = (): void => {
      for (let o = 1; o <= OBSERVERS; o++) {
        // weights through weightsInto: weightAt returns a double, which V8 boxes whenever it does not inline the call
        const n = sys.weightsInto(o, weights)
        for (let i = 0; i < n; i++) acc[0] = acc[0]! + sys.memberAt(o, i) + weights[i]! + sys.bandAt(o, i)
        for (let i = 0; i < sys.enteredCount(o); i++) acc[0] = acc[0]! + sys.enteredAt(o, i)
        for (let i = 0; i < sys.exitedCount(o); i++) acc[0] = acc[0]! + sys.exitedAt(o, i)
      }
    }
    const r = await measure((n) => {
      for (let i = 0; i < n; i++) { step(); read() }
    })
    expect(acc[0]).toBeGreaterThan(0)
    expect(r.gcRan, `a GC ran during ${TICKS} ticks (heap grew ${r.bytes} bytes before it)`).toBe(false)
    expect(r.bytes, `heap grew ${r.bytes} bytes over ${TICKS} ticks`).toBeLessThan(BOUND)
  })

  it('should allocate nothing measurable in a steady-state tick with rescoreEvery 3 (kept and re-scored observers)', async () => {
    const { sys, step } = buildWorld(true, undefined, 3)
    const r = await measure((n) => {
      for (let i = 0; i < n; i++) step()
    })
    expect(sys.tick).toBeGreaterThan(TICKS)
    expect(r.gcRan, `a GC ran during ${TICKS} ticks (heap grew ${r.bytes} bytes before it)`).toBe(false)
    expect(r.bytes, `heap grew ${r.bytes} bytes over ${TICKS} ticks`).toBeLessThan(BOUND)
  })

  it('should allocate nothing measurable in a steady-state tick whose pair scorer\'s begin returns something invalid every tick (said once, read as null)', async () => {
    const errors: unknown[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a))
    try {
      const scorer: AttentionScorer = {
        score: () => {},
        pairScores: { headWeights: Object.values(DEFAULT_WEIGHTS), begin: () => 5 as unknown as null, load: () => false, end: () => {} },
      }
      const { sys, step } = buildWorld(true, scorer, 1, 1, false, OBSERVERS / 4)
      const r = await measure((n) => {
        for (let i = 0; i < n; i++) step()
      })
      expect(sys.memberCount(1)).toBeGreaterThan(1)
      expect(errors).toHaveLength(1)
      expect(r.gcRan, `a GC ran during ${TICKS} ticks (heap grew ${r.bytes} bytes before it)`).toBe(false)
      expect(r.bytes, `heap grew ${r.bytes} bytes over ${TICKS} ticks`).toBeLessThan(BOUND)
    } finally {
      spy.mockRestore()
    }
  })

  // pipelined: the hand-over and its lists too, and the wait for the workers the plugin does after a
  // patch. A quarter of the observers: what is checked here is per tick (the hand-off, the
  // hand-over), and a quarter of the ticks' cost keeps the suite short
  const THREADED_OBSERVERS = OBSERVERS / 4
  it.each([false, true])('should allocate nothing measurable on the room\'s thread in a steady-state tick with threads 2 (the hand-off to a worker included; pipelined %s)', async (pipelined) => {
    const { sys, step } = buildWorld(true, undefined, 1, 2, pipelined, THREADED_OBSERVERS)
    try {
      const t0 = Date.now()
      while (sys.threadsRunning() < 2 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10))
      expect(sys.threadsRunning()).toBe(2)
      const acc = new Int32Array(1)
      const r = await measure((n) => {
        for (let i = 0; i < n; i++) {
          step()
          // what the plugin reads of a tick's sets
          for (let o = 1; o <= THREADED_OBSERVERS; o++) {
            for (let j = 0; j < sys.enteredCount(o); j++) acc[0] = acc[0]! + sys.enteredAt(o, j)
            for (let j = 0; j < sys.exitedCount(o); j++) acc[0] = acc[0]! + sys.exitedAt(o, j)
            for (let j = 0; j < sys.bandChangedCount(o); j++) acc[0] = acc[0]! + sys.bandChangedAt(o, j)
          }
          sys.settle()
        }
      })
      expect(acc[0]).not.toBe(0)
      // the worker was still in at the end (no fallback to this thread alone)
      expect(sys.threadsRunning()).toBe(2)
      expect(r.gcRan, `a GC ran during ${TICKS} ticks (heap grew ${r.bytes} bytes before it)`).toBe(false)
      expect(r.bytes, `heap grew ${r.bytes} bytes over ${TICKS} ticks`).toBeLessThan(BOUND)
    } finally {
      sys.dispose()
    }
  }, 120_000)

  it('should allocate nothing measurable in a steady-state tick on the learned scorer (requests, answers, pair scores)', async () => {
    // ticks here run back to back, faster than the worker answers: no answer counts as stale. A
    // quarter of the observers, as above: requests, answers and pair lookups are per tick and per row
    const scorer = await createOnnxScorer({ model: defaultModelPath(), hangTimeoutMs: 60_000, maxStaleTicks: 1e6 })
    try {
      const { step } = buildWorld(true, scorer, 1, 1, false, OBSERVERS / 4)
      // the ticks do not wait for the worker: answers arrive (through shared memory) every few ticks
      const r = await measure((n) => {
        for (let i = 0; i < n; i++) step()
      })
      const st = scorer.stats()
      expect(st.answers).toBeGreaterThan(WINDOWS)
      expect(st.degraded).toBeNull()
      expect(st.modelRows).toBeGreaterThan(0)
      expect(r.gcRan, `a GC ran during ${TICKS} ticks (heap grew ${r.bytes} bytes before it)`).toBe(false)
      expect(r.bytes, `heap grew ${r.bytes} bytes over ${TICKS} ticks`).toBeLessThan(BOUND)
    } finally {
      await scorer.dispose()
    }
    // the worker's answers pace this test: on a busy 2-core machine they come several times slower
  }, 180_000)
})
