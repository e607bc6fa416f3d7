import { describe, expect, it } from 'vitest'
import { checkKeys, checkKind, checkObject, describeGiven } from '../../src/ecs/validate'

const KNOWN = ['radius', 'budget', 'fov', 'temperature', 'byteBudget']

describe('validate', () => {
  it('should accept an object whose keys are all known, and none at all', () => {
    expect(() => checkKeys('addObserver', { radius: 5, fov: 1 }, KNOWN)).not.toThrow()
    expect(() => checkKeys('addObserver', {}, KNOWN)).not.toThrow()
  })

  it('should name an unknown key and list the known ones, in a RangeError', () => {
    const unknown = () => checkKeys('addObserver', { radius: 5, colour: 'red' }, KNOWN)
    expect(unknown).toThrow(RangeError)
    expect(unknown).toThrow(/^colyseus-attention: addObserver has no option "colour"; its options are radius, budget, fov, temperature, byteBudget$/)
  })

  it('should suggest the known key for a case difference and for a one-letter typo', () => {
    expect(() => checkKeys('addObserver', { ByteBudget: 1 }, KNOWN)).toThrow('addObserver has no option "ByteBudget" (did you mean byteBudget?); its options are')
    expect(() => checkKeys('addObserver', { radus: 5 }, KNOWN)).toThrow('addObserver has no option "radus" (did you mean radius?); its options are')
    expect(() => checkKeys('addObserver', { budgte: 5 }, KNOWN)).toThrow('(did you mean budget?)')
    // a short key is allowed one edit only, since two reach almost any short key
    expect(() => checkKeys('addObserver', { fox: 1 }, KNOWN)).toThrow('(did you mean fov?)')
    expect(() => checkKeys('addObserver', { fx: 1 }, KNOWN)).toThrow(/has no option "fx"; its options/)
  })

  it('should suggest nothing for an unrelated key', () => {
    expect(() => checkKeys('addObserver', { speed: 1 }, KNOWN)).toThrow(/^colyseus-attention: addObserver has no option "speed"; its options are /)
  })

  it('should name the option holding a nested object, and call its keys keys', () => {
    const nested = () => checkKeys('createAttentionSystem', { enterScor: 0.5 }, ['enterScore', 'exitScore'], 'hysteresis')
    expect(nested).toThrow(RangeError)
    expect(nested).toThrow(/^colyseus-attention: createAttentionSystem option hysteresis has no key "enterScor" \(did you mean enterScore\?\); its keys are enterScore, exitScore$/)
  })

  it('should throw a TypeError for options that are not an object, saying what was given', () => {
    expect(() => checkObject('addObserver', { radius: 5 })).not.toThrow()
    expect(() => checkObject('addObserver', null)).toThrow(TypeError)
    expect(() => checkObject('addObserver', null)).toThrow('colyseus-attention: addObserver takes an options object; got null')
    expect(() => checkObject('addObserver', [1])).toThrow('addObserver takes an options object; got an array')
    expect(() => checkObject('addObserver', 'x')).toThrow('addObserver takes an options object; got "x" (a string)')
    expect(() => checkObject('createAttentionSystem', 5, 'bands')).toThrow('colyseus-attention: createAttentionSystem option bands takes an object; got 5 (a number)')
    expect(() => checkObject('createAttentionSystem', true, 'hysteresis', 'an object or false')).toThrow('createAttentionSystem option hysteresis takes an object or false; got true (a boolean)')
  })

  it('should say what was given, with its kind, where a boolean or a function belongs', () => {
    expect(() => checkKind('lockstep', true, 'boolean')).not.toThrow()
    expect(() => checkKind('now', Date.now, 'function')).not.toThrow()
    expect(() => checkKind('lockstep', 'yes', 'boolean')).toThrow(TypeError)
    expect(() => checkKind('lockstep', 'yes', 'boolean')).toThrow('colyseus-attention: lockstep must be true or false; got "yes" (a string)')
    expect(() => checkKind('now', 5, 'function')).toThrow('colyseus-attention: now must be a function; got 5 (a number)')
    expect([describeGiven({}), describeGiven(undefined), describeGiven(1n), describeGiven(() => 0)]).toEqual(['an object', 'undefined', '1n (a bigint)', 'a function'])
  })
})

