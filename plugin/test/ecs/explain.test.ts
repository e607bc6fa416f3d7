import { afterEach, describe, expect, it, vi } from 'vitest'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem } from '../../src/index'

// explain() must tell the truth about an observer that cannot see, and read as a sentence.

function setup() {
  const world = createWorld()
  const C = createAttentionComponents(64)
  const sys = createAttentionSystem(world, { components: C, hysteresis: false })
  const at = (x: number): number => {
    const e = addEntity(world)
    addComponent(world, e, C.Position)
    C.Position.x[e] = x
    return e
  }
  return { world, C, sys, at }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('explain', () => {
  it('should say "in" and "not in" the set, with a rank a reader can use', () => {
    const { world, C, sys, at } = setup()
    const o = at(0)
    addObserver(world, C, o, { radius: 50, budget: 1, fov: 2 * Math.PI })
    const near = at(5)
    const farther = at(30)
    sys(world)
    const inSet = sys.explain(o, near)
    expect(inSet.summary).toMatch(new RegExp(`^entity ${near} is in observer ${o}'s set: score -?\\d+\\.\\d{3}, rank 1 of 2 candidates \\(budget 1,`))
    const out = sys.explain(o, farther)
    expect(out.summary).toMatch(new RegExp(`^entity ${farther} is not in observer ${o}'s set: score -?\\d+\\.\\d{3}, rank 2 of 2 candidates`))
    expect(sys.explain(o, at(500)).summary).toMatch(/is not in observer \d+'s set: rule: out-of-range$/)
  })

  it('should blame an observer without Position, once per system, and not call its entities out of range', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { world, C, sys, at } = setup()
    const o = addEntity(world)
    addObserver(world, C, o, { radius: 50 })
    const e = at(5)
    for (let k = 0; k < 5; k++) sys(world)
    expect(sys.memberCount(o)).toBe(0)
    const x = sys.explain(o, e)
    expect(x.rule).toBeNull()
    expect(x.summary).toBe(`entity ${e} is not in observer ${o}'s set: observer ${o} has no Position (it sees nothing)`)
    const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('has no Position'))
    expect(said).toEqual([expect.stringMatching(new RegExp(`observer ${o} has no Position.*addComponent\\(world, ${o}, C\\.Position\\)`))])
  })

  it('should say that an entity which is not an observer sees nothing', () => {
    const { world, sys, at } = setup()
    const a = at(0)
    const b = at(5)
    sys(world)
    expect(sys.explain(a, b).summary).toBe(`entity ${b} is not in observer ${a}'s set: ${a} is not an observer (it has no Observer component: addObserver)`)
  })
})
