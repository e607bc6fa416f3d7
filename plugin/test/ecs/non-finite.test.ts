import { afterEach, describe, expect, it, vi } from 'vitest'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, addSalience, createAttentionComponents, createAttentionSystem, setFacingAngle } from '../../src/index'

// A game's physics can write NaN (a zero vector normalised) or an infinity into a component the
// engine reads. Such a value must cost only that entity's own heads, never another entity's place in
// a set: a NaN score would sit at the top of a top-K heap (no comparison replaces it) and a NaN
// member would never leave by score.

function scene() {
  const world = createWorld()
  const C = createAttentionComponents(64)
  const sys = createAttentionSystem(world, { components: C })
  const at = (x: number, y: number): number => {
    const e = addEntity(world)
    C.Position.x[e] = x
    C.Position.y[e] = y
    addComponent(world, e, C.Position)
    return e
  }
  const moving = (x: number, y: number, vx: number, vy: number): number => {
    const e = at(x, y)
    C.Velocity.x[e] = vx
    C.Velocity.y[e] = vy
    addComponent(world, e, C.Velocity)
    return e
  }
  const members = (o: number): number[] => {
    const out: number[] = []
    for (let i = 0; i < sys.memberCount(o); i++) out.push(sys.memberAt(o, i))
    return out.sort((a, b) => a - b)
  }
  const scores = (o: number): number[] => {
    const out: number[] = []
    for (let i = 0; i < sys.memberCount(o); i++) if (sys.memberAt(o, i) !== o) out.push(sys.scoreAt(o, i))
    return out
  }
  return { world, C, sys, at, moving, members, scores, tick: () => sys(world) }
}

let errors: string[] = []
afterEach(() => {
  vi.restoreAllMocks()
  errors = []
})
const spyErrors = (): void => {
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args.map(String).join(' '))
  })
}

describe('values that are not finite', () => {
  it('should not let a candidate with a NaN velocity take a place it cannot hold', () => {
    spyErrors()
    const s = scene()
    const o = s.at(0, 0)
    addObserver(s.world, s.C, o, { radius: 20, budget: 1 })
    const broken = s.moving(3, 0, Number.NaN, 0)
    const near = s.at(1, 0)
    s.tick()
    // budget 1 (self is a rule member besides): the valid nearer candidate wins (it used to be self alone)
    expect(s.members(o)).toEqual([o, near])
    // with room for both, the broken one is in, scored as if it stood still
    s.C.Observer.budget[o] = 2
    s.tick()
    expect(s.members(o)).toEqual([o, broken, near].sort((a, b) => a - b))
    for (const v of s.scores(o)) expect(Number.isFinite(v)).toBe(true)
  })

  it('should fill a set around a few broken candidates, and let a broken member leave', () => {
    spyErrors()
    const s = scene()
    const o = s.at(0, 0)
    addObserver(s.world, s.C, o, { radius: 30, budget: 5 })
    const broken: number[] = []
    for (let k = 0; k < 3; k++) broken.push(s.moving(2 + k, 1, Number.NaN, Number.NaN))
    const others: number[] = []
    for (let k = 0; k < 7; k++) others.push(s.at(5 + 2 * k, -1))
    for (let t = 0; t < 3; t++) s.tick()
    expect(s.sys.memberCount(o)).toBe(6)
    // the nearest three, scored as if they stood still
    for (const b of broken) expect(s.members(o)).toContain(b)
    for (const v of s.scores(o)) expect(Number.isFinite(v)).toBe(true)
    // a broken member far out of range leaves like any other
    s.C.Position.x[broken[0]!] = 500
    for (let t = 0; t < 3; t++) s.tick()
    expect(s.members(o)).not.toContain(broken[0])
    expect(s.sys.memberCount(o)).toBe(6)
  })

  it('should let an observer with a NaN velocity or facing see its neighbours', () => {
    spyErrors()
    const s = scene()
    const o = s.moving(0, 0, Number.NaN, Number.NaN)
    addObserver(s.world, s.C, o, { radius: 20, budget: 4 })
    setFacingAngle(s.world, s.C, o, 0)
    s.C.Facing.x[o] = Number.NaN
    const a = s.at(2, 0)
    const b = s.at(-4, 3)
    s.tick()
    expect(s.members(o)).toEqual([o, a, b].sort((x, y) => x - y))
    for (const v of s.scores(o)) expect(Number.isFinite(v)).toBe(true)
  })

  it('should score a NaN salience weight as 0', () => {
    spyErrors()
    const s = scene()
    const o = s.at(0, 0)
    addObserver(s.world, s.C, o, { radius: 20, budget: 1 })
    const loud = s.at(5, 0)
    addSalience(s.world, s.C, loud, 1)
    s.C.Salience.weight[loud] = Number.NaN
    const near = s.at(1, 0)
    s.tick()
    expect(s.members(o)).toEqual([o, near])
    const why = s.sys.explain(o, loud)
    expect(Number.isFinite(why.score)).toBe(true)
    expect(why.heads.find((h) => h.name === 'salience')?.feature).toBe(0)
  })

  it('should read a nimbus that is not finite as none (0), never as reaching every observer, and report it once', () => {
    spyErrors()
    const s = scene()
    const o = s.at(0, 0)
    addObserver(s.world, s.C, o, { radius: 20, budget: 4 })
    // a far entity whose nimbus is written Infinity after addSalience checked it, a far one with a
    // NaN nimbus, and a near one with each: scored as if they had none
    const far = s.at(500, 0)
    addSalience(s.world, s.C, far, 0.5, 10)
    const farNaN = s.at(-500, 0)
    addSalience(s.world, s.C, farNaN, 0.5, 10)
    const near = s.at(5, 0)
    addSalience(s.world, s.C, near, 0.5, 10)
    const plain = s.at(0, 5)
    addSalience(s.world, s.C, plain, 0.5)
    // a large finite nimbus still reaches from afar (addSalience takes any finite value)
    const beacon = s.at(0, -400)
    addSalience(s.world, s.C, beacon, 0.5, 1000)
    s.tick()
    expect(errors).toEqual([])
    s.C.Salience.nimbus[far] = Infinity
    s.C.Salience.nimbus[farNaN] = Number.NaN
    s.C.Salience.nimbus[near] = Infinity
    for (let t = 0; t < 3; t++) s.tick()
    expect(s.members(o)).toEqual([o, near, plain, beacon].sort((a, b) => a - b))
    // the near one's distance head as with no nimbus: that of the entity at the same distance
    const heads = (e: number) => s.sys.explain(o, e).heads.find((h) => h.name === 'distance')!.feature
    expect(heads(near)).toBe(heads(plain))
    expect(heads(near)).toBeLessThan(1)
    for (const v of s.scores(o)) expect(Number.isFinite(v)).toBe(true)
    expect(s.sys.explain(o, far).rule).toBe('out-of-range')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(new RegExp(`^colyseus-attention: entity (${far}|${farNaN}|${near}) has a Salience\\.nimbus \\((Infinity|NaN)\\) that is not finite\\.`))
    expect(errors[0]).toContain('a nimbus as none (0)')
    expect(errors[0]).toContain('Reported once')
  })

  it('should report the first entity with a value that is not finite once, naming the component', () => {
    spyErrors()
    const s = scene()
    const o = s.at(0, 0)
    addObserver(s.world, s.C, o, { radius: 20, budget: 4 })
    s.at(1, 0)
    s.tick()
    expect(errors).toEqual([])
    const broken = s.moving(3, 0, Number.NaN, 0)
    const lost = s.at(Number.NaN, 2)
    for (let t = 0; t < 5; t++) s.tick()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(new RegExp(`entity (${broken} has a Velocity \\(NaN, 0, 0\\)|${lost} has a Position \\(NaN, 2, 0\\)) that is not finite`))
    expect(errors[0]).toContain('Reported once')
    expect(s.members(o)).not.toContain(lost)
  })
})
