import type { Client, Room } from '@colyseus/sdk'
import type { EntityStore } from '../world/entity-store'
import type { HandoverMessage, SyncedState } from './synced-types'

/**
 * Follows the player across zone rooms (zoned world): on a `handover` message, joins the
 * neighbouring zone's room with the player's key and the message's single-use token (the key is
 * public; the token is what makes that room give this page the player), hands it to `attach` (which syncs it into the
 * page's store), then leaves the old room. Entities keep their keys across zones, so the page keeps
 * what it shows; entities the new room does not send are retired at its first state.
 * @param client - the SDK client the first room was joined with
 * @param first - the joined room
 * @param store - the page's entity store
 * @param attach - wires a room into the page (state sync, traffic meter, status)
 * @param clock - time source (ms)
 */
export function followHandovers(
  client: Client,
  first: Room<unknown, SyncedState>,
  store: EntityStore,
  attach: (room: Room<unknown, SyncedState>) => void,
  clock: () => number,
): void {
  const watch = (room: Room<unknown, SyncedState>): void => {
    room.onMessage('handover', (msg: HandoverMessage) => {
      client.join<SyncedState>('arena', { zone: msg.zone, resume: msg.key, resumeToken: msg.token }).then(
        (next) => {
          room.removeAllListeners()
          attach(next)
          watch(next)
          let first = true
          next.onStateChange((state) => {
            if (!first || state.entities === undefined) return
            first = false
            const now = clock()
            for (const key of store.liveKeys()) if (!state.entities.has(key)) store.remove(key, now)
          })
          void room.leave()
        },
        (err: unknown) => console.warn(`zone handover to ${msg.zone} failed: ${String(err)}`),
      )
    })
  }
  watch(first)
}
