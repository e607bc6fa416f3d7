import { createEntitlement } from '../entitlement'
import type { Recording } from '../recording'
import { createMemberLists, type InterestPolicy, type PolicyFactory } from './interest-policy'

/**
 * The classic area of interest: every entity within `radius` of the player (2D distance) that the
 * player may see (hidden and other-team team-only entities are left out, as a careful game does).
 * @param radius - the AOI radius in world units.
 */
export function radiusPolicy(radius: number): PolicyFactory {
  return (rec: Recording): InterestPolicy => {
    const n = rec.entityCount
    const np = rec.players.length
    const lists = createMemberLists(np, n)
    const r2 = radius * radius
    const rules = createEntitlement(rec)
    return {
      family: 'radius',
      param: radius,
      label: `radius R=${radius}`,
      shared: false,
      maxSetSize: Infinity,
      update(t) {
        const base = t * n
        for (let p = 0; p < np; p++) {
          const o = rec.players[p]!
          const ox = rec.x[base + o]!
          const oy = rec.y[base + o]!
          let k = 0
          const row = p * lists.stride
          for (let e = 0; e < n; e++) {
            const dx = rec.x[base + e]! - ox
            const dy = rec.y[base + e]! - oy
            if (e === o || (dx * dx + dy * dy <= r2 && !rules.denied(o, e))) lists.members[row + k++] = e
          }
          lists.counts[p] = k
        }
      },
      count: (p) => lists.counts[p]!,
      member: (p, i) => lists.members[p * lists.stride + i]!,
      observeInteractions() {},
      dispose() {},
    }
  }
}
