import { describe, expect, it } from 'vitest'
import { createEntitlement } from '../recall/entitlement'
import { battleFamily, hubFamily } from '../recall/families/index'
import { summarize } from '../recall/metrics'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { fullPolicy } from '../recall/policies/full-policy'
import type { InterestPolicy, PolicyFactory } from '../recall/policies/interest-policy'
import { nearestPolicy } from '../recall/policies/nearest-policy'
import { radiusLodPolicy } from '../recall/policies/radius-lod-policy'
import { radiusPolicy } from '../recall/policies/radius-policy'
import type { Recording } from '../recall/recording'
import { replay } from '../recall/replay'

/** A careless policy: every entity to every player, hidden or not. */
function everything(): PolicyFactory {
  return (rec: Recording): InterestPolicy => ({
    family: 'full',
    param: 0,
    label: 'everything',
    shared: false,
    maxSetSize: rec.entityCount,
    update() {},
    count: () => rec.entityCount,
    member: (_p, i) => i,
    observeInteractions() {},
    dispose() {},
  })
}

describe('entitlement', () => {
  const hub = hubFamily.record(hubFamily.testSeeds[0]!, true)
  const battle = battleFamily.record(battleFamily.testSeeds[0]!, true)

  it('should deny hidden entities to all but their owner, and team-only ones to other teams', () => {
    const rules = createEntitlement(hub)
    const stash = hub.declared!.hidden!.indexOf(1)
    const owner = hub.declared!.owner![stash]!
    expect(rules.denied(owner, stash)).toBe(false)
    expect(rules.denied((owner + 1) % hub.players.length, stash)).toBe(true)
    const b = createEntitlement(battle)
    const scout = battle.declared!.teamOnly!.indexOf(1)
    const team = battle.declared!.team![scout]!
    const friend = [...battle.players].find((p) => battle.declared!.team![p] === team)!
    const foe = [...battle.players].find((p) => battle.declared!.team![p] !== team)!
    expect(b.denied(friend, scout)).toBe(false)
    expect(b.denied(foe, scout)).toBe(true)
  })

  it('should count a careless policy as violating, and every policy of the bench as not', () => {
    expect(summarize(replay(hub, everything(), { measureBytes: false })).entitlementViolations).toBeGreaterThan(0)
    for (const rec of [hub, battle]) {
      for (const f of [fullPolicy(), radiusPolicy(40), radiusLodPolicy(40), nearestPolicy(8), attentionPolicy(8)]) {
        expect(summarize(replay(rec, f, { measureBytes: false })).entitlementViolations).toBe(0)
      }
    }
  })

  it('should exclude denied entities from the viewport and from full state', () => {
    const full = summarize(replay(hub, fullPolicy(), { measureBytes: false }))
    expect(full.viewportCoverage).toBe(1)
    expect(full.meanSetSize).toBe(hub.entityCount - (hub.players.length - 1))
  })
})
