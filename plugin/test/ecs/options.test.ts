import { describe, expect, it } from 'vitest'
import { createAttentionComponents, DEFAULT_BANDS, DEFAULT_HYSTERESIS, DEFAULT_WEIGHTS, NO_HYSTERESIS } from '../../src/index'
import type { AttentionOptions } from '../../src/index'
import { resolveOptions } from '../../src/ecs/options'

const components = createAttentionComponents(8)
const DEFAULT_WEIGHTS_VECTOR = Object.values(DEFAULT_WEIGHTS)
const resolve = (o: Partial<AttentionOptions>) => resolveOptions({ components, ...o })

describe('options', () => {
  it('should fill every default', () => {
    const r = resolve({})
    expect(r).toMatchObject({ cellSize: 25, lookahead: 0.5, dt: 0.05, speedScale: 10, interactionHalfLife: 3, maxObservers: 1024, maxMembers: 256, interactionSlots: 4, rescoreEvery: 1, scorer: null })
    expect(r.weights).toEqual(DEFAULT_WEIGHTS)
    expect(r.hysteresis).toEqual(DEFAULT_HYSTERESIS)
    expect(r.bands).toEqual(DEFAULT_BANDS)
    expect(DEFAULT_HYSTERESIS).toEqual({ enterScore: 0.3, exitScore: 0.1, minOutTicks: 5, swapMargin: 0.15 })
    expect(DEFAULT_BANDS).toEqual({ high: 3.5, medium: 2, margin: 0.25 })
  })

  it('should merge partial weights, hysteresis and bands over the defaults', () => {
    const r = resolve({ weights: { team: 3 }, hysteresis: { minOutTicks: 2 }, bands: { margin: 0 } })
    expect(r.weights).toEqual({ ...DEFAULT_WEIGHTS, team: 3 })
    expect(r.hysteresis).toEqual({ ...DEFAULT_HYSTERESIS, minOutTicks: 2 })
    expect(r.bands).toEqual({ ...DEFAULT_BANDS, margin: 0 })
  })

  it('should turn hysteresis off with false', () => {
    expect(resolve({ hysteresis: false }).hysteresis).toEqual(NO_HYSTERESIS)
  })

  it('should throw a RangeError naming each bad option', () => {
    const cases: [Partial<AttentionOptions>, string][] = [
      [{ cellSize: 0 }, 'cellSize'],
      [{ lookahead: -1 }, 'lookahead'],
      [{ lookahead: 61 }, 'lookahead'],
      [{ dt: 0 }, 'dt'],
      [{ speedScale: 0 }, 'speedScale'],
      [{ interactionHalfLife: -1 }, 'interactionHalfLife'],
      [{ weights: { distance: NaN } }, 'weights.distance'],
      [{ weights: { facing: 2e6 } }, 'weights.facing'],
      [{ weights: { speed: 1 } as never }, 'option weights has no key "speed"'],
      [{ hysteresis: { enterScore: 0.2, exitScore: 0.5 } }, 'hysteresis.exitScore'],
      [{ hysteresis: { minOutTicks: 1.5 } }, 'hysteresis.minOutTicks'],
      [{ hysteresis: { swapMargin: -1 } }, 'hysteresis.swapMargin'],
      [{ bands: { high: 0.5, medium: 1 } }, 'bands.high'],
      [{ bands: { margin: -0.1 } }, 'bands.margin'],
      [{ byteCosts: { low: 0 } }, 'byteCosts.low'],
      [{ byteCosts: { still: 2 } }, 'byteCosts.still'],
      [{ byteCosts: { burst: 0.5 } }, 'byteCosts.burst'],
      [{ byteCosts: { priceRate: -1 } }, 'byteCosts.priceRate'],
      [{ byteCosts: { priceRate: Number.NaN } }, 'byteCosts.priceRate'],
      [{ maxObservers: 0 }, 'maxObservers'],
      [{ maxMembers: 70000 }, 'maxMembers'],
      [{ interactionSlots: 0 }, 'interactionSlots'],
      [{ rescoreEvery: 0 }, 'rescoreEvery'],
      [{ rescoreEvery: 1.5 }, 'rescoreEvery'],
    ]
    for (const [o, name] of cases) {
      expect(() => resolve(o), name).toThrow(RangeError)
      expect(() => resolve(o), name).toThrow(name)
    }
  })

  it('should reject a misspelled key, at the top level and inside weights, hysteresis, bands and byteCosts, naming it and the known ones', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ rescoreEvry: 4 }, 'createAttentionSystem has no option "rescoreEvry" (did you mean rescoreEvery?); its options are components, cellSize, lookahead, dt, speedScale, distanceFalloff, interactionHalfLife, weights, hysteresis, bands, byteCosts, scorer, maxObservers, maxMembers, interactionSlots, rescoreEvery, threads, pipelined, threadTimeoutMs'],
      [{ thread: 2 }, 'createAttentionSystem has no option "thread" (did you mean threads?); its options are components,'],
      [{ weights: { distanc: 1 } }, 'createAttentionSystem option weights has no key "distanc" (did you mean distance?); its keys are distance, facing, approach, recency, salience, mutual, team, aim'],
      [{ hysteresis: { enter: 0.5 } }, 'createAttentionSystem option hysteresis has no key "enter"; its keys are enterScore, exitScore, minOutTicks, swapMargin'],
      [{ bands: { hgh: 5 } }, 'createAttentionSystem option bands has no key "hgh" (did you mean high?); its keys are high, medium, margin'],
      [{ byteCosts: { Burst: 5 } }, 'createAttentionSystem option byteCosts has no key "Burst" (did you mean burst?); its keys are low, medium, high, enter, detailShare, still, burst, priceRate'],
    ]
    for (const [o, message] of cases) {
      expect(() => resolve(o as Partial<AttentionOptions>), message).toThrow(RangeError)
      expect(() => resolve(o as Partial<AttentionOptions>), message).toThrow(`colyseus-attention: ${message}`)
    }
  })

  it('should throw a TypeError for an object option given something else, naming it and the value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ hysteresis: 'off' }, 'createAttentionSystem option hysteresis takes an object or false; got "off" (a string)'],
      [{ hysteresis: true }, 'createAttentionSystem option hysteresis takes an object or false; got true (a boolean)'],
      [{ bands: 'x' }, 'createAttentionSystem option bands takes an object; got "x" (a string)'],
      [{ byteCosts: 5 }, 'createAttentionSystem option byteCosts takes an object; got 5 (a number)'],
      [{ weights: [1, 2] }, 'createAttentionSystem option weights takes an object; got an array'],
      [{ pipelined: 'true' }, 'pipelined must be true or false; got "true"'],
    ]
    for (const [o, message] of cases) {
      expect(() => resolve(o as Partial<AttentionOptions>), message).toThrow(TypeError)
      expect(() => resolve(o as Partial<AttentionOptions>), message).toThrow(`colyseus-attention: ${message}`)
    }
    // absent (undefined or null) takes the default
    expect(resolve({ hysteresis: undefined, bands: null as never, byteCosts: undefined, weights: null as never }).hysteresis).toEqual(DEFAULT_HYSTERESIS)
  })

  it('should reject missing components and a scorer without score()', () => {
    expect(() => resolveOptions({} as AttentionOptions)).toThrow(TypeError)
    expect(() => resolve({ scorer: {} as never })).toThrow(/scorer/)
  })

  it('should reject at creation a scorer whose optional members the tick would call but cannot', () => {
    const score = (): void => {}
    const pair = { headWeights: DEFAULT_WEIGHTS_VECTOR, begin: () => null, load: score, end: score }
    const cases: [object, string][] = [
      [{ score, scoreBatch: 5 }, 'scorer.scoreBatch must be a method or absent; got 5'],
      [{ score, explainScore: 'x' }, 'scorer.explainScore must be a method or absent; got "x"'],
      [{ score, pairScores: 1 }, 'scorer.pairScores must be an object or absent; got 1'],
      [{ score, pairScores: {} }, 'scorer.pairScores.begin must be a method; got undefined'],
      [{ score, pairScores: { ...pair, load: undefined } }, 'scorer.pairScores.load must be a method; got undefined'],
      [{ score, pairScores: { ...pair, headWeights: undefined } }, 'scorer.pairScores.headWeights must be an array'],
    ]
    for (const [scorer, message] of cases) {
      expect(() => resolve({ scorer: scorer as never }), message).toThrow(TypeError)
      expect(() => resolve({ scorer: scorer as never }), message).toThrow(`colyseus-attention: ${message}`)
    }
    expect(() => resolve({ scorer: { score, scoreBatch: score, explainScore: () => null, pairScores: pair } })).not.toThrow()
  })

  it('should take the exported NO_HYSTERESIS as the hysteresis option, as hysteresis: false', () => {
    expect(resolve({ hysteresis: NO_HYSTERESIS }).hysteresis).toEqual(resolve({ hysteresis: false }).hysteresis)
    // -Infinity is "no threshold" for either score; any other non-finite value is refused
    expect(resolve({ hysteresis: { exitScore: -Infinity } }).hysteresis.exitScore).toBe(-Infinity)
    expect(() => resolve({ hysteresis: { enterScore: Infinity } })).toThrow('hysteresis.enterScore must be a finite number in [-1000000000, 1000000000]; got Infinity')
    expect(() => resolve({ hysteresis: { exitScore: NaN } })).toThrow('hysteresis.exitScore must be a finite number')
    expect(() => resolve({ hysteresis: { enterScore: -Infinity, exitScore: 0 } })).toThrow('hysteresis.exitScore may not exceed enterScore, so it must be -Infinity when enterScore is; got 0 (a number)')
  })
})
