// Owns: the storage of every observer's interest set (members, their band, rule, score and
// generation, and the last tick's entered / exited / band-changed lists) and the softmax weights.
// Selection (selection.ts) writes it; the system's accessors read it.
import { heapAlloc, type ArrayAlloc } from './shared-alloc'

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

/** Creates storage for `slots` observers of at most `stride` members each (on shared memory with a shared `alloc`). */
export function createInterestSets(slots: number, stride: number, alloc: ArrayAlloc = heapAlloc): InterestSets {
  const n = slots * stride
  const sets: InterestSets = {
    stride,
    count: alloc.u16(slots),
    eid: alloc.u32(n),
    gen: alloc.u32(n),
    outTicks: alloc.u16(n),
    band: alloc.u8(n),
    rule: alloc.u8(n),
    weight: alloc.f32(n),
    score: alloc.f32(n),
    enteredCount: alloc.u16(slots),
    entered: alloc.u32(n),
    exitedCount: alloc.u16(slots),
    // exits in a tick: every previous member at most, plus one per eviction of a member that
    // entered earlier the same tick (never happens: only lingering previous members are evicted)
    exited: alloc.u32(n),
    bandChangedCount: alloc.u16(slots),
    bandChanged: alloc.u32(n),
    smax: alloc.f32(slots),
    temperature: alloc.f32(slots),
    weightsValid: alloc.u8(slots),
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
