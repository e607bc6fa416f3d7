// The example server as a library, for tests and benchmarks.
export { startServer, freePort } from './server'
export { ArenaRoom, arenaRooms } from './arena-room'
export { ArenaState, Entity } from './state'
export type { StartOptions, RunningServer } from './server'
export type { ArenaJoinOptions, ArenaOptions } from './arena-room'
export type { AttentionMessage, DestroyedMessage, EntityKind } from './state'
export type { HandoverMessage } from './handover'
