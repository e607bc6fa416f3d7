/** A seeded pseudo-random generator: `next()` is uniform in [0, 1). */
export interface Prng {
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number
  /** Uniform integer in [0, n). */
  int(n: number): number
}

/**
 * Creates a deterministic PRNG (sfc32 seeded through splitmix32): same seed, same sequence, on
 * every machine and Node version (Math.random is never used by the harness).
 * @param seed - any 32-bit integer.
 */
export function createPrng(seed: number): Prng {
  let s = seed >>> 0
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return {
    next,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
  }
}
