import { Callbacks } from '@colyseus/sdk'
import type { Room } from '@colyseus/sdk'
import type { AttentionInfo } from '../world/attention-info'
import type { EntityStore } from '../world/entity-store'
import type { AttentionMessage, DestroyedMessage, SyncedEntity, SyncedState } from './synced-types'

/**
 * Mirrors the room into the page's store: entities entering and leaving the view, a motion sample per
 * patch, the `attention` and `destroyed` messages.
 * @param room - the joined `arena` room
 * @param store - the page's entity store
 * @param attention - the page's attention snapshot
 * @param clock - time source (ms)
 */
export function syncArena(
  room: Room<unknown, SyncedState>,
  store: EntityStore,
  attention: AttentionInfo,
  clock: () => number,
): void {
  const cb = Callbacks.get(room)
  cb.onAdd('entities', (entity, key) => {
    sample(store.upsert(key, entity.kind, entity.team), entity, attention, key, clock())
  })
  cb.onRemove('entities', (_entity, key) => {
    store.remove(key, clock())
  })
  room.onStateChange((state) => {
    const now = clock()
    // the first state can arrive before this client's view holds the map
    state.entities?.forEach((entity, key) => {
      const e = store.get(key)
      if (e === undefined || e.departure !== null) return
      e.kind = entity.kind
      e.team = entity.team
      sample(e, entity, attention, key, now)
    })
  })
  room.onMessage('attention', (msg: AttentionMessage) => attention.apply(msg, clock()))
  room.onMessage('destroyed', (msg: DestroyedMessage) => store.markDestroyed(msg.keys, clock()))
}

function sample(
  e: ReturnType<EntityStore['upsert']>,
  entity: SyncedEntity,
  attention: AttentionInfo,
  key: string,
  now: number,
): void {
  const p = e.source.observe(entity, attention.get(key)?.band, now)
  e.motion.push(p.x, p.y, p.angle, now)
  e.hp = entity.hp
  e.mood = entity.mood
}
