// Owns: time-compressed copies of a recording, for training (`npm run train -- --faster 2,4`).
// A recording played s times faster keeps every place and every interaction of the original and
// shows them s times sooner: the same game at s times the speed. A model trained on such copies as
// well sees pairs close in at speeds the recorded game never reached, and learns how far ahead a
// fast observer must look, instead of meeting those speeds first in play (docs/learned-attention.md,
// "Faster copies of the training recordings").
import type { Recording } from '../recall/recording'

/**
 * `rec` played `factor` times faster: tick t of the copy is tick `t * factor` of `rec` (same `dt`),
 * velocities `factor` times the recorded ones, and every interaction and respawn on the first tick
 * of the copy at or after it (never before the state that led to it). Per-tick declarations (aim
 * targets) are sampled like the state; the others are shared with `rec`.
 * @param factor - an integer, 2 to 16.
 */
export function fasterRecording(rec: Recording, factor: number): Recording {
  if (!Number.isInteger(factor) || factor < 2 || factor > 16) throw new RangeError(`fasterRecording: factor must be an integer from 2 to 16; got ${factor}`)
  const n = rec.entityCount
  const ticks = Math.floor((rec.ticks - 1) / factor) + 1
  const x = new Float32Array(ticks * n)
  const y = new Float32Array(ticks * n)
  const vx = new Float32Array(ticks * n)
  const vy = new Float32Array(ticks * n)
  const angle = new Float32Array(ticks * n)
  const target = rec.declared?.target === undefined ? undefined : new Int32Array(ticks * n)
  for (let t = 0; t < ticks; t++) {
    const from = t * factor * n
    const to = t * n
    x.set(rec.x.subarray(from, from + n), to)
    y.set(rec.y.subarray(from, from + n), to)
    angle.set(rec.angle.subarray(from, from + n), to)
    if (target !== undefined) target.set(rec.declared!.target!.subarray(from, from + n), to)
    for (let i = 0; i < n; i++) {
      vx[to + i] = rec.vx[from + i]! * factor
      vy[to + i] = rec.vy[from + i]! * factor
    }
  }
  // the first tick of the copy at or after original tick t
  const later = (t: number): number => Math.ceil(t / factor)
  const log = rec.interactions
  let kept = 0
  while (kept < log.count && later(log.tick[kept]!) < ticks) kept++
  const interactions = {
    count: kept,
    tick: Int32Array.from(log.tick.subarray(0, kept), later),
    a: log.a.slice(0, kept),
    b: log.b.slice(0, kept),
    kind: log.kind.slice(0, kept),
  }
  // respawns: one per entity and tick of the copy (an entity fired twice between two of its ticks is a new object once)
  const spawnTick: number[] = []
  const spawnEntity: number[] = []
  for (let j = 0; j < rec.spawns.count; j++) {
    const t = later(rec.spawns.tick[j]!)
    if (t >= ticks) break
    const e = rec.spawns.entity[j]!
    let seen = false
    for (let k = spawnTick.length - 1; k >= 0 && spawnTick[k] === t; k--) if (spawnEntity[k] === e) seen = true
    if (seen) continue
    spawnTick.push(t)
    spawnEntity.push(e)
  }
  return {
    ...rec,
    ticks,
    x,
    y,
    vx,
    vy,
    angle,
    interactions,
    spawns: { count: spawnTick.length, tick: Int32Array.from(spawnTick), entity: Int32Array.from(spawnEntity) },
    ...(rec.declared === undefined ? {} : { declared: { ...rec.declared, ...(target === undefined ? {} : { target }) } }),
  }
}
