import { createEntitlement } from '../entitlement'
import type { Recording } from '../recording'
import { createMemberLists, type InterestPolicy, type PolicyFactory } from './interest-policy'

/**
 * Full state: every client gets every entity it may see (no interest management). Without hidden
 * or team-only entities all clients share one view; otherwise each gets its entitled entities.
 */
export function fullPolicy(): PolicyFactory {
  return (rec: Recording): InterestPolicy => {
    const n = rec.entityCount
    const rules = createEntitlement(rec)
    const base = { family: 'full' as const, param: 0, label: 'full state', maxSetSize: n, update() {}, observeInteractions() {}, dispose() {} }
    if (!rules.restricted) return { ...base, shared: true, count: () => n, member: (_p, i) => i }
    const np = rec.players.length
    const lists = createMemberLists(np, n)
    for (let p = 0; p < np; p++) {
      const o = rec.players[p]!
      let k = 0
      for (let e = 0; e < n; e++) if (e === o || !rules.denied(o, e)) lists.members[p * n + k++] = e
      lists.counts[p] = k
    }
    return { ...base, shared: false, count: (p) => lists.counts[p]!, member: (p, i) => lists.members[p * n + i]! }
  }
}
