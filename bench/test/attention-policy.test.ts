import { describe, expect, it } from 'vitest'
import { hubFamily } from '../recall/families/index'
import { attentionPolicy } from '../recall/policies/attention-policy'
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

describe('attention-policy', () => {
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
