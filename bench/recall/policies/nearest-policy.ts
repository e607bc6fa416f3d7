import { createEntitlement } from '../entitlement'
import type { Recording } from '../recording'
import { createMemberLists, type InterestPolicy, type PolicyFactory } from './interest-policy'

/**
 * Nearest-K: the `k` entities closest to the player (2D distance, ties by lower index), at any range,
 * among those the player may see (hidden and other-team team-only entities are left out).
 * @param k - how many entities besides the player's own.
 */
export function nearestPolicy(k: number): PolicyFactory {
  return (rec: Recording): InterestPolicy => {
    const n = rec.entityCount
    const np = rec.players.length
    const lists = createMemberLists(np, n)
    const keys = new Float64Array(n - 1)
    const rules = createEntitlement(rec)
    // pack (quantized squared distance, index) into one float so a numeric sort orders both
    const idxBits = Math.ceil(Math.log2(n + 1))
    const scale = 2 ** idxBits
    const quantum = 1 / 256
    return {
      family: 'nearest',
      param: k,
      label: `nearest K=${k}`,
      shared: false,
      maxSetSize: k + 1,
      update(t) {
        const base = t * n
        for (let p = 0; p < np; p++) {
          const o = rec.players[p]!
          const ox = rec.x[base + o]!
          const oy = rec.y[base + o]!
          let m = 0
          for (let e = 0; e < n; e++) {
            if (e === o || rules.denied(o, e)) continue
            const dx = rec.x[base + e]! - ox
            const dy = rec.y[base + e]! - oy
            keys[m++] = Math.floor((dx * dx + dy * dy) / quantum) * scale + e
          }
          const sorted = keys.subarray(0, m).sort()
          const row = p * lists.stride
          lists.members[row] = o
          const take = Math.min(k, m)
          for (let i = 0; i < take; i++) lists.members[row + 1 + i] = sorted[i]! % scale
          lists.counts[p] = take + 1
        }
      },
      count: (p) => lists.counts[p]!,
      member: (p, i) => lists.members[p * lists.stride + i]!,
      observeInteractions() {},
      dispose() {},
    }
  }
}
