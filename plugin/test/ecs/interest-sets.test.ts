import { describe, expect, it } from 'vitest'
import { createInterestSets } from '../../src/ecs/interest-sets'

describe('interest-sets', () => {
  it('should compute softmax weights over scored members once per tick, unscored ones weighing 0', () => {
    const sets = createInterestSets(2, 4)
    const base = 4
    sets.count[1] = 3
    sets.score.set([2, NaN, 1], base)
    sets.smax[1] = 2
    sets.temperature[1] = 0.5
    sets.weights(1)
    const w = Array.from(sets.weight.subarray(base, base + 3))
    const a = 1, b = Math.exp(-2)
    expect(w[0]).toBeCloseTo(a / (a + b), 6)
    expect(w[1]).toBe(0)
    expect(w[2]).toBeCloseTo(b / (a + b), 6)
    // cached until the next tick clears weightsValid
    sets.score[base] = -100
    sets.weights(1)
    expect(sets.weight[base]).toBeCloseTo(a / (a + b), 6)
    sets.weightsValid[1] = 0
    sets.weights(1)
    expect(sets.weight[base]).toBeLessThan(1e-6)
  })

  it('should empty a slot and its lists, and only that slot', () => {
    const sets = createInterestSets(2, 4)
    for (const s of [0, 1]) {
      sets.count[s] = 2
      sets.enteredCount[s] = 1
      sets.exitedCount[s] = 1
      sets.bandChangedCount[s] = 1
    }
    sets.clear(0)
    expect([sets.count[0], sets.enteredCount[0], sets.exitedCount[0], sets.bandChangedCount[0]]).toEqual([0, 0, 0, 0])
    expect(sets.count[1]).toBe(2)
  })
})
