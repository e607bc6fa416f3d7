import type { Presence } from '@colyseus/core'
import { createBorderExchange, inboxChannel, zoneBounds, type BorderExchange, type ZoneGrid } from 'colyseus-attention/zones'
import type { ArenaWorld, EntityTraits } from './arena-world'

/** Moods travel as small codes; anything else arrives as 'idle'. */
const MOODS = ['idle', 'chasing', 'attacking', 'scout', 'ghost', 'loud', 'beacon', 'flying', 'playing']
const FIELDS = 5

/** What the zone room does when the border exchange adds, updates, removes or hands over an entity. */
export interface ZoneRoomHooks {
  ghostAdded(eid: number, gid: number): void
  ghostRemoved(eid: number): void
  adopted(eid: number, gid: number, kind: number): void
  released(eid: number, dest: number): void
  linkChanged(up: boolean): void
}

/** Zone settings of a zoned arena room. */
export interface ZoneSettings {
  grid: ZoneGrid
  zone: number
  /** Border margin: observer radius (180) plus the largest nimbus (90), with room to spare. */
  margin: number
}

/** The spawn area of a zone. */
export const zoneArea = (z: ZoneSettings) => zoneBounds(z.grid, z.zone)

const traits: EntityTraits = { kind: 0, hp: 0, mood: 'idle', mode: 0 }
const toTraits = (f: Float32Array): EntityTraits => {
  traits.kind = f[0]!
  traits.hp = f[1]!
  traits.mood = MOODS[f[2]!] ?? 'idle'
  traits.mode = f[3]!
  return traits
}

/**
 * The border exchange's inbox channel of zone `zone` (`'*'`: a pattern for every zone's; the
 * exchange's default channel prefix). Only the zone's room subscribes to it, and the subscription
 * goes with the room or its process: a zone whose inbox has a subscriber has a live room.
 */
export const zoneInbox = (zone: number | '*'): string => inboxChannel(zone)

/** True while zone `zone` has a live room (see {@link zoneInbox}). */
export async function zoneIsLive(presence: Presence, zone: number): Promise<boolean> {
  return (await presence.channels(zoneInbox(zone))).includes(zoneInbox(zone))
}

/**
 * Connects an arena world to its neighbouring zones through the room's presence, as any game
 * would: the arena's entity traits go in 5 fields (4 bytes and a half float), ghosts are mirrored into the arena's
 * arrays, and handovers start or stop simulating an entity.
 */
export function createZoneBorder(arena: ArenaWorld, presence: Presence, z: ZoneSettings, hooks: ZoneRoomHooks): BorderExchange {
  const C = arena.C
  return createBorderExchange({
    world: arena.world,
    components: C,
    presence,
    grid: z.grid,
    zone: z.zone,
    margin: z.margin,
    // a summary every tick (cross-border latency), a keyframe every 2 s, deltas in between with an
    // entity at most every other tick: a ghost is a few units off its owner at most
    intervalMs: 0,
    keyframeEvery: 40,
    tolerance: 3,
    minResendMs: 100,
    // kind, hp, mood, mode exact; the heading within 0.1 rad (ghosts' facing only feeds scoring)
    fieldTolerance: [0, 0, 0, 0, 0.1],
    ttlMs: 1500,
    fields: FIELDS,
    // kind, hp, mood and mode are bytes in the arena; the heading needs no more than a half float
    fieldFormats: ['u8', 'u8', 'u8', 'u8', 'f16'],
    readFields: (eid, out) => {
      const t = arena.traitsOf(eid)
      out[0] = t.kind
      out[1] = t.hp
      out[2] = Math.max(0, MOODS.indexOf(t.mood))
      out[3] = t.mode
      out[4] = Math.atan2(C.Facing.y[eid]!, C.Facing.x[eid]!)
    },
    events: {
      added: (eid, gid, f) => {
        arena.mirror(eid, toTraits(f))
        arena.setFacing(eid, f[4]!)
        hooks.ghostAdded(eid, gid)
      },
      updated: (eid, f) => {
        arena.mirror(eid, toTraits(f))
        arena.setFacing(eid, f[4]!)
      },
      removed: (eid) => hooks.ghostRemoved(eid),
      adopted: (eid, gid, f) => {
        arena.adopt(eid, toTraits(f))
        arena.setFacing(eid, f[4]!)
        hooks.adopted(eid, gid, f[0]!)
      },
      released: (eid, dest) => {
        arena.release(eid)
        hooks.released(eid, dest)
      },
    },
    onLinkChange: (up) => hooks.linkChanged(up),
  })
}
