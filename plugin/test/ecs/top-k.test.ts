import { describe, expect, it } from 'vitest'
import { Rule } from '../../src/ecs/rules'
import { rankTopK, sortBestFirst, type TopKScratch } from '../../src/ecs/top-k'

/** The budget ranking by sorting: score desc, ties by entity id asc, rule rows left out. */
function bruteTopK(scores: Float32Array, rowEid: Uint32Array, rowRule: Uint8Array, K: number): number[] {
  const rows = [...scores.keys()].filter((r) => rowRule[r] === Rule.None)
  rows.sort((a, b) => scores[b]! - scores[a]! || rowEid[a]! - rowEid[b]!)
  return rows.slice(0, K).map((r) => rowEid[r]!)
}

describe('top-k', () => {
  it('should keep exactly the K best competing rows, tick after tick, with or without the hint', () => {
    let seed = 3
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const n = 200
    const t: TopKScratch = { heap: new Int32Array(33), pool: new Int32Array(n), kthHint: new Float32Array(1).fill(-Infinity) }
    const scores = new Float32Array(n)
    const rowEid = Uint32Array.from({ length: n }, (_, r) => 1000 - r * 3)
    const rowRule = new Uint8Array(n)
    for (let tick = 0; tick < 60; tick++) {
      for (let r = 0; r < n; r++) {
        // drift, an occasional jump (the hint goes stale), coarse values (ties)
        scores[r] = tick === 0 || rnd() < 0.05 ? Math.round(rnd() * 40) / 4 : scores[r]! + (rnd() - 0.5) * 0.3
        rowRule[r] = rnd() < 0.05 ? Rule.Owned : Rule.None
      }
      const K = tick % 10 === 9 ? 5 : 32
      const count = Math.min(n, 150 + (tick % 3) * 25)
      const heapN = rankTopK(t, 0, K, 0, count, scores.subarray(0, count), rowEid, rowRule)
      const got = Array.from(t.heap.subarray(0, heapN), (r) => rowEid[r]!).sort((a, b) => a - b)
      expect(got, `tick ${tick}`).toEqual(bruteTopK(scores.subarray(0, count), rowEid, rowRule, K).sort((a, b) => a - b))
    }
  })

  it('should return every competing row when fewer than K compete', () => {
    const t: TopKScratch = { heap: new Int32Array(9), pool: new Int32Array(4), kthHint: new Float32Array(1).fill(-Infinity) }
    const rowRule = Uint8Array.from([Rule.None, Rule.Always, Rule.None, Rule.None])
    expect(rankTopK(t, 0, 8, 0, 4, Float32Array.from([1, 2, 3, 4]), Uint32Array.from([5, 6, 7, 8]), rowRule)).toBe(3)
    expect(t.kthHint[0]).toBe(-Infinity)
  })

  it('should order the heap best first, ties by entity id', () => {
    const scores = Float32Array.from([1, 5, 3, 5, 0, 2])
    const rowEid = Uint32Array.from([10, 20, 30, 15, 40, 50])
    const heap = Int32Array.from([0, 1, 2, 3, 4, 5])
    sortBestFirst(heap, 6, scores, rowEid)
    expect(Array.from(heap, (r) => rowEid[r])).toEqual([15, 20, 30, 50, 10, 40])
  })
})
