import type { EntityKind } from '../../example-server/src/state'
import { InteractionKind, Kind, type Recording } from './recording'

/**
 * How the example room writes its entities (example-server/src/arena-room.ts `update()` and
 * `writeDetail()`, example-server/src/arena-world.ts `step()`), reproduced for the byte meter:
 * - the coarse position `cx`/`cy` (untagged: all a Low member costs) is rounded to whole units and
 *   written every 4th tick (`this.arena.tick % 4 === 0`);
 * - the full-rate fields (`x`, `y`, `angle`, `hp`, `mood`) are written every tick, but only for
 *   entities some client holds at Medium or above (`watchBand(eid) >= Band.Medium`), and once more
 *   just before a client starts receiving them (the plugin's `refresh`);
 * - a player's hp heals 1 point every 10th tick while below 100.
 * The room does not export these numbers: keep them in step with the example by hand.
 */
export const COARSE_EVERY_TICKS = 4
/** hp regeneration period of a player in ticks (example-server/src/arena-world.ts). */
export const HP_REGEN_EVERY_TICKS = 10
/** hp a player loses to an attack, shot, hit or ram (the example's bots hit for a comparable share). */
export const HP_PER_HIT = 10

/** True when the coarse position is written on tick `t`. */
export function isCoarseTick(t: number): boolean {
  return t % COARSE_EVERY_TICKS === 0
}

/** The example schema's `kind` string for a recorded entity kind. */
export function exampleKindName(k: number): EntityKind {
  if (k === Kind.Player) return 'player'
  if (k === Kind.Projectile) return 'projectile'
  if (k === Kind.Beacon) return 'beacon'
  return 'bot'
}

/** True when interaction kind `k` costs its player target hp. */
export function isDamage(k: number): boolean {
  return k === InteractionKind.Attack || k === InteractionKind.Hit || k === InteractionKind.Shot || k === InteractionKind.Ram
}

/**
 * Per-tick hp of every player entity, from the recording's interactions (what the `hp` detail field
 * holds on each tick): `hp[t * entityCount + e]`, 100 for non-players.
 */
export function playerHp(rec: Recording): Uint8Array {
  const n = rec.entityCount
  const out = new Uint8Array(rec.ticks * n).fill(100)
  const hp = new Float64Array(n).fill(100)
  const log = rec.interactions
  let c = 0
  for (let t = 0; t < rec.ticks; t++) {
    if (t > 0 && t % HP_REGEN_EVERY_TICKS === 0) for (let e = 0; e < n; e++) if (hp[e]! < 100) hp[e] = hp[e]! + 1
    while (c < log.count && log.tick[c]! === t) {
      const b = log.b[c]!
      if (isDamage(log.kind[c]!) && rec.kind[b] === Kind.Player) hp[b] = Math.max(1, hp[b]! - HP_PER_HIT)
      c++
    }
    out.set(hp, t * n)
  }
  return out
}
