// Owns: the storage of every observer's interest set (members, their band, rule, score and
// generation, and the last tick's entered / exited / band-changed lists) and the softmax weights.
// Selection (selection.ts) writes it; the system's accessors read it.

/**
 * Per-observer interest sets in flat typed arrays: observer slot `s` owns entries
 * `[s * stride, s * stride + count[s])`. Entered / exited / band-changed lists of the last tick
 * live beside them, so readers never allocate.
 */
export interface InterestSets {
  readonly stride: number
  readonly count: Uint16Array
  readonly eid: Uint32Array
  readonly gen: Uint32Array
  readonly outTicks: Uint16Array
  readonly band: Uint8Array
  readonly rule: Uint8Array
  readonly weight: Float32Array
  readonly score: Float32Array
  readonly enteredCount: Uint16Array
  readonly entered: Uint32Array
  readonly exitedCount: Uint16Array
  readonly exited: Uint32Array
  readonly bandChangedCount: Uint16Array
  readonly bandChanged: Uint32Array
  /** Highest member score of the slot's last tick (softmax shift). */
  readonly smax: Float32Array
  /** Observer temperature used on the slot's last tick. */
  readonly temperature: Float32Array
  /** 1 once the slot's weights were computed for the current tick. */
  readonly weightsValid: Uint8Array
  /** Computes slot `s`'s softmax weights over its scored members, once per tick (on first read). */
  weights(s: number): void
  /** Empties slot `s` and its lists. */
  clear(s: number): void
}

/** Creates storage for `slots` observers of at most `stride` members each. */
export function createInterestSets(slots: number, stride: number): InterestSets {
  const n = slots * stride
  const sets: InterestSets = {
    stride,
    count: new Uint16Array(slots),
    eid: new Uint32Array(n),
    gen: new Uint32Array(n),
    outTicks: new Uint16Array(n),
    band: new Uint8Array(n),
    rule: new Uint8Array(n),
    weight: new Float32Array(n),
    score: new Float32Array(n),
    enteredCount: new Uint16Array(slots),
    entered: new Uint32Array(n),
    exitedCount: new Uint16Array(slots),
    // exits in a tick: every previous member at most, plus one per eviction of a member that
    // entered earlier the same tick (never happens: only lingering previous members are evicted)
    exited: new Uint32Array(n),
    bandChangedCount: new Uint16Array(slots),
    bandChanged: new Uint32Array(n),
    smax: new Float32Array(slots),
    temperature: new Float32Array(slots),
    weightsValid: new Uint8Array(slots),
    weights(s) {
      if (sets.weightsValid[s] === 1) return
      sets.weightsValid[s] = 1
      const base = s * stride
      const n = sets.count[s]!
      const smax = sets.smax[s]!
      const temp = sets.temperature[s]!
      let z = 0
      for (let i = base; i < base + n; i++) {
        const sc = sets.score[i]!
        // NaN (unscored: self, a rule member out of range) fails the test and weighs 0
        const x = sc >= -Infinity ? Math.exp((sc - smax) / temp) : 0
        sets.weight[i] = x
        z += x
      }
      if (z > 0) for (let i = base; i < base + n; i++) sets.weight[i]! /= z
    },
    clear(s) {
      sets.count[s] = 0
      sets.weightsValid[s] = 0
      sets.enteredCount[s] = 0
      sets.exitedCount[s] = 0
      sets.bandChangedCount[s] = 0
    },
  }
  return sets
}
