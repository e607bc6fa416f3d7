import { Band } from '../../plugin/src/index'
import type { Entitlement } from './entitlement'
import type { Recording } from './recording'
import { isCoarseTick } from './write-schedule'

/**
 * Owns: viewport coverage, the share of what is on a player's screen that its client holds with
 * fresh data.
 */

/** Focus radius of the recall bench's observers (the engine's default). */
const BENCH_FOCUS_RADIUS = 50
/**
 * Default screen radius in world units: the example client fits `attention.radius * 1.3` around the
 * player (example-client/src/main.ts), here with the bench's focus radius of 50.
 */
export const DEFAULT_VIEW_RADIUS = BENCH_FOCUS_RADIUS * 1.3
/** Data older than this (seconds) does not count as held. */
export const FRESH_SECONDS = 1

/** The screen radius of a recording's players. */
export function viewRadiusOf(rec: Recording): number {
  return rec.viewRadius ?? DEFAULT_VIEW_RADIUS
}

/** Accumulates viewport coverage over a replay. */
export interface CoverageMeter {
  /**
   * Notes that player p's client holds entity e at `band` after tick t's patch (`entered`: it joined
   * the view on this tick, so its first state was just sent).
   */
  hold(p: number, e: number, band: number, entered: boolean, t: number): void
  /** Scores tick t for every player (call after every `hold` of the tick); `count`: past warm-up. */
  score(t: number, held: Uint8Array, count: boolean): void
  /** Mean over (player, tick) of the covered share (NaN when no player ever had anything on screen). */
  mean(): number
}

/**
 * Creates the coverage meter of a replay. An entity on screen (within the view radius, not the
 * player itself, one the player may see) is covered when the client holds it at any band and its
 * last data is at most {@link FRESH_SECONDS} old: Medium and High members get motion every tick, a
 * Low member its coarse position on the example's coarse ticks, an entrant its full state on entry.
 * @param rec - the recording.
 * @param rules - who may see what (denied entities are not on the screen's count).
 */
export function createCoverageMeter(rec: Recording, rules: Entitlement): CoverageMeter {
  const n = rec.entityCount
  const np = rec.players.length
  const lastData = new Int32Array(np * n).fill(-1e9)
  const r = viewRadiusOf(rec)
  const r2 = r * r
  const maxAge = Math.round(FRESH_SECONDS / rec.dt)
  let sum = 0
  let samples = 0
  return {
    hold(p, e, band, entered, t) {
      if (entered || band >= Band.Medium || isCoarseTick(t)) lastData[p * n + e] = t
    },
    score(t, held, count) {
      if (!count) return
      const base = t * n
      for (let p = 0; p < np; p++) {
        const o = rec.players[p]!
        const ox = rec.x[base + o]!
        const oy = rec.y[base + o]!
        const row = p * n
        let onScreen = 0
        let covered = 0
        for (let e = 0; e < n; e++) {
          if (e === o) continue
          const dx = rec.x[base + e]! - ox
          const dy = rec.y[base + e]! - oy
          if (dx * dx + dy * dy > r2 || rules.denied(o, e)) continue
          onScreen++
          if (held[row + e] === 1 && t - lastData[row + e]! <= maxAge) covered++
        }
        if (onScreen > 0) {
          sum += covered / onScreen
          samples++
        }
      }
    },
    mean: () => (samples === 0 ? Number.NaN : sum / samples),
  }
}
