import { describe, expect, it } from 'vitest'
import { fastLn } from '../../src/ecs/fast-log'

/** Distance in units in the last place between two doubles. */
function ulps(a: number, b: number): number {
  const f = new Float64Array([a, b])
  const i = new BigInt64Array(f.buffer)
  const d = i[0]! - i[1]!
  return Number(d < 0n ? -d : d)
}

describe('fast-log', () => {
  it('should agree with Math.log within a few ulp of the result, or 1e-16 absolute near 1', () => {
    let seed = 7
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296)
    for (let i = 0; i < 200_000; i++) {
      const x = i % 4 === 0 ? 1 + rnd() * 1e-6 : i % 4 === 1 ? 1 + rnd() * 25 : i % 4 === 2 ? Math.exp(rnd() * 700) : 1 + rnd()
      const want = Math.log(x)
      const got = fastLn(x)
      if (Math.abs(got - want) > 2e-16) expect(ulps(got, want), `ln(${x}): ${got} vs ${want}`).toBeLessThanOrEqual(4)
    }
  })

  it('should give the distance head the float32 feature of Math.log1p, to rounding', () => {
    for (const k of [0.5, 25, 1000]) {
      const inv = 1 / Math.log1p(k)
      let same = 0
      for (let i = 0; i <= 100_000; i++) {
        const u = i / 100_000
        const got = Math.fround(1 - fastLn(1 + k * u) * inv)
        const want = Math.fround(1 - Math.log1p(k * u) * inv)
        if (got === want) same++
        // one float32 step, or float64 rounding where the feature reaches 0
        else expect(Math.abs(got - want), `k ${k}, u ${u}: ${got} vs ${want}`).toBeLessThanOrEqual(Math.max(1e-15, Math.abs(want) * 2 ** -23))
      }
      expect(same).toBeGreaterThan(99_000)
    }
  })

  it('should fall back to Math.log outside [1, finite)', () => {
    for (const x of [0, 0.5, -1, Number.NaN, Infinity, Number.MAX_VALUE]) expect(fastLn(x)).toBe(Math.log(x))
    // the feature at distance 0 is exactly 1
    expect(1 - fastLn(1) / Math.log1p(25)).toBe(1)
  })
})
