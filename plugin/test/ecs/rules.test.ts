import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import type { AttentionComponents } from '../../src/ecs/components'
import { Has } from '../../src/ecs/entity-tracker'
import { createCandidateColumns, packCandidate } from '../../src/ecs/broadphase'
import { createRowWriter, loadObserver, RowMode, writeCandidates } from '../../src/ecs/features'
import { DEFAULT_WEIGHTS } from '../../src/ecs/heads'
import { createInteractionStore } from '../../src/ecs/interactions'
import { explainRule, isDenied, markRuleRows, Rule, RULE_FLAGS, ruleOf } from '../../src/ecs/rules'

// Every combination of the flags and data the rules read, for two observers: one on team 5, one
// without a team. Candidates sit next to the observers, all in range.
const TEAM_OBSERVER = 1
const LONE_OBSERVER = 2

function world(): { c: AttentionComponents; flags: Uint16Array; candidates: number[] } {
  const c = createAttentionComponents(512)
  const flags = new Uint16Array(c.capacity)
  for (const o of [TEAM_OBSERVER, LONE_OBSERVER]) {
    flags[o] = Has.Position | Has.Observer
    c.Observer.radius[o] = 50
    c.Observer.fov[o] = 2 * Math.PI
  }
  flags[TEAM_OBSERVER]! |= Has.Team
  c.Team.id[TEAM_OBSERVER] = 5
  const candidates: number[] = []
  let e = 3
  for (let bits = 0; bits < 1 << 5; bits++) {
    for (const owner of [0, TEAM_OBSERVER, LONE_OBSERVER, 99]) {
      for (const team of [-1, 5, 6]) {
        let fl = Has.Position
        if (bits & 1) fl |= Has.Hidden
        if (bits & 2) fl |= Has.TeamOnly
        if (bits & 4) fl |= Has.AlwaysRelevant
        if (owner !== 0) {
          fl |= Has.Owner
          c.Owner.eid[e] = owner
        }
        if (team !== -1) {
          fl |= Has.Team
          c.Team.id[e] = team
        }
        flags[e] = fl
        c.Position.x[e] = 1
        candidates.push(e++)
      }
    }
  }
  return { c, flags, candidates }
}

describe('rules', () => {
  it('should match the row writer\'s inline visibility test for every flag combination', () => {
    const { c, flags, candidates } = world()
    const cols = createCandidateColumns(candidates.length)
    candidates.forEach((e, s) => packCandidate(cols, c, flags, e, s))
    const writer = createRowWriter(c, flags, new Uint32Array(c.capacity), createInteractionStore(c.capacity, 4), { lookahead: 0.5, speedScale: 10, distanceFalloff: 25, halfLivesPerTick: 0.01 }, { ...DEFAULT_WEIGHTS }, cols)
    const cands = Uint32Array.from(candidates, (_, s) => s)
    const rowEid = new Uint32Array(cands.length)
    for (const o of [TEAM_OBSERVER, LONE_OBSERVER]) {
      loadObserver(writer, o)
      const n = writeCandidates(writer, cands, cands.length, rowEid, 0, 1, RowMode.Fused, new Float32Array(0), new Float32Array(cands.length))
      const written = new Set(rowEid.subarray(0, n))
      const expected = candidates.filter((e) => !isDenied(c, flags, o, e))
      expect([...written].sort((a, b) => a - b)).toEqual(expected)
      // the combinations cover both outcomes
      expect(expected.length).toBeGreaterThan(0)
      expect(expected.length).toBeLessThan(candidates.length)
    }
  })

  it('should deny hidden and other-team team-only entities, never to their owner', () => {
    const { c, flags } = world()
    const e = 400
    flags[e] = Has.Position | Has.Hidden
    expect(isDenied(c, flags, TEAM_OBSERVER, e)).toBe(true)
    flags[e]! |= Has.Owner
    c.Owner.eid[e] = TEAM_OBSERVER
    expect(isDenied(c, flags, TEAM_OBSERVER, e)).toBe(false)
    flags[e] = Has.Position | Has.TeamOnly | Has.Team
    c.Team.id[e] = 5
    expect(isDenied(c, flags, TEAM_OBSERVER, e)).toBe(false)
    expect(isDenied(c, flags, LONE_OBSERVER, e)).toBe(true)
    c.Team.id[e] = 6
    expect(isDenied(c, flags, TEAM_OBSERVER, e)).toBe(true)
  })

  it('should give no rule to an entity without a rule flag, so the loops may skip the call', () => {
    const { c, flags, candidates } = world()
    for (const o of [TEAM_OBSERVER, LONE_OBSERVER]) {
      expect(ruleOf(c, flags, o, o)).toBe(Rule.Self)
      for (const e of candidates) {
        const rule = ruleOf(c, flags, o, e)
        if ((flags[e]! & RULE_FLAGS) === 0) expect(rule).toBe(Rule.None)
        if ((flags[e]! & Has.Owner) !== 0 && c.Owner.eid[e] === o) expect(rule).toBe(Rule.Owned)
        else if ((flags[e]! & Has.AlwaysRelevant) !== 0) expect(rule).toBe(isDenied(c, flags, o, e) ? Rule.None : Rule.Always)
        else expect(rule).toBe(Rule.None)
      }
    }
  })

  it('should mark each row with its rule', () => {
    const { c, flags, candidates } = world()
    const rows = Uint32Array.from(candidates.filter((e) => !isDenied(c, flags, TEAM_OBSERVER, e)))
    const rowRule = new Uint8Array(rows.length).fill(255)
    markRuleRows(c, flags, TEAM_OBSERVER, rows, rowRule, 0, rows.length)
    rows.forEach((e, r) => expect(rowRule[r]).toBe(ruleOf(c, flags, TEAM_OBSERVER, e)))
  })

  it('should name the same rule for explain', () => {
    const { c, flags, candidates } = world()
    const o = TEAM_OBSERVER
    expect(explainRule(c, flags, o, o)).toBe('self')
    expect(explainRule(c, flags, o, 450)).toBe('not-attendable')
    expect(explainRule(c, flags, o, 1e6)).toBe('not-attendable')
    for (const e of candidates) {
      const name = explainRule(c, flags, o, e)
      const rule = ruleOf(c, flags, o, e)
      if (rule === Rule.Owned) expect(name).toBe('owned')
      else if (rule === Rule.Always) expect(name).toBe('always-relevant')
      else if (isDenied(c, flags, o, e)) expect(name).toBe((flags[e]! & Has.Hidden) !== 0 ? 'hidden' : 'other-team')
      else expect(name).toBeNull()
    }
  })
})
