import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { checkFlags, REPO_ROOT } from '../lib/cli'
import { INPUT_WIDTH } from '../../plugin/src/learned/index'
import { createPrng } from '../lib/prng'
import { captureDataset } from '../train/dataset'
import { ARENA_FAMILY } from '../train/families'
import { createCache, forward, initParams, outsideGuard, rangeGuard } from '../train/model'
import { accumulate, createGradients, createGradScratch } from '../train/gradient'
import { exportOnnx } from '../train/onnx-export'
import { onnxDeviation } from './onnx-parity'
import { evaluate, headsOnly, seedPlan, train } from '../train/train'
import { loadFamilies } from '../train/families'
import { calibrate } from '../train/calibrate'
import { createRowWeights } from '../train/row-weights'
import { DEFAULT_BYTE_COSTS } from '../../plugin/src/index'
import { INPUT_COLUMNS } from '../../plugin/src/learned/index'
import { viewRadiusOf } from '../recall/viewport'
import { fasterRecording } from '../train/faster'
import { rangedFamily as RANGED } from '../recall/families/index'

describe('learned attention training', () => {
  it.each([
    [0, undefined, false],
    [0.8, undefined, false],
    [0.8, 0.3, false],
    [0.8, undefined, true],
    [0.8, 0.3, true],
  ])('should export a model (bound %s, down %s, range guard %s) whose onnxruntime-web outputs match the TypeScript forward pass to 1e-5', async (bound, boundDown, guarded) => {
    const p = initParams(7, undefined, bound, boundDown)
    expect(p.boundDown).toBe(boundDown)
    // the parity rows are uniform in [-2, 2]: about 38% of them inside this guard's range
    if (guarded) p.guard = { lo: new Float32Array(INPUT_WIDTH).fill(-1.9), hi: new Float32Array(INPUT_WIDTH).fill(1.9) }
    for (let i = 0; i < p.lin.length; i++) p.lin[i] = p.lin[i]! + 0.1 * Math.sin(i)
    // non-trivial attention terms, so that the per-head softmax matters
    for (let h = 0; h < p.heads; h++) p.wo[h] = h % 2 === 0 ? 0.8 : -0.5
    // an asymmetric bound: corrections of both signs, so that both sides of the graph's Where are read
    p.bias[0] = boundDown === undefined ? 0.7 : 0
    // three observers with 9, 1 and 25 candidates, padded to 25
    expect(await onnxDeviation(p, [9, 1, 25], 3)).toBeLessThan(1e-5)
  })

  it('should hold a row outside the range guard at the heads\' score where the correction would lower it, and only there', () => {
    const p = initParams(3, undefined, 2, 1)
    for (let h = 0; h < p.heads; h++) p.wo[h] = h % 2 === 0 ? 0.9 : -0.7
    const rng = createPrng(9)
    const m = 40
    const x = Float32Array.from({ length: m * INPUT_WIDTH }, () => rng.range(-1, 1))
    // every tenth row has a column far outside what the guard was fitted on
    for (let r = 0; r < m; r += 10) x[r * INPUT_WIDTH + 9] = 5
    const guard = rangeGuard(x.filter((_, i) => Math.floor(i / INPUT_WIDTH) % 10 !== 0), 0)
    const free = Float64Array.from(forward(p, x, 0, m, createCache(p, m)).score)
    p.guard = guard
    const c = forward(p, x, 0, m, createCache(p, m))
    let held = 0
    let lowered = 0
    for (let r = 0; r < m; r++) {
      let heads = 0
      for (let d = 0; d < INPUT_WIDTH; d++) heads += x[r * INPUT_WIDTH + d]! * p.base[d]!
      const outside = r % 10 === 0
      if (outside && free[r]! < heads) {
        // the guard keeps the heads' score; the unguarded model lowered it
        expect(c.score[r]).toBeCloseTo(heads, 9)
        expect(c.held[r]).toBe(1)
        held++
      } else {
        expect(c.score[r]).toBe(free[r])
        expect(c.held[r]).toBe(0)
        if (free[r]! < heads) lowered++
      }
    }
    expect(held).toBeGreaterThan(0)
    expect(lowered).toBeGreaterThan(0)
  })

  it('should fit the range guard to the quantiles of each column, refusing a tail outside [0, 0.1]', () => {
    const n = 1000
    const x = new Float32Array(n * INPUT_WIDTH)
    // column d holds 0, 1, ..., 999 scaled by d + 1, in a shuffled order
    for (let r = 0; r < n; r++) for (let d = 0; d < INPUT_WIDTH; d++) x[r * INPUT_WIDTH + d] = ((r * 7919) % n) * (d + 1)
    const full = rangeGuard(x, 0)
    const trimmed = rangeGuard(x, 0.01)
    for (let d = 0; d < INPUT_WIDTH; d++) {
      expect([full.lo[d], full.hi[d]]).toEqual([0, 999 * (d + 1)])
      expect([trimmed.lo[d], trimmed.hi[d]]).toEqual([10 * (d + 1), 989 * (d + 1)])
    }
    expect(outsideGuard(trimmed, x, 0)).toBe(true)
    expect(() => rangeGuard(x, 0.2)).toThrow("the range guard's tail must be a number in [0, 0.1]; got 0.2")
    expect(() => rangeGuard(new Float32Array(0), 0)).toThrow('at least one training row')
  })

  it.each([
    [0, false, 1],
    [0.8, false, 1],
    [0.8, true, 1],
    [0, false, 4],
    [0.8, true, 3],
    [0.8, true, 1, 0.3],
    [0.8, true, 1, 0.3, true],
  ])('should give the gradient of the loss (bound %s, weighted rows %s, sharpness %s, down %s, range guard %s), checked by finite differences', (bound, weighted, sharpness, boundDown?: number, guarded?: boolean) => {
    const p = initParams(11, undefined, bound, boundDown)
    // rows uniform in [-1.5, 1.5]: about a third of them inside this guard's range
    if (guarded === true) p.guard = { lo: new Float32Array(INPUT_WIDTH).fill(-1.42), hi: new Float32Array(INPUT_WIDTH).fill(1.42) }
    for (let h = 0; h < p.heads; h++) p.wo[h] = 0.6 - 0.3 * h
    const rng = createPrng(4)
    const m = 7
    const x = Float32Array.from({ length: m * INPUT_WIDTH }, () => rng.range(-1.5, 1.5))
    const label = Uint8Array.from([0, 1, 0, 0, 1, 0, 0])
    const logWeight = weighted ? Float64Array.from({ length: m }, (_, r) => (r % 3 === 0 ? Math.log(0.1) : 0)) : undefined
    const positiveWeight = weighted ? Float64Array.from({ length: m }, (_, r) => (r === 1 ? 3 : 1)) : undefined
    const cache = createCache(p, m)
    const scratch = createGradScratch(p, m)
    const loss = (): number => accumulate(p, x, label, 0, forward(p, x, 0, m, cache), createGradients(p), scratch, logWeight, positiveWeight, sharpness)
    const g = createGradients(p)
    accumulate(p, x, label, 0, forward(p, x, 0, m, cache), g, scratch, logWeight, positiveWeight, sharpness)
    for (const key of ['lin', 'wq', 'wk', 'bk', 'wo'] as const) {
      for (const i of [0, 3, p[key].length - 1]) {
        const w = p[key][i]!
        const h = 1e-2
        p[key][i] = w + h
        const up = loss()
        p[key][i] = w - h
        const down = loss()
        p[key][i] = w
        expect(g[key][i]!, `${key}[${i}]`).toBeCloseTo((up - down) / (2 * h), 3)
      }
    }
  })

  it('should tend, as the sharpness grows, to the margin of the positive below the group\'s top score', () => {
    const p = initParams(3, undefined, 0.8)
    for (let h = 0; h < p.heads; h++) p.wo[h] = 0.5
    const rng = createPrng(9)
    const m = 6
    const x = Float32Array.from({ length: m * INPUT_WIDTH }, () => rng.range(-1.5, 1.5))
    const label = Uint8Array.from([0, 0, 1, 0, 0, 0])
    const c = forward(p, x, 0, m, createCache(p, m))
    const s = createGradScratch(p, m)
    const at = (k: number): number => accumulate(p, x, label, 0, c, createGradients(p), s, undefined, undefined, k)
    const top = Math.max(...Array.from(c.score.subarray(0, m)))
    // the plain listwise loss at sharpness 1
    let lse = 0
    for (let r = 0; r < m; r++) lse += Math.exp(c.score[r]!)
    expect(at(1)).toBeCloseTo(Math.log(lse) - c.score[2]!, 10)
    // at most log(m) / k above the margin, and falling toward it
    const margin = top - c.score[2]!
    expect(at(50)).toBeGreaterThanOrEqual(margin - 1e-9)
    expect(at(50)).toBeLessThanOrEqual(margin + Math.log(m) / 50 + 1e-9)
    expect(at(4)).toBeGreaterThan(at(50))
  })

  it('should fit on training seeds and report on validation seeds, never recording a test seed', async () => {
    const families = await loadFamilies()
    expect(families.map((f) => f.name)).toEqual(['arena', 'battle', 'ranged', 'hub'])
    for (const more of [false, true]) {
      for (const { family: f, train: fit, heldOut } of seedPlan(families, more)) {
        expect(fit).toEqual(more ? [...f.trainSeeds, ...f.extraTrainSeeds] : f.trainSeeds)
        expect(heldOut).toEqual(f.validationSeeds)
        for (const seed of [...fit, ...heldOut]) expect(f.testSeeds, `${f.name} seed ${seed}`).not.toContain(seed)
      }
    }
  })

  it('should train deterministically for a seed and beat the untrained heads on held-out data', () => {
    const rec = ARENA_FAMILY.record(1, true)
    const trainSet = captureDataset(rec, { toFraction: 0.7 })
    const testSet = captureDataset(rec, { fromFraction: 0.7 })
    expect(trainSet.groups).toBeGreaterThan(50)
    const a = train(trainSet, testSet, { seed: 5, epochs: 2 })
    const b = train(trainSet, testSet, { seed: 5, epochs: 2 })
    expect(Buffer.from(exportOnnx(a)).equals(Buffer.from(exportOnnx(b)))).toBe(true)
    const untrained = initParams(5)
    untrained.wo.fill(0)
    expect(evaluate(a, testSet, 8).loss).toBeLessThan(evaluate(untrained, testSet, 8).loss)
  })

  it('should calibrate a model onto the heads\' scale without changing its order', () => {
    const rec = ARENA_FAMILY.record(1, true)
    const d = captureDataset(rec, { toFraction: 0.3 })
    // the heads' own score, stretched and shifted: the fit must undo exactly that
    const p = headsOnly()
    for (let i = 0; i < p.lin.length; i++) p.lin[i] = p.lin[i]! * 3
    p.bias[0] = -2
    const before = createCache(p, d.maxRows)
    const g = 5
    const a = d.groupStart[g]!
    const m = d.groupStart[g + 1]! - a
    const s0 = Float64Array.from(forward(p, d.x, a, m, before).score.subarray(0, m))
    const c = calibrate(p, d)
    expect(c.scale).toBeCloseTo(1 / 3, 4)
    expect(c.rmsAfter).toBeLessThan(1e-3)
    const s1 = forward(p, d.x, a, m, createCache(p, d.maxRows)).score
    for (let r = 0; r < m; r++) expect(s1[r]!).toBeCloseTo((s0[r]! + 2) / 3, 4)
    expect(Array.from(p.lin.subarray(0, 8))).toEqual(Array.from(headsOnly().lin.subarray(0, 8)).map((v) => expect.closeTo(v, 4)))
  })

  it('should capture rows out to the recording\'s view radius with --capture-radius view, far fewer beyond the default radius without it', () => {
    // the arena's screen is 65 units: candidates between the engine's default radius and it get rows only at the view radius
    const rec = ARENA_FAMILY.record(1, true)
    const range = (INPUT_COLUMNS as readonly string[]).indexOf('range')
    // rows of candidates 55 to 65 units away (at radius 50 only fast movers and nimbi reach that far)
    const beyond = (d: ReturnType<typeof captureDataset>, radius: number): number => {
      let n = 0
      for (let r = 0; r < d.rows; r++) {
        const units = d.x[r * INPUT_WIDTH + range]! * radius
        if (units > 55 && units <= 65) n++
      }
      return n
    }
    const near = captureDataset(rec, { toFraction: 0.3 })
    const view = captureDataset(rec, { toFraction: 0.3, radius: 'view' })
    expect(viewRadiusOf(rec)).toBe(65)
    expect(beyond(view, 65)).toBeGreaterThan(100)
    expect(beyond(view, 65)).toBeGreaterThan(5 * beyond(near, 50))
    expect(view.rows / view.groups).toBeGreaterThan(near.rows / near.groups)
  })

  it('should count a still negative row at the still share of a moving one, and every positive fully', () => {
    const d = captureDataset(ARENA_FAMILY.record(1, true), { toFraction: 0.3 })
    const speed = (INPUT_COLUMNS as readonly string[]).indexOf('speed')
    const weigh = createRowWeights(d, { byteWeights: true, hardTop: 0, tailWeight: 1 })
    let still = 0
    for (let g = 0; g < d.groups; g++) {
      const a = d.groupStart[g]!
      const m = d.groupStart[g + 1]! - a
      const w = weigh(a, m)!
      for (let r = 0; r < m; r++) {
        const isStill = d.label[a + r] === 0 && d.x[(a + r) * INPUT_WIDTH + speed] === 0
        still += Number(isStill)
        expect(w[r]).toBe(isStill ? Math.log(DEFAULT_BYTE_COSTS.still) : 0)
      }
    }
    expect(still).toBeGreaterThan(0)
    expect(createRowWeights(d, { byteWeights: false, hardTop: 0, tailWeight: 1 })(0, 5)).toBeUndefined()
  })
})

describe('faster copies of a recording', () => {
  it('should show every s-th tick at s times the velocity, with interactions and respawns on the first tick at or after them', () => {
    const rec = ARENA_FAMILY.record(2, true)
    const n = rec.entityCount
    expect(rec.spawns.count).toBeGreaterThan(0)
    for (const s of [2, 3, 5]) {
      const f = fasterRecording(rec, s)
      expect(f.ticks).toBe(Math.floor((rec.ticks - 1) / s) + 1)
      expect(f.dt).toBe(rec.dt)
      expect(f.entityCount).toBe(n)
      for (const t of [0, 1, f.ticks - 1]) {
        for (const i of [0, 7, n - 1]) {
          const a = t * n + i
          const b = t * s * n + i
          expect([f.x[a], f.y[a], f.angle[a]]).toEqual([rec.x[b], rec.y[b], rec.angle[b]])
          expect(f.vx[a]).toBe(Math.fround(rec.vx[b]! * s))
          expect(f.vy[a]).toBe(Math.fround(rec.vy[b]! * s))
        }
      }
      // every interaction whose tick the copy reaches, in order, on the first tick of the copy at or after it
      const log = rec.interactions
      let kept = 0
      for (let j = 0; j < log.count; j++) if (Math.ceil(log.tick[j]! / s) < f.ticks) kept++
      expect(f.interactions.count).toBe(kept)
      for (let j = 0; j < kept; j++) {
        expect(f.interactions.tick[j]).toBe(Math.ceil(log.tick[j]! / s))
        expect([f.interactions.a[j], f.interactions.b[j], f.interactions.kind[j]]).toEqual([log.a[j], log.b[j], log.kind[j]])
      }
      // respawns: the same entities, each at most once per tick of the copy, in tick order
      const want = new Set<string>()
      for (let j = 0; j < rec.spawns.count; j++) {
        const t = Math.ceil(rec.spawns.tick[j]! / s)
        if (t < f.ticks) want.add(`${t}:${rec.spawns.entity[j]}`)
      }
      const got: string[] = []
      for (let j = 0; j < f.spawns.count; j++) got.push(`${f.spawns.tick[j]}:${f.spawns.entity[j]}`)
      expect(new Set(got).size).toBe(got.length)
      expect(new Set(got)).toEqual(want)
      for (let j = 1; j < f.spawns.count; j++) expect(f.spawns.tick[j]).toBeGreaterThanOrEqual(f.spawns.tick[j - 1]!)
    }
    // the original is left as it was
    expect(fasterRecording(rec, 2).x).not.toBe(rec.x)
    for (const bad of [1, 2.5, 17, Number.NaN]) expect(() => fasterRecording(rec, bad)).toThrow(/factor must be an integer from 2 to 16/)
  })

  it('should sample per-tick aim targets like the state, and capture rows at s times the closing speeds', () => {
    const ranged = RANGED.record(201, true)
    const target = ranged.declared?.target
    expect(target).toBeDefined()
    const f = fasterRecording(ranged, 4)
    const n = ranged.entityCount
    for (const t of [0, 3, f.ticks - 1]) expect(Array.from(f.declared!.target!.subarray(t * n, (t + 1) * n))).toEqual(Array.from(target!.subarray(4 * t * n, (4 * t + 1) * n)))
    // the same game four times faster: its moving candidates move faster in the captured rows
    // (most candidates stand still, beacons and idle wanderers, in both)
    const speed = (INPUT_COLUMNS as readonly string[]).indexOf('speed')
    const movingSpeed = (d: ReturnType<typeof captureDataset>): number => {
      let sum = 0
      let moving = 0
      for (let r = 0; r < d.rows; r++) {
        const v = d.x[r * INPUT_WIDTH + speed]!
        sum += v
        moving += Number(v > 0)
      }
      return sum / moving
    }
    const slow = captureDataset(ranged)
    const fast = captureDataset(f)
    expect(fast.groups).toBeGreaterThan(10)
    expect(movingSpeed(fast)).toBeGreaterThan(2 * movingSpeed(slow))
  })
})

describe('npm run train (command line)', () => {
  /** Runs bench/train/train.ts with `args`: its exit code and output. */
  const train = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/train/train.ts', ...args], { cwd: REPO_ROOT, timeout: 100_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    )

  it('should refuse an unknown flag, a stray argument or a flag without its value, listing the known flags, before recording anything', async () => {
    const typo = await train(['--out', '/tmp/unused.onnx', '--epoch', '3'])
    expect(typo.code).toBe(2)
    expect(typo.stdout).toBe('')
    expect(typo.stderr.trim()).toBe(
      'npm run train: unknown flag --epoch; known flags: --out <value>, --load <value>, --family <value>, --seed <value>, --epochs <value>, --ensemble <value>, --heads <value>, ' +
        '--key-dim <value>, --hard-top <value>, --tail-weight <value>, --lr <value>, --prior-pull <value>, --calibrate-top <value>, --new-weight <value>, --bound <value>, ' +
        '--sharpness <value>, --window <value>, --capture-radius <value>, --bound-down <value>, --range-guard <value>, --faster <value>, --quick, --more-seeds, --residual, --no-calibrate, --no-byte-weights (`npm run train -- --help` prints the usage)',
    )
    expect((await train(['--out', '/tmp/unused.onnx', 'extra'])).stderr).toMatch(/^npm run train: unknown argument extra; known flags: --out <value>/)
    expect((await train(['--out', '/tmp/unused.onnx', '--bound'])).stderr.trim()).toBe('npm run train: --bound needs a value (`npm run train -- --help` prints the usage)')
  })

  it('should refuse a --bound-down without a --bound it fits under, and a --capture-radius that is no radius, before recording anything', async () => {
    const alone = await train(['--out', '/tmp/unused.onnx', '--bound-down', '0.5'])
    expect(alone.code).toBe(2)
    expect(alone.stdout).toBe('')
    expect(alone.stderr.trim()).toBe('npm run train: --bound-down needs --bound B > 0 and must be at most B; got --bound-down 0.5 without --bound')
    expect((await train(['--out', '/tmp/unused.onnx', '--bound', '1', '--bound-down', '2'])).stderr.trim()).toBe(
      'npm run train: --bound-down needs --bound B > 0 and must be at most B; got --bound-down 2 with --bound 1',
    )
    expect((await train(['--out', '/tmp/unused.onnx', '--range-guard', '0.001'])).stderr.trim()).toBe(
      "npm run train: --range-guard needs --bound B > 0 (it keeps a bounded residual from lowering the heads' score); got --range-guard 0.001 without --bound",
    )
    expect((await train(['--out', '/tmp/unused.onnx', '--bound', '2', '--range-guard', '0.5'])).stderr.trim()).toMatch(/^npm run train: --range-guard must be a number in \[0, 0\.1\]; got 0\.5/)
    for (const bad of ['1', '2,x', '17', '2.5', '2,3,4,5,6']) {
      expect((await train(['--out', '/tmp/unused.onnx', '--faster', bad])).stderr.trim()).toBe(`npm run train: --faster must be a list of up to 4 integers from 2 to 16; got ${bad}`)
    }
    const radius = await train(['--out', '/tmp/unused.onnx', '--capture-radius', '50,wide'])
    expect(radius.code).toBe(2)
    expect(radius.stderr.trim()).toBe('npm run train: --capture-radius must be view or a number in [1, 1000], or a list of up to 4 of them; got 50,wide')
  })

  it('should accept the shipped recipe\'s flags and write a model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-cli-'))
    try {
      const out = join(dir, 'm.onnx')
      const r = await train(['--quick', '--family', 'arena', '--out', out, '--seed', '1', '--epochs=1', '--bound', '2', '--bound-down', '1', '--range-guard', '0.01', '--faster', '2,4'])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`wrote ${out}`)
      expect(r.stdout).toContain('training rows also captured from each training recording played 2 and 4 times faster')
      // the guard is fitted to the training rows: about 2 x 1% per column of them fall outside it
      expect(r.stdout).toMatch(/range guard: \d+\.\d\d% of the training rows and \d+\.\d\d% of the held-out rows outside it \(never lowered\)/)
      expect(existsSync(out)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('checkFlags', () => {
  it('should take --name value, --name=value and switches, and refuse the rest, naming it', () => {
    const check = (argv: string[]): void => checkFlags('cmd', ['out', 'seed'], ['quick'], argv)
    expect(() => check(['--out', 'a', '--seed=-1', '--quick', '--seed', '-2'])).not.toThrow()
    expect(() => check(['--quick=1'])).toThrow('cmd: unknown value in --quick=1 (--quick takes none); known flags: --out <value>, --seed <value>, --quick')
    expect(() => check(['--out', '--quick'])).toThrow('cmd: --out needs a value')
    expect(() => check(['--Out', 'a'])).toThrow('cmd: unknown flag --Out; known flags')
    expect(() => check(['-q'])).toThrow('cmd: unknown argument -q; known flags')
  })
})
