import { describe, expect, it } from 'vitest'
import { Band, chargeDetail, createDetailAccount, DEFAULT_BANDS, DEFAULT_BYTE_COSTS, detailBand, memberBand, openDetailAccount, rawBand } from '../../src/ecs/bands'
import { Rule } from '../../src/ecs/rules'
import { expectedBand } from '../support/brute-force'

const b = DEFAULT_BANDS // high 3.5, medium 2, margin 0.25
const at = (...scores: number[]): Float32Array => Float32Array.from(scores)

describe('bands', () => {
  it('should band a score by the thresholds it reaches, Low when unscored or NaN', () => {
    expect(rawBand(at(1.99, 2, 3.49, 3.5, NaN), 0, b)).toBe(Band.Low)
    expect(rawBand(at(1.99, 2), 1, b)).toBe(Band.Medium)
    expect(rawBand(at(0, 0, 3.49), 2, b)).toBe(Band.Medium)
    expect(rawBand(at(0, 0, 0, 3.5), 3, b)).toBe(Band.High)
    expect(rawBand(at(NaN), 0, b)).toBe(Band.Low)
    expect(rawBand(at(9), -1, b)).toBe(Band.Low)
  })

  it('should keep self and owned members High and leave a NaN or unscored member Low', () => {
    expect(memberBand(Band.Low, Rule.Self, at(-5), 0, b)).toBe(Band.High)
    expect(memberBand(Band.Low, Rule.Owned, at(0), -1, b)).toBe(Band.High)
    expect(memberBand(Band.High, Rule.Always, at(9), -1, b)).toBe(Band.Low)
    expect(memberBand(Band.High, Rule.None, at(NaN), 0, b)).toBe(Band.Low)
  })

  it('should follow the band hysteresis of the spec (the oracle\'s expectedBand)', () => {
    const scores = new Float32Array(1)
    for (let i = 0; i <= 500; i++) {
      scores[0] = -1 + i * 0.012
      const s = scores[0]!
      expect(memberBand(Band.Low, Rule.None, scores, 0, b), `entrant at ${s}`).toBe(expectedBand(null, s, b))
      for (const current of [Band.Low, Band.Medium, Band.High]) {
        expect(memberBand(current, Rule.None, scores, 0, b), `${current} at ${s}`).toBe(expectedBand(current, s, b))
      }
    }
  })

  it('should give the detail share to High first, then Medium, then nothing', () => {
    const acct = createDetailAccount()
    // costs x2, detail cap 1000: room for one High (724) and no Medium after it (724 + 720 > 1000)
    openDetailAccount(acct, DEFAULT_BYTE_COSTS, 2, 1000)
    expect(acct[Band.Low]).toBe(44)
    expect(detailBand(Band.High, acct)).toBe(Band.High)
    chargeDetail(acct, Band.High)
    expect(detailBand(Band.High, acct)).toBe(Band.Low)
    expect(detailBand(Band.Medium, acct)).toBe(Band.Low)
    openDetailAccount(acct, DEFAULT_BYTE_COSTS, 1, 800)
    chargeDetail(acct, Band.High)
    // 362 + 362 <= 800: a second High fits, a third does not
    expect(detailBand(Band.High, acct)).toBe(Band.High)
    chargeDetail(acct, Band.High)
    expect(detailBand(Band.High, acct)).toBe(Band.Low)
    openDetailAccount(acct, { ...DEFAULT_BYTE_COSTS, high: 500 }, 1, 800)
    chargeDetail(acct, Band.Medium)
    // 360 + 500 > 800, 360 + 360 <= 800: a High that no longer fits drops to Medium
    expect(detailBand(Band.High, acct)).toBe(Band.Medium)
    expect(detailBand(Band.Low, acct)).toBe(Band.Low)
  })
})
