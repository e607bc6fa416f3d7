// Owns: the byte budget's closed loop (docs/concepts.md 6b, step 3), on the room's thread: each
// observer's report window (the estimates of the ticks since its last report), the measured ratio of
// sent to estimated bytes, the still share of its own avatar, and how long its budget has been read
// at its floor. Selection (byte-budget.ts, on any observer thread) reads the ratio and the still
// share and writes what each estimate charged the avatar for standing still and the floor it read.
import type { ByteCostOptions } from './bands'
import type { ArrayAlloc } from './shared-alloc'

/** Share of a report window's ticks the observer's avatar must stand still for the window to teach what standing still costs. */
const STILL_WINDOW = 0.9
/** Reports in a row (about seconds) whose every tick read the budget at its floor before {@link ByteReports.report} says so. */
export const FLOORED_REPORTS = 3

/** The report loop of every observer slot. */
export interface ByteReports {
  /** Per slot: smoothed ratio of the bytes the encoder sent to the engine's estimate (1 until told); shared with selection. */
  readonly byteScale: Float32Array
  /** Per slot: the observer's avatar standing still, as a share of its moving cost (`byteCosts.still` until learned); shared with selection. */
  readonly selfStill: Float64Array
  /** Per slot: what the last estimate charged the avatar for standing still (-1: it moved, or no byte budget); written by selection. */
  readonly stillCharge: Float64Array
  /** Per slot: the spend the floor read the budget as on the last re-score (0: none); written by selection. */
  readonly floorBytes: Float64Array
  /** A new observer in slot `s`: everything back to its start. */
  reset(s: number): void
  /** Adds the estimate of each listed observer's set to its window: the sets readers see after this tick, which the next patch sends. */
  addTick(ids: Uint32Array, count: number, slotOf: Int32Array): void
  /**
   * Closes slot `s`'s window with what its client was sent (bytes per second) and learns from it.
   * @returns true when this report makes {@link FLOORED_REPORTS} in a row read at the floor throughout.
   */
  report(s: number, bytesPerSecond: number): boolean
}

/**
 * Creates the report loop of `slots` observer slots, its shared arrays from `shared`.
 * @param estBytes - per slot, the set's estimate after the last tick (unscaled), written by selection.
 */
export function createByteReports(slots: number, shared: ArrayAlloc, costs: ByteCostOptions, estBytes: Float32Array): ByteReports {
  const byteScale = shared.f32(slots, 1)
  const selfStill = shared.f64(slots, costs.still)
  const stillCharge = shared.f64(slots, -1)
  const floorBytes = shared.f64(slots)
  // reports received since the observer was added: the first one is not used (see report)
  const reports = new Uint8Array(slots)
  // the window: the estimates since the last report, summed, and how many; of those, the ticks that
  // charged the avatar as standing still and what they charged it; the ticks read at the floor
  const estSum = new Float64Array(slots)
  const estTicks = new Uint32Array(slots)
  const stillTicks = new Uint32Array(slots)
  const stillSelfSum = new Float64Array(slots)
  const flooredTicks = new Uint32Array(slots)
  // reports in a row whose window was read at the floor throughout
  const flooredReports = new Uint8Array(slots)

  return {
    byteScale,
    selfStill,
    stillCharge,
    floorBytes,
    reset(s) {
      byteScale[s] = 1
      selfStill[s] = costs.still
      stillCharge[s] = -1
      floorBytes[s] = 0
      reports[s] = 0
      estSum[s] = 0
      estTicks[s] = 0
      stillTicks[s] = 0
      stillSelfSum[s] = 0
      flooredTicks[s] = 0
      flooredReports[s] = 0
    },
    addTick(ids, count, slotOf) {
      for (let i = 0; i < count; i++) {
        const s = slotOf[ids[i]!]!
        // a tick without an estimate (no byte budget, or the observer sees nothing) is no part of it
        if (s === -1 || !(estBytes[s]! > 0)) continue
        estSum[s] = estSum[s]! + estBytes[s]!
        estTicks[s] = estTicks[s]! + 1
        // what that estimate charged the avatar for standing still (written with it, so a kept tick
        // of rescoreEvery or a pipelined hand-over reads the estimate's own)
        if (stillCharge[s]! >= 0) {
          stillTicks[s] = stillTicks[s]! + 1
          stillSelfSum[s] = stillSelfSum[s]! + stillCharge[s]!
        }
        if (floorBytes[s]! > 0) flooredTicks[s] = flooredTicks[s]! + 1
      }
    },
    report(s, bytesPerSecond) {
      // the mean estimate over the ticks this report covers (the last tick's alone when none passed)
      const ticks = estTicks[s]!
      let est = ticks > 0 ? estSum[s]! / ticks : estBytes[s]!
      // the share of the window the avatar stood still, and its mean charge for it
      const stood = ticks > 0 ? stillTicks[s]! / ticks : 0
      const selfShare = ticks > 0 ? stillSelfSum[s]! / ticks : 0
      const floored = ticks > 0 && flooredTicks[s]! === ticks
      estSum[s] = 0
      estTicks[s] = 0
      stillTicks[s] = 0
      stillSelfSum[s] = 0
      flooredTicks[s] = 0
      flooredReports[s] = floored ? (flooredReports[s]! < 255 ? flooredReports[s]! + 1 : 255) : 0
      const atFloor = flooredReports[s] === FLOORED_REPORTS
      if (!(est > 0)) return atFloor
      // the first report carries the set's initial full state, a one-time cost and not a rate:
      // scaling by it shrank a new observer's set for seconds (docs/concepts.md 6b)
      if (reports[s] === 0) {
        reports[s] = 1
        return atFloor
      }
      if (stood >= STILL_WINDOW) {
        // a window the avatar stood still (nearly) throughout: what standing still costs is its one
        // unknown. Its share is what was sent, at the ratio the moving seconds taught, less the
        // rest of the set's estimate, over the avatar's moving cost, smoothed. Only what a share in
        // [0, 1] cannot explain moves the ratio
        const rest = est - selfShare
        const high = costs.high * stood
        const raw = (bytesPerSecond / byteScale[s]! - rest) / high
        const share = raw > 0 ? (raw < 1 ? raw : 1) : 0
        selfStill[s] = 0.8 * selfStill[s]! + 0.2 * share
        est = rest + share * high
        // a window the avatar alone filled, sent (next to) nothing: no ratio to read from it
        if (share === raw || !(est > 0.01 * high)) return atFloor
      }
      // smoothed ratio of what the encoder sent to what the engine estimated, kept in [0.1, 10]
      let ratio = bytesPerSecond / est
      ratio = ratio < 0.1 ? 0.1 : ratio > 10 ? 10 : ratio
      byteScale[s] = 0.8 * byteScale[s]! + 0.2 * ratio
      return atFloor
    },
  }
}
