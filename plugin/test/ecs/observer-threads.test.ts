import { afterEach, describe, expect, it, vi } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, setFacingAngle } from '../../src/index'
import type { AttentionOptions, AttentionSystem } from '../../src/index'
import { Control, threadsOf } from '../../src/ecs/observer-threads'
import { createHarness, scriptArb, type Harness } from './world-model'

type EngineOptions = Omit<AttentionOptions, 'components'>

const systems: AttentionSystem[] = []
afterEach(() => {
  for (const s of systems.splice(0)) s.dispose()
})

/** Waits until `n` threads take part in `sys`'s ticks (workers start in the background). */
async function ready(sys: AttentionSystem, n: number): Promise<void> {
  const t0 = Date.now()
  while (sys.threadsRunning() < n && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10))
  expect(sys.threadsRunning()).toBe(n)
}

/** Everything a reader of `a` and `b` can see of observer `o` after the last tick, compared exactly: the first difference, or null. */
function differs(a: AttentionSystem, b: AttentionSystem, o: number): string | null {
  if (a.isObserver(o) !== b.isObserver(o)) return 'isObserver'
  if (!a.isObserver(o)) return null
  const n = a.memberCount(o)
  if (b.memberCount(o) !== n) return `member count ${b.memberCount(o)} vs ${n}`
  for (let i = 0; i < n; i++) {
    if (b.memberAt(o, i) !== a.memberAt(o, i)) return `member ${i}: ${b.memberAt(o, i)} vs ${a.memberAt(o, i)}`
    if (!Object.is(b.scoreAt(o, i), a.scoreAt(o, i))) return `member ${i}: score ${b.scoreAt(o, i)} vs ${a.scoreAt(o, i)}`
    if (b.bandAt(o, i) !== a.bandAt(o, i)) return `member ${i}: band ${b.bandAt(o, i)} vs ${a.bandAt(o, i)}`
    if (b.memberGenerationAt(o, i) !== a.memberGenerationAt(o, i)) return `member ${i}: generation`
    if (!Object.is(b.weightAt(o, i), a.weightAt(o, i))) return `member ${i}: weight ${b.weightAt(o, i)} vs ${a.weightAt(o, i)}`
  }
  const lists: [string, (s: AttentionSystem) => number, (s: AttentionSystem, i: number) => number][] = [
    ['entered', (s) => s.enteredCount(o), (s, i) => s.enteredAt(o, i)],
    ['exited', (s) => s.exitedCount(o), (s, i) => s.exitedAt(o, i)],
    ['band changed', (s) => s.bandChangedCount(o), (s, i) => s.bandChangedAt(o, i)],
  ]
  for (const [name, count, at] of lists) {
    if (count(b) !== count(a)) return `${name} count ${count(b)} vs ${count(a)}`
    for (let i = 0; i < count(a); i++) if (at(b, i) !== at(a, i)) return `${name} ${i}: ${at(b, i)} vs ${at(a, i)}`
  }
  if (b.lastScoredTick(o) !== a.lastScoredTick(o)) return 'last scored tick'
  if (!Object.is(b.bytePrice(o), a.bytePrice(o))) return `byte price ${b.bytePrice(o)} vs ${a.bytePrice(o)}`
  if (!Object.is(b.estimatedBytes(o), a.estimatedBytes(o))) return `estimated bytes ${b.estimatedBytes(o)} vs ${a.estimatedBytes(o)}`
  return null
}

/** Fails with the first difference between `a` and `b` over observers `from, from + step, ...` below `to`. */
function expectSame(a: AttentionSystem, b: AttentionSystem, from: number, to: number, step: number, ctx: string): void {
  for (let o = from; o < to; o += step) {
    const d = differs(a, b, o)
    if (d !== null) expect.fail(`${ctx}, observer ${o}: ${d}`)
  }
}

// observers the workers passed in the random scripts, all together
let workerObservers = 0

/** Runs a random script on a harness whose engine has one thread and whose twin `threads`; compares them after every tick. */
async function runScript(options: EngineOptions, threads: number, seed: number, mainDefers: boolean): Promise<number> {
  const h: Harness = createHarness(options, { shared: true, twin: { ...options, threads } })
  const twin = h.twin!
  systems.push(h.engine, twin)
  await ready(twin, threads)
  const control = threadsOf(twin)!.control
  control[Control.MainDefers] = mainDefers ? 1 : 0
  const [script] = fc.sample(scriptArb(false, 40), { seed, numRuns: 1 })
  for (const s of script!.initial) h.apply(s)
  let ticks = 0
  const compare = (): void => {
    ticks++
    expectSame(h.engine, twin, 0, h.C.capacity, 1, `seed ${seed}, tick ${h.engine.tick}`)
  }
  h.tick()
  compare()
  for (const step of script!.steps) {
    for (const cmd of step) h.apply(cmd)
    h.tick()
    compare()
  }
  expect(twin.threadsRunning(), 'no fallback to one thread').toBe(threads)
  workerObservers += Atomics.load(control, Control.WorkerObservers)
  return ticks
}

/** A world of `entities` random walkers, every `every`-th an observer, with shared stores. */
function walkers(entities: number, every: number, seed: number) {
  const world = createWorld()
  const C = createAttentionComponents(entities + 1, { shared: true })
  let x = seed >>> 0 || 1
  const rnd = (): number => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
  const side = Math.sqrt((entities * Math.PI * 2500) / 100)
  for (let i = 0; i < entities; i++) {
    const e = addEntity(world)
    C.Position.x[e] = rnd() * side
    C.Position.y[e] = rnd() * side
    addComponent(world, e, C.Position)
    C.Velocity.x[e] = rnd() * 8 - 4
    C.Velocity.y[e] = rnd() * 8 - 4
    addComponent(world, e, C.Velocity)
    setFacingAngle(world, C, e, rnd() * 2 * Math.PI)
    if (i % every === 0) addObserver(world, C, e, { radius: 50, budget: 16, byteBudget: i % (2 * every) === 0 ? 800 : 0 })
  }
  const move = (): void => {
    for (let e = 1; e <= entities; e++) {
      C.Velocity.x[e] = C.Velocity.x[e]! + rnd() - 0.5
      C.Velocity.y[e] = C.Velocity.y[e]! + rnd() - 0.5
      C.Position.x[e] = C.Position.x[e]! + C.Velocity.x[e]! * 0.05
      C.Position.y[e] = C.Position.y[e]! + C.Velocity.y[e]! * 0.05
    }
  }
  return { world, C, move }
}

describe('observer threads', () => {
  it('should give the same sets, bands, scores and diffs as one thread on random worlds (the workers alone)', async () => {
    const optionSets: EngineOptions[] = [{}, { rescoreEvery: 3 }, { hysteresis: false, weights: { facing: 2, approach: -1 } }, { lookahead: 1.2, cellSize: 7 }]
    let ticks = 0
    workerObservers = 0
    for (let seed = 1; seed <= 8; seed++) ticks += await runScript(optionSets[seed % optionSets.length]!, 2, seed, true)
    expect(ticks).toBeGreaterThan(8)
    expect(workerObservers, 'the worker passed observers').toBeGreaterThan(0)
  }, 120_000)

  it('should give the same results with three threads sharing the observers with the room\'s thread', async () => {
    for (let seed = 11; seed <= 14; seed++) await runScript(seed % 2 === 0 ? {} : { rescoreEvery: 2 }, 3, seed, false)
  }, 120_000)

  it('should give the same results on a crowded world over many ticks, the workers taking a share', async () => {
    const w = walkers(3000, 6, 99)
    const one = createAttentionSystem(w.world, { components: w.C })
    const two = createAttentionSystem(w.world, { components: w.C, threads: 2 })
    systems.push(one, two)
    await ready(two, 2)
    const control = threadsOf(two)!.control
    for (let t = 0; t < 60; t++) {
      // every other tick the room's thread leaves the observers to the worker: it surely takes part
      control[Control.MainDefers] = t % 2
      w.move()
      one(w.world)
      two(w.world)
      expectSame(one, two, 1, 3001, 6, `tick ${t}`)
    }
    expect(Atomics.load(control, Control.WorkerObservers)).toBeGreaterThanOrEqual(30 * 500)
    expect(two.threadsRunning()).toBe(2)
  }, 120_000)

  it('should reject bad threads options with errors naming the option and the range', () => {
    const C = createAttentionComponents(8, { shared: true })
    const heap = createAttentionComponents(8)
    const make = (o: EngineOptions, c = C) => () => createAttentionSystem(createWorld(), { components: c, ...o })
    for (const bad of [0, 1.5, 65, Number.NaN, '2' as unknown as number]) expect(make({ threads: bad })).toThrow(/threads must be an integer in \[1, 64\]/)
    expect(make({ threads: 2 }, heap)).toThrow(/threads is 2: the components must be on shared memory, createAttentionComponents\(capacity, \{ shared: true \}\)/)
    expect(make({ threads: 2, scorer: { score: () => undefined } })).toThrow(/threads must be 1 with options.scorer/)
    expect(make({ threads: 2, threadTimeoutMs: 0 })).toThrow(/threadTimeoutMs must be a finite number in \(0, 3600000\]/)
    expect(() => createAttentionComponents(8, { shared: 'yes' as unknown as boolean })).toThrow(/options.shared must be true or false/)
    expect(make({ pipelined: true })).toThrow(/option pipelined needs threads >= 2 .*got threads 1/)
    expect(make({ threads: 2, pipelined: 'yes' as unknown as boolean })).toThrow(/pipelined must be true or false; got/)
    // one thread on shared stores is fine, and so is the default
    expect(make({ threads: 1 })).not.toThrow()
    expect(make({})).not.toThrow()
  })

  it('should start threads - 1 workers and terminate them on dispose', async () => {
    const w = walkers(200, 4, 5)
    const sys = createAttentionSystem(w.world, { components: w.C, threads: 3 })
    const th = threadsOf(sys)!
    expect(th.workers.length).toBe(2)
    await ready(sys, 3)
    const exits = th.workers.map((wk) => new Promise<number>((r) => wk.once('exit', r)))
    sys.dispose()
    const codes = await Promise.race([Promise.all(exits), new Promise<null>((r) => setTimeout(() => r(null), 10_000))])
    expect(codes, 'every worker exited within 10 s').not.toBeNull()
    expect(threadsOf(createAttentionSystem(w.world, { components: w.C }))).toBeUndefined()
  }, 60_000)

  it.each([
    ['ready', 2],
    ['starting', 1],
    ['pipelined', 2],
  ] as const)('should not keep the process alive when it is not disposed (%s)', async (mode, running) => {
    // a child process that ticks a threads: 2 system and ends without dispose()
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/undisposed-threads.ts', import.meta.url)), mode], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let tickedAt = 0
    child.stdout.on('data', (d: Buffer) => {
      out += String(d)
      if (tickedAt === 0 && out.includes('ticked')) tickedAt = performance.now()
    })
    child.stderr.on('data', (d: Buffer) => (err += String(d)))
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearTimeout(killer)
    expect(err).toBe('')
    expect(out.trim()).toBe(`ticked ${running}`)
    expect(code).toBe(0)
    // it ended by itself, soon after its last tick (not killed at 40 s)
    expect(performance.now() - tickedAt).toBeLessThan(5000)
  }, 60_000)

  it('should throw when ticked or explained after dispose, and dispose twice without harm', async () => {
    const warn = vi.spyOn(console, 'warn')
    const w = walkers(200, 4, 23)
    for (const options of [{}, { threads: 2 }, { threads: 2, pipelined: true }]) {
      const sys = createAttentionSystem(w.world, { components: w.C, ...options })
      if (options.threads === 2) await ready(sys, 2)
      sys(w.world)
      sys(w.world)
      const members = sys.memberCount(1)
      sys.dispose()
      expect(() => sys.dispose()).not.toThrow()
      const t0 = Date.now()
      expect(() => sys(w.world)).toThrow('colyseus-attention: this attention system was disposed; create a new one')
      expect(() => sys.explain(1, 2)).toThrow('colyseus-attention: this attention system was disposed; create a new one')
      // no wait for a stopped worker
      expect(Date.now() - t0).toBeLessThan(500)
      expect(() => sys.settle()).not.toThrow()
      // the last sets stay readable
      expect(sys.memberCount(1)).toBe(members)
      expect(sys.threadsRunning()).toBe(1)
    }
    await new Promise((r) => setTimeout(r, 100))
    // no worker reported as failed or late
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  }, 60_000)

  for (const [fault, what] of [[1, 'throws'], [2, 'hangs']] as const) {
    it(`should finish the tick on the room's thread when a worker ${what}, say so once, and stay on one thread`, async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
      try {
        const w = walkers(600, 4, 17)
        const one = createAttentionSystem(w.world, { components: w.C })
        const two = createAttentionSystem(w.world, { components: w.C, threads: 2, threadTimeoutMs: 300 })
        systems.push(one, two)
        await ready(two, 2)
        const control = threadsOf(two)!.control
        control[Control.MainDefers] = 1
        for (let t = 0; t < 3; t++) {
          w.move()
          one(w.world)
          two(w.world)
        }
        control[Control.Fault] = fault
        for (let t = 0; t < 5; t++) {
          w.move()
          one(w.world)
          const t0 = Date.now()
          two(w.world)
          expect(Date.now() - t0, 'the tick did not hang').toBeLessThan(5_000)
          expectSame(one, two, 1, 601, 4, `tick ${t}`)
        }
        expect(two.threadsRunning()).toBe(1)
        await new Promise((r) => setTimeout(r, 100))
        const said = warn.mock.calls.filter((c) => String(c[0]).includes('option threads'))
        expect(said.length).toBe(1)
        expect(String(said[0]![0])).toMatch(fault === 1 ? /worker 1 threw/ : /did not finish a tick within 300 ms/)
      } finally {
        warn.mockRestore()
      }
    }, 60_000)
  }
})
