import { describe, expect, it } from 'vitest'
import { addEntity, createWorld, hasComponent } from 'bitecs'
import { addObserver, addSalience, createAttentionComponents, setAimTarget, setFacingAngle, setOwner } from '../../src/index'

describe('components', () => {
  it('should size every store by capacity', () => {
    const C = createAttentionComponents(100)
    expect(C.capacity).toBe(100)
    for (const store of [C.Position.x, C.Velocity.y, C.Facing.z, C.Observer.radius, C.Observer.budget, C.Salience.nimbus, C.Team.id, C.Owner.eid]) {
      expect(store.length).toBe(100)
    }
  })

  it('should reject a capacity that is not an integer in [1, 2^24]', () => {
    for (const bad of [0, -1, 1.5, NaN, 2 ** 24 + 1]) {
      expect(() => createAttentionComponents(bad)).toThrow(/capacity/)
      expect(() => createAttentionComponents(bad)).toThrow(RangeError)
    }
  })

  it('should add an observer with the documented defaults', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const e = addEntity(world)
    addObserver(world, C, e)
    expect(hasComponent(world, e, C.Observer)).toBe(true)
    expect(C.Observer.radius[e]).toBe(50)
    expect(C.Observer.budget[e]).toBe(32)
    expect(C.Observer.fov[e]).toBeCloseTo((2 * Math.PI) / 3, 6)
    expect(C.Observer.temperature[e]).toBe(1)
  })

  it('should name the bad observer field and leave the entity without Observer', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const e = addEntity(world)
    const cases: [object, RegExp][] = [
      [{ radius: 0 }, /Observer\.radius/],
      [{ radius: Infinity }, /Observer\.radius/],
      [{ temperature: Infinity }, /Observer\.temperature/],
      [{ budget: 0 }, /Observer\.budget/],
      [{ budget: 2.5 }, /Observer\.budget/],
      [{ budget: 65536 }, /Observer\.budget/],
      [{ fov: -0.1 }, /Observer\.fov/],
      [{ fov: 7 }, /Observer\.fov/],
      [{ temperature: 0 }, /Observer\.temperature/],
      [{ temperature: NaN }, /Observer\.temperature/],
    ]
    for (const [opts, re] of cases) {
      expect(() => addObserver(world, C, e, opts), JSON.stringify(opts)).toThrow(re)
      expect(() => addObserver(world, C, e, opts), JSON.stringify(opts)).toThrow(RangeError)
    }
    expect(hasComponent(world, e, C.Observer)).toBe(false)
    expect(() => addObserver(world, C, 16)).toThrow(/entity id/)
  })

  it('should validate salience weight and nimbus', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const e = addEntity(world)
    expect(() => addSalience(world, C, e, 1.5)).toThrow(/Salience\.weight/)
    expect(() => addSalience(world, C, e, -0.1)).toThrow(/Salience\.weight/)
    expect(() => addSalience(world, C, e, 0.5, -1)).toThrow(/Salience\.nimbus/)
    // finite, but float32 stores it as Infinity
    expect(() => addSalience(world, C, e, 0.5, 1e39)).toThrow('Salience.nimbus must be a finite number in [0, 3.4e+38]; got 1e+39')
    expect(hasComponent(world, e, C.Salience)).toBe(false)
    addSalience(world, C, e, 0.75, 80)
    expect(hasComponent(world, e, C.Salience)).toBe(true)
    expect(C.Salience.weight[e]).toBe(0.75)
    expect(C.Salience.nimbus[e]).toBe(80)
  })

  it('should set a unit facing in the x/y plane from an angle', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const e = addEntity(world)
    setFacingAngle(world, C, e, Math.PI / 2)
    expect(hasComponent(world, e, C.Facing)).toBe(true)
    expect(C.Facing.x[e]).toBeCloseTo(0, 6)
    expect(C.Facing.y[e]).toBeCloseTo(1, 6)
    expect(C.Facing.z[e]).toBe(0)
  })

  it('should refuse an option that is not one (a misspelling would be ignored) and options that are no object', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const e = addEntity(world)
    expect(() => addObserver(world, C, e, { radus: 5 } as never)).toThrow(RangeError)
    expect(() => addObserver(world, C, e, { radus: 5 } as never)).toThrow('colyseus-attention: addObserver has no option "radus" (did you mean radius?); its options are radius, budget, fov, temperature, byteBudget')
    expect(() => addObserver(world, C, e, null as never)).toThrow('colyseus-attention: addObserver takes an options object; got null')
    expect(hasComponent(world, e, C.Observer)).toBe(false)
    expect(() => createAttentionComponents(16, { share: true } as never)).toThrow('colyseus-attention: createAttentionComponents has no option "share" (did you mean shared?); its options are shared')
  })

  it('should refuse a facing angle that is not a finite number, and ids beyond capacity in every helper', () => {
    const world = createWorld()
    const C = createAttentionComponents(4)
    const e = addEntity(world)
    for (const bad of [NaN, Infinity, '1']) {
      expect(() => setFacingAngle(world, C, e, bad as number)).toThrow(RangeError)
      expect(() => setFacingAngle(world, C, e, bad as number)).toThrow("colyseus-attention: setFacingAngle's angle must be a finite number of radians")
    }
    expect(hasComponent(world, e, C.Facing)).toBe(false)
    for (let i = 0; i < 8; i++) addEntity(world)
    expect(() => setFacingAngle(world, C, 6, 0)).toThrow("setFacingAngle's entity id (capacity 4) must be an integer in [0, 3]; got 6")
    expect(() => addSalience(world, C, 6, 0.5)).toThrow("addSalience's entity id (capacity 4) must be an integer in [0, 3]; got 6")
    expect(() => addObserver(world, C, 4)).toThrow("addObserver's entity id (capacity 4) must be an integer in [0, 3]; got 4")
  })

  it('should throw a TypeError naming the argument when a helper is given no world or no components', () => {
    const world = createWorld()
    const C = createAttentionComponents(4)
    const e = addEntity(world)
    const helpers = {
      addObserver: (w: unknown, c: unknown) => addObserver(w as never, c as never, e),
      addSalience: (w: unknown, c: unknown) => addSalience(w as never, c as never, e, 0.5),
      setFacingAngle: (w: unknown, c: unknown) => setFacingAngle(w as never, c as never, e, 0),
      setOwner: (w: unknown, c: unknown) => setOwner(w as never, c as never, e, e),
      setAimTarget: (w: unknown, c: unknown) => setAimTarget(w as never, c as never, e, e),
    }
    for (const [name, call] of Object.entries(helpers)) {
      for (const [w, given] of [[null, 'null'], [undefined, 'undefined'], [C, 'an object']] as const) {
        expect(() => call(w, C), `${name}(${given})`).toThrow(TypeError)
        expect(() => call(w, C), `${name}(${given})`).toThrow(`colyseus-attention: ${name}(world, C, ...) takes a bitECS world (from createWorld()) as its first argument; got ${given}`)
      }
      for (const [c, given] of [[null, 'null'], [world, 'an object'], [5, '5 (a number)']] as const) {
        expect(() => call(world, c), `${name}(world, ${given})`).toThrow(TypeError)
        expect(() => call(world, c), `${name}(world, ${given})`).toThrow(
          `colyseus-attention: ${name}(world, C, ...) takes the components (from createAttentionComponents(capacity)) as its second argument; got ${given}`,
        )
      }
      expect(() => call(world, C), name).not.toThrow()
    }
    expect(hasComponent(world, e, C.Observer)).toBe(true)
  })
})
