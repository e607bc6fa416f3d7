import { describe, expect, it } from 'vitest'
import { FAMILIES } from '../recall/families'
import { summarize } from '../recall/metrics'
import { oraclePolicy } from '../recall/oracle-scorer'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { replay } from '../recall/replay'
import { scheduleBound } from '../recall/schedule-bound'

// The engine's selection (hysteresis, bands, the plugin's entry budget) must let a scorer that ranks
// the clairvoyant schedule's pairs first hold nearly what the schedule holds: what the heads miss
// beyond that is the scorer's.
describe('a scorer that knows the future, through the engine', () => {
  for (const f of FAMILIES) {
    it(`should hold nearly what the clairvoyant schedule holds at K = 2 (${f.name}, short recording)`, () => {
      const rec = f.record(f.trainSeeds[0]!, true)
      const bound = scheduleBound(rec, 2)
      const boundMiss = 1 - bound.held / bound.interactions
      const heads = 1 - summarize(replay(rec, attentionPolicy(2), { measureBytes: false })).recall500
      const schedule = 1 - summarize(replay(rec, oraclePolicy(rec, 2, 20, 0.5, {}, 'schedule'), { measureBytes: false })).recall500
      expect(bound.interactions).toBeGreaterThan(10)
      // the heads miss some of these (otherwise the check says nothing)
      expect(heads).toBeGreaterThan(boundMiss + 0.05)
      expect(schedule).toBeLessThanOrEqual(boundMiss + 0.03)
    })
  }
})
