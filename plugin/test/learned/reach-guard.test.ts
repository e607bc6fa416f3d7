import { describe, expect, it } from 'vitest'
import { ReachGuard, type GuardedAnswer } from '../../src/learned/reach-guard'

type EntityState = Partial<Record<'x' | 'y' | 'vx' | 'vy' | 'generation', number>>

/** One observer's rows as a request carries them, with the entity state by id (0 where not given). */
function answer(ids: number, observer: number, rows: number[], scores: number[], state: Record<number, EntityState>, heads: number[] | null = null): GuardedAnswer {
  const column = (k: keyof EntityState) => Float32Array.from({ length: ids }, (_, e) => state[e]?.[k] ?? 0)
  return {
    observers: Uint32Array.of(observer),
    observerStart: Int32Array.of(0, rows.length),
    observerCount: 1,
    rowEid: Uint32Array.from(rows),
    x: column('x'),
    y: column('y'),
    vx: column('vx'),
    vy: column('vy'),
    generation: column('generation'),
    scores: Float32Array.from(scores),
    heads: heads === null ? null : Float32Array.from(heads),
  }
}

describe('ReachGuard', () => {
  it('should keep a correction from lowering a candidate that once moved fast enough to reach the observer within the window', () => {
    const guard = new ReachGuard()
    // observer 0 at the origin; 1 and 2 eight units away, 3 at thirty; a rider charging past at 12
    // units a second, the others walking at 1
    const a = answer(4, 0, [1, 2, 3], [-1, -1, -1], { 1: { x: 8, vx: 12 }, 2: { y: 8, vy: 1 }, 3: { x: 30, vy: 12 } })
    guard.apply(a, 1)
    expect(Array.from(a.scores)).toEqual([0, -1, -1])
    expect(guard.guarded).toBe(1)
    // later it trots at 1: its row is still guarded, what it has shown it can do is kept
    const b = answer(4, 0, [1, 2, 3], [-0.5, -0.5, 0.7], { 1: { x: 8, vx: 1 }, 2: { y: 8, vy: 1 }, 3: { x: 10 } })
    guard.apply(b, 1)
    // 3 is within reach now, but a raise is the model's own
    expect(Array.from(b.scores)).toEqual([0, -0.5, Math.fround(0.7)])
    expect(guard.guarded).toBe(1)
    // a recycled id (another generation) is a new entity: nothing is known of its speed
    const c = answer(4, 0, [1], [-0.5], { 1: { x: 8, generation: 1 } })
    guard.apply(c, 1)
    expect(Array.from(c.scores)).toEqual([-0.5])
  })

  it('should forget every speed on reset (a next system takes the scorer over)', () => {
    const guard = new ReachGuard()
    const a = answer(2, 0, [1], [-1], { 1: { x: 5, vx: 10 } })
    guard.apply(a, 1)
    expect(Array.from(a.scores)).toEqual([0])
    guard.reset()
    const b = answer(2, 0, [1], [-1], { 1: { x: 5 } })
    guard.apply(b, 1)
    expect(Array.from(b.scores)).toEqual([-1])
  })

  it('should lift a served score to the heads\' score of its row, not to 0, when the answers are scores', () => {
    const guard = new ReachGuard()
    const a = answer(3, 0, [1, 2], [1.5, 0.4], { 1: { x: 3, vx: 4 }, 2: { x: 3, vx: 4 } }, [2, 0.2])
    guard.apply(a, 1)
    expect(Array.from(a.scores)).toEqual([2, Math.fround(0.4)])
  })

  it('should only record speeds with seconds 0, and guard with them once on', () => {
    const guard = new ReachGuard()
    const a = answer(2, 0, [1], [-1], { 1: { x: 5, vx: 10 } })
    guard.apply(a, 0)
    expect(Array.from(a.scores)).toEqual([-1])
    const b = answer(2, 0, [1], [-1], { 1: { x: 5 } })
    guard.apply(b, 1)
    expect(Array.from(b.scores)).toEqual([0])
  })

  it('should match a plain oracle over random answers, observers and recycled ids', () => {
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    const ids = 40
    const guard = new ReachGuard()
    // the oracle: every speed seen per (id, generation), kept in a map
    const seen = new Map<string, number>()
    const generation = new Float32Array(ids)
    let lifted = 0
    for (let round = 0; round < 200; round++) {
      const seconds = [0, 0.5, 1, 2][round % 4]!
      const observers = 1 + Math.floor(rnd() * 3)
      const obs: number[] = []
      const starts = [0]
      const rowEid: number[] = []
      for (let i = 0; i < observers; i++) {
        obs.push(Math.floor(rnd() * ids))
        const n = Math.floor(rnd() * 8)
        for (let k = 0; k < n; k++) rowEid.push(Math.floor(rnd() * ids))
        starts.push(rowEid.length)
      }
      for (let e = 0; e < ids; e++) if (rnd() < 0.02) generation[e]!++
      const residual = rnd() < 0.5
      const scores = rowEid.map(() => rnd() * 4 - 2)
      const heads = residual ? null : rowEid.map(() => rnd() * 2 - 1)
      const a: GuardedAnswer = {
        observers: Uint32Array.from(obs),
        observerStart: Int32Array.from(starts),
        observerCount: observers,
        rowEid: Uint32Array.from(rowEid),
        x: Float32Array.from({ length: ids }, () => rnd() * 40),
        y: Float32Array.from({ length: ids }, () => rnd() * 40),
        vx: Float32Array.from({ length: ids }, () => (rnd() < 0.8 ? rnd() * 4 : rnd() * 30)),
        vy: Float32Array.from({ length: ids }, () => rnd() * 2),
        generation: Float32Array.from(generation),
        scores: Float32Array.from(scores),
        heads: heads === null ? null : Float32Array.from(heads),
      }
      const want = Float32Array.from(scores)
      let guarded = 0
      for (let i = 0; i < observers; i++) {
        const o = obs[i]!
        for (let r = starts[i]!; r < starts[i + 1]!; r++) {
          const c = rowEid[r]!
          const key = `${c}:${generation[c]}`
          const speed = Math.hypot(a.vx[c]!, a.vy[c]!)
          seen.set(key, Math.max(seen.get(key) ?? 0, speed))
          const floor = heads === null ? 0 : Math.fround(heads[r]!)
          const d = Math.hypot(a.x[c]! - a.x[o]!, a.y[c]! - a.y[o]!)
          if (want[r]! < floor && d <= Math.fround(seen.get(key)!) * seconds * (1 + 1e-6)) {
            want[r] = floor
            guarded++
          }
        }
      }
      guard.apply(a, seconds)
      expect(Array.from(a.scores)).toEqual(Array.from(want))
      expect(guard.guarded).toBe(guarded)
      lifted += guarded
    }
    // the random answers do exercise the guard
    expect(lifted).toBeGreaterThan(50)
  })
})
