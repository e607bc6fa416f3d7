import { addComponent, addEntity, createWorld, removeEntity } from 'bitecs'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BroadcastChannel } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { addObserver, createAttentionComponents, createAttentionSystem } from '../../src/index'
import { createOnnxScorer, defaultModelPath, INPUT_WIDTH, type LearnedScorerEvent, type OnnxScorer } from '../../src/learned/index'
import { tinyModel } from '../support/tiny-onnx'

const FAULT_WORKER = new URL('../support/fault-worker.mjs', import.meta.url)
const faults = new BroadcastChannel('learned-fault')
afterAll(() => faults.close())
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A small world: one observer at the origin, `n` entities around it, moving a little each tick. */
function scene(scorer: OnnxScorer) {
  const world = createWorld()
  const C = createAttentionComponents(64)
  const spawn = (x: number, y: number): number => {
    const e = addEntity(world)
    addComponent(world, e, C.Position)
    addComponent(world, e, C.Velocity)
    C.Position.x[e] = x
    C.Position.y[e] = y
    return e
  }
  const o = spawn(0, 0)
  addObserver(world, C, o, { radius: 50, budget: 4 })
  for (let i = 0; i < 12; i++) spawn(5 + i * 3, (i % 3) * 4)
  const sys = createAttentionSystem(world, { components: C, scorer })
  const heads = createAttentionSystem(world, { components: C })
  const members = (s: typeof sys): number[] => [...Array(s.memberCount(o)).keys()].map((i) => s.memberAt(o, i)).sort((a, b) => a - b)
  return { world, C, o, sys, heads, spawn, members: () => members(sys), headMembers: () => members(heads) }
}

describe('createOnnxScorer', () => {
  it('should reject a model that does not fit, saying what was expected and what was found', async () => {
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH - 2) })).rejects.toThrow(
      new RegExp(`does not fit: expected input x of shape \\[observers, candidates, ${INPUT_WIDTH}\\]; found \\[n, m, ${INPUT_WIDTH - 2}\\]`),
    )
    // a model of the 16 columns before closestTime, closestRange and candidateClosing: retrain it
    await expect(createOnnxScorer({ model: tinyModel(16) })).rejects.toThrow(/expected input x of shape \[observers, candidates, 19\]; found \[n, m, 16\]/)
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH, { x: 'rows', mask: 'mask', out: 'score' }) })).rejects.toThrow(/expected inputs x .*found inputs rows, mask/)
    // not ONNX at all: a parse failure, not a contract question
    const garbage = createOnnxScorer({ model: new Uint8Array([1, 2, 3]) })
    await expect(garbage).rejects.toThrow(/^colyseus-attention\/learned: the model \(the 3 bytes given\) could not be parsed as ONNX: .*protobuf parsing failed/)
    await expect(garbage).rejects.not.toThrow(/does not fit/)
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH), threads: 0 })).rejects.toThrow(/threads must be an integer in \[1, 16\]; got 0/)
  })

  it('should refuse misspelt options and options of the wrong kind before it starts a worker', async () => {
    const model = tinyModel(INPUT_WIDTH)
    const cases: [unknown, string][] = [
      [undefined, 'createOnnxScorer takes an options object; got undefined'],
      [{ model, smoothin: 0 }, 'createOnnxScorer has no option "smoothin" (did you mean smoothing?); its options are model, weights, threads'],
      [{ model, weights: { distanc: 9 } }, 'createOnnxScorer option weights has no key "distanc" (did you mean distance?); its keys are distance, facing'],
      [{ model, weights: [1] }, 'createOnnxScorer option weights takes an object; got an array'],
      [{ model, lockstep: 'yes' }, 'lockstep must be true or false; got "yes" (a string)'],
      [{ model, onEvent: 'log' }, 'onEvent must be a function; got "log" (a string)'],
      [{ model, workerUrl: './worker.js' }, 'workerUrl must be a URL (new URL(...)); got "./worker.js" (a string)'],
    ]
    for (const [options, message] of cases) await expect(createOnnxScorer(options as never), message).rejects.toThrow(message)
  })

  it('should say what was given for a model that is neither ONNX bytes nor a path, and read a file: URL as a path', async () => {
    const must = 'colyseus-attention/learned: model must be ONNX bytes (a Uint8Array) or a path to an .onnx file (a string or a file: URL); got '
    const cases: [unknown, string][] = [
      [new Uint8Array(0), `${must}an empty Uint8Array (0 bytes)`],
      [new ArrayBuffer(16), `${must}an ArrayBuffer (16 bytes): wrap it in new Uint8Array(buffer)`],
      [new SharedArrayBuffer(8), `${must}a SharedArrayBuffer (8 bytes): wrap it in new Uint8Array(buffer)`],
      ['', `${must}"" (a string)`],
      [new URL('https://example.com/m.onnx'), `${must}the URL https://example.com/m.onnx: only a file: URL is read; fetch the model yourself and pass its bytes, new Uint8Array(await response.arrayBuffer())`],
      [new Float32Array(4), `${must}a Float32Array`],
      [undefined, `${must}undefined`],
      [42, `${must}42 (a number)`],
      [new URL('file://server/share/m.onnx'), `colyseus-attention/learned: model: the file: URL file://server/share/m.onnx names no file on this machine (File URL host must be "localhost" or empty on ${process.platform})`],
    ]
    for (const [model, message] of cases) {
      const err = await createOnnxScorer({ model: model as never }).catch((e: Error) => e)
      expect(err, message).toBeInstanceOf(TypeError)
      expect((err as Error).message, message).toBe(message)
    }
    // what new URL('./model.onnx', import.meta.url) gives: read as the file it names
    const scorer = await createOnnxScorer({ model: pathToFileURL(defaultModelPath()) })
    await scorer.dispose()
    const dir = mkdtempSync(join(tmpdir(), 'learned-model-'))
    try {
      const missing = join(dir, 'no-such-model.onnx')
      await expect(createOnnxScorer({ model: pathToFileURL(missing) })).rejects.toThrow(`colyseus-attention/learned: could not read the model file ${missing}: no such file`)
      const empty = join(dir, 'empty.onnx')
      writeFileSync(empty, '')
      await expect(createOnnxScorer({ model: empty })).rejects.toThrow(`colyseus-attention/learned: the model file ${empty} is empty (0 bytes)`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('should score with the model from the answer to an earlier tick, and the heads for what it has not seen', async () => {
    const scorer = await createOnnxScorer({ model: defaultModelPath() })
    const s = scene(scorer)
    s.sys(s.world)
    // tick 1: the model has not answered yet, the heads scored every row
    expect(scorer.stats().modelRows).toBe(0)
    expect(s.members().length).toBe(5)
    expect(await scorer.settle()).toBe(true)
    s.sys(s.world)
    expect(scorer.stats().modelRows).toBe(12)
    await scorer.settle()
    // a newcomer is scored by the heads until the model has seen it
    const late = s.spawn(1, 1)
    s.sys(s.world)
    expect(scorer.stats()).toMatchObject({ modelRows: 12, fallbackRows: 1, degraded: null })
    expect(s.sys.explain(s.o, late).scorer).toBeNull()
    const x = s.sys.explain(s.o, s.sys.memberAt(s.o, 1))
    expect(x.scorer?.source).toBe('model correction')
    expect(Number.isFinite(x.scorer!.score)).toBe(true)
    expect(scorer.stats().rowsPerSecond).toBeGreaterThan(0)
    // a recycled id is a new entity: the model's score for the old one is not reused
    await scorer.settle()
    s.sys(s.world)
    await scorer.settle()
    expect(s.sys.explain(s.o, late).scorer?.source).toBe('model correction')
    removeEntity(s.world, late)
    expect(s.spawn(1, 1)).toBe(late)
    s.sys(s.world)
    expect(scorer.stats()).toMatchObject({ modelRows: 12, fallbackRows: 1 })
    await scorer.dispose()
  })

  it('should smooth the model\'s scores over its answers (0.75 per tick by default), never across a recycled id', async () => {
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH), smoothing: 1 })).rejects.toThrow(/smoothing must be a finite number in \[0, 0.95\]; got 1/)
    // the same world twice: one scorer uses each answer as it is, the other blends it with the previous one
    const scorers = [
      await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0 }),
      await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0.5 }),
      await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true }),
    ]
    const raw = scene(scorers[0]!)
    const smooth = scene(scorers[1]!)
    const byDefault = scene(scorers[2]!)
    const e = raw.o + 3
    const score = (s: typeof raw, eid: number): number => {
      const x = s.sys.explain(s.o, eid).scorer
      expect(x?.source).toBe('model correction')
      return x!.score
    }
    const tick = (dx: number): void => {
      for (const s of [raw, smooth, byDefault]) {
        // the candidate moves: its geometry columns, hence the tiny model's sum, change
        s.C.Position.x[e] = s.C.Position.x[e]! + dx
        s.C.Velocity.x[e] = dx
        s.sys(s.world)
      }
    }
    tick(0)
    tick(0)
    // the first answer: nothing to blend with
    const first = score(raw, e)
    expect(score(smooth, e)).toBe(first)
    tick(10)
    tick(0)
    const second = score(raw, e)
    expect(Math.abs(second - first)).toBeGreaterThan(0.1)
    expect(score(smooth, e)).toBeCloseTo(0.5 * first + 0.5 * second, 4)
    expect(score(byDefault, e)).toBeCloseTo(0.75 * first + 0.25 * second, 4)
    tick(0)
    // the answer to the tick after the move: half the previous smoothed score, half the new one
    const third = score(raw, e)
    expect(score(smooth, e)).toBeCloseTo(0.5 * (0.5 * first + 0.5 * second) + 0.5 * third, 4)
    // a recycled id is another entity: its first score is the model's own
    for (const s of [raw, smooth, byDefault]) {
      removeEntity(s.world, e)
      expect(s.spawn(40, 7)).toBe(e)
    }
    tick(0)
    tick(0)
    expect(score(smooth, e)).toBe(score(raw, e))
    expect(score(byDefault, e)).toBe(score(raw, e))
    for (const s of scorers) await s.dispose()
  })

  it('should serve the model\'s answers as corrections to this tick\'s heads by default, or as the scores themselves', async () => {
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH), residual: 1 as never })).rejects.toThrow('residual must be true or false; got 1 (a number)')
    const scorers = [
      await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0 }),
      await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0, residual: false }),
    ]
    const [fresh, plain] = scorers.map(scene) as [ReturnType<typeof scene>, ReturnType<typeof scene>]
    const e = fresh.o + 3
    const tick = (dx: number): void => {
      for (const s of [fresh, plain]) {
        s.C.Position.x[e] = s.C.Position.x[e]! + dx
        s.sys(s.world)
        s.heads(s.world)
      }
    }
    tick(0)
    tick(0)
    tick(0)
    // a still world: the heads' part has not changed since the rows the model answered, so both serve the model's score
    let f = fresh.sys.explain(fresh.o, e)
    let p = plain.sys.explain(plain.o, e)
    expect(f.scorer?.source).toBe('model correction')
    expect(p.scorer?.source).toBe('model')
    expect(f.score).toBeCloseTo(p.score!, 4)
    expect(f.score).toBeCloseTo(fresh.heads.explain(fresh.o, e).score! + f.scorer!.score, 4)
    const headsBefore = fresh.heads.explain(fresh.o, e).score!
    // the candidate moves 20 units away: this tick serves the answer to the rows before the move
    tick(20)
    f = fresh.sys.explain(fresh.o, e)
    p = plain.sys.explain(plain.o, e)
    const headsNow = fresh.heads.explain(fresh.o, e).score!
    expect(headsBefore - headsNow).toBeGreaterThan(0.1)
    // as scores: the model's score of where it was; as corrections: this tick's heads plus what the model added then
    expect(p.score).toBeCloseTo(p.scorer!.score, 4)
    expect(f.score).toBeCloseTo(headsNow + f.scorer!.score, 4)
    expect(f.score! - p.score!).toBeCloseTo(headsNow - headsBefore, 4)
    for (const x of scorers) await x.dispose()
  })

  it('should not let the model lower a candidate that has moved fast enough to reach the observer within reachSeconds', async () => {
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH), reachSeconds: -1 })).rejects.toThrow(/reachSeconds must be a finite number in \[0, 1000000\]; got -1/)
    await expect(createOnnxScorer({ model: tinyModel(INPUT_WIDTH), reachSeconds: Number.NaN })).rejects.toThrow(/reachSeconds must be a finite number/)
    // a model that scores every row far below the heads
    const low = tinyModel(INPUT_WIDTH, undefined, -100)
    const run = async (options: { reachSeconds?: number; residual?: boolean }) => {
      const scorer = await createOnnxScorer({ model: low, lockstep: true, smoothing: 0, ...options })
      const { world, C, o, sys, heads, spawn } = scene(scorer)
      // eight units away, both walking at 1 unit a second; the rider first passes by at 12 (the
      // scene's other entities stand still)
      const rider = spawn(8, 0)
      const walker = spawn(0, 8)
      C.Velocity.y[rider] = 12
      C.Velocity.x[walker] = 1
      sys(world)
      C.Velocity.y[rider] = 1
      for (let t = 0; t < 3; t++) {
        sys(world)
        heads(world)
      }
      const result = { rider: sys.explain(o, rider), walker: sys.explain(o, walker), headRider: heads.explain(o, rider), stats: scorer.stats() }
      sys.dispose()
      heads.dispose()
      await scorer.dispose()
      return result
    }
    const on = await run({})
    expect(on.rider.scorer).toEqual({ score: 0, source: 'model correction' })
    expect(on.rider.score).toBeCloseTo(on.headRider.score!, 5)
    expect(on.walker.scorer!.score).toBeLessThan(-50)
    expect(on.stats.guardedRows).toBe(1)
    // as scores: the rider scores what the heads scored the row the model answered
    const scores = await run({ residual: false })
    expect(scores.rider.scorer?.source).toBe('model')
    expect(scores.rider.score).toBeCloseTo(scores.headRider.score!, 5)
    expect(scores.walker.score).toBeLessThan(-50)
    // off: the model lowers both
    const off = await run({ reachSeconds: 0 })
    expect(off.rider.scorer!.score).toBeLessThan(-50)
    expect(off.stats.guardedRows).toBe(0)
  })

  it('should serve one attention system at a time, and a next one once the first is disposed, from none of its answers', async () => {
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH) })
    const a = scene(scorer)
    a.sys(a.world)
    await scorer.settle()
    a.sys(a.world)
    expect(scorer.stats().modelRows).toBe(12)
    // a second room given the same scorer (e.g. one created at module scope) is refused at creation
    const other = createWorld()
    const C = createAttentionComponents(64)
    expect(() => createAttentionSystem(other, { components: C, scorer })).toThrow(
      'colyseus-attention: this scorer (its pairScores) already serves another attention system: a scorer with pair scores keeps one world\'s answers. ' +
        'Create one scorer per system (per room), e.g. await createOnnxScorer({ model }) in the room\'s onCreate',
    )
    // the room closes: its system's dispose() releases the scorer without disposing it
    await scorer.settle()
    a.sys.dispose()
    // a new room's world, its ids the same numbers as a's: a's answers are not its entities'
    const b = scene(scorer)
    const late = b.o + 1
    expect(b.sys.explain(b.o, late).scorer).toBeNull()
    b.sys(b.world)
    expect(scorer.stats()).toMatchObject({ modelRows: 0, fallbackRows: 12, degraded: null })
    expect(b.sys.explain(b.o, late).scorer).toBeNull()
    await scorer.settle()
    b.sys(b.world)
    expect(scorer.stats()).toMatchObject({ modelRows: 12, fallbackRows: 0, degraded: null })
    expect(b.sys.explain(b.o, late).scorer?.source).toBe('model correction')
    b.sys.dispose()
    await scorer.dispose()
    // a disposed scorer has no worker: a next system is refused at creation, not left on the heads
    const later = createWorld()
    expect(() => createAttentionSystem(later, { components: createAttentionComponents(64), scorer })).toThrow(
      'colyseus-attention/learned: this scorer was disposed: create a new one with createOnnxScorer',
    )
  })

  it('should drop the previous system\'s request in flight and start the smoothing over for the next system', async () => {
    // the same scorer for a, then b; a fresh one for r, a world built and ticked as b's
    const shared = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0.5 })
    const fresh = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), lockstep: true, smoothing: 0.5 })
    /** An observer at the origin (made one after the first tick when `late`) and candidates 3 units apart along `dir`, moving. */
    const room = (scorer: OnnxScorer, dir: number, late: boolean) => {
      const world = createWorld()
      const C = createAttentionComponents(64)
      const o = addEntity(world)
      addComponent(world, o, C.Position)
      for (let i = 0; i < 8; i++) {
        const e = addEntity(world)
        addComponent(world, e, C.Position)
        addComponent(world, e, C.Velocity)
        C.Position.x[e] = dir * (5 + i * 3)
        C.Position.y[e] = i * 2
        C.Velocity.x[e] = -dir * i
      }
      if (!late) addObserver(world, C, o, { radius: 50, budget: 4 })
      const sys = createAttentionSystem(world, { components: C, scorer })
      return { world, C, o, sys, observe: () => addObserver(world, C, o, { radius: 50, budget: 4 }) }
    }
    const a = room(shared, -1, false)
    // a's only request (tick 1) is still in flight when its room closes
    a.sys(a.world)
    a.sys.dispose()
    const b = room(shared, 1, true)
    const r = room(fresh, 1, true)
    // tick 1 without an observer (no request), then the first request at tick 2, later than a's
    for (const x of [b, r]) {
      x.sys(x.world)
      x.observe()
      x.sys(x.world)
      x.sys(x.world)
    }
    for (let e = b.o + 1; e <= b.o + 8; e++) {
      const mine = b.sys.explain(b.o, e).scorer
      expect(mine?.source).toBe('model correction')
      expect(mine!.score).toBe(r.sys.explain(r.o, e).scorer!.score)
    }
    expect(shared.stats().answers).toBe(1)
    b.sys.dispose()
    r.sys.dispose()
    await shared.dispose()
    await fresh.dispose()
  })

  it('should keep serving on the heads through a model that throws, returns NaN, hangs or is 10x too slow, report each once, and recover', async () => {
    const events: LearnedScorerEvent[] = []
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), workerUrl: FAULT_WORKER, hangTimeoutMs: 300, maxStaleTicks: 2, onEvent: (e) => events.push(e) })
    const s = scene(scorer)
    // 40 ms ticks, as a room would run them; the tick never waits for the worker
    const run = async (ticks: number): Promise<void> => {
      for (let i = 0; i < ticks; i++) {
        const t0 = performance.now()
        s.sys(s.world)
        s.heads(s.world)
        // well below the fault's own delays (400 ms slow, 300 ms hang timeout): never waited on
        expect(performance.now() - t0).toBeLessThan(200)
        expect(s.members().length).toBe(5)
        if (scorer.stats().modelRows === 0) expect(s.members()).toEqual(s.headMembers())
        await sleep(40)
      }
    }
    const kinds = () => events.map((e) => e.kind)
    await run(3)
    expect(scorer.stats().modelRows).toBeGreaterThan(0)
    for (const [mode, kind] of [
      ['throw', 'error'],
      ['nan', 'garbage'],
      ['slow', 'stale'],
      ['hang', 'hang'],
    ] as const) {
      events.length = 0
      faults.postMessage(mode)
      await run(12)
      // reported once, not per tick; the heads scored the rows in the meantime
      expect(kinds().filter((k) => k === kind)).toEqual([kind])
      // the runtime's two-line text, on one line
      if (mode === 'throw') expect(events.find((e) => e.kind === 'error')?.message).toBe('the model threw: injected failure at the model; the built-in heads score until it answers again')
      // no usable answer since the fault: the heads scored every row
      if (mode === 'throw' || mode === 'nan') expect(scorer.stats().modelRows).toBe(0)
      if (mode !== 'hang') faults.postMessage('ok')
      // a hung worker is replaced: the new one starts healthy (give a loaded machine time to start it);
      // recovered once the model served 10 x maxStaleTicks = 20 ticks in a row
      for (let i = 0; i < 150 && !kinds().includes('recovered'); i++) await run(1)
      await run(2)
      expect(kinds()).toContain('recovered')
      expect(scorer.stats()).toMatchObject({ degraded: null })
      expect(scorer.stats().modelRows).toBeGreaterThan(0)
    }
    await scorer.dispose()
  })

  it('should report a model that is steadily about maxStaleTicks late once, not stale and recovered on every answer', async () => {
    const events: LearnedScorerEvent[] = []
    // answers 260 ms after each request, ticks every ~40 ms: each answer arrives about 7 ticks after
    // its rows were taken, is used for a tick or two, then is more than 8 ticks old until the next
    // one (it alternates for any tick period from about 33 to 52 ms)
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), workerUrl: FAULT_WORKER, maxStaleTicks: 8, onEvent: (e) => events.push(e) })
    const s = scene(scorer)
    const states = new Set<string | null>()
    let served = 0
    const run = async (ticks: number): Promise<void> => {
      for (let i = 0; i < ticks; i++) {
        s.sys(s.world)
        states.add(scorer.stats().degraded)
        if (scorer.stats().modelRows > 0) served++
        await sleep(40)
      }
    }
    await run(3)
    faults.postMessage('slow:260')
    await run(40)
    // it did alternate: the model served some ticks and was stale on others
    expect(states).toEqual(new Set([null, 'stale']))
    expect(served).toBeGreaterThan(3)
    // one report, no recovery in between (it never served 80 ticks in a row)
    expect(events.map((e) => e.kind)).toEqual(['stale'])
    expect(events[0]!.message).toMatch(/^the model's last answer is \d+ ticks old \(more than maxStaleTicks 8\); the built-in heads score until it answers again$/)
    // healthy again: recovered once it served 10 x maxStaleTicks = 80 ticks in a row, not before
    faults.postMessage('ok')
    let ticks = 0
    while (ticks < 400 && events.length === 1) {
      await run(1)
      ticks++
    }
    expect(events.map((e) => e.kind)).toEqual(['stale', 'recovered'])
    expect(events[1]!.message).toBe('the model answers again (served 80 ticks in a row)')
    expect(ticks).toBeGreaterThanOrEqual(80)
    await scorer.dispose()
  })

  it('should report nothing after dispose(), and leave later ticks to the heads', async () => {
    const events: LearnedScorerEvent[] = []
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), maxStaleTicks: 2, onEvent: (e) => events.push(e) })
    const s = scene(scorer)
    s.sys(s.world)
    await scorer.settle()
    s.sys(s.world)
    expect(scorer.stats().modelRows).toBe(12)
    await scorer.dispose()
    // a room may tick after its scorer is disposed: far past maxStaleTicks, and no warning
    for (let i = 0; i < 10; i++) {
      s.sys(s.world)
      s.heads(s.world)
      expect(scorer.stats().modelRows).toBe(0)
      expect(s.members()).toEqual(s.headMembers())
    }
    await sleep(50)
    expect(events).toEqual([])
  })

  it('should not count an answer the room has not picked up yet as a hang (a room that paused longer than hangTimeoutMs)', async () => {
    const events: LearnedScorerEvent[] = []
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), hangTimeoutMs: 100, onEvent: (e) => events.push(e) })
    const s = scene(scorer)
    s.sys(s.world)
    expect(await scorer.settle()).toBe(true)
    // no tick for 4 x hangTimeoutMs, with the answer waiting
    await sleep(400)
    s.sys(s.world)
    expect(events).toEqual([])
    expect(scorer.stats()).toMatchObject({ modelRows: 12, failures: 0 })
    await scorer.dispose()
  })

  it('should report a worker that exits after it served, replace it and recover', async () => {
    const events: LearnedScorerEvent[] = []
    const scorer = await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), workerUrl: FAULT_WORKER, maxStaleTicks: 2, onEvent: (e) => events.push(e) })
    const s = scene(scorer)
    for (let i = 0; i < 3; i++) {
      s.sys(s.world)
      await sleep(20)
    }
    expect(scorer.stats().modelRows).toBeGreaterThan(0)
    faults.postMessage('exit')
    // replaced 1 s after the exit; the replacement starts in 'ok'
    for (let i = 0; i < 400 && !events.some((e) => e.kind === 'recovered'); i++) {
      s.sys(s.world)
      await sleep(20)
    }
    expect(events.map((e) => e.message)).toEqual([
      'the inference worker exited with code 5; the built-in heads score until it answers again',
      'the model answers again (served 20 ticks in a row)',
    ])
    expect(scorer.stats().degraded).toBeNull()
    await scorer.dispose()
  })

  it('should fail to start with a clear error when the worker exits before it is ready, the model file is missing or corrupt, or onnxruntime-web is not installed', async () => {
    const model = tinyModel(INPUT_WIDTH)
    await expect(createOnnxScorer({ model, workerUrl: new URL('data:text/javascript,process.exit(3)') })).rejects.toThrow(
      /^colyseus-attention\/learned: the inference worker exited with code 3 before it was ready$/,
    )
    const dir = mkdtempSync(join(tmpdir(), 'learned-start-'))
    try {
      const missing = join(dir, 'no-such-model.onnx')
      await expect(createOnnxScorer({ model: missing })).rejects.toThrow(`colyseus-attention/learned: could not read the model file ${missing}: no such file`)
      // a relative path is read from the working directory: the message says which file that was
      await expect(createOnnxScorer({ model: './no-such-model.onnx' })).rejects.toThrow(
        `colyseus-attention/learned: could not read the model file ./no-such-model.onnx (resolved: ${resolve('no-such-model.onnx')}): no such file`,
      )
      // a file cut short: not ONNX, whatever its name
      const corrupt = join(dir, 'cut.onnx')
      writeFileSync(corrupt, readFileSync(defaultModelPath()).subarray(0, 3000))
      await expect(createOnnxScorer({ model: corrupt })).rejects.toThrow(`colyseus-attention/learned: the model (${corrupt}) could not be parsed as ONNX: `)
      // a worker that imports onnxruntime-web from where it is not installed: the real module error
      const worker = join(dir, 'worker.mjs')
      writeFileSync(worker, "import * as ort from 'onnxruntime-web'\nconsole.log(ort)\n")
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }
      const err = await createOnnxScorer({ model, workerUrl: pathToFileURL(worker) }).catch((e: Error) => e)
      expect((err as Error).message).toMatch(/^colyseus-attention\/learned: the inference worker failed: onnxruntime-web, the learned scorer's optional peer dependency, is not installed: /)
      // the version the package is tested with
      expect((err as Error).message).toContain(`npm i -E onnxruntime-web@${pkg.devDependencies['onnxruntime-web']} (Cannot find package 'onnxruntime-web'`)
      expect((err as Error).message).not.toContain('\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.each(['default', 'restart'])('should not keep the process alive when it is not disposed (%s worker)', async (mode) => {
    // the shipped model through the package's worker, or the fault worker hung once and replaced
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/undisposed-scorer.ts', import.meta.url)), mode], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let scoredAt = 0
    child.stdout.on('data', (d: Buffer) => {
      out += String(d)
      if (scoredAt === 0 && out.includes('scored')) scoredAt = performance.now()
    })
    child.stderr.on('data', (d: Buffer) => (err += String(d)))
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearTimeout(killer)
    expect(err).toBe('')
    expect(out.trim()).toBe('scored')
    expect(code).toBe(0)
    // it ended by itself, soon after its last tick (not killed at 40 s)
    expect(performance.now() - scoredAt).toBeLessThan(5000)
  })
})
