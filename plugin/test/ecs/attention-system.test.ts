import { describe, expect, it, vi } from 'vitest'
import { addComponent, addEntity, createEntityIndex, createWorld, removeComponent, removeEntity, withVersioning, type World } from 'bitecs'
import { addObserver, Band, createAttentionComponents, createAttentionSystem, createHeadScorer, DEFAULT_WEIGHTS, Feature, FEATURE_COUNT, setOwner } from '../../src/index'
import type { AttentionComponents, AttentionOptions, AttentionScorer, AttentionSystem, PairScores, ScorerBatch } from '../../src/index'

/** Only the distance head: score = 1 - d / R (scenes use the linear head), so rankings follow distance. */
const DISTANCE_ONLY = { distance: 1, facing: 0, approach: 0, recency: 0, salience: 0, mutual: 0, team: 0 }

interface Scene {
  world: World
  C: AttentionComponents
  sys: AttentionSystem
  /** Adds an entity with Position at (x, y). */
  at(x: number, y: number): number
  /** Makes `e` an observer. */
  observe(e: number, radius?: number, budget?: number): void
  members(o: number): number[]
}

/** A scene whose distance head is linear (`distanceFalloff: 0`) unless `options` says otherwise, so expected scores read off the geometry. */
function scene(options: Omit<AttentionOptions, 'components'> = {}, capacity = 64): Scene {
  const world = createWorld()
  const C = createAttentionComponents(capacity)
  const sys = createAttentionSystem(world, { components: C, distanceFalloff: 0, ...options })
  return {
    world, C, sys,
    at(x, y) {
      const e = addEntity(world)
      C.Position.x[e] = x; C.Position.y[e] = y; C.Position.z[e] = 0
      addComponent(world, e, C.Position)
      return e
    },
    observe(e, radius = 10, budget = 4) {
      C.Observer.radius[e] = radius; C.Observer.budget[e] = budget; C.Observer.fov[e] = 2; C.Observer.temperature[e] = 1
      addComponent(world, e, C.Observer)
    },
    members(o) {
      const out: number[] = []
      for (let i = 0; i < sys.memberCount(o); i++) out.push(sys.memberAt(o, i))
      return out.sort((a, b) => a - b)
    },
  }
}

const indexOf = (sys: AttentionSystem, o: number, e: number): number => {
  for (let i = 0; i < sys.memberCount(o); i++) if (sys.memberAt(o, i) === e) return i
  return -1
}

describe('attention-system', () => {
  it('should count ticks from 1', () => {
    const s = scene()
    expect(s.sys.tick).toBe(0)
    s.sys(s.world)
    s.sys(s.world)
    expect(s.sys.tick).toBe(2)
  })

  it('should give -1 from memberAt past memberCount, before 0, and for a non-observer, never another observer\'s member', () => {
    const s = scene({ hysteresis: false })
    const a = s.at(0, 0)
    const b = s.at(100, 0)
    s.observe(a, 10, 4)
    s.observe(b, 10, 4)
    const nearA = s.at(1, 0)
    const nearB = s.at(101, 0)
    s.sys(s.world)
    expect(s.members(a)).toEqual([a, nearA])
    expect(s.members(b)).toEqual([b, nearB])
    for (const o of [a, b]) {
      const n = s.sys.memberCount(o)
      for (const i of [n, n + 1, 255, 256, 257, 100_000, -1]) expect(s.sys.memberAt(o, i), `observer ${o}, i ${i}`).toBe(-1)
    }
    expect(s.sys.memberAt(nearA, 0)).toBe(-1)
    expect(s.sys.memberAt(-1, 0)).toBe(-1)
    expect(s.sys.memberAt(1_000_000, 0)).toBe(-1)
  })

  it('should read any number that is no observer id or no entry index as none, as each reader documents', () => {
    const s = scene({ hysteresis: false, weights: DISTANCE_ONLY, bands: { high: 0.75, medium: 0.5, margin: 0 } })
    const o = s.at(0, 0)
    s.observe(o, 10, 3)
    const a = s.at(1, 0), b = s.at(2, 0), c = s.at(3, 0)
    s.sys(s.world)
    // c leaves, b drops to Medium, d enters: every list of the last tick has an entry
    s.C.Position.x[c] = 50
    s.C.Position.x[b] = 4
    const d = s.at(1.5, 0)
    s.sys(s.world)
    const sys = s.sys
    expect(s.members(o)).toEqual([o, a, b, d])
    expect([sys.enteredCount(o), sys.exitedCount(o), sys.bandChangedCount(o)]).toEqual([1, 1, 1])
    const n = sys.memberCount(o)
    // ids that are no observer: a fraction (of a real one too), negative, NaN, infinite, past capacity, not a number
    for (const id of [o + 0.5, 0.5, -1, -0.5, NaN, Infinity, -Infinity, 64, 1e9, 2 ** 32 + o, '1' as unknown as number]) {
      const what = `observer ${String(id)}`
      expect(sys.isObserver(id), what).toBe(false)
      for (const count of [sys.memberCount, sys.enteredCount, sys.exitedCount, sys.bandChangedCount, sys.lastScoredTick, sys.estimatedBytes, sys.bytePrice]) expect(count(id), what).toBe(0)
      expect(sys.isMember(id, a), what).toBe(false)
      expect(sys.memberAt(id, 0), what).toBe(-1)
      expect(sys.weightAt(id, 0), what).toBe(0)
      expect(sys.scoreAt(id, 0), what).toBeNaN()
      expect(sys.bandAt(id, 0), what).toBe(-1)
      for (const list of [sys.enteredAt, sys.exitedAt, sys.bandChangedAt, sys.memberGenerationAt]) expect(list(id, 0), what).toBe(-1)
      expect(sys.generationOf(id), what).toBe(-1)
    }
    // indices that are no entry of the observer's lists: fractions, past each count (stale entries
    // and the next slot's lie there), negative, NaN, huge
    for (const i of [0.5, n - 0.5, n, 255, 256, 1e9, -1, NaN, Infinity]) {
      const what = `index ${i}`
      expect(sys.memberAt(o, i), what).toBe(-1)
      expect(sys.weightAt(o, i), what).toBe(0)
      expect(sys.scoreAt(o, i), what).toBeNaN()
      expect(sys.bandAt(o, i), what).toBe(-1)
      expect(sys.memberGenerationAt(o, i), what).toBe(-1)
    }
    for (const [count, at] of [[sys.enteredCount, sys.enteredAt], [sys.exitedCount, sys.exitedAt], [sys.bandChangedCount, sys.bandChangedAt]] as const) {
      const k = count(o)
      for (const i of [0.5, k, k + 1, 1e9, -1, NaN]) expect(at(o, i), `index ${i} of ${k}`).toBe(-1)
    }
    // the integer path reads as before
    expect(sys.isObserver(o)).toBe(true)
    expect([sys.enteredAt(o, 0), sys.exitedAt(o, 0), sys.bandChangedAt(o, 0)]).toEqual([d, c, b])
    const i = indexOf(sys, o, a)
    expect(sys.scoreAt(o, i)).toBeCloseTo(0.9, 6)
    expect(sys.weightAt(o, i)).toBeGreaterThan(0)
    expect(sys.bandAt(o, i)).toBe(Band.High)
    expect(sys.bandAt(o, indexOf(sys, o, b))).toBe(Band.Medium)
    expect(sys.memberGenerationAt(o, i)).toBe(sys.generationOf(a))
    expect(sys.generationOf(0)).toBe(0)
    expect(sys.generationOf(63)).toBe(0)
  })

  it('should apply a budget lowered on a kept tick (rescoreEvery) at the next re-score, as docs/concepts.md 5b says', () => {
    const s = scene({ hysteresis: false, rescoreEvery: 4 })
    const o = s.at(0, 0)
    s.observe(o, 20, 6)
    for (let i = 1; i <= 8; i++) s.at(i, 0)
    s.sys(s.world)
    // wait for a re-score after the first (staggered by slot), then lower the budget on the kept tick after it
    do s.sys(s.world)
    while (s.sys.lastScoredTick(o) !== s.sys.tick)
    expect(s.sys.memberCount(o)).toBe(7)
    s.C.Observer.budget[o] = 2
    let kept = 0
    for (;;) {
      s.sys(s.world)
      if (s.sys.lastScoredTick(o) === s.sys.tick) break
      kept++
      expect(s.sys.memberCount(o), 'a kept tick keeps the set').toBe(7)
    }
    expect(kept).toBe(3)
    // the re-score trims it: self and the two nearest
    expect(s.members(o)).toEqual([o, o + 1, o + 2])
  })

  it('should keep self in the set, unscored, at High band', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o)
    s.sys(s.world)
    expect(s.sys.isObserver(o)).toBe(true)
    expect(s.members(o)).toEqual([o])
    const i = indexOf(s.sys, o, o)
    expect(s.sys.scoreAt(o, i)).toBeNaN()
    expect(s.sys.weightAt(o, i)).toBe(0)
    expect(s.sys.bandAt(o, i)).toBe(Band.High)
  })

  it('should keep the nearest K entities without hysteresis', () => {
    const s = scene({ hysteresis: false, weights: DISTANCE_ONLY })
    const o = s.at(0, 0)
    s.observe(o, 10, 2)
    const near = [s.at(1, 0), s.at(0, 2)]
    s.at(3, 0); s.at(0, -4); s.at(20, 0)
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, ...near].sort((a, b) => a - b))
    expect(s.sys.scoreAt(o, indexOf(s.sys, o, near[0]!))).toBeCloseTo(0.9, 5)
  })

  it('should shape the distance head logarithmically by default: near differences outweigh far ones', () => {
    // default distanceFalloff k = 25: feature = 1 - ln(1 + 25 d / R) / ln(26)
    const s = scene({ hysteresis: false, weights: DISTANCE_ONLY, distanceFalloff: 25 })
    const o = s.at(0, 0)
    s.observe(o, 50, 8)
    const a = s.at(1.5, 0), b = s.at(2.5, 0), c = s.at(18, 0), d = s.at(22, 0), edge = s.at(0, 50)
    s.sys(s.world)
    const feature = (e: number): number => s.sys.explain(o, e).heads[Feature.Distance]!.feature
    for (const [e, dist] of [[a, 1.5], [b, 2.5], [c, 18], [d, 22]] as const) {
      expect(feature(e)).toBeCloseTo(1 - Math.log(1 + (25 * dist) / 50) / Math.log(26), 5)
    }
    expect(feature(edge)).toBe(0)
    // one unit near the observer costs more score than four units far from it (linear: a quarter)
    expect(feature(a) - feature(b)).toBeGreaterThan(feature(c) - feature(d))
    const lin = scene({ hysteresis: false, weights: DISTANCE_ONLY, distanceFalloff: 0 })
    const lo = lin.at(0, 0)
    lin.observe(lo, 50, 8)
    const l2 = lin.at(2, 0)
    lin.sys(lin.world)
    expect(lin.sys.explain(lo, l2).heads[Feature.Distance]!.feature).toBeCloseTo(1 - 2 / 50, 6)
  })

  it('should reject a negative or non-finite distanceFalloff, naming it', () => {
    expect(() => scene({ distanceFalloff: -1 })).toThrow(/distanceFalloff/)
    expect(() => scene({ distanceFalloff: Number.NaN })).toThrow(/distanceFalloff/)
  })

  it('should list each member once when the radius spans many grid cells', () => {
    // Regression: an entity at (-1, -1) was listed twice for an observer at (5, 0) with radius 35.
    const s = scene({ hysteresis: false })
    const o = s.at(5, 0)
    s.observe(o, 35, 2)
    const e = s.at(-1, -1)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(2)
    expect(s.members(o)).toEqual([o, e])
  })

  it('should weight scored members by a softmax at the observer temperature', () => {
    const s = scene({ hysteresis: false, weights: DISTANCE_ONLY })
    const o = s.at(0, 0)
    s.observe(o, 10, 4)
    s.C.Observer.temperature[o] = 0.5
    const a = s.at(2, 0), b = s.at(6, 0)
    s.sys(s.world)
    const wa = s.sys.weightAt(o, indexOf(s.sys, o, a)), wb = s.sys.weightAt(o, indexOf(s.sys, o, b))
    const ea = Math.exp(0.8 / 0.5), eb = Math.exp(0.4 / 0.5)
    expect(wa).toBeCloseTo(ea / (ea + eb), 5)
    expect(wb).toBeCloseTo(eb / (ea + eb), 5)
  })

  it('should hide Hidden entities from all but their owner', () => {
    const s = scene({ hysteresis: false })
    const o1 = s.at(0, 0), o2 = s.at(1, 0)
    s.observe(o1); s.observe(o2)
    const h = s.at(0, 1)
    addComponent(s.world, h, s.C.Hidden)
    s.C.Owner.eid[h] = o1
    addComponent(s.world, h, s.C.Owner)
    s.sys(s.world)
    expect(s.sys.isMember(o1, h)).toBe(true)
    expect(s.sys.isMember(o2, h)).toBe(false)
    expect(s.sys.explain(o2, h).rule).toBe('hidden')
    expect(s.sys.bandAt(o1, indexOf(s.sys, o1, h))).toBe(Band.High)
  })

  it('should show TeamOnly entities to the same team and the owner only', () => {
    const s = scene({ hysteresis: false })
    const mate = s.at(0, 0), foe = s.at(1, 0), loner = s.at(0, 1), owner = s.at(1, 1)
    for (const o of [mate, foe, loner, owner]) s.observe(o)
    const t = s.at(0.5, 0.5)
    addComponent(s.world, t, s.C.TeamOnly)
    s.C.Team.id[t] = 1; addComponent(s.world, t, s.C.Team)
    s.C.Team.id[mate] = 1; addComponent(s.world, mate, s.C.Team)
    s.C.Team.id[foe] = 2; addComponent(s.world, foe, s.C.Team)
    s.C.Team.id[owner] = 2; addComponent(s.world, owner, s.C.Team)
    s.C.Owner.eid[t] = owner; addComponent(s.world, t, s.C.Owner)
    s.sys(s.world)
    expect(s.sys.isMember(mate, t)).toBe(true)
    expect(s.sys.isMember(foe, t)).toBe(false)
    expect(s.sys.isMember(loner, t)).toBe(false)
    expect(s.sys.isMember(owner, t)).toBe(true)
    expect(s.sys.explain(foe, t).rule).toBe('other-team')
  })

  it('should keep an AlwaysRelevant entity out of range at Low band, weight 0, score NaN', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o, 10, 1)
    const far = s.at(500, 0)
    addComponent(s.world, far, s.C.AlwaysRelevant)
    const hiddenFar = s.at(-500, 0)
    addComponent(s.world, hiddenFar, s.C.AlwaysRelevant)
    addComponent(s.world, hiddenFar, s.C.Hidden)
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, far])
    const i = indexOf(s.sys, o, far)
    expect(s.sys.scoreAt(o, i)).toBeNaN()
    expect(s.sys.weightAt(o, i)).toBe(0)
    expect(s.sys.bandAt(o, i)).toBe(Band.Low)
  })

  it('should drop a removed entity on the next tick and not carry it over to a recycled id', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o)
    const e = s.at(1, 0)
    s.sys(s.world)
    expect(s.sys.isMember(o, e)).toBe(true)
    const gen = s.sys.generationOf(e)
    removeEntity(s.world, e)
    const recycled = s.at(900, 0)
    expect(recycled).toBe(e)
    s.sys(s.world)
    expect(s.sys.generationOf(e)).not.toBe(gen)
    expect(s.sys.isMember(o, e)).toBe(false)
    expect(s.sys.exitedCount(o)).toBe(1)
    expect(s.sys.exitedAt(o, 0)).toBe(e)
    expect(s.sys.enteredCount(o)).toBe(0)
  })

  it('should report an exit and an enter for a recycled id that is in range again', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o)
    const e = s.at(1, 0)
    s.sys(s.world)
    removeEntity(s.world, e)
    expect(s.at(1, 0)).toBe(e)
    s.sys(s.world)
    expect(s.sys.isMember(o, e)).toBe(true)
    expect(s.sys.exitedCount(o)).toBe(1)
    expect(s.sys.enteredCount(o)).toBe(1)
    expect(s.sys.exitedAt(o, 0)).toBe(e)
    expect(s.sys.enteredAt(o, 0)).toBe(e)
  })

  it('should drop an entity that loses Position', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o)
    const e = s.at(1, 0)
    s.sys(s.world)
    removeComponent(s.world, e, s.C.Position)
    s.sys(s.world)
    expect(s.sys.isMember(o, e)).toBe(false)
    expect(s.sys.exitedAt(o, 0)).toBe(e)
  })

  it('should forget a removed observer', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o)
    s.at(1, 0)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(2)
    removeEntity(s.world, o)
    s.sys(s.world)
    expect(s.sys.isObserver(o)).toBe(false)
    expect(s.sys.memberCount(o)).toBe(0)
  })

  it('should send nothing to an observer whose field the game wrote out of range, say so once per field, and recover', () => {
    const fields: [string, string, (C: AttentionComponents, e: number) => void][] = [
      ['Observer.radius', 'a finite number in (0, Infinity); got 0', (C, e) => { C.Observer.radius[e] = 0 }],
      ['Observer.radius', 'a finite number in (0, Infinity); got NaN', (C, e) => { C.Observer.radius[e] = Number.NaN }],
      ['Observer.radius', 'a finite number in (0, Infinity); got Infinity', (C, e) => { C.Observer.radius[e] = Infinity }],
      ['Observer.budget', 'an integer in [1, 65535]; got 0', (C, e) => { C.Observer.budget[e] = 0 }],
      ['Observer.temperature', 'a finite number in (0, Infinity); got 0', (C, e) => { C.Observer.temperature[e] = 0 }],
      ['Observer.fov', 'a finite number in [0, 6.283185307179586]; got 7', (C, e) => { C.Observer.fov[e] = 7 }],
      // a byte budget that is no number must not read as "no byte budget" (the count budget alone)
      ['Observer.byteBudget', 'a finite number in [0, 1000000000]; got NaN', (C, e) => { C.Observer.byteBudget[e] = Number.NaN }],
      ['Observer.byteBudget', 'a finite number in [0, 1000000000]; got -100', (C, e) => { C.Observer.byteBudget[e] = -100 }],
      ['Observer.byteBudget', 'a finite number in [0, 1000000000]; got 2000000000', (C, e) => { C.Observer.byteBudget[e] = 2e9 }],
      ['Observer.byteBudget', 'a finite number in [0, 1000000000]; got Infinity', (C, e) => { C.Observer.byteBudget[e] = Infinity }],
    ]
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      for (const [name, range, corrupt] of fields) {
        // the built-in heads, the amortised refresh, and a custom scorer (the batch path)
        for (const options of [{}, { rescoreEvery: 3 }, { scorer: createHeadScorer(DEFAULT_WEIGHTS) }]) {
          errors.length = 0
          const s = scene(options)
          const o = s.at(0, 0)
          const near = s.at(1, 0)
          s.observe(o)
          const other = s.at(0, 1)
          s.observe(other)
          s.sys(s.world)
          expect(s.members(o), name).toEqual([o, near, other].sort((a, b) => a - b))
          const saved = [s.C.Observer.radius[o]!, s.C.Observer.budget[o]!, s.C.Observer.fov[o]!, s.C.Observer.temperature[o]!, s.C.Observer.byteBudget[o]!] as const
          corrupt(s.C, o)
          for (let t = 0; t < 4; t++) {
            expect(() => s.sys(s.world), name).not.toThrow()
            // fails closed: nothing for the faulty observer, the others unaffected
            expect(s.sys.memberCount(o), name).toBe(0)
            expect(s.members(other), name).toContain(near)
          }
          expect(errors, name).toHaveLength(1)
          expect(errors[0], name).toContain(`${name}[${o}] must be ${range}`)
          expect(errors[0], name).toContain(`Observer ${o}'s interest set stays empty`)
          expect(s.sys.explain(o, near).summary, name).toContain(`${name}[${o}] must be`)
          // a second observer with the same fault is not reported again
          corrupt(s.C, other)
          s.sys(s.world)
          expect(s.sys.memberCount(other), name).toBe(0)
          expect(errors, name).toHaveLength(1)
          s.C.Observer.radius[o] = saved[0]; s.C.Observer.budget[o] = saved[1]; s.C.Observer.fov[o] = saved[2]; s.C.Observer.temperature[o] = saved[3]
          s.C.Observer.byteBudget[o] = saved[4]
          for (let t = 0; t < 3; t++) s.sys(s.world)
          expect(s.members(o), name).toEqual([o, near, other].sort((a, b) => a - b))
        }
      }
    } finally {
      spy.mockRestore()
    }
  })

  it('should throw a RangeError naming capacity when an id beyond it gets Position', () => {
    const s = scene({}, 4)
    for (let i = 0; i < 3; i++) s.at(0, 0)
    const e = addEntity(s.world)
    expect(e).toBe(4)
    expect(() => addComponent(s.world, e, s.C.Position)).toThrow(/capacity/)
  })

  it('should decay the recency head by half-life from the recording tick', () => {
    const s = scene({ dt: 0.1, interactionHalfLife: 1 })
    const o = s.at(0, 0)
    s.observe(o)
    const e = s.at(2, 0)
    s.sys(s.world)
    expect(s.sys.explain(o, e).heads[Feature.Recency]!.feature).toBe(0)
    s.sys.recordInteraction(o, e, 0.8)
    s.sys(s.world)
    expect(s.sys.explain(o, e).heads[Feature.Recency]!.feature).toBeCloseTo(0.8 * 2 ** -0.1, 5)
    for (let i = 0; i < 10; i++) s.sys(s.world)
    expect(s.sys.explain(o, e).heads[Feature.Recency]!.feature).toBeCloseTo(0.8 * 2 ** -1.1, 5)
  })

  it('should record interactions symmetrically and forget the oldest partner', () => {
    const s = scene({ interactionSlots: 1 })
    const a = s.at(0, 0), b = s.at(1, 0), c = s.at(0, 1)
    s.observe(a); s.observe(b)
    s.sys.recordInteraction(a, b, 1)
    s.sys(s.world)
    expect(s.sys.explain(b, a).heads[Feature.Recency]!.feature).toBeGreaterThan(0.9)
    s.sys.recordInteraction(a, c, 1)
    s.sys(s.world)
    expect(s.sys.explain(a, b).heads[Feature.Recency]!.feature).toBe(0)
    expect(s.sys.explain(a, c).heads[Feature.Recency]!.feature).toBeGreaterThan(0.9)
  })

  it('should hand a custom scorer rows in Feature order', () => {
    const seen: number[][] = []
    const s = scene({
      hysteresis: false,
      scorer: {
        score(f, rows, out) {
          for (let r = 0; r < rows; r++) {
            seen.push(Array.from(f.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)))
            out[r] = f[r * FEATURE_COUNT + Feature.Salience]!
          }
        },
      },
    })
    const o = s.at(0, 0)
    s.observe(o, 10, 1)
    const dull = s.at(1, 0), bright = s.at(5, 0)
    s.C.Salience.weight[bright] = 0.9; addComponent(s.world, bright, s.C.Salience)
    s.C.Team.id[o] = 3; addComponent(s.world, o, s.C.Team)
    s.C.Team.id[bright] = 3; addComponent(s.world, bright, s.C.Team)
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, bright])
    expect(s.sys.isMember(o, dull)).toBe(false)
    const brightRow = seen.find((r) => Math.abs(r[Feature.Salience]! - 0.9) < 1e-6)!
    expect(brightRow[Feature.Distance]).toBeCloseTo(0.5, 5)
    expect(brightRow[Feature.Team]).toBe(1)
  })

  it('should go on ticking when a custom scorer throws: the built-in heads score its rows, said once', () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      for (const method of ['score', 'scoreBatch'] as const) {
        errors.length = 0
        const boom = (): void => {
          throw new Error('model not loaded')
        }
        const scorer = method === 'score' ? { score: boom } : { score: () => {}, scoreBatch: boom }
        const s = scene({ hysteresis: false, weights: DISTANCE_ONLY, scorer })
        const o = s.at(0, 0)
        s.observe(o, 10, 1)
        const near = s.at(1, 0)
        s.at(5, 0)
        for (let t = 0; t < 3; t++) expect(() => s.sys(s.world), method).not.toThrow()
        expect(s.members(o), method).toEqual([o, near])
        expect(s.sys.scoreAt(o, indexOf(s.sys, o, near)), method).toBeCloseTo(0.9, 5)
        expect(errors, method).toHaveLength(1)
        expect(errors[0], method).toContain(`the custom scorer's ${method} threw; the tick's rows are scored by the built-in heads instead`)
        expect(errors[0], method).toContain('model not loaded')
      }
    } finally {
      spy.mockRestore()
    }
  })

  describe('a scorer with pair scores serves one system at a time', () => {
    const CLAIMED =
      'colyseus-attention: this scorer (its pairScores) already serves another attention system: a scorer with pair scores keeps one world\'s answers. ' +
      'Create one scorer per system (per room), e.g. await createOnnxScorer({ model }) in the room\'s onCreate (each call loads the model in a worker of its own), ' +
      'or dispose() the other system first (system.dispose() releases its scorer without disposing it)'

    /**
     * A pair scorer like the learned one: it keeps its answer to the last tick's rows per (observer,
     * candidate) id (nearer scores higher, in the world of the system that asked) and serves it on
     * the next tick; `attach` forgets it.
     */
    const keepingScorer = () => {
      let kept = new Map<number, Map<number, number>>()
      const calls = { attach: 0 }
      const pairScores: PairScores = {
        headWeights: Object.values(DISTANCE_ONLY).concat(0),
        attach() {
          calls.attach++
          kept = new Map()
        },
        begin: () => null,
        load(o, mark, stamp, score) {
          const mine = kept.get(o)
          if (mine === undefined) return false
          for (const [e, v] of mine) {
            stamp[e] = mark
            score[e] = v
          }
          return true
        },
        end(batch: ScorerBatch) {
          const P = batch.components.Position
          for (let i = 0; i < batch.observerCount; i++) {
            const o = batch.observers[i]!
            const mine = new Map<number, number>()
            for (let r = batch.observerStart[i]!; r < batch.observerStart[i + 1]!; r++) {
              const e = batch.rowEid[r]!
              mine.set(e, 10 - Math.hypot(P.x[e]! - P.x[o]!, P.y[e]! - P.y[o]!))
            }
            kept.set(o, mine)
          }
        },
      }
      return { scorer: { score: () => {}, pairScores }, calls }
    }
    /** A scene with an observer at the origin and four candidates at `xs` (the same ids in every scene). */
    const room = (scorer: AttentionScorer, xs: number[]) => {
      const s = scene({ hysteresis: false, scorer })
      const o = s.at(0, 0)
      s.observe(o, 20, 2)
      const es = xs.map((x) => s.at(x, 0))
      return { ...s, o, es }
    }

    it('should refuse it to a second system until the first is disposed, then serve the next system from its own world alone', () => {
      const { scorer, calls } = keepingScorer()
      const a = room(scorer, [1, 2, 8, 9])
      for (let t = 0; t < 3; t++) a.sys(a.world)
      expect(a.members(a.o)).toEqual([a.o, a.es[0], a.es[1]])
      expect(calls.attach).toBe(1)
      // another room (world), a copy of the scorer (the same pairScores), and even a second system on the same world
      expect(() => room(scorer, [8, 9, 1, 2])).toThrow(new Error(CLAIMED))
      expect(() => room({ ...scorer }, [8, 9, 1, 2])).toThrow(CLAIMED)
      expect(() => createAttentionSystem(a.world, { components: a.C, scorer })).toThrow(CLAIMED)
      expect(calls.attach).toBe(1)
      // a has its scorer still
      a.sys(a.world)
      expect(a.members(a.o)).toEqual([a.o, a.es[0], a.es[1]])

      // disposed, a releases the scorer: the next system takes it, and ranks its own world (not a's
      // answer, whose ids are other entities here) from its first tick
      a.sys.dispose()
      const b = room(scorer, [8, 9, 1, 2])
      expect(calls.attach).toBe(2)
      expect(b.sys.explain(b.o, b.es[0]!).score).toBeCloseTo(1 - 8 / 20, 5)
      b.sys(b.world)
      expect(b.members(b.o)).toEqual([b.o, b.es[2], b.es[3]])
      b.sys(b.world)
      expect(b.members(b.o)).toEqual([b.o, b.es[2], b.es[3]])
      expect(() => room(scorer, [1, 2, 8, 9])).toThrow(CLAIMED)
      // disposing a again changes nothing: b keeps it
      a.sys.dispose()
      expect(() => room(scorer, [1, 2, 8, 9])).toThrow(CLAIMED)
      b.sys.dispose()
      expect(() => room(scorer, [1, 2, 8, 9]).sys.dispose()).not.toThrow()
    })

    it('should not be claimed by a creation that threw', () => {
      const { scorer } = keepingScorer()
      const attach = scorer.pairScores.attach!
      let fail = true
      scorer.pairScores.attach = () => {
        if (fail) throw new Error('model gone')
        attach()
      }
      expect(() => room(scorer, [1, 2, 8, 9])).toThrow('model gone')
      fail = false
      const a = room(scorer, [1, 2, 8, 9])
      a.sys(a.world)
      expect(a.members(a.o)).toEqual([a.o, a.es[0], a.es[1]])
      a.sys.dispose()
    })

    it('should leave a scorer without pair scores (createHeadScorer) to any number of systems', () => {
      const scorer = createHeadScorer({ ...DISTANCE_ONLY, aim: 0 })
      const a = room(scorer, [1, 2, 8, 9])
      const b = room(scorer, [8, 9, 1, 2])
      for (let t = 0; t < 3; t++) {
        a.sys(a.world)
        b.sys(b.world)
        expect(a.members(a.o)).toEqual([a.o, a.es[0], a.es[1]])
        expect(b.members(b.o)).toEqual([b.o, b.es[2], b.es[3]])
      }
      a.sys.dispose()
      b.sys.dispose()
    })
  })

  it('should go on ticking when a pair scorer throws in begin, load or end, said once', () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      for (const method of ['begin', 'load', 'end'] as const) {
        errors.length = 0
        const pairScores = { headWeights: Object.values(DISTANCE_ONLY).concat(0), begin: () => null, load: () => {}, end: () => {} }
        pairScores[method] = () => {
          throw new Error('worker gone')
        }
        const s = scene({ hysteresis: false, scorer: { score: () => {}, pairScores } })
        const o = s.at(0, 0)
        s.observe(o, 10, 1)
        const near = s.at(1, 0)
        s.at(5, 0)
        for (let t = 0; t < 3; t++) expect(() => s.sys(s.world), method).not.toThrow()
        expect(s.members(o), method).toEqual([o, near])
        expect(errors, method).toHaveLength(1)
        expect(errors[0], method).toContain(`the custom scorer's pairScores.${method} threw`)
      }
    } finally {
      spy.mockRestore()
    }
  })

  it('should go on ticking when a pair scorer\'s begin returns neither a Float32Array nor null, as if it returned null, said once', () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      const cases: [unknown, string][] = [
        [5, '5 (a number)'],
        [[0, 0, 0], 'an array'],
        [undefined, 'undefined'],
        [new Float64Array(64), 'a Float64Array'],
        [{ length: 64 }, 'an object'],
      ]
      for (const [got, described] of cases) {
        errors.length = 0
        let ended = -1
        const pairScores = {
          headWeights: Object.values(DISTANCE_ONLY).concat(0),
          begin: () => got as Float32Array | null,
          load: () => {},
          end: (batch: { features: Float32Array; rows: number }) => void (ended = batch.rows),
        }
        const s = scene({ hysteresis: false, scorer: { score: () => {}, pairScores } })
        const o = s.at(0, 0)
        s.observe(o, 10, 1)
        const near = s.at(1, 0)
        s.at(5, 0)
        for (let t = 0; t < 3; t++) expect(() => s.sys(s.world), described).not.toThrow()
        // the tick went on as with null: no feature rows wanted, every pair scored by the heads
        expect(s.members(o), described).toEqual([o, near])
        expect(ended, described).toBeGreaterThan(0)
        expect(errors, described).toHaveLength(1)
        expect(errors[0], described).toBe(
          `colyseus-attention: the custom scorer's pairScores.begin returned ${described}; it must return a Float32Array (where the tick's feature rows go) ` +
            'or null (no feature rows wanted). The tick goes on as if it returned null. Reported once, for the first failure.',
        )
      }
    } finally {
      spy.mockRestore()
    }
  })

  it('should report once a custom score that is not finite or not written, rank NaN lowest and keep the weights finite', () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      // +Infinity for every row: the softmax must not turn into NaN
      let s = scene({ hysteresis: false, scorer: { score: (f, rows, out) => void out.fill(Infinity, 0, rows) } })
      let o = s.at(0, 0)
      s.observe(o, 10, 2)
      const a = s.at(1, 0), b = s.at(2, 0)
      s.sys(s.world)
      s.sys(s.world)
      expect(s.members(o)).toEqual([o, a, b])
      for (const e of [a, b]) expect(s.sys.weightAt(o, indexOf(s.sys, o, e))).toBeCloseTo(0.5, 6)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain(`without a finite score: got Infinity`)
      // a scorer that, after its first tick, writes only the near row: the other one held the
      // stale score of another pair
      errors.length = 0
      let calls = 0
      const score = (f: Float32Array, rows: number, out: Float32Array): void => {
        for (let r = 0; r < rows; r++) if (calls === 0 || f[r * FEATURE_COUNT + Feature.Distance]! > 0.85) out[r] = 1
        calls++
      }
      s = scene({ hysteresis: false, scorer: { score } })
      o = s.at(0, 0)
      s.observe(o, 10, 1)
      const first = s.at(1, 0), second = s.at(2, 0)
      s.sys(s.world)
      s.sys(s.world)
      // the unwritten row ranks lowest: the written one is the member
      expect(s.members(o)).toEqual([o, first])
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain(`candidate ${second}) without a finite score: got NaN (NaN, or not written)`)
    } finally {
      spy.mockRestore()
    }
  })

  it('should read a pair score that is not finite as a custom score, keep the weights finite and say so once', () => {
    const errors: string[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      // both kinds of tick: one that wants no feature rows (begin gives null) and one that does
      for (const withFeatures of [false, true]) {
        errors.length = 0
        const given = new Map<number, number>()
        const pairScores = {
          headWeights: Object.values(DISTANCE_ONLY).concat(0),
          begin: () => (withFeatures ? new Float32Array(64 * FEATURE_COUNT) : null),
          load: (_o: number, mark: number, stamp: Uint32Array, score: Float32Array) => {
            for (const [e, v] of given) {
              stamp[e] = mark
              score[e] = v
            }
          },
          end: () => {},
        }
        const s = scene({ hysteresis: false, scorer: { score: () => {}, pairScores } })
        const o = s.at(0, 0)
        s.observe(o, 10, 2)
        const a = s.at(1, 0), b = s.at(2, 0), c = s.at(3, 0), d = s.at(4, 0)
        // two infinite scores: the set holds both, at equal finite weights (an infinity in the
        // softmax would make them NaN); a NaN and -Infinity rank below the plain scores of c and d
        given.set(a, Infinity).set(b, Infinity)
        s.sys(s.world)
        s.sys(s.world)
        expect(s.members(o), `features ${withFeatures}`).toEqual([o, a, b])
        for (const e of [a, b]) expect(s.sys.weightAt(o, indexOf(s.sys, o, e)), `features ${withFeatures}`).toBeCloseTo(0.5, 6)
        given.clear()
        given.set(a, Number.NaN).set(b, -Infinity).set(c, 1).set(d, 0.5)
        s.sys(s.world)
        s.sys(s.world)
        expect(s.members(o), `features ${withFeatures}`).toEqual([o, c, d])
        expect(errors, `features ${withFeatures}`).toHaveLength(1)
        expect(errors[0]).toContain(`scorer.pairScores.load gave observer ${o} a pair score that is not a finite number (candidate ${a}: Infinity)`)
      }
    } finally {
      spy.mockRestore()
    }
  })

  it('should refuse an interaction between ids that are not integers, without touching other records', () => {
    const s = scene()
    const a = s.at(0, 0), b = s.at(1, 0), c = s.at(2, 0)
    s.sys.recordInteraction(b, c, 0.5)
    for (const [x, y] of [[a + 0.5, b], [Number.NaN, b], [a, undefined as unknown as number], ['1' as unknown as number, b]] as const) {
      expect(() => s.sys.recordInteraction(x, y), `${x}, ${y}`).toThrow(RangeError)
      expect(() => s.sys.recordInteraction(x, y), `${x}, ${y}`).toThrow('colyseus-attention: recordInteraction(a, b) needs two integer entity ids')
    }
    // out of [0, capacity): ignored, as before
    expect(() => s.sys.recordInteraction(-1, b)).not.toThrow()
    expect(() => s.sys.recordInteraction(a, 1e6)).not.toThrow()
    s.observe(b)
    s.sys(s.world)
    expect(s.sys.explain(b, c).heads[Feature.Recency]!.feature).toBeCloseTo(0.5 * 2 ** (-0.05 / 3), 5)
    expect(s.sys.explain(b, a).heads[Feature.Recency]!.feature).toBe(0)
  })

  it('should name the versioned entity index when a reused id carries a version beyond any capacity', () => {
    const world = createWorld(createEntityIndex(withVersioning()))
    const C = createAttentionComponents(64)
    createAttentionSystem(world, { components: C })
    removeEntity(world, addEntity(world))
    const reused = addEntity(world)
    expect(reused).toBeGreaterThanOrEqual(2 ** 24)
    expect(() => addComponent(world, reused, C.Position)).toThrow(
      `entity id ${reused} is outside capacity 64 (createAttentionComponents(capacity)); ids this large come from a versioned entity index (withVersioning)`,
    )
  })

  it('should throw a TypeError naming the argument when createAttentionSystem is given no world, or the size check\'s RangeError before allocating', () => {
    const C = createAttentionComponents(8)
    for (const [world, given] of [[null, 'null'], [undefined, 'undefined'], [{}, 'an object'], [C, 'an object'], [7, '7 (a number)']] as const) {
      expect(() => createAttentionSystem(world as unknown as World, { components: C }), given).toThrow(TypeError)
      expect(() => createAttentionSystem(world as unknown as World, { components: C }), given).toThrow(
        `colyseus-attention: createAttentionSystem(world, options) takes a bitECS world (from createWorld()) as its first argument; got ${given}`,
      )
    }
    expect(() => createAttentionSystem(createWorld(), { components: { ...C, Observer: undefined } as never })).toThrow(
      new TypeError('colyseus-attention: options.components must come from createAttentionComponents(capacity): its Observer is undefined'),
    )
    // the per-member tables would be 2^36 entries: refused by name, never an unnamed typed-array length error
    expect(() => createAttentionSystem(createWorld(), { components: C, maxObservers: 1 << 20, maxMembers: 65535 })).toThrow(
      new RangeError('colyseus-attention: maxObservers x maxMembers must be at most 67108864 (the interest sets\' length, 32 bytes an entry); got 1048576 x 65535 = 68718428160: lower one of them'),
    )
  })

  it('should leave no subscription on the world when creation fails on an entity beyond capacity', () => {
    const world = createWorld()
    const C = createAttentionComponents(4)
    for (let i = 0; i < 5; i++) addEntity(world)
    addComponent(world, 5, C.Aim) // beyond capacity 4: creation must fail
    expect(() => createAttentionSystem(world, { components: C, maxObservers: 1 })).toThrow(/outside capacity 4/)
    removeEntity(world, 5)
    // a system created once the world is fixed: the failed one's observers must not count observers
    const sys = createAttentionSystem(world, { components: C, maxObservers: 2 })
    for (const e of [1, 2]) {
      addComponent(world, e, C.Position)
      expect(() => addObserver(world, C, e)).not.toThrow()
    }
    sys(world)
    expect(sys.memberCount(1)).toBe(2)
  })

  it('should move bands up at once and down only past the margin', () => {
    const s = scene({ hysteresis: false, weights: DISTANCE_ONLY, bands: { high: 0.8, medium: 0.5, margin: 0.1 } })
    const o = s.at(0, 0)
    s.observe(o, 10, 4)
    const e = s.at(1, 0)
    const band = (): number => s.sys.bandAt(o, indexOf(s.sys, o, e))
    s.sys(s.world)
    expect(band()).toBe(Band.High) // score 0.9
    s.C.Position.x[e] = 2.5 // 0.75: inside the margin below High
    s.sys(s.world)
    expect(band()).toBe(Band.High)
    s.C.Position.x[e] = 3.5 // 0.65: below High - margin, above Medium
    s.sys(s.world)
    expect(band()).toBe(Band.Medium)
    s.C.Position.x[e] = 5.5 // 0.45: inside the margin below Medium
    s.sys(s.world)
    expect(band()).toBe(Band.Medium)
    s.C.Position.x[e] = 7 // 0.3
    s.sys(s.world)
    expect(band()).toBe(Band.Low)
    s.C.Position.x[e] = 1
    s.sys(s.world)
    expect(band()).toBe(Band.High)
    expect(s.sys.bandChangedCount(o)).toBe(1)
    expect(s.sys.bandChangedAt(o, 0)).toBe(e)
  })

  it('should list a band change only for members that stay: an evicted member exits instead', () => {
    // b drops from High to Medium and, the budget shrinking to 1, is evicted in the same tick
    const s = scene({ weights: DISTANCE_ONLY, hysteresis: { enterScore: 0, exitScore: 0, minOutTicks: 5, swapMargin: 0 }, bands: { high: 0.8, medium: 0.5, margin: 0.05 } })
    const o = s.at(0, 0)
    s.observe(o, 10, 2)
    const a = s.at(1, 0)
    const b = s.at(0, 1.5)
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, a, b].sort((x, y) => x - y))
    expect(s.sys.bandAt(o, indexOf(s.sys, o, b))).toBe(Band.High)
    s.C.Observer.budget[o] = 1
    s.C.Position.y[b] = 4 // score 0.6: Medium
    s.sys(s.world)
    const exited = Array.from({ length: s.sys.exitedCount(o) }, (_, i) => s.sys.exitedAt(o, i))
    const changed = Array.from({ length: s.sys.bandChangedCount(o) }, (_, i) => s.sys.bandChangedAt(o, i))
    expect(exited).toEqual([b])
    expect(changed).toEqual([])
    expect(s.members(o)).toEqual([o, a].sort((x, y) => x - y))
  })

  it('should let an out-of-budget member linger minOutTicks ticks, then leave', () => {
    const s = scene({ weights: DISTANCE_ONLY, hysteresis: { enterScore: 0, exitScore: 0, minOutTicks: 2, swapMargin: 10 } })
    const o = s.at(0, 0)
    s.observe(o, 10, 1)
    const a = s.at(5, 0)
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, a])
    const b = s.at(2, 0) // better, but the swap margin is too large to displace a at once
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, a])
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, a])
    expect(s.sys.explain(o, a).hysteresis.outTicks).toBe(2)
    s.sys(s.world) // outTicks 3 > 2: a leaves and b enters the free place
    expect(s.members(o)).toEqual([o, b])
    expect(s.sys.exitedAt(o, 0)).toBe(a)
    expect(s.sys.enteredAt(o, 0)).toBe(b)
  })

  it('should swap at once when an entrant beats a lingering member by swapMargin', () => {
    const s = scene({ weights: DISTANCE_ONLY, hysteresis: { enterScore: 0, exitScore: 0, minOutTicks: 5, swapMargin: 0.2 } })
    const o = s.at(0, 0)
    s.observe(o, 10, 1)
    const a = s.at(6, 0) // 0.4
    s.sys(s.world)
    const b = s.at(1, 0) // 0.9 > 0.4 + 0.2
    s.sys(s.world)
    expect(s.members(o)).toEqual([o, b])
    expect(s.sys.isMember(o, a)).toBe(false)
  })

  it('should explain the rules and the heads', () => {
    const s = scene()
    const o = s.at(0, 0)
    s.observe(o, 10, 4)
    const e = s.at(3, 0), far = s.at(100, 0)
    s.sys(s.world)
    expect(s.sys.explain(o, o).rule).toBe('self')
    expect(s.sys.explain(o, far).rule).toBe('out-of-range')
    const ex = s.sys.explain(o, e)
    expect(ex.member).toBe(true)
    expect(ex.heads.map((h) => h.name)).toEqual(['distance', 'facing', 'approach', 'recency', 'salience', 'mutual', 'team', 'aim'])
    expect(ex.heads[Feature.Distance]!.feature).toBeCloseTo(0.7, 5)
    expect(ex.score).toBeCloseTo(ex.heads.reduce((sum, h) => sum + h.contribution, 0), 5)
  })

  it('should keep each member\'s own band when an earlier member exits (band hysteresis after compaction)', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const weights = { distance: 5, facing: 0, approach: 0, recency: 0, salience: 0, mutual: 0, team: 0 }
    const sys = createAttentionSystem(world, { components: C, weights, distanceFalloff: 0, hysteresis: false, bands: { high: 3.5, medium: 2, margin: 0.25 } })
    const at = (x: number): number => {
      const e = addEntity(world)
      addComponent(world, e, C.Position)
      C.Position.x[e] = x
      return e
    }
    const o = at(0)
    C.Observer.radius[o] = 50
    C.Observer.budget[o] = 8
    C.Observer.fov[o] = 1
    C.Observer.temperature[o] = 1
    addComponent(world, o, C.Observer)
    const a = at(5) // score 4.5: High, ahead of b in the set
    const b = at(35) // score 1.5: Low
    sys(world)
    const bandOf = (e: number): number => {
      for (let i = 0; i < sys.memberCount(o); i++) if (sys.memberAt(o, i) === e) return sys.bandAt(o, i)
      return -1
    }
    expect(bandOf(a)).toBe(Band.High)
    expect(bandOf(b)).toBe(Band.Low)
    // a leaves; b moves up to 1.9: raw Low, and it was Low, so it stays Low (not a's old High)
    C.Position.x[a] = 500
    C.Position.x[b] = 31
    sys(world)
    expect(bandOf(a)).toBe(-1)
    expect(bandOf(b)).toBe(Band.Low)
  })
})

describe('ownership and reused ids', () => {
  it('should not hand what a removed owner owned to the new entity given its id, and grant it anew with setOwner', () => {
    const warnings: string[] = []
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')))
    try {
      const s = scene({ hysteresis: false }, 64)
      const a = s.at(0, 0)
      s.observe(a, 10, 4)
      const secret = s.at(500, 500)
      addComponent(s.world, secret, s.C.Hidden)
      setOwner(s.world, s.C, secret, a)
      s.sys(s.world)
      expect(s.members(a)).toContain(secret)
      // a leaves; the next new entity takes its id (bitECS reuses ids at once)
      removeEntity(s.world, a)
      const b = s.at(0, 0)
      expect(b).toBe(a)
      s.observe(b, 10, 4)
      for (let t = 0; t < 3; t++) s.sys(s.world)
      expect(s.members(b)).not.toContain(secret)
      expect(s.sys.isDenied(b, secret)).toBe(true)
      expect(warnings.filter((w) => w.includes(`entity ${a}, the owner of entity ${secret}, lost Position`))).toHaveLength(1)
      // the game gives it to the new entity on purpose
      setOwner(s.world, s.C, secret, b)
      s.sys(s.world)
      expect(s.members(b)).toContain(secret)
      expect(s.sys.isDenied(b, secret)).toBe(false)
      // a respawn by removing and adding Position lapses it too; said once per system only
      removeComponent(s.world, b, s.C.Position)
      addComponent(s.world, b, s.C.Position)
      s.sys(s.world)
      expect(s.members(b)).not.toContain(secret)
      expect(warnings.filter((w) => w.includes('lost Position'))).toHaveLength(1)
      setOwner(s.world, s.C, secret, b)
      s.sys(s.world)
      expect(s.members(b)).toContain(secret)
    } finally {
      warn.mockRestore()
    }
  })
})
