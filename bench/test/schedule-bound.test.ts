import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scheduleBound, type BoundInput, type Holding } from '../recall/schedule-bound'
import { Kind } from '../recall/recording'

// entity 0 is the player, 1..n-1 others; dt 0.1 s, so a 0.5 s lead is 5 ticks and the 2 s warm-up 20
const DT = 0.1
function recording(entities: number, log: readonly [tick: number, a: number, b: number][], players = [0]): BoundInput {
  const kind = new Uint8Array(entities).fill(Kind.Soldier)
  for (const p of players) kind[p] = Kind.Player
  return {
    dt: DT,
    entityCount: entities,
    players: Int32Array.from(players),
    kind,
    interactions: {
      count: log.length,
      tick: Int32Array.from(log.map((x) => x[0])),
      a: Int32Array.from(log.map((x) => x[1])),
      b: Int32Array.from(log.map((x) => x[2])),
      kind: new Uint8Array(log.length),
    },
  }
}

/** The most interactions of player 0 a K-slot schedule can hold, by trying every subset (small logs only). */
function bruteForce(rec: BoundInput, K: number): number {
  const lead = Math.round(0.5 / DT)
  const mine = [] as [number, number][]
  for (let i = 0; i < rec.interactions.count; i++) {
    const t = rec.interactions.tick[i]!
    if (t < 20) continue
    if (rec.interactions.b[i] === 0) mine.push([t, rec.interactions.a[i]!])
    else if (rec.interactions.a[i] === 0) mine.push([t, rec.interactions.b[i]!])
  }
  let best = 0
  for (let mask = 0; mask < 1 << mine.length; mask++) {
    // at every tick, the distinct entities the chosen interactions need held then
    const need = new Map<number, Set<number>>()
    let n = 0
    for (let j = 0; j < mine.length; j++) {
      if ((mask & (1 << j)) === 0) continue
      n++
      const [t, e] = mine[j]!
      for (let u = t - lead; u <= t - 1; u++) {
        if (!need.has(u)) need.set(u, new Set())
        need.get(u)!.add(e)
      }
    }
    if (n > best && [...need.values()].every((s) => s.size <= K)) best = n
  }
  return best
}

describe('scheduleBound', () => {
  it('should hold two overlapping interactions with different entities only with two slots', () => {
    const rec = recording(3, [[30, 1, 0], [32, 2, 0]])
    expect(scheduleBound(rec, 1)).toEqual({ interactions: 2, held: 1 })
    expect(scheduleBound(rec, 2)).toEqual({ interactions: 2, held: 2 })
  })

  it('should hold repeated interactions with one entity in one slot, and a later one once the slot is free', () => {
    // 1 at 30 and 33 (one holding over ticks 25-32), then 2 at 39 (ticks 34-38: the slot is free)
    const rec = recording(3, [[30, 1, 0], [33, 0, 1], [39, 2, 0]])
    expect(scheduleBound(rec, 1)).toEqual({ interactions: 3, held: 3 })
    // 2 at 37 would need ticks 32-36, and the slot holds 1 until 32
    expect(scheduleBound(recording(3, [[30, 1, 0], [33, 0, 1], [37, 2, 0]]), 1).held).toBe(2)
  })

  it('should skip the warm-up and count an interaction between two players once for each', () => {
    const rec = recording(3, [[10, 1, 0], [30, 0, 2]], [0, 2])
    // tick 10 is in the warm-up; tick 30 counts for player 0 (other party 2) and player 2 (other party 0)
    expect(scheduleBound(rec, 1)).toEqual({ interactions: 2, held: 2 })
  })

  it('should reject a budget below one', () => {
    expect(() => scheduleBound(recording(2, []), 0)).toThrow(/budget must be an integer >= 1/)
  })

  const logs = (distinct: boolean) =>
    fc
      .array(fc.tuple(fc.integer({ min: 20, max: 60 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 9 })
      .map((xs) => xs.sort((p, q) => p[0] - q[0]).map(([t, e], i) => [t, distinct ? i + 1 : e, 0] as [number, number, number]))

  it('should be optimal when every interaction is with a different entity (brute force)', () => {
    fc.assert(
      fc.property(logs(true), fc.integer({ min: 1, max: 3 }), (log, K) => scheduleBound(recording(12, log), K).held === bruteForce(recording(12, log), K)),
      { numRuns: 200 },
    )
  })

  it('should never claim more than the optimum when entities repeat (brute force)', () => {
    fc.assert(
      fc.property(logs(false), fc.integer({ min: 1, max: 2 }), (log, K) => scheduleBound(recording(12, log), K).held <= bruteForce(recording(12, log), K)),
      { numRuns: 200 },
    )
  })

  it('should report holdings that use at most K slots at a time and cover every interaction it holds', () => {
    fc.assert(
      fc.property(logs(false), fc.integer({ min: 1, max: 3 }), (log, K) => {
        const rec = recording(12, log)
        const holdings: Holding[] = []
        const { held } = scheduleBound(rec, K, 0.5, 2, holdings)
        // at most K stretches overlap on any tick
        for (let t = 0; t <= 70; t++) if (holdings.filter((h) => h.from <= t && t <= h.to).length > K) return false
        // every interaction the schedule holds has one stretch covering its whole lead: as many as `held`
        let covered = 0
        for (const [t, e] of log) if (t >= 20 && holdings.some((h) => h.entity === e && h.from <= t - 5 && t - 1 <= h.to)) covered++
        return covered === held && holdings.every((h) => h.player === 0)
      }),
      { numRuns: 200 },
    )
  })
})
