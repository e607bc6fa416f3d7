// Owns: turning a recording into training groups. The recording is replayed through the real engine
// (the attention policy of bench/recall, with its world set-up) with a capturing scorer, so the rows
// are exactly what the server-side scorer will see. One group = one observer on one tick: its
// candidate rows, each labelled 1 when the observer interacts with that candidate within the window.
import { createHeadScorer, DEFAULT_WEIGHTS, type AttentionScorer, type ScorerBatch } from '../../plugin/src/index'
import { INPUT_WIDTH, writeModelInputs } from '../../plugin/src/learned/model-inputs'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { Kind, type Recording } from '../recall/recording'

/** Training groups, rows concatenated. */
export interface Dataset {
  x: Float32Array
  label: Uint8Array
  /** groups + 1 row offsets. */
  groupStart: Int32Array
  groups: number
  rows: number
  positives: number
  maxRows: number
}

/** Options of {@link captureDataset}. */
export interface CaptureOptions {
  /** A row is positive when the pair interacts within this many seconds after the tick. @defaultValue 1 */
  windowSeconds?: number
  /** Capture every n-th tick. @defaultValue 2 */
  everyTicks?: number
  /** Seconds skipped at the start (sets fill up). @defaultValue 2 */
  warmupSeconds?: number
  /** Only ticks in [fromFraction, toFraction) of the recording. @defaultValue [0, 1) */
  fromFraction?: number
  toFraction?: number
  /** The observers' radius while capturing, or `'view'`: the recording's view radius. @defaultValue 50 (the engine's default) */
  radius?: number | 'view'
}

/** Growable typed-array accumulator. */
function createSink() {
  let x = new Float32Array(1 << 16)
  let label = new Uint8Array(1 << 12)
  let starts = new Int32Array(1 << 10)
  let rows = 0
  let groups = 0
  let positives = 0
  let maxRows = 0
  return {
    push(src: Float32Array, srcRow: number, n: number, labels: Uint8Array): void {
      while ((rows + n) * INPUT_WIDTH > x.length) {
        const g = new Float32Array(x.length * 2)
        g.set(x)
        x = g
      }
      while (rows + n > label.length) {
        const g = new Uint8Array(label.length * 2)
        g.set(label)
        label = g
      }
      if (groups + 2 > starts.length) {
        const g = new Int32Array(starts.length * 2)
        g.set(starts)
        starts = g
      }
      x.set(src.subarray(srcRow * INPUT_WIDTH, (srcRow + n) * INPUT_WIDTH), rows * INPUT_WIDTH)
      label.set(labels.subarray(0, n), rows)
      for (let i = 0; i < n; i++) positives += labels[i]!
      starts[groups] = rows
      rows += n
      groups++
      starts[groups] = rows
      if (n > maxRows) maxRows = n
    },
    finish(): Dataset {
      return { x: x.slice(0, rows * INPUT_WIDTH), label: label.slice(0, rows), groupStart: starts.slice(0, groups + 1), groups, rows, positives, maxRows }
    },
  }
}

/** Concatenates datasets. */
export function mergeDatasets(parts: readonly Dataset[]): Dataset {
  const sink = createSink()
  for (const d of parts) for (let g = 0; g < d.groups; g++) sink.push(d.x, d.groupStart[g]!, d.groupStart[g + 1]! - d.groupStart[g]!, d.label.subarray(d.groupStart[g]!))
  return sink.finish()
}

/**
 * Replays `rec` through the engine and captures one group per (player, captured tick) that has at
 * least one positive row (the listwise loss needs one).
 */
export function captureDataset(rec: Recording, options: CaptureOptions = {}): Dataset {
  const window = Math.round((options.windowSeconds ?? 1) / rec.dt)
  const every = options.everyTicks ?? 2
  const warmup = Math.round((options.warmupSeconds ?? 2) / rec.dt)
  const from = Math.max(warmup, Math.floor((options.fromFraction ?? 0) * rec.ticks))
  const to = Math.floor((options.toFraction ?? 1) * rec.ticks)
  const n = rec.entityCount
  // interaction ticks per (player, other), sorted (the log is in tick order)
  const pairTicks = new Map<number, number[]>()
  const log = rec.interactions
  const add = (p: number, e: number, t: number): void => {
    const k = p * n + e
    const list = pairTicks.get(k)
    if (list === undefined) pairTicks.set(k, [t])
    else list.push(t)
  }
  for (let j = 0; j < log.count; j++) {
    const a = log.a[j]!
    const b = log.b[j]!
    if (rec.kind[a] === Kind.Player) add(a, b, log.tick[j]!)
    if (rec.kind[b] === Kind.Player) add(b, a, log.tick[j]!)
  }
  const interactsSoon = (p: number, e: number, t: number): boolean => {
    const list = pairTicks.get(p * n + e)
    if (list === undefined) return false
    for (const u of list) if (u > t && u <= t + window) return true
    return false
  }

  const sink = createSink()
  const heads = createHeadScorer({ ...DEFAULT_WEIGHTS })
  let inputs = new Float32Array(1024 * INPUT_WIDTH)
  let labels = new Uint8Array(1024)
  let indexOf: Int32Array = new Int32Array(0)
  let tick = 0
  const capture: AttentionScorer = {
    score: (f, rows, out) => heads.score(f, rows, out),
    scoreBatch(batch: ScorerBatch, out: Float32Array) {
      heads.score(batch.features, batch.rows, out)
      if (tick < from || tick >= to || tick % every !== 0) return
      if (inputs.length < batch.rows * INPUT_WIDTH) inputs = new Float32Array(batch.rows * INPUT_WIDTH * 2)
      writeModelInputs(batch, inputs)
      for (let i = 0; i < batch.observerCount; i++) {
        const p = indexOf[batch.observers[i]!]!
        const a = batch.observerStart[i]!
        const m = batch.observerStart[i + 1]! - a
        if (labels.length < m) labels = new Uint8Array(m * 2)
        let pos = 0
        for (let r = 0; r < m; r++) {
          const e = indexOf[batch.rowEid[a + r]!]!
          labels[r] = e >= 0 && interactsSoon(p, e, tick) ? 1 : 0
          pos += labels[r]!
        }
        if (pos > 0) sink.push(inputs, a, m, labels)
      }
    },
  }
  const policy = attentionPolicy(8, { radius: options.radius, engine: { scorer: capture }, probe: (_e, i) => (indexOf = i) })(rec)
  let cursor = 0
  for (let t = 0; t < Math.min(rec.ticks, to + 1); t++) {
    tick = t
    const start = cursor
    while (cursor < log.count && log.tick[cursor]! === t) cursor++
    policy.update(t)
    policy.observeInteractions(t, start, cursor)
  }
  policy.dispose()
  return sink.finish()
}
