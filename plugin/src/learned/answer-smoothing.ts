// Owns: the learned scorer's smoothing over its answers (OnnxScorerOptions.smoothing), run in the
// inference worker: each row's score blended with the smoothed score its pair (observer,
// candidate) had in the previous answer, never across a recycled id of either.
import { grownCopy } from '../ecs/shared-alloc'

/**
 * One answer's rows as the smoothing reads them: observer `observers[i]` owns rows
 * `[observerStart[i], observerStart[i + 1])`, candidate `rowEid[r]` and score `scores[r]` (float32,
 * rewritten in place); `generation[id]` is each entity's generation (exact in float32 below 2^24).
 */
export interface SmoothedAnswer {
  readonly observers: ArrayLike<number>
  readonly observerStart: ArrayLike<number>
  readonly observerCount: number
  readonly rowEid: ArrayLike<number>
  readonly generation: ArrayLike<number>
  readonly scores: Float32Array
}

/**
 * The smoothed scores of the previous answer, kept by observer as that answer's rows were (each
 * observer's rows are contiguous), and looked up per observer by scattering its previous rows into
 * arrays indexed by entity id: a pass over each observer's rows, where a table keyed by the pair
 * took a cache miss or more per row on each of its two lookups (a table of 146,000 pairs in 12 MB;
 * `npm run bench:engine -- --learned-only`, "inference in the worker", measures the difference).
 */
export class AnswerSmoothing {
  /** The previous answer's rows (index: its row), and the rows being written for this one. */
  private prevEid = new Uint32Array(0)
  private prevGen = new Float64Array(0)
  private prevScore = new Float64Array(0)
  private nextEid = new Uint32Array(0)
  private nextGen = new Float64Array(0)
  private nextScore = new Float64Array(0)
  /** Per observer id: its rows in the previous answer, that observer's generation then, and the answer (a count) that wrote them. */
  private rowsFrom = new Int32Array(0)
  private rowsTo = new Int32Array(0)
  private observerGen = new Float64Array(0)
  private answerOf = new Float64Array(0)
  /** Per candidate id: the smoothed score, generation and observer mark of the scattered previous rows. */
  private scatScore = new Float64Array(0)
  private scatGen = new Float64Array(0)
  private scatMark = new Float64Array(0)
  // counts in float64 (exact to 2^53): no wrap-around to handle
  private answers = 0
  private mark = 0

  /**
   * Blends each row's score with its pair's smoothed score in the previous answer, the previous one
   * weighing `w` (in [0, 1)); rows of pairs the previous answer did not have, or had with another
   * generation of the observer or the candidate, keep the model's score. The blend is computed in
   * float64 and kept so for the next answer; the row's score is its float32 rounding.
   */
  apply(a: SmoothedAnswer, w: number): void {
    const n = a.observerCount
    const rows = a.observerStart[n]!
    this.fit(rows, a.generation.length)
    const prevAnswer = this.answers
    const answer = prevAnswer + 1
    const { prevEid, prevGen, prevScore, nextEid, nextGen, nextScore, rowsFrom, rowsTo, observerGen, answerOf, scatScore, scatGen, scatMark } = this
    const { observers, observerStart, rowEid, generation, scores } = a
    const keep = 1 - w
    let mark = this.mark
    for (let i = 0; i < n; i++) {
      const o = observers[i]!
      const from = observerStart[i]!
      const to = observerStart[i + 1]!
      const og = generation[o]!
      // the observer's previous rows, when it is the same observer (not a recycled id)
      const had = prevAnswer !== 0 && answerOf[o] === prevAnswer && observerGen[o] === og
      if (had) {
        mark++
        for (let r = rowsFrom[o]!; r < rowsTo[o]!; r++) {
          const e = prevEid[r]!
          scatScore[e] = prevScore[r]!
          scatGen[e] = prevGen[r]!
          scatMark[e] = mark
        }
      }
      for (let r = from; r < to; r++) {
        const e = rowEid[r]!
        const g = generation[e]!
        const v = had && scatMark[e] === mark && scatGen[e] === g ? w * scatScore[e]! + keep * scores[r]! : scores[r]!
        scores[r] = v
        nextEid[r] = e
        nextGen[r] = g
        nextScore[r] = v
      }
      rowsFrom[o] = from
      rowsTo[o] = to
      observerGen[o] = og
      answerOf[o] = answer
    }
    this.mark = mark
    this.answers = answer
    this.prevEid = nextEid
    this.prevGen = nextGen
    this.prevScore = nextScore
    this.nextEid = prevEid
    this.nextGen = prevGen
    this.nextScore = prevScore
  }

  /** Grows the row arrays to `rows` (keeping the previous answer's) and the id arrays to `ids`. */
  private fit(rows: number, ids: number): void {
    if (this.nextEid.length < rows) {
      let r = Math.max(1024, this.nextEid.length)
      while (r < rows) r *= 2
      this.nextEid = new Uint32Array(r)
      this.nextGen = new Float64Array(r)
      this.nextScore = new Float64Array(r)
    }
    if (this.rowsFrom.length < ids) {
      this.rowsFrom = grownCopy(this.rowsFrom, ids)
      this.rowsTo = grownCopy(this.rowsTo, ids)
      this.observerGen = grownCopy(this.observerGen, ids)
      this.answerOf = grownCopy(this.answerOf, ids)
      // marks only grow: a fresh array of zeros holds none of them
      this.scatScore = new Float64Array(ids)
      this.scatGen = new Float64Array(ids)
      this.scatMark = new Float64Array(ids)
    }
  }
}
