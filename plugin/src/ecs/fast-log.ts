// Owns: a natural logarithm for the candidate loop. V8 computes Math.log and Math.log1p by a call
// into C (about 15-30 ns here); the distance head pays one per scored row. This one reads the
// exponent and the top mantissa bits through a typed-array alias, takes ln of the nearest of 64
// table points, and a short series for the rest: within a few ulp of Math.log for finite x >= 1
// (test/ecs/fast-log.test.ts), about twice as fast, allocation-free (PERFORMANCE.md, "no C call
// per row").

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
/** Index of the high word of a float64 in `u32` (little-endian on every platform Node runs on). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0
const LN2 = Math.LN2
// ln(c_m) and 1 / c_m for c_m = 1 + (m + 0.5) / 64, m in [0, 64): the mid-points of the mantissa bins
const LN_C = new Float64Array(64)
const INV_C = new Float64Array(64)
// 2^-e for the exponents of x >= 1
const SCALE = new Float64Array(1024)
for (let e = 0; e < 1024; e++) SCALE[e] = Math.pow(2, -e)
for (let m = 0; m < 64; m++) {
  const c = 1 + (m + 0.5) / 64
  LN_C[m] = Math.log(c)
  INV_C[m] = 1 / c
}

/**
 * ln(x) for finite `x >= 1` (the distance head's `1 + k d / r`); anything else goes to Math.log.
 * @returns ln(x), within a few ulp of Math.log(x).
 */
export function fastLn(x: number): number {
  if (!(x >= 1 && x < 1.7e308)) return Math.log(x)
  // only the high word is read back: rewriting part of the double and reading it whole stalls
  // store forwarding (measured slower than Math.log1p)
  f64[0] = x
  const hi = u32[HI]!
  const e = (hi >>> 20) - 1023
  const m = (hi >>> 14) & 63
  // |z| <= 1/129: the series' first omitted term, z^8 / 8, is below 1e-17
  const z = (x * SCALE[e]! - 1 - (m + 0.5) / 64) * INV_C[m]!
  const z2 = z * z
  const p = z - z2 * (0.5 - z * (1 / 3 - z * (0.25 - z * (0.2 - z * (1 / 6 - z * (1 / 7))))))
  return e * LN2 + LN_C[m]! + p
}
