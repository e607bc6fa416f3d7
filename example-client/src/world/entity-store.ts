import { PositionSource } from './entity-position'
import { Motion } from './motion'

/** Why an entity stopped being drawn normally. */
export type Departure = 'left-interest' | 'destroyed'

/** What the page keeps per entity it has received. */
export interface ClientEntity {
  key: string
  kind: string
  team: number
  hp: number | undefined
  mood: string | undefined
  motion: Motion
  /** Picks fine or coarse fields patch by patch. */
  source: PositionSource
  /** Set when the server removed it from this client's view; the entity then fades out. */
  departure: Departure | null
  departedAt: number
}

/** How long a departed entity keeps fading before it is dropped (ms). */
export const FADE_MS = 700
/** How long a `destroyed` notice waits for the matching removal (ms). */
const DESTROY_NOTICE_MS = 3000

/**
 * The client's picture of the world: every entity in its view, plus recently departed ones fading
 * out. A removal means "left my interest" unless the server said (in a `destroyed` message, which can
 * arrive before or after the removal patch) that the entity was destroyed.
 */
export class EntityStore {
  private readonly entities = new Map<string, ClientEntity>()
  private readonly destroyNotices = new Map<string, number>()

  /**
   * Adds or refreshes an entity from the synced state.
   * @param key - entity key in the `entities` map
   * @param kind - 'player' | 'bot' | 'projectile' | 'beacon'
   * @param team - team id
   * @returns the stored entity (a re-entering one stops fading)
   */
  upsert(key: string, kind: string, team: number): ClientEntity {
    let e = this.entities.get(key)
    if (e === undefined) {
      e = { key, kind, team, hp: undefined, mood: undefined, motion: new Motion(), source: new PositionSource(), departure: null, departedAt: 0 }
      this.entities.set(key, e)
    } else {
      e.kind = kind
      e.team = team
      if (e.departure !== null) {
        // it came back into view before the fade finished: restart its motion from the new data
        e.departure = null
        e.motion = new Motion()
        e.source = new PositionSource()
      }
    }
    return e
  }

  /**
   * Marks an entity removed from the view; it fades out for {@link FADE_MS}.
   * @param key - entity key
   * @param now - current time (ms)
   */
  remove(key: string, now: number): void {
    const e = this.entities.get(key)
    if (e === undefined || e.departure !== null) return
    const notice = this.destroyNotices.get(key)
    const destroyed = notice !== undefined && now - notice <= DESTROY_NOTICE_MS
    this.destroyNotices.delete(key)
    e.departure = destroyed ? 'destroyed' : 'left-interest'
    e.departedAt = now
  }

  /**
   * Applies a `destroyed` message: those keys were destroyed, not merely out of interest.
   * @param keys - destroyed entity keys
   * @param now - current time (ms)
   */
  markDestroyed(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const e = this.entities.get(key)
      if (e !== undefined && e.departure !== null) e.departure = 'destroyed'
      else this.destroyNotices.set(key, now)
    }
  }

  /**
   * Drops entities whose fade is over and stale destroy notices.
   * @param now - current time (ms)
   */
  prune(now: number): void {
    for (const [key, e] of this.entities) {
      if (e.departure !== null && now - e.departedAt >= FADE_MS) this.entities.delete(key)
    }
    for (const [key, at] of this.destroyNotices) if (now - at > DESTROY_NOTICE_MS) this.destroyNotices.delete(key)
  }

  /** The entity with this key (live or fading), if any. */
  get(key: string): ClientEntity | undefined {
    return this.entities.get(key)
  }

  /** Every stored entity, live and fading. */
  all(): IterableIterator<ClientEntity> {
    return this.entities.values()
  }

  /** Keys of entities currently in view (not fading), sorted. */
  liveKeys(): string[] {
    const keys: string[] = []
    for (const e of this.entities.values()) if (e.departure === null) keys.push(e.key)
    return keys.sort()
  }
}
