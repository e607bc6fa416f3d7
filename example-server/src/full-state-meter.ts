// Owns: what the arena would send one client without interest management, measured by encoding a
// shadow copy of the state exactly as the baseline room (`attention: false`) fills and sends it.
import { Encoder, StateView } from '@colyseus/schema'
import { AttentionTags } from 'colyseus-attention'
import { ArenaState, Entity } from './state'

/** Writes an entity's full-rate and detail fields (x, y, angle, hp, mood) from the simulation. */
export type DetailWriter = (eid: number, into: Entity) => void

/**
 * The full-state meter of one room. Without the plugin every client shares one view holding every
 * entity with every tag, and the room writes every field every tick, so every client receives the
 * same frame per patch: one shadow state, one stock schema encoder and one view measure it for all
 * clients at once. The bytes counted are the patch frames' lengths, as the client's WebSocket
 * receives them (protocol byte, shared part and view part).
 *
 * Only the entities every client may see are mirrored (`isPublic`: neither Hidden nor TeamOnly):
 * the figure goes to clients, and one that moved with a hidden entity's motion, or grew with its
 * spawn, would tell them it is there. It reads a little under the baseline room's, which sends those
 * few too.
 */
export class FullStateMeter {
  private readonly state = new ArenaState()
  private readonly encoder = new Encoder(this.state)
  private readonly view = new StateView()
  private readonly copies = new Map<number, Entity>()
  /** The key each copy went in under (the room may no longer make it at a despawn: a zone's gid is gone by then). */
  private readonly keys = new Map<number, string>()
  private readonly it = { offset: 1 }
  private bytes = 0
  private since: number

  /**
   * Mirrors the room's entities as they are now, encodes them once and drops those bytes: a client
   * that joined earlier already holds them, so only the patches from here on count.
   * @param write - copies an entity's full-rate and detail fields, as the room does for watched ones
   * @param isPublic - whether every client may see an entity (only those are mirrored)
   * @param keyOf - the room's key of an entity (the same keys, so the same bytes)
   * @param instances - the room's entity instances by id
   * @param now - current time (ms)
   */
  constructor(
    private readonly write: DetailWriter,
    private readonly isPublic: (eid: number) => boolean,
    private readonly keyOf: (eid: number) => string,
    instances: ReadonlyMap<number, Entity>,
    now: number,
  ) {
    for (const [eid, e] of instances) this.add(eid, e)
    this.patch()
    this.bytes = 0
    this.since = now
  }

  /** Mirrors a spawned entity (kind, team and coarse position from the room's instance), if public. */
  add(eid: number, source: Entity): void {
    if (!this.isPublic(eid) || this.copies.has(eid)) return
    const e = new Entity()
    e.kind = source.kind
    e.team = source.team
    e.cx = source.cx
    e.cy = source.cy
    this.write(eid, e)
    const key = this.keyOf(eid)
    this.copies.set(eid, e)
    this.keys.set(eid, key)
    this.state.entities.set(key, e)
    this.view.add(e, AttentionTags.Motion | AttentionTags.Detail)
  }

  /** Mirrors a despawn. */
  remove(eid: number): void {
    const e = this.copies.get(eid)
    if (e === undefined) return
    this.copies.delete(eid)
    this.view.remove(e)
    this.state.entities.delete(this.keys.get(eid)!)
    this.keys.delete(eid)
  }

  /**
   * Writes the tick as the baseline room would: every field of every entity, the coarse position
   * from the room's instance (the room refreshes it for everyone), the entity count.
   * @param instances - the room's entity instances by id
   * @param total - entities in the room
   */
  mirror(instances: ReadonlyMap<number, Entity>, total: number): void {
    instances.forEach(this.mirrorOne)
    this.state.total = total
  }

  /** One entity of {@link mirror}: it follows the room's, joining or leaving as it turns public or not. */
  private readonly mirrorOne = (live: Entity, eid: number): void => {
    const e = this.copies.get(eid)
    if (!this.isPublic(eid)) {
      if (e !== undefined) this.remove(eid)
      return
    }
    if (e === undefined) return this.add(eid, live)
    this.write(eid, e)
    e.cx = live.cx
    e.cy = live.cy
  }

  /** Encodes the patch the baseline room would send now (call once per patch) and counts its bytes. */
  patch(): void {
    if (!this.encoder.hasChanges && this.view.changes.size === 0) return
    this.it.offset = 1
    const sharedOffset = this.encoder.hasChanges ? (this.encoder.encode(this.it), this.it.offset) : 1
    this.bytes += this.encoder.encodeView(this.view, sharedOffset, this.it).length
    this.encoder.discardChanges()
  }

  /**
   * The full-state rate since the previous call, then starts a new interval.
   * @param now - current time (ms)
   * @returns bytes per second one client would have received without the plugin
   */
  take(now: number): number {
    const ms = now - this.since
    const rate = ms > 0 ? (this.bytes * 1000) / ms : 0
    this.bytes = 0
    this.since = now
    return Math.round(rate)
  }

  /** Releases the shadow view. */
  dispose(): void {
    this.view.dispose()
  }
}
