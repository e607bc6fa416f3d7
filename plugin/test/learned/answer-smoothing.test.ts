import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AnswerSmoothing } from '../../src/learned/answer-smoothing'

/** One answer as the worker hands it over: observers with their candidate rows, every id's generation, the model's scores. */
interface Answer {
  observers: number[]
  rows: number[][]
  generation: number[]
  scores: number[][]
  w: number
}

/**
 * The oracle: a map from (observer, candidate, both generations) to the pair's smoothed score in
 * the previous answer, blended as the worker's contract says (OnnxScorerOptions.smoothing).
 */
function oracle(answers: Answer[]): number[][][] {
  let previous = new Map<string, number>()
  return answers.map((a) => {
    const next = new Map<string, number>()
    const out = a.observers.map((o, i) =>
      a.rows[i]!.map((e, k) => {
        const key = `${o}/${a.generation[o]}:${e}/${a.generation[e]}`
        const s = Math.fround(a.scores[i]![k]!)
        const p = previous.get(key)
        const v = p === undefined ? s : a.w * p + (1 - a.w) * s
        next.set(key, v)
        return Math.fround(v)
      }),
    )
    previous = next
    return out
  })
}

/** Hands `sm` one answer (observers with their candidate rows and scores); returns the smoothed scores, row by row. */
function applyAnswer(sm: AnswerSmoothing, observers: number[], rows: number[][], scores: number[], generation: Float32Array, w: number): Float32Array {
  const observerStart = [0]
  for (const r of rows) observerStart.push(observerStart.at(-1)! + r.length)
  const s = new Float32Array(scores)
  sm.apply({ observers, observerStart, observerCount: observers.length, rowEid: rows.flat(), generation, scores: s }, w)
  return s
}

function run(answers: Answer[], ids: number): number[][][] {
  const sm = new AnswerSmoothing()
  return answers.map((a) => {
    const generation = new Float32Array(ids)
    a.generation.forEach((g, i) => (generation[i] = g))
    const scores = applyAnswer(sm, a.observers, a.rows, a.scores.flat(), generation, a.w)
    let r = 0
    return a.rows.map((row) => Array.from(scores.subarray(r, (r += row.length))))
  })
}

const IDS = 12

/** Answers over a few ids: observers and candidates come and go, ids are recycled (generations change), rows appear in any order. */
const answersArb = fc.array(
  fc.record({
    observers: fc.uniqueArray(fc.integer({ min: 0, max: IDS - 1 }), { maxLength: 4 }),
    gens: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: IDS, maxLength: IDS }),
    rowsSeed: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: IDS - 1 }), { maxLength: 6 }), { minLength: 4, maxLength: 4 }),
    scores: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 24, maxLength: 24 }),
    w: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.95, noNaN: true })),
  }),
  { minLength: 1, maxLength: 8 },
)

describe('learned scorer: smoothing over answers', () => {
  it('should blend each pair with its previous answer as a map of pairs does, never across a recycled id', () => {
    fc.assert(
      fc.property(answersArb, (raw) => {
        const answers: Answer[] = raw.map((a) => {
          const rows = a.observers.map((o, i) => a.rowsSeed[i]!.filter((e) => e !== o))
          let k = 0
          return { observers: a.observers, rows, generation: a.gens, scores: rows.map((r) => r.map(() => a.scores[k++ % 24]!)), w: a.w }
        })
        expect(run(answers, IDS)).toEqual(oracle(answers))
      }),
      { numRuns: 400 },
    )
  })

  it('should keep an observer that skips an answer out of the next one\'s blend, and grow with the ids', () => {
    const sm = new AnswerSmoothing()
    const apply = (observers: number[], rows: number[][], scores: number[], ids: number): Float32Array => applyAnswer(sm, observers, rows, scores, new Float32Array(ids), 0.5)
    expect(Array.from(apply([0], [[1, 2]], [1, 2], 4))).toEqual([1, 2])
    // observer 0 is not in the second answer: the third has nothing of its to blend with
    expect(Array.from(apply([3], [[1]], [4], 4))).toEqual([4])
    expect(Array.from(apply([0], [[1, 2]], [3, 5], 4))).toEqual([3, 5])
    // more ids than before (the room's capacity grew): the previous answer still counts
    expect(Array.from(apply([0], [[2, 1, 100]], [1, 1, 7], 200))).toEqual([3, 2, 7])
  })
})
