import { describe, expect, it } from 'vitest'
import { createAttentionComponents, DEFAULT_BANDS, DEFAULT_BYTE_COSTS, DEFAULT_HYSTERESIS, DEFAULT_WEIGHTS, NO_HYSTERESIS } from '../../src/index'
import type { AttentionOptions } from '../../src/index'
import { MAX_TABLE_ENTRIES, resolveOptions } from '../../src/ecs/options'

const components = createAttentionComponents(8)
const DEFAULT_WEIGHTS_VECTOR = Object.values(DEFAULT_WEIGHTS)
const resolve = (o: Partial<AttentionOptions>) => resolveOptions({ components, ...o })

describe('options', () => {
  it('should take the default for an undefined option, nested keys included (a game fills them from its configuration)', () => {
    const r = resolve({ cellSize: undefined, weights: { distance: undefined, facing: 2 }, hysteresis: { enterScore: undefined }, bands: { high: undefined }, byteCosts: { low: undefined } })
    expect(r.cellSize).toBe(25)
    expect(r.weights).toEqual({ ...DEFAULT_WEIGHTS, facing: 2 })
    expect(r.hysteresis).toEqual(DEFAULT_HYSTERESIS)
    expect(r.bands).toEqual(DEFAULT_BANDS)
    expect(r.byteCosts).toEqual(DEFAULT_BYTE_COSTS)
  })

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
      [{ byteCosts: { settleRate: -1 } }, 'byteCosts.settleRate'],
      [{ byteCosts: { settleRate: 101 } }, 'byteCosts.settleRate'],
      [{ byteCosts: { settleSeconds: Number.NaN } }, 'byteCosts.settleSeconds'],
      [{ byteCosts: { settleSeconds: -1 } }, 'byteCosts.settleSeconds'],
      [{ byteCosts: { reopenSeconds: Number.NaN } }, 'byteCosts.reopenSeconds'],
      [{ byteCosts: { reopenSeconds: -0.5 } }, 'byteCosts.reopenSeconds'],
      [{ byteCosts: { reopenSeconds: Number.POSITIVE_INFINITY } }, 'byteCosts.reopenSeconds'],
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

  it('should refuse two options whose product sizes a table past 2^26 entries, naming both, their values, the product and the limit', () => {
    expect(MAX_TABLE_ENTRIES).toBe(2 ** 26)
    // capacity checked alone (the stores are never read here): a components object of a larger
    // capacity, without allocating its stores
    const big = { ...components, capacity: 1 << 24 }
    const bigShared = { ...createAttentionComponents(8, { shared: true }), capacity: 1 << 24 }
    const cases: [Partial<AttentionOptions>, string][] = [
      [{ maxObservers: 1 << 20, maxMembers: 65535 }, 'maxObservers x maxMembers must be at most 67108864 (the interest sets\' length, 32 bytes an entry); got 1048576 x 65535 = 68718428160: lower one of them'],
      [{ maxObservers: 1025, maxMembers: 65535 }, 'maxObservers x maxMembers must be at most 67108864 (the interest sets\' length, 32 bytes an entry); got 1025 x 65535 = 67173375'],
      [{ components: big, interactionSlots: 5 }, 'components.capacity x interactionSlots must be at most 67108864 (the interaction records\' length, 16 bytes an entry); got 16777216 x 5 = 83886080'],
      [{ components: big, interactionSlots: 64 }, 'components.capacity x interactionSlots must be at most 67108864 (the interaction records\' length, 16 bytes an entry); got 16777216 x 64 = 1073741824'],
      [{ components: bigShared, threads: 4 }, 'components.capacity x (threads + 1) must be at most 67108864 (the packed candidate columns\' length, 42 bytes an entry); got 16777216 x 5 = 83886080'],
    ]
    for (const [o, message] of cases) {
      expect(() => resolve(o), message).toThrow(RangeError)
      expect(() => resolve(o), message).toThrow(`colyseus-attention: ${message}`)
    }
    // at the limit: the largest maxMembers with the default maxObservers, the largest capacity
    // with the default interaction slots, and with three threads
    expect(resolve({ maxMembers: 65535 }).maxMembers).toBe(65535)
    expect(resolve({ maxObservers: 1 << 20, maxMembers: 64 }).maxObservers).toBe(1 << 20)
    expect(resolve({ components: big }).interactionSlots).toBe(4)
    expect(resolve({ components: bigShared, threads: 3 }).threads).toBe(3)
  })

  it('should reject a misspelled key, at the top level and inside weights, hysteresis, bands and byteCosts, naming it and the known ones', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ rescoreEvry: 4 }, 'createAttentionSystem has no option "rescoreEvry" (did you mean rescoreEvery?); its options are components, cellSize, lookahead, dt, speedScale, distanceFalloff, interactionHalfLife, weights, hysteresis, bands, byteCosts, scorer, maxObservers, maxMembers, interactionSlots, rescoreEvery, threads, pipelined, threadTimeoutMs'],
      [{ thread: 2 }, 'createAttentionSystem has no option "thread" (did you mean threads?); its options are components,'],
      [{ weights: { distanc: 1 } }, 'createAttentionSystem option weights has no key "distanc" (did you mean distance?); its keys are distance, facing, approach, recency, salience, mutual, team, aim'],
      [{ hysteresis: { enter: 0.5 } }, 'createAttentionSystem option hysteresis has no key "enter"; its keys are enterScore, exitScore, minOutTicks, swapMargin'],
      [{ bands: { hgh: 5 } }, 'createAttentionSystem option bands has no key "hgh" (did you mean high?); its keys are high, medium, margin'],
      [{ byteCosts: { Burst: 5 } }, 'createAttentionSystem option byteCosts has no key "Burst" (did you mean burst?); its keys are low, medium, high, enter, detailShare, still, burst, priceRate, settleRate, settleSeconds'],
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
    expect(() => resolve({ scorer: {} as never })).toThrow('scorer must have a score(features, rows, out) method; got an object')
    expect(() => resolve({ scorer: 'x' as never })).toThrow('scorer must have a score(features, rows, out) method; got "x" (a string)')
  })

  it('should throw a TypeError naming what is wrong with an options object or a components object that is not createAttentionComponents\'', () => {
    const from = 'options.components must come from createAttentionComponents(capacity)'
    const cases: [unknown, string][] = [
      [null, 'createAttentionSystem takes an options object; got null'],
      [5, 'createAttentionSystem takes an options object; got 5 (a number)'],
      [{}, `${from}; got undefined`],
      [{ components: 'C' }, `${from}; got "C" (a string)`],
      [{ components: { ...components, Observer: undefined } }, `${from}: its Observer is undefined`],
      [{ components: { ...components, Salience: { weight: components.Salience.weight } } }, `${from}: its Salience.nimbus must be a Float32Array; got undefined`],
      [{ components: { ...components, Team: { id: new Float32Array(8) } } }, `${from}: its Team.id must be a Uint16Array; got a Float32Array`],
      [{ components: { ...components, Hidden: undefined } }, `${from}: its Hidden (a tag component) is undefined`],
      [{ components: { ...components, capacity: 0 } }, `${from}: its capacity must be an integer in [1, 16777216]; got 0 (a number)`],
    ]
    for (const [o, message] of cases) {
      expect(() => resolveOptions(o as AttentionOptions), message).toThrow(TypeError)
      expect(() => resolveOptions(o as AttentionOptions), message).toThrow(`colyseus-attention: ${message}`)
    }
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
      [{ score, pairScores: { ...pair, residual: 'yes' } }, 'scorer.pairScores.residual must be true, false or absent; got "yes" (a string)'],
      [{ score, pairScores: { ...pair, attach: 5 } }, 'scorer.pairScores.attach must be a method or absent; got 5'],
    ]
    for (const [scorer, message] of cases) {
      expect(() => resolve({ scorer: scorer as never }), message).toThrow(TypeError)
      expect(() => resolve({ scorer: scorer as never }), message).toThrow(`colyseus-attention: ${message}`)
    }
    expect(() => resolve({ scorer: { score, scoreBatch: score, explainScore: () => null, pairScores: pair } })).not.toThrow()
    expect(() => resolve({ scorer: { score, pairScores: { ...pair, attach: score } } })).not.toThrow()
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
