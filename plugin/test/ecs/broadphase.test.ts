import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { createBroadphase, linkAimers, queryCandidates, queryFarAimers, rebuildGrid } from '../../src/ecs/broadphase'
import { createDenseList, Has } from '../../src/ecs/entity-tracker'

describe('broadphase', () => {
  it('should find every entity within reach, never the observer nor one twice; fast ones from anywhere; aimers from afar', () => {
    let seed = 9
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const cap = 3000
    const c = createAttentionComponents(cap)
    const flags = new Uint16Array(cap)
    const positioned = createDenseList(cap)
    const aimers = createDenseList(cap)
    const slotOf = new Int32Array(cap).fill(-1)
    for (let e = 1; e < cap; e++) {
      flags[e] = Has.Position | Has.Velocity
      c.Position.x[e] = rnd() * 2000
      c.Position.y[e] = rnd() * 2000
      // one in fifty is fast: its look-ahead travel exceeds a cell, it goes to the wide list
      const v = rnd() < 0.02 ? 200 : 5
      c.Velocity.x[e] = (rnd() - 0.5) * v
      positioned.add(e)
      if (e % 97 === 0) {
        flags[e]! |= Has.Aim
        c.Aim.target[e] = 1 + (e % 10)
        aimers.add(e)
      }
    }
    for (let o = 1; o <= 10; o++) slotOf[o] = o - 1
    const bp = createBroadphase(cap, 25, c)
    rebuildGrid(bp, c, flags, positioned, 1, Float64Array.of(0.5))
    linkAimers(bp, c, aimers, slotOf)
    expect(bp.wideN).toBeGreaterThan(0)
    const observer = Float64Array.from([0, 0, 60, Infinity])
    const none = new Uint32Array(0)
    for (let o = 1; o <= 10; o++) {
      observer[0] = c.Position.x[o]!
      observer[1] = c.Position.y[o]!
      const n = queryCandidates(bp, c, flags, positioned, o, observer, 2, 3, none, 0, 0)
      expect(bp.narrowed).toBe(0)
      const found = Array.from(bp.found.subarray(0, n), (s) => bp.cols.eid[s]!)
      expect(new Set(found).size).toBe(n)
      expect(found).not.toContain(o)
      const got = new Set(found)
      for (let e = 1; e < cap; e++) {
        if (e === o) continue
        const dx = c.Position.x[e]! - observer[0]!, dy = c.Position.y[e]! - observer[1]!
        if (dx * dx + dy * dy <= 60 * 60) expect(got.has(e), `observer ${o} entity ${e}`).toBe(true)
      }
      for (let i = 0; i < bp.wideN; i++) if (bp.wide[i] !== o) expect(got.has(bp.wide[i]!)).toBe(true)
      const m = queryFarAimers(bp, c, flags, o, 1, n)
      const far = Array.from(bp.found.subarray(n, m), (s) => bp.cols.eid[s]!)
      for (let e = 97; e < cap; e += 97) {
        if (c.Aim.target[e] === o && e !== o) expect(got.has(e) || far.includes(e), `aimer ${e} of ${o}`).toBe(true)
      }
    }
  })

  it('should search within the bound only for entities a bounded write may skip, and add the members it leaves out', () => {
    let seed = 21
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const cap = 3000
    const c = createAttentionComponents(cap)
    const flags = new Uint16Array(cap)
    const positioned = createDenseList(cap)
    const exempt = new Set<number>()
    for (let e = 1; e < cap; e++) {
      flags[e] = Has.Position
      c.Position.x[e] = rnd() * 1000
      c.Position.y[e] = rnd() * 1000
      positioned.add(e)
      if (e % 13 === 0) {
        // salience (a nimbus within a cell: still on a grid) exempts an entity from the bound
        flags[e]! |= Has.Salience
        c.Salience.nimbus[e] = 10
        exempt.add(e)
      }
    }
    const bp = createBroadphase(cap, 25, c)
    rebuildGrid(bp, c, flags, positioned, 1, Float64Array.of(0.5))
    const observer = Float64Array.from([0, 0, 80, 30 * 30])
    for (let o = 1; o <= 20; o++) {
      observer[0] = c.Position.x[o]!
      observer[1] = c.Position.y[o]!
      // members: every entity at a multiple of 7 within 80 of the observer
      const near: number[] = []
      for (let e = 7; e < cap; e += 7) {
        const dx = c.Position.x[e]! - observer[0]!, dy = c.Position.y[e]! - observer[1]!
        if (dx * dx + dy * dy <= 80 * 80 && e !== o) near.push(e)
      }
      const members = Uint32Array.from(near)
      const n = queryCandidates(bp, c, flags, positioned, o, observer, 2, 3, members, 0, members.length)
      expect(bp.narrowed).toBe(1)
      const found = Array.from(bp.found.subarray(0, n), (s) => bp.cols.eid[s]!)
      expect(new Set(found).size).toBe(n)
      const got = new Set(found)
      for (let e = 1; e < cap; e++) {
        if (e === o) continue
        const dx = c.Position.x[e]! - observer[0]!, dy = c.Position.y[e]! - observer[1]!
        const d2 = dx * dx + dy * dy
        const want = d2 <= 30 * 30 || (d2 <= 80 * 80 && (exempt.has(e) || e % 7 === 0))
        if (want) expect(got.has(e), `observer ${o} entity ${e}`).toBe(true)
        // nothing beyond the bound but exempt entities and members
        if (got.has(e) && d2 > 31 * 31) expect(exempt.has(e) || e % 7 === 0, `observer ${o} entity ${e}`).toBe(true)
      }
      // the packed columns hold what the stores hold
      for (let k = 0; k < n; k++) {
        const s = bp.found[k]!
        const e = bp.cols.eid[s]!
        expect([bp.cols.x[s], bp.cols.y[s], bp.cols.flags[s]]).toEqual([c.Position.x[e], c.Position.y[e], flags[e]])
      }
    }
  })
})
