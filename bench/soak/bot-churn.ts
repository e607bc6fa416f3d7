// Owns the soak's bot churn: bots die and new ones spawn at once, so bitECS hands the dead bot's id
// to the newcomer (ids are recycled immediately). The victim is preferably one some client sees, and
// the newcomer is often of another visibility class (hidden, or team-only), next to that client: the
// case where a stale view membership would leak the new entity.
import { addComponent } from 'bitecs'
import type { ArenaRoom } from '../../example-server/src/arena-room'
import type { Prng } from '../lib/prng'

/** The churn's counters. */
export interface BotChurn {
  /** Kills `n` bots and spawns `n` new ones. */
  churn(n: number): void
  readonly killed: number
  /** Newcomers that got the id of the bot killed just before. */
  readonly reused: number
}

/** Creates the churn for `room`'s arena. */
export function createBotChurn(room: ArenaRoom, rng: Prng): BotChurn {
  let killed = 0
  let reused = 0
  const pickVictim = (): { victim: number; near: number } => {
    const a = room.arena
    const sys = a.attention
    const clients = room.clients
    if (clients.length > 0) {
      const o = room.playerEntity(clients[rng.int(clients.length)]!.sessionId)
      if (o !== -1) {
        const n = sys.memberCount(o)
        for (let k = 0, i = rng.int(Math.max(1, n)); k < n; k++, i = (i + 1) % n) {
          const e = sys.memberAt(o, i)
          if (a.live.has(e) && a.kindOf(e) === 'bot') return { victim: e, near: o }
        }
      }
    }
    // nobody sees a bot: any bot
    for (const e of a.live) if (a.kindOf(e) === 'bot' && rng.next() < 0.05) return { victim: e, near: -1 }
    return { victim: -1, near: -1 }
  }
  return {
    get killed() {
      return killed
    },
    get reused() {
      return reused
    },
    churn(n) {
      const a = room.arena
      const { world, C } = a
      for (let k = 0; k < n; k++) {
        const { victim, near } = pickVictim()
        if (victim === -1) return
        a.despawn(victim)
        killed++
        const S = a.config.size
        const x = near === -1 ? rng.range(0, S) : Math.min(S, Math.max(0, C.Position.x[near]! + rng.range(-60, 60)))
        const y = near === -1 ? rng.range(0, S) : Math.min(S, Math.max(0, C.Position.y[near]! + rng.range(-60, 60)))
        const eid = a.spawnBot(x, y)
        if (eid === victim) reused++
        const r = rng.next()
        if (r < 0.2) {
          addComponent(world, eid, C.Hidden)
          a.mood[eid] = 'ghost'
        } else if (r < 0.4) {
          addComponent(world, eid, C.Team)
          C.Team.id[eid] = 1 + rng.int(2)
          addComponent(world, eid, C.TeamOnly)
          a.mood[eid] = 'scout'
        }
      }
    },
  }
}
