// Owns: the reach guard of the learned scorer's answers (OnnxScorerOptions.reachSeconds). A model
// learns how often a kind of candidate interacts, and lowers one that rarely does: a rider trotting
// near an enemy player, which charges at three times that speed when it does. What a row does not
// show is how fast the candidate can go. The guard keeps, per entity id, the fastest speed seen in
// the requests, and forbids a correction below the heads' score for any pair whose candidate could
// reach the observer within `reachSeconds` at that speed: the model may still raise it. Runs in the
// worker, after the smoothing, on the answer about to be served.

/** One answer as the worker is about to serve it (the request's rows and entity-state snapshot). */
export interface GuardedAnswer {
  /** The request's observers; observer `i` owns rows `[observerStart[i], observerStart[i + 1])`. */
  readonly observers: Uint32Array
  readonly observerStart: Int32Array
  readonly observerCount: number
  /** Candidate entity id by row. */
  readonly rowEid: Uint32Array
  /** Positions, velocities and generations by entity id (the request's snapshot). */
  readonly x: Float32Array
  readonly y: Float32Array
  readonly vx: Float32Array
  readonly vy: Float32Array
  readonly generation: Float32Array
  /**
   * Per row: the correction to the heads' score (`heads` null), or the model's score, which may not
   * fall below `heads[r]` on a guarded row.
   */
  readonly scores: Float32Array
  /** Per row: the heads' score of the row the model answered, when `scores` are scores; null when they are corrections. */
  readonly heads: Float32Array | null
}

/** The fastest speed each entity id has been seen moving at, kept across the worker's answers. */
export class ReachGuard {
  /** The fastest speed seen, squared (units^2 / s^2). */
  private peak = new Float64Array(0)
  /** Generation the peak belongs to (-1: none): a recycled id starts over. */
  private peakGen = new Float32Array(0)

  /** Rows it guarded in the last {@link apply} (what the model would have lowered). */
  guarded = 0

  /**
   * Records the candidates' speeds of this answer, then lifts every row that lowers a candidate
   * within `seconds` of the observer at its fastest speed seen: to a correction of 0, or to the
   * heads' score. `seconds` 0 only records.
   */
  apply(a: GuardedAnswer, seconds: number): void {
    const { observers, observerStart, rowEid, x, y, vx, vy, generation, scores, heads } = a
    this.fit(generation.length)
    const { peak, peakGen } = this
    const s2 = seconds * seconds
    let guarded = 0
    for (let i = 0; i < a.observerCount; i++) {
      const o = observers[i]!
      const ox = x[o]!
      const oy = y[o]!
      for (let r = observerStart[i]!; r < observerStart[i + 1]!; r++) {
        const c = rowEid[r]!
        if (peakGen[c] !== generation[c]) {
          peakGen[c] = generation[c]!
          peak[c] = 0
        }
        // squared speeds and distances: no square root per row
        const cvx = vx[c]!
        const cvy = vy[c]!
        const speed2 = cvx * cvx + cvy * cvy
        if (speed2 > peak[c]!) peak[c] = speed2
        const floor = heads === null ? 0 : heads[r]!
        // NaN rows are left to the scorer's own check of the answer
        if (!(scores[r]! < floor)) continue
        const dx = x[c]! - ox
        const dy = y[c]! - oy
        if (dx * dx + dy * dy > peak[c]! * s2) continue
        scores[r] = floor
        guarded++
      }
    }
    this.guarded = guarded
  }

  /** Forgets every speed seen (another world's entities come next). */
  reset(): void {
    this.peak.fill(0)
    this.peakGen.fill(-1)
  }

  /** Grows the per-id arrays to `ids` (keeping what was seen). */
  private fit(ids: number): void {
    if (this.peak.length >= ids) return
    const peak = new Float64Array(ids)
    const gen = new Float32Array(ids).fill(-1)
    peak.set(this.peak)
    gen.set(this.peakGen)
    this.peak = peak
    this.peakGen = gen
  }
}
