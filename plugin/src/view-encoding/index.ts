// colyseus-attention/view-encoding: the schema encoder hook on its own, for any Colyseus room
// with StateViews (the attention engine is not needed). Every export by name.
export { installViewEncoding } from './install-view-encoding'
export { disposeViews } from './dispose-views'
export { roomEncoder } from './schema-internals'
export { isTestedSchemaVersion, TESTED_SCHEMA_VERSIONS } from './version-gate'
export type { ViewEncodingHook, ViewEncodingOptions } from './install-view-encoding'
