import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { Has } from '../../src/ecs/entity-tracker'
import { createCandidateColumns, packCandidate } from '../../src/ecs/broadphase'
import { createRowWriter, loadObserver, RowMode, writeCandidates } from '../../src/ecs/features'
import { checkWeights, createHeadScorer, DEFAULT_WEIGHTS, Feature, FEATURE_COUNT, HEAD_NAMES, scoreRow, weightVector, type HeadWeights } from '../../src/ecs/heads'
import { createInteractionStore } from '../../src/ecs/interactions'

describe('heads', () => {
  it('should give every head its column, in list order, and a default weight', () => {
    expect(FEATURE_COUNT).toBe(HEAD_NAMES.length)
    HEAD_NAMES.forEach((name, h) => {
      const column = (Feature as Record<string, number>)[name[0]!.toUpperCase() + name.slice(1)]
      expect(column, name).toBe(h)
      expect(Number.isFinite(DEFAULT_WEIGHTS[name]), name).toBe(true)
    })
    expect(Object.keys(Feature)).toHaveLength(FEATURE_COUNT)
    expect(Object.keys(DEFAULT_WEIGHTS).sort()).toEqual([...HEAD_NAMES].sort())
  })

  it('should lay the weights out by column and score a row as their weighted sum', () => {
    const weights = Object.fromEntries(HEAD_NAMES.map((n, h) => [n, h + 1])) as HeadWeights
    const w = weightVector(weights)
    expect(Array.from(w)).toEqual(HEAD_NAMES.map((_, h) => h + 1))
    const f = Float32Array.from({ length: 2 * FEATURE_COUNT }, (_, i) => (i % 5) / 4)
    const out = new Float32Array(2)
    createHeadScorer(weights).score(f, 2, out)
    for (let r = 0; r < 2; r++) {
      let s = 0
      for (let h = 0; h < FEATURE_COUNT; h++) s += w[h]! * f[r * FEATURE_COUNT + h]!
      expect(out[r]).toBe(Math.fround(s))
      const one = new Float32Array(1)
      scoreRow(w, f, r * FEATURE_COUNT, one, 0)
      expect(one[0]).toBe(out[r])
    }
  })

  it('should reject a weight that is not finite, naming it', () => {
    expect(() => checkWeights({ ...DEFAULT_WEIGHTS, aim: NaN })).toThrow(/weights\.aim/)
  })

  it('should name a key of createHeadScorer\'s weights that is no head, with the head it likely misspells, and refuse weights that are no object', () => {
    const heads = 'distance, facing, approach, recency, salience, mutual, team, aim'
    const unknown: [object, string][] = [
      [{ distanc: 1 }, `createHeadScorer(weights) has no head "distanc" (did you mean distance?); its heads are ${heads}`],
      [{ ...DEFAULT_WEIGHTS, Aim: 1 }, `createHeadScorer(weights) has no head "Aim" (did you mean aim?); its heads are ${heads}`],
      [{ ...DEFAULT_WEIGHTS, speed: 1 }, `createHeadScorer(weights) has no head "speed"; its heads are ${heads}`],
    ]
    for (const [weights, message] of unknown) {
      expect(() => createHeadScorer(weights as HeadWeights), message).toThrow(RangeError)
      expect(() => createHeadScorer(weights as HeadWeights), message).toThrow(`colyseus-attention: ${message}`)
    }
    for (const [weights, given] of [[null, 'null'], [undefined, 'undefined'], [[1, 2], 'an array'], [5, '5 (a number)']] as const) {
      expect(() => createHeadScorer(weights as unknown as HeadWeights), given).toThrow(TypeError)
      expect(() => createHeadScorer(weights as unknown as HeadWeights), given).toThrow(
        `colyseus-attention: createHeadScorer(weights) takes an object of one weight per head (${heads}); got ${given}`,
      )
    }
    // a head left out is still named as the weight it lacks
    expect(() => createHeadScorer({ ...DEFAULT_WEIGHTS, aim: undefined } as unknown as HeadWeights)).toThrow('weights.aim must be a finite number')
    expect(() => createHeadScorer({ ...DEFAULT_WEIGHTS })).not.toThrow()
  })

  it('should fuse exactly the head scorer\'s score into the row writer', () => {
    // random pairs with every optional component: the fused score equals the scorer's score of the row, bit for bit
    const c = createAttentionComponents(300)
    const flags = new Uint16Array(c.capacity)
    const interactions = createInteractionStore(c.capacity, 4)
    let seed = 7
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const o = 1
    flags[o] = Has.Position | Has.Velocity | Has.Facing | Has.Team | Has.Observer
    c.Observer.radius[o] = 40
    c.Observer.fov[o] = 2
    c.Facing.x[o] = 1
    c.Velocity.x[o] = 2
    c.Team.id[o] = 1
    const cands: number[] = []
    for (let e = 2; e < 300; e++) {
      flags[e] = Has.Position | (rnd() < 0.7 ? Has.Velocity : 0) | (rnd() < 0.5 ? Has.Facing : 0) | (rnd() < 0.3 ? Has.Salience : 0) | (rnd() < 0.5 ? Has.Team : 0) | (rnd() < 0.1 ? Has.Aim : 0)
      c.Position.x[e] = (rnd() - 0.5) * 80
      c.Position.y[e] = (rnd() - 0.5) * 80
      c.Velocity.x[e] = (rnd() - 0.5) * 20
      c.Velocity.y[e] = (rnd() - 0.5) * 20
      const a = rnd() * 2 * Math.PI
      c.Facing.x[e] = Math.cos(a)
      c.Facing.y[e] = Math.sin(a)
      c.Salience.weight[e] = rnd() * 1.2
      c.Salience.nimbus[e] = rnd() * 60
      c.Team.id[e] = rnd() < 0.5 ? 1 : 2
      c.Aim.target[e] = o
      if (rnd() < 0.2) interactions.record(o, 0, e, 0, 1, rnd())
      cands.push(e)
    }
    const weights = { ...DEFAULT_WEIGHTS, facing: 0.37, mutual: -1.3 }
    const cols = createCandidateColumns(cands.length)
    cands.forEach((e, s) => packCandidate(cols, c, flags, e, s))
    const writer = createRowWriter(c, flags, new Uint32Array(c.capacity), interactions, { lookahead: 0.5, speedScale: 10, distanceFalloff: 25, halfLivesPerTick: 0.01 }, weights, cols)
    const ids = Uint32Array.from(cands, (_, s) => s)
    const rowEid = new Uint32Array(ids.length)
    const feat = new Float32Array(ids.length * FEATURE_COUNT)
    const fused = new Float32Array(ids.length)
    loadObserver(writer, o)
    const n = writeCandidates(writer, ids, ids.length, rowEid, 0, 3, RowMode.Features, feat, new Float32Array(0))
    const eids = Array.from(rowEid.subarray(0, n))
    loadObserver(writer, o)
    expect(writeCandidates(writer, ids, ids.length, rowEid, 0, 3, RowMode.Fused, new Float32Array(0), fused)).toBe(n)
    expect(Array.from(rowEid.subarray(0, n))).toEqual(eids)
    expect(n).toBeGreaterThan(50)
    const scored = new Float32Array(n)
    createHeadScorer(weights).score(feat, n, scored)
    expect(Array.from(fused.subarray(0, n))).toEqual(Array.from(scored))
  })
})
