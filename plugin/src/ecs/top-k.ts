// Owns: the budget ranking of one observer's scored rows: the top K rows that compete for the
// budget (score descending, ties by entity id ascending), kept in a min-heap of row indices, and
// the heapsort that orders them best first for the byte budget.
import { Rule } from './rules'

/**
 * Restores the min-heap ("worst on top": lowest score, then highest entity id) below index `i`.
 * @param h - heap of row indices.
 * @param n - heap size.
 * @param sc - scores by row.
 * @param ids - entity id by row.
 */
export function siftDown(h: Int32Array, n: number, i: number, sc: Float32Array, ids: Uint32Array): void {
  const r0 = h[i]!
  const s0 = sc[r0]!
  const e0 = ids[r0]!
  for (;;) {
    const l = 2 * i + 1
    if (l >= n) break
    let m = l
    let mr = h[l]!
    let ms = sc[mr]!
    if (l + 1 < n) {
      const rr = h[l + 1]!
      const rs = sc[rr]!
      if (rs < ms || (rs === ms && ids[rr]! > ids[mr]!)) {
        m = l + 1
        mr = rr
        ms = rs
      }
    }
    // stop when the child is not worse than the sifted row
    if (!(ms < s0 || (ms === s0 && ids[mr]! > e0))) break
    h[i] = mr
    i = m
  }
  h[i] = r0
}

/** Scratch and per-observer memory of {@link rankTopK}. */
export interface TopKScratch {
  /** The heap of row indices (at least K + 1 entries). */
  readonly heap: Int32Array
  /** The candidate pool: rows that reach the hint (room for every row of an observer). */
  readonly pool: Int32Array
  /** Per observer slot: a little under last tick's K-th best score (-Infinity: none). */
  readonly kthHint: Float32Array
}

/**
 * Candidates and top K: puts in `heap[0..n)` the K best rows of `[start, end)` whose `rowRule` is
 * {@link Rule.None} (rule members do not compete), worst on top, and returns n (fewer than K when fewer rows
 * compete). Rows scoring below the slot's hint (a little under last tick's K-th best) skip the
 * heap: if K rows still reach it no skipped row can rank inside the budget, so the result is exact;
 * otherwise a second pass without the hint runs. Updates the hint.
 */
export function rankTopK(t: TopKScratch, slot: number, K: number, start: number, end: number, scores: Float32Array, rowEid: Uint32Array, rowRule: Uint8Array): number {
  const none = Rule.None
  const heap = t.heap
  const pool = t.pool
  let heapN = 0
  let minS = 0
  let minE = 0
  let hint = t.kthHint[slot]!
  for (let pass = 0; pass < 2; pass++) {
    // the rows that compete for the budget and reach the hint, in row order (PERFORMANCE.md, "no
    // branch on a coin flip")
    let poolN = 0
    let competing = 0
    for (let r = start; r < end; r++) {
      const open = Number(rowRule[r] === none)
      pool[poolN] = r
      poolN += open & Number(!(scores[r]! < hint))
      competing += open
    }
    const skipped = competing - poolN
    heapN = 0
    for (let p = 0; p < poolN; p++) {
      const r = pool[p]!
      const s = scores[r]!
      if (heapN < K) {
        heap[heapN++] = r
        if (heapN === K) {
          for (let i = (K >> 1) - 1; i >= 0; i--) siftDown(heap, K, i, scores, rowEid)
          minS = scores[heap[0]!]!
          minE = rowEid[heap[0]!]!
        }
        continue
      }
      const e = rowEid[r]!
      if (s > minS || (s === minS && e < minE)) {
        heap[0] = r
        siftDown(heap, heapN, 0, scores, rowEid)
        minS = scores[heap[0]!]!
        minE = rowEid[heap[0]!]!
      }
    }
    if (heapN === K || skipped === 0) break
    hint = -Infinity
  }
  t.kthHint[slot] = heapN === K ? minS - 0.1 - 0.05 * Math.abs(minS) : -Infinity
  return heapN
}

/**
 * Orders the heap's `n` rows best first, in place (heapsort: the worst row goes to the end each
 * round). A heap that never filled up is still in row order: it is heapified first.
 */
export function sortBestFirst(heap: Int32Array, n: number, scores: Float32Array, rowEid: Uint32Array): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(heap, n, i, scores, rowEid)
  for (let m = n; m > 1; m--) {
    const worst = heap[0]!
    heap[0] = heap[m - 1]!
    heap[m - 1] = worst
    siftDown(heap, m - 1, 0, scores, rowEid)
  }
}
