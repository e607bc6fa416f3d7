// The server's types, imported as types only: no server runtime code reaches the page.
import type { ArenaState, AttentionMessage, DestroyedMessage, Entity } from '../../../example-server/src/state'
import type { HandoverMessage } from '../../../example-server/src/handover'

/** The root state as decoded on this client. */
export type SyncedState = ArenaState
/** One entity as decoded on this client; fields its band does not cover may never arrive. */
export type SyncedEntity = Entity
export type { AttentionMessage, DestroyedMessage, HandoverMessage }
