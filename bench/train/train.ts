// Trains the learned attention model and writes it as ONNX.
//
//   npm run train -- --out model.onnx [--family a,b] [--more-seeds] [--faster 2,4] [--seed N] [--epochs N] [--ensemble N] [--heads N --key-dim N] [--quick]
//   npm run train -- --load rec1.bin [--load rec2.bin ...] --out model.onnx [--seed N]
//   loss and scale: [--no-byte-weights] [--no-calibrate] [--calibrate-top N] [--residual] [--hard-top N --tail-weight W] [--window S] [--new-weight W] [--bound B [--bound-down D]] [--sharpness S] [--capture-radius R]
//   optimiser: [--lr R] [--prior-pull P]
// The shipped default model: --out plugin/models/default.onnx --seed 1 --epochs 3 --bound 2 --bound-down 1 --range-guard 0.01 --faster 2,4 (docs/learned-attention.md).
// Any other flag is an error; `npm run train -- --help` prints every flag with its default (USAGE, below).
//
// Without --load it records the training seeds of the built-in scenario families (with --more-seeds
// their extra training seeds too) and holds out their validation seeds (never their test seeds: `seedPlan`); with --load it trains on the first 80% of each recording and holds out the rest.
// Deterministic: the same command writes the same bytes. --ensemble N trains N models on the same
// rows, with seeds N0, N0 + 1, ... (N0 = --seed), and writes their merge (ensemble.ts): one model
// whose raw score is the mean of theirs, N times the heads.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { acceptFlags, flagValue, hasFlag, isMain, numberFlag, stopWith } from '../lib/cli'
import { createPrng } from '../lib/prng'
import { FEATURE_COUNT } from '../../plugin/src/index'
import { INPUT_COLUMNS, INPUT_WIDTH } from '../../plugin/src/learned/index'
import { readRecording } from '../recall/recording-file'
import type { Recording } from '../recall/recording'
import { captureDataset, mergeDatasets, type CaptureOptions, type Dataset } from './dataset'
import { loadFamilies, type ScenarioFamily } from './families'
import { calibrate } from './calibrate'
import { accumulate, createGradients, createGradScratch } from './gradient'
import { createPositiveWeights, createRowWeights } from './row-weights'
import { createCache, DEFAULT_SHAPE, forward, headPrior, initParams, outsideGuard, paramCount, rangeGuard, type ModelParams, type ModelShape, type RangeGuard } from './model'
import { exportOnnx } from './onnx-export'
import { fasterRecording } from './faster'
import { mergeEnsemble } from './ensemble'
import { createAdam } from './optimizer'

/** Options of {@link train}. */
export interface TrainOptions {
  seed?: number
  epochs?: number
  /** Groups per gradient step. @defaultValue 32 */
  batch?: number
  /** Adam step size (decays linearly to a tenth). @defaultValue 0.01 */
  lr?: number
  /** Pull of the linear term toward the head weights. @defaultValue 0.01 */
  priorPull?: number
  /** Budget at which held-out recall is reported. @defaultValue 8 */
  recallAt?: number
  /** Keep the linear term on the engine's feature columns at the head weights: the model learns a correction to the heads' exact score. @defaultValue false */
  residual?: boolean
  /** Hard negatives ({@link createRowWeights}): the heads' top this many rows of a group count fully (0: off). @defaultValue 0 */
  hardTop?: number
  /** Weight of the other negative rows when `hardTop` > 0. @defaultValue 0.1 */
  tailWeight?: number
  /** Value per byte ({@link createRowWeights}); `npm run train` turns it on unless `--no-byte-weights`. @defaultValue false */
  byteWeights?: boolean
  /** After training, put the scores on the heads' scale ({@link calibrate}); `npm run train` does unless `--no-calibrate`. @defaultValue false */
  calibrate?: boolean
  /** Bounded residual ({@link ModelParams.bound}): the heads' score plus a learned correction of at most this much (0: off); not calibrated. @defaultValue 0 */
  bound?: number
  /**
   * Asymmetric bounded residual ({@link ModelParams.boundDown}): the correction lowers the heads'
   * score by at most this much (in (0, bound]); undefined: `bound` both ways.
   */
  boundDown?: number
  /**
   * Range guard ({@link ModelParams.guard}) of a bounded residual: the share of the training rows
   * left outside each column's guarded range at each end, in [0, 0.1] (0: the full range);
   * undefined: no guard. The guard holds while the model trains as well as when it runs.
   */
  rangeGuard?: number
  /** Weight of a positive row whose pair has not interacted lately ({@link createPositiveWeights}). @defaultValue 1 */
  newWeight?: number
  /** Top-K-aware loss ({@link accumulate}'s `sharpness`): the listwise loss on this multiple of the scores (1: the plain loss). @defaultValue 1 */
  sharpness?: number
  /** Rows per group (each group's top by the model's score) the calibration fits on. @defaultValue 16 */
  calibrateTop?: number
  /** Heads and key width of the network. @defaultValue DEFAULT_SHAPE (4 heads of 8) */
  shape?: ModelShape
  log?: (line: string) => void
}

/** Held-out measures of a model. */
export interface Evaluation {
  loss: number
  /** Share of positive rows ranked within the top `recallAt` of their group. */
  recall: number
}

/** Evaluates `p` on `d`: mean listwise loss and recall@k. */
export function evaluate(p: ModelParams, d: Dataset, k: number): Evaluation {
  const cache = createCache(p, d.maxRows)
  const g = createGradients(p)
  const s = createGradScratch(p, d.maxRows)
  let loss = 0
  let hit = 0
  let pos = 0
  for (let i = 0; i < d.groups; i++) {
    const a = d.groupStart[i]!
    const m = d.groupStart[i + 1]! - a
    forward(p, d.x, a, m, cache)
    loss += accumulate(p, d.x, d.label, a, cache, g, s)
    for (let r = 0; r < m; r++) {
      if (d.label[a + r] !== 1) continue
      pos++
      let above = 0
      const sc = cache.score[r]!
      for (let j = 0; j < m; j++) if (cache.score[j]! > sc) above++
      if (above < k) hit++
    }
  }
  return { loss: loss / Math.max(1, d.groups), recall: hit / Math.max(1, pos) }
}

/** The untrained model: the head weights alone (attention terms off). */
export function headsOnly(): ModelParams {
  const p = initParams(0)
  p.wo.fill(0)
  p.lin.set(headPrior())
  return p
}

/**
 * Trains on `trainSet`, reporting held-out loss and recall on `heldOut` after each epoch.
 * @returns the trained parameters.
 */
export function train(trainSet: Dataset, heldOut: Dataset, o: TrainOptions = {}): ModelParams {
  const seed = o.seed ?? 1
  const epochs = o.epochs ?? 6
  const batch = o.batch ?? 32
  const lr0 = o.lr ?? 0.01
  const k = o.recallAt ?? 8
  const log = o.log ?? (() => {})
  const bound = o.bound ?? 0
  if (!(bound >= 0 && Number.isFinite(bound))) throw new RangeError(`bound must be a finite number >= 0; got ${bound}`)
  if (o.boundDown !== undefined && !(bound > 0 && o.boundDown > 0 && o.boundDown <= bound)) throw new RangeError(`boundDown must be a number in (0, bound] with bound > 0; got ${o.boundDown} (bound ${bound})`)
  const sharpness = o.sharpness ?? 1
  if (!(sharpness >= 1 && sharpness <= 100)) throw new RangeError(`sharpness must be a number in [1, 100]; got ${sharpness}`)
  if (o.rangeGuard !== undefined && !(bound > 0 && o.rangeGuard >= 0 && o.rangeGuard <= 0.1)) throw new RangeError(`rangeGuard must be a number in [0, 0.1] with bound > 0; got ${o.rangeGuard} (bound ${bound})`)
  const p = initParams(seed, o.shape ?? DEFAULT_SHAPE, bound, o.boundDown)
  if (o.rangeGuard !== undefined) p.guard = rangeGuard(trainSet.x, o.rangeGuard)
  const rng = createPrng(seed ^ 0x5eed)
  // a bounded residual's linear term is a correction: its prior is 0
  const prior = bound > 0 ? new Float32Array(p.lin.length) : headPrior()
  const adam = createAdam(p, prior, o.priorPull ?? 0.01, o.residual === true ? FEATURE_COUNT : 0)
  const weigh = createRowWeights(trainSet, { byteWeights: o.byteWeights === true, hardTop: o.hardTop ?? 0, tailWeight: o.tailWeight ?? 0.1 })
  const positives = createPositiveWeights(trainSet, o.newWeight ?? 1)
  const g = createGradients(p)
  const cache = createCache(p, trainSet.maxRows)
  const scratch = createGradScratch(p, trainSet.maxRows)
  const order = Int32Array.from({ length: trainSet.groups }, (_, i) => i)
  const base = evaluate(headsOnly(), heldOut, k)
  log(`model: ${p.heads} heads x ${p.keyDim}, ${paramCount(p)} parameters; ${trainSet.groups} training groups (${trainSet.rows} rows), ${heldOut.groups} held-out`)
  if (p.guard !== undefined) log(`range guard: ${guardedShare(p.guard, trainSet)} of the training rows and ${guardedShare(p.guard, heldOut)} of the held-out rows outside it (never lowered)`)
  log(`heads only (untrained): held-out loss ${base.loss.toFixed(4)}, recall@${k} ${(base.recall * 100).toFixed(2)}%`)
  const steps = epochs * Math.ceil(trainSet.groups / batch)
  let step = 0
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now()
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1)
      const t = order[i]!
      order[i] = order[j]!
      order[j] = t
    }
    let loss = 0
    for (let b = 0; b < order.length; b += batch) {
      const end = Math.min(order.length, b + batch)
      for (let i = b; i < end; i++) {
        const gi = order[i]!
        const a = trainSet.groupStart[gi]!
        const m = trainSet.groupStart[gi + 1]! - a
        forward(p, trainSet.x, a, m, cache)
        loss += accumulate(p, trainSet.x, trainSet.label, a, cache, g, scratch, weigh(a, m), positives(a, m), sharpness)
      }
      const lr = lr0 * (1 - (0.9 * step++) / steps)
      adam.step(p, g, 1 / (end - b), lr)
    }
    const ev = evaluate(p, heldOut, k)
    log(
      `epoch ${epoch}/${epochs}: train loss ${(loss / Math.max(1, trainSet.groups)).toFixed(4)}, held-out loss ${ev.loss.toFixed(4)}, ` +
        `held-out recall@${k} ${(ev.recall * 100).toFixed(2)}% (heads ${(base.recall * 100).toFixed(2)}%), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
  }
  if (o.calibrate === true && bound > 0) log('not calibrated: a bounded residual is on the heads\' scale by construction')
  else if (o.calibrate === true) {
    const c = calibrate(p, trainSet, o.calibrateTop ?? 16)
    log(`calibrated on ${c.rows} top rows: score x ${c.scale.toFixed(3)} + ${c.shift.toFixed(3)}; rms distance to the heads' score ${c.rmsBefore.toFixed(3)} -> ${c.rmsAfter.toFixed(3)}`)
  }
  log(`linear term: ${Array.from(p.lin, (v, i) => `${INPUT_COLUMNS[i]} ${v.toFixed(2)}`).join(', ')}; head output weights ${Array.from(p.wo, (v) => v.toFixed(2)).join(' ')}`)
  return p
}

/** The share of a dataset's rows outside a range guard, as a percentage. */
function guardedShare(g: RangeGuard, d: Dataset): string {
  let n = 0
  for (let r = 0; r < d.rows; r++) if (outsideGuard(g, d.x, r * INPUT_WIDTH)) n++
  return `${((100 * n) / Math.max(1, d.rows)).toFixed(2)}%`
}

/** Flags of `npm run train` that take a value (see the header; --lr and --prior-pull set {@link TrainOptions} `lr` and `priorPull`). */
const TRAIN_FLAGS = ['out', 'load', 'family', 'seed', 'epochs', 'ensemble', 'heads', 'key-dim', 'hard-top', 'tail-weight', 'lr', 'prior-pull', 'calibrate-top', 'new-weight', 'bound', 'sharpness', 'window', 'capture-radius', 'bound-down', 'range-guard', 'faster'] as const
/** Flags of `npm run train` that take none. */
const TRAIN_SWITCHES = ['quick', 'more-seeds', 'residual', 'no-calibrate', 'no-byte-weights'] as const

const COMMAND = 'npm run train'

/** What `npm run train -- --help` prints. */
const USAGE = `usage: ${COMMAND} -- [flags]
Trains the learned attention model and writes it as ONNX (docs/learned-attention.md); deterministic.
The shipped default: --out plugin/models/default.onnx --seed 1 --epochs 3 --bound 2 --bound-down 1
  --range-guard 0.01 --faster 2,4.
  --out <model.onnx>    where to write the model (required)
  --load <recording>    train on this recording's first 80%, hold out the rest (repeat for more);
                        without --load: the built-in scenario families' training seeds, their
                        validation seeds held out (never their test seeds)
  --family a,b          with no --load: only these families (default all)
  --more-seeds          with no --load: the families' extra training seeds too
  --quick               with no --load: short recordings
  --faster 2,4          also train on each training recording played this many times faster (the
                        same places and interactions, sooner; integers 2 to 16, up to 4 of them;
                        held-out rows stay at the recorded speed) (default: none)
  --seed N              seed of the initial weights and the batch order, 0 to 2^32 - 1 (default 1)
  --epochs N            1 to 1000 (default 6)
  --ensemble N          train N models, seeds N0, N0 + 1, ... (N0 = --seed), and write their merge,
                        1 to 16 (default 1)
  --heads N             attention heads, 1 to 64 (default ${DEFAULT_SHAPE.heads})
  --key-dim N           key width of each head, 1 to 64 (default ${DEFAULT_SHAPE.keyDim})
loss and scale:
  --no-byte-weights     a plain listwise loss (default: value per byte)
  --no-calibrate        do not put the scores on the heads' scale after training
  --calibrate-top N     rows per group the calibration fits on, 1 to 10000 (default 16)
  --residual            keep the linear term on the engine's features at the head weights
  --bound B             bounded residual: the heads' score plus a correction of at most B,
                        0 (off) to 100 (default 0)
  --bound-down D        with --bound: lower the heads' score by at most D (0.01 to B), raise it by
                        at most B (default: B both ways)
  --range-guard Q       with --bound: a row with a column outside the training rows' [Q, 1 - Q]
                        quantiles (a situation the model was not trained on) may be raised above
                        the heads' score, never lowered, 0 (the full range) to 0.1 (default: off)
  --hard-top N          hard negatives: the heads' top N rows of a group count fully,
                        0 (off) to 10000 (default 0)
  --tail-weight W       weight of the other negatives with --hard-top, 0.001 to 1 (default 0.1)
  --window S            a row is positive when its pair interacts within S seconds, 0.1 to 60 (default 1)
  --capture-radius R    the observers' radius while the rows are captured: 1 to 1000, or view (each
                        recording's view radius, what the player's screen shows), or a list of up
                        to 4 (each recording captured at each) (default 50)
  --new-weight W        weight of a positive whose pair has not interacted lately, 0.01 to 100 (default 1)
  --sharpness S         top-K-aware loss on S times the scores, 1 to 100 (default 1)
optimiser:
  --lr R                Adam step size, decaying to a tenth, 0 to 1 (default 0.01)
  --prior-pull P        pull of the linear term toward the head weights, 0 to 100 (default 0.01)`

/** Command line: see {@link USAGE}. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  acceptFlags(COMMAND, USAGE, TRAIN_FLAGS, TRAIN_SWITCHES, argv)
  const out = flagValue('out')
  if (out === undefined) stopWith(`${COMMAND}: --out <model.onnx> is required (\`${COMMAND} -- --help\` prints the usage)`)
  const num = (name: string, min: number, max: number, integer = false): number | undefined => numberFlag(COMMAND, name, min, max, integer, argv)
  const seed = num('seed', 0, 2 ** 32 - 1, true) ?? 1
  const epochs = num('epochs', 1, 1000, true) ?? 6
  const ensemble = num('ensemble', 1, 16, true) ?? 1
  const quick = hasFlag('quick')
  const heads = num('heads', 1, 64, true) ?? DEFAULT_SHAPE.heads
  const keyDim = num('key-dim', 1, 64, true) ?? DEFAULT_SHAPE.keyDim
  const trainOptions: TrainOptions = {
    shape: { heads, keyDim },
    residual: hasFlag('residual'),
    calibrate: !hasFlag('no-calibrate'),
    byteWeights: !hasFlag('no-byte-weights'),
    hardTop: num('hard-top', 0, 10_000, true),
    tailWeight: num('tail-weight', 0.001, 1),
    lr: num('lr', 0, 1),
    priorPull: num('prior-pull', 0, 100),
    calibrateTop: num('calibrate-top', 1, 10_000, true),
    newWeight: num('new-weight', 0.01, 100),
    bound: num('bound', 0, 100),
    boundDown: num('bound-down', 0.01, 100),
    rangeGuard: num('range-guard', 0, 0.1),
    sharpness: num('sharpness', 1, 100),
  }
  if (trainOptions.boundDown !== undefined && !(trainOptions.bound !== undefined && trainOptions.bound > 0 && trainOptions.boundDown <= trainOptions.bound)) {
    stopWith(`${COMMAND}: --bound-down needs --bound B > 0 and must be at most B; got --bound-down ${trainOptions.boundDown}${trainOptions.bound === undefined ? ' without --bound' : ` with --bound ${trainOptions.bound}`}`)
  }
  if (trainOptions.rangeGuard !== undefined && !(trainOptions.bound !== undefined && trainOptions.bound > 0)) {
    stopWith(`${COMMAND}: --range-guard needs --bound B > 0 (it keeps a bounded residual from lowering the heads' score); got --range-guard ${trainOptions.rangeGuard}${trainOptions.bound === undefined ? ' without --bound' : ` with --bound ${trainOptions.bound}`}`)
  }
  const capture: CaptureOptions = { windowSeconds: num('window', 0.1, 60) }
  // the radii every recording is captured at (each a dataset part of its own)
  const radiusFlag = flagValue('capture-radius')
  const radii: (number | 'view' | undefined)[] = radiusFlag === undefined ? [undefined] : radiusFlag.split(',').map((r) => (r === 'view' ? r : Number(r)))
  if (radii.some((r) => typeof r === 'number' && !(r >= 1 && r <= 1000)) || radii.length > 4) {
    stopWith(`${COMMAND}: --capture-radius must be view or a number in [1, 1000], or a list of up to 4 of them; got ${radiusFlag}`)
  }
  const captureAt = (rec: Recording, part: CaptureOptions): Dataset[] => radii.map((radius) => captureDataset(rec, { ...capture, ...part, radius }))
  const fasterFlag = flagValue('faster')
  const factors = fasterFlag === undefined ? [] : fasterFlag.split(',').map(Number)
  if (fasterFlag !== undefined && (factors.length > 4 || factors.some((f) => !Number.isInteger(f) || f < 2 || f > 16))) {
    stopWith(`${COMMAND}: --faster must be a list of up to 4 integers from 2 to 16; got ${fasterFlag}`)
  }
  /** The training rows of `rec`: as recorded, then each faster copy (--faster). */
  const trainRows = (rec: Recording, part: CaptureOptions): Dataset[] => [rec, ...factors.map((f) => fasterRecording(rec, f))].flatMap((r) => captureAt(r, part))
  const loads = argv.flatMap((a, i) => (a === '--load' ? [argv[i + 1]!] : a.startsWith('--load=') ? [a.slice(7)] : []))
  for (const path of loads) if (!existsSync(path)) stopWith(`${COMMAND}: --load: no file ${path}`)
  const only = flagValue('family')
  if (only !== undefined && loads.length > 0) stopWith(`${COMMAND}: --family chooses the families to record, and --load trains on recordings instead`)
  const all = await loadFamilies()
  const unknown = only?.split(',').filter((n) => !all.some((f) => f.name === n)) ?? []
  if (unknown.length > 0) stopWith(`${COMMAND}: --family has no family ${unknown.map((n) => n || "''").join(', ')}; the families are ${all.map((f) => f.name).join(', ')}`)
  const t0 = performance.now()
  const trainParts: Dataset[] = []
  const heldOutParts: Dataset[] = []
  let source: string
  if (loads.length > 0) {
    for (const path of loads) {
      const rec = readRecording(path)
      trainParts.push(...trainRows(rec, { toFraction: 0.8 }))
      heldOutParts.push(...captureAt(rec, { fromFraction: 0.8 }))
      console.log(`recording ${path}: ${rec.entityCount} entities, ${rec.ticks} ticks, ${rec.interactions.count} interactions`)
    }
    source = `${loads.length} loaded recording(s), last 20% held out`
  } else {
    const families = only === undefined ? all : all.filter((f) => only.split(',').includes(f.name))
    const plan = seedPlan(families, hasFlag('more-seeds'))
    for (const { family: f, train, heldOut } of plan) {
      const seeds = (list: readonly number[]): Recording[] => list.map((s) => f.record(s, quick))
      for (const rec of seeds(train)) trainParts.push(...trainRows(rec, {}))
      for (const rec of seeds(heldOut)) heldOutParts.push(...captureAt(rec, {}))
      console.log(`family ${f.name}: train seeds ${train.join(',')}, held-out (validation) seeds ${heldOut.join(',')}`)
    }
    source = `families ${plan.map(({ family, train }) => `${family.name}[${train.join(',')}]`).join(' ')}${quick ? ' (quick)' : ''}`
  }
  const trainSet = mergeDatasets(trainParts)
  const heldOut = mergeDatasets(heldOutParts)
  if (factors.length > 0) console.log(`training rows also captured from each training recording played ${factors.join(' and ')} times faster (held-out rows at the recorded speed)`)
  console.log(`captured in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const members: ModelParams[] = []
  for (let i = 0; i < ensemble; i++) {
    if (ensemble > 1) console.log(`ensemble member ${i + 1}/${ensemble}: seed ${seed + i}`)
    members.push(train(trainSet, heldOut, { ...trainOptions, seed: seed + i, epochs, log: (l) => console.log(l) }))
  }
  const p = ensemble > 1 ? mergeEnsemble(members) : members[0]!
  if (ensemble > 1) {
    const ev = evaluate(p, heldOut, 8)
    console.log(`ensemble of ${ensemble} (${p.heads} heads x ${p.keyDim}, ${paramCount(p)} parameters): held-out loss ${ev.loss.toFixed(4)}, recall@8 ${(ev.recall * 100).toFixed(2)}%`)
  }
  const options = [trainOptions.byteWeights ? 'value per byte' : 'listwise', trainOptions.residual ? 'residual' : '', trainOptions.bound ? (trainOptions.boundDown !== undefined && trainOptions.boundDown !== trainOptions.bound ? `bounded residual +${trainOptions.bound}/-${trainOptions.boundDown}` : `bounded residual +-${trainOptions.bound}`) : '', trainOptions.rangeGuard !== undefined ? `range guard at the ${trainOptions.rangeGuard} quantiles` : '', trainOptions.hardTop ? `hard negatives top ${trainOptions.hardTop}` : '', trainOptions.newWeight !== undefined && trainOptions.newWeight !== 1 ? `new engagements x${trainOptions.newWeight}` : '', trainOptions.sharpness !== undefined && trainOptions.sharpness !== 1 ? `sharpness ${trainOptions.sharpness}` : '', trainOptions.calibrate && !trainOptions.bound ? `calibrated${trainOptions.calibrateTop !== undefined && trainOptions.calibrateTop !== 16 ? ` on the top ${trainOptions.calibrateTop}` : ''}` : '', radiusFlag !== undefined ? `rows captured at radius ${radii.join(' and ')}` : '', factors.length > 0 ? `recordings also played ${factors.join(', ')} times faster` : '']
  const bytes = exportOnnx(p, { trainedOn: source, seed: String(seed), epochs: String(epochs), training: options.filter((t) => t !== '').join(', '), ...(ensemble > 1 ? { ensemble: `${ensemble} models, seeds ${seed} to ${seed + ensemble - 1}, mean raw score` } : {}) })
  const path = resolve(out)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
  console.log(`wrote ${path} (${bytes.length} bytes) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

/**
 * The seeds training records per family: its training seeds (and with `moreSeeds` its extra ones) to
 * fit on, its validation seeds to report held-out loss and recall on after every epoch. Never its
 * test seeds: they are for the published result alone, and a number printed on them after every
 * epoch would invite choosing epochs or options on them (bench/test/train.test.ts checks it).
 */
export function seedPlan(families: readonly ScenarioFamily[], moreSeeds: boolean): { family: ScenarioFamily; train: readonly number[]; heldOut: readonly number[] }[] {
  return families.map((family) => ({
    family,
    train: moreSeeds ? [...family.trainSeeds, ...family.extraTrainSeeds] : family.trainSeeds,
    heldOut: family.validationSeeds,
  }))
}

if (isMain(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}
