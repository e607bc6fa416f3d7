import { ClientState, type Client } from '@colyseus/core'
import { OPERATION, type StateView } from '@colyseus/schema'
import { pendingChanges, type SerializerLike } from '../view-encoding/schema-internals'
import { newAdapterEntries, ownEntries } from './view-entries'
import { recordSlot, type ViewRecord } from './view-record'

/*
 * Owns: what a client's full state means for its view's pending changes.
 *
 * Colyseus sends a client that joins, or reconnects with allowReconnection, the whole state its view
 * shows (`getFullState`: `encodeAll` + `encodeAllView(client.view)`) when the client acknowledges the
 * join. The view's pending changes (`view.changes`: adds and removes queued since the last patch, or,
 * for a dropped client, since it dropped, since no patch encodes the view of a client that is not
 * joined) stay queued, and the next patch sends them as well. The full state already shows them
 * applied, and the removes among them name objects the client does not hold: a removed tagged field
 * is a DELETE addressed to the object's own ref id, and the sdk's resync of a reconnection drops
 * every object the full state lacks (a first join never had it). The client's decoder then logs
 * `"refId" not found` and skips the rest of that object's changes in the patch. Plain Colyseus 0.18
 * with @colyseus/schema 5.0.34 does the same (bench/soak/repro-reconnect.ts).
 *
 * The fix, right after the full state is encoded:
 * - no other joined client uses the view: its pending changes are delivered (the full state shows
 *   them) and are dropped, as a patch drops them once encoded;
 * - other joined clients share the view and still need those changes: before the full state the
 *   client is moved to a fork of the view (same entities, same tags, a view of its own), so its full
 *   state and its next patches come from the fork. After a patch leaves both views with nothing
 *   pending and holding the same entries, the client goes back to the shared view.
 * Clients that are not joined (joining, or dropped) get their own full state when they join.
 */

/** What the plugin does around a full state and after each patch. */
export interface FullStateHandler {
  /** Before `client`'s full state is encoded (may change `client.view`). */
  before(client: Client): void
  /** After it was encoded, with the view it was encoded for. */
  after(client: Client, view: StateView): void
  /**
   * Before each patch is encoded (after the room's onBeforePatch and its clock's timers), and
   * before each patch of `@unreliable` fields that has something to send.
   */
  beforePatch(): void
  /** After each patch was encoded and sent. */
  afterPatch(): void
}

/** Serializers already wrapped. */
const hooked = new WeakSet<object>()

/**
 * Wraps a room's serializer (`roomSerializer(room)`; a room makes a new one with each new state) so
 * `handler` runs around every client's full state and around every patch (the `@unreliable` fields'
 * too). Once per serializer.
 */
export function hookFullState(ser: SerializerLike, handler: FullStateHandler): void {
  if (hooked.has(ser)) return
  hooked.add(ser)
  const ownFull = ser.getFullState
  const ownPatches = ser.applyPatches
  ser.getFullState = function (this: unknown, client?: unknown, timing?: unknown) {
    const c = client as Client | undefined
    if (c?.view === undefined) return ownFull.call(this, client, timing)
    handler.before(c)
    const view = c.view
    const out = ownFull.call(this, client, timing)
    handler.after(c, view)
    return out
  }
  ser.applyPatches = function (this: unknown, clients: unknown, state: unknown, timing?: unknown) {
    handler.beforePatch()
    const r = ownPatches.call(this, clients, state, timing)
    handler.afterPatch()
    return r
  }
  // `@unreliable` fields go out right after each patch, or on a timer of their own
  // (`unreliablePatchRate`), through the same views: what the game changed since, too, is checked
  const ownUnreliable = ser.applyUnreliablePatches
  if (typeof ownUnreliable === 'function') {
    ser.applyUnreliablePatches = function (this: unknown, clients: unknown) {
      if (ser.encoder?.hasUnreliableChanges !== false) handler.beforePatch()
      return ownUnreliable.call(this, clients)
    }
  }
}

/** True when a joined client of the room other than `client` uses `view` (it still needs the view's pending changes). */
export function sharedWithJoined(clients: Iterable<Client>, client: Client, view: StateView): boolean {
  for (const c of clients) if (c !== client && c.view === view && c.state === ClientState.JOINED) return true
  return false
}

/** True when `view` has changes queued for its next patch. */
export function hasPending(view: StateView): boolean {
  return pendingChanges(view).size > 0
}

/**
 * Queues in `to` every removal queued in `from` (a DELETE: an entity taken out of the view, a
 * tagged field it no longer shows) at a place where `to` has no change of its own: a client moved
 * from `from` to `to` holds what `from` sent it, including what `from`'s next patch removes. Refs
 * are visited in `from`'s order, which schema keeps topological (ancestors first). The views are
 * the plugin's, so the removals are the sync layer's edits: a shared entry map of `to`
 * (view-entries.ts: queued for many views, never edited) is replaced by a private copy first, and
 * new maps count as the sync layer's (a later band change in the patch may drop them).
 */
export function copyPendingRemovals(from: StateView, to: StateView): void {
  const dst = pendingChanges(to)
  pendingChanges(from).forEach((ops, refId) => {
    let mine = dst.get(refId)
    ops.forEach((op, key) => {
      if (op !== OPERATION.DELETE || mine?.has(key) === true) return
      if (mine === undefined) dst.set(refId, (mine = newAdapterEntries()))
      else mine = ownEntries(dst, refId, mine)
      mine.set(key, op)
    })
  })
}

/** Drops `view`'s queued changes (a full state delivered them). */
export function dropPending(view: StateView): void {
  pendingChanges(view).clear()
}

/** True when two records hold the same entries: same entities, generations and bands. */
export function sameEntries(a: ViewRecord, b: ViewRecord): boolean {
  if (a.count !== b.count) return false
  for (let j = 0; j < a.count; j++) {
    const k = recordSlot(b, a.eids[j]!)
    if (k === -1 || b.gens[k] !== a.gens[j] || b.bands[k] !== a.bands[j]) return false
  }
  return true
}
