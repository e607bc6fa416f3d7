import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, createHeadScorer, DEFAULT_WEIGHTS, setFacingAngle } from '../../src/index'
import type { AttentionOptions, AttentionSystem, HeadWeights } from '../../src/index'
import { createHarness, observersOf, readEngineSet, scriptArb } from './world-model'

// The built-in scorer's fused rows skip candidates whose score cannot reach the observer's K-th
// score hint (PERFORMANCE.md, "bounded rows"). The same heads passed as a custom scorer take the
// unbounded path: every tick, both must give the same sets, bit for bit.

type EngineOptions = Omit<AttentionOptions, 'components'>

/** Every observer's set, entries and exits, scores as bits (NaN included). */
function state(sys: AttentionSystem, observers: number[]): string {
  return JSON.stringify(
    observers.map((o) => {
      const s = readEngineSet(sys, o)
      return [o, s.members, s.members.map((m) => [s.scores.get(m), s.bands.get(m)].map(String)), s.entered, s.exited]
    }),
  )
}

const weightArb = fc.double({ min: -2, max: 6, noNaN: true })
const optionsArb = fc.record({
  lookahead: fc.oneof(fc.constant(0.5), fc.double({ min: 0, max: 1.5, noNaN: true })),
  speedScale: fc.double({ min: 1, max: 20, noNaN: true }),
  // the logarithmic head (the default), the linear one, and others: the bound per candidate
  // inverts each through its table
  distanceFalloff: fc.oneof(fc.constant(25), fc.constant(0), fc.double({ min: 0, max: 200, noNaN: true })),
  weights: fc.oneof(fc.constant({ ...DEFAULT_WEIGHTS }), fc.record({ distance: weightArb, facing: weightArb, approach: weightArb, recency: weightArb, salience: weightArb, mutual: weightArb, team: weightArb, aim: weightArb })),
})

describe('bounded rows', () => {
  it('should give the same sets as the unbounded rows of the same heads (random worlds)', () => {
    fc.assert(
      fc.property(optionsArb, scriptArb(false, 20), (options: EngineOptions & { weights: HeadWeights }, script) => {
        const h = createHarness(options)
        const twin = createAttentionSystem(h.world, { components: h.C, ...options, scorer: createHeadScorer(options.weights) })
        // the harness records interactions on its engine: the twin gets the same
        const record = h.engine.recordInteraction
        h.engine.recordInteraction = (a, b, strength) => {
          record(a, b, strength)
          twin.recordInteraction(a, b, strength)
        }
        for (const s of script.initial) h.apply(s)
        for (const step of script.steps) {
          for (const cmd of step) if (cmd.kind !== 'tick') h.apply(cmd)
          h.engine(h.world)
          twin(h.world)
          const obs = observersOf(h)
          expect(state(h.engine, obs)).toBe(state(twin, obs))
        }
        h.engine.dispose()
        twin.dispose()
      }),
      { numRuns: 80, interruptAfterTimeLimit: 8_000 },
    )
  })

  it.each([25, 0])('should give the same sets as the unbounded rows in a dense moving crowd (distanceFalloff %d)', (distanceFalloff) => {
    const world = createWorld()
    const n = 600
    const C = createAttentionComponents(n + 1)
    let seed = 7
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    for (let i = 0; i < n; i++) {
      const e = addEntity(world)
      C.Position.x[e] = rnd() * 120
      C.Position.y[e] = rnd() * 120
      addComponent(world, e, C.Position)
      C.Velocity.x[e] = (rnd() - 0.5) * 8
      C.Velocity.y[e] = (rnd() - 0.5) * 8
      addComponent(world, e, C.Velocity)
      setFacingAngle(world, C, e, rnd() * 2 * Math.PI)
      if (i % 10 === 0) addObserver(world, C, e, { radius: 30, budget: 8 })
    }
    const bounded = createAttentionSystem(world, { components: C, distanceFalloff })
    const twin = createAttentionSystem(world, { components: C, distanceFalloff, scorer: createHeadScorer(DEFAULT_WEIGHTS) })
    const observers = Array.from({ length: n }, (_, i) => i + 1).filter((e) => bounded.isObserver(e))
    for (let t = 0; t < 40; t++) {
      for (let e = 1; e <= n; e++) {
        C.Velocity.x[e] = C.Velocity.x[e]! + (rnd() - 0.5) * 2
        C.Velocity.y[e] = C.Velocity.y[e]! + (rnd() - 0.5) * 2
        C.Position.x[e] = C.Position.x[e]! + C.Velocity.x[e]! * 0.05
        C.Position.y[e] = C.Position.y[e]! + C.Velocity.y[e]! * 0.05
        setFacingAngle(world, C, e, Math.atan2(C.Velocity.y[e]!, C.Velocity.x[e]!))
      }
      bounded(world)
      twin(world)
      expect(state(bounded, observers), `tick ${t}`).toBe(state(twin, observers))
    }
  })
})
