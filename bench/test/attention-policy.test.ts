import { describe, expect, it } from 'vitest'
import { hubFamily } from '../recall/families/index'
import { attentionPolicy, BYTE_BUDGET_CAP, byteBudgetPolicy } from '../recall/policies/attention-policy'
import { Kind, type Recording } from '../recall/recording'

/** A player at the origin and a sniper 140 units away that aims at it from `aimFrom` on (when declared). */
function sniperRecording(ticks: number, aimFrom: number, declare: boolean): Recording {
  const n = 2
  const z = (): Float32Array => new Float32Array(ticks * n)
  const rec: Recording = {
    dt: 0.05,
    ticks,
    entityCount: n,
    worldSize: 400,
    seed: 1,
    kind: Uint8Array.from([Kind.Player, Kind.Sniper]),
    players: Int32Array.from([0]),
    x: z(),
    y: z(),
    vx: z(),
    vy: z(),
    angle: z(),
    interactions: { count: 0, tick: new Int32Array(0), a: new Int32Array(0), b: new Int32Array(0), kind: new Uint8Array(0) },
    spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
  }
  for (let t = 0; t < ticks; t++) {
    rec.x[t * n + 1] = 140
    rec.angle[t * n + 1] = Math.PI
  }
  if (declare) {
    const target = new Int32Array(ticks * n).fill(-1)
    for (let t = aimFrom; t < ticks; t++) target[t * n + 1] = 0
    rec.declared = { target }
  }
  return rec
}

const holds = (rec: Recording, t: number, p: number, e: number, budget = 4): boolean => {
  const pol = attentionPolicy(budget)(rec)
  let found = false
  for (let k = 0; k <= t; k++) pol.update(k)
  for (let i = 0; i < pol.count(p); i++) if (pol.member(p, i) === e) found = true
  pol.dispose()
  return found
}

/** A player at the origin facing +x and `count` still entities in a row from `firstAt` units out, `step` apart; the recording's view radius `view`. */
function rowRecording(ticks: number, count: number, view: number, firstAt: number, step: number): Recording {
  const n = count + 1
  const z = (): Float32Array => new Float32Array(ticks * n)
  const kind = new Uint8Array(n).fill(Kind.Wanderer)
  kind[0] = Kind.Player
  const rec: Recording = {
    dt: 0.05, ticks, entityCount: n, worldSize: 400, seed: 1, kind, viewRadius: view,
    players: Int32Array.from([0]), x: z(), y: z(), vx: z(), vy: z(), angle: z(),
    interactions: { count: 0, tick: new Int32Array(0), a: new Int32Array(0), b: new Int32Array(0), kind: new Uint8Array(0) },
    spawns: { count: 0, tick: new Int32Array(0), entity: new Int32Array(0) },
  }
  for (let t = 0; t < ticks; t++) for (let i = 1; i < n; i++) rec.x[t * n + i] = firstAt + (i - 1) * step
  return rec
}

describe('attention-policy', () => {
  it('should judge byte budgets at the view radius with K = BYTE_BUDGET_CAP as the cap: a crowd past 256 and the screen past 50 units are held', () => {
    const members = (rec: Recording, budget: number, ticks: number): number => {
      const pol = byteBudgetPolicy(budget)(rec)
      for (let t = 0; t < ticks; t++) pol.update(t)
      const c = pol.count(0)
      expect(pol.label).toBe(`attention B=${budget} K<=${BYTE_BUDGET_CAP}`)
      pol.dispose()
      return c
    }
    // 300 entities within 47 units: all of them (and the player) with a budget that pays for them
    expect(members(rowRecording(5, 300, 65, 2, 0.15), 1e6, 5)).toBe(301)
    // the same crowd at count budget 256 (the engine's default maxMembers): cut at 256
    const capped = attentionPolicy(256, { byteBudget: 1e6 })(rowRecording(5, 300, 65, 2, 0.15))
    for (let t = 0; t < 5; t++) capped.update(t)
    expect(capped.count(0)).toBe(257)
    capped.dispose()
    // entities 55 to 75 units out: held with a view radius of 80, not with one of 50 (the radius follows the view)
    expect(members(rowRecording(5, 21, 80, 55, 1), 1e6, 5)).toBe(22)
    expect(members(rowRecording(5, 21, 50, 55, 1), 1e6, 5)).toBe(1)
  })

  it('should declare an aimer to the engine (Aim.target), so that its target notices it from beyond the radius', () => {
    expect(holds(sniperRecording(40, 10, false), 30, 0, 1)).toBe(false)
    expect(holds(sniperRecording(40, 10, true), 5, 0, 1)).toBe(false)
    expect(holds(sniperRecording(40, 10, true), 30, 0, 1)).toBe(true)
  })

  it('should declare owners and hidden entities: a player always holds its own stash, never another player\'s', () => {
    const rec = hubFamily.record(hubFamily.testSeeds[0]!, true)
    const pol = attentionPolicy(2)(rec)
    const owner = rec.declared!.owner!
    for (let t = 0; t < 60; t++) {
      pol.update(t)
      for (let p = 0; p < rec.players.length; p++) {
        const stashes: number[] = []
        for (let i = 0; i < pol.count(p); i++) if (rec.kind[pol.member(p, i)] === Kind.Stash) stashes.push(pol.member(p, i))
        expect(stashes.map((s) => owner[s])).toEqual([p])
      }
    }
    pol.dispose()
  })
})
