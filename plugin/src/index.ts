// The public API of colyseus-attention: every export by name.

// --- engine (plugin/src/ecs): knows nothing of Colyseus ---
export { createAttentionComponents, addObserver, addSalience, setFacingAngle, setAimTarget, setOwner } from './ecs/components'
export { createAttentionSystem } from './ecs/attention-system'
export { createHeadScorer, DEFAULT_WEIGHTS, Feature, FEATURE_COUNT, HEAD_NAMES } from './ecs/heads'
export { Band, DEFAULT_BANDS, DEFAULT_BYTE_COSTS } from './ecs/bands'
export { DEFAULT_HYSTERESIS, NO_HYSTERESIS } from './ecs/options'
export type { AttentionComponents, ComponentStoreOptions, Vec3Store, ObserverOptions } from './ecs/components'
export type { AttentionOptions } from './ecs/options'
export type { HeadName, HeadWeights } from './ecs/heads'
export type { RuleName } from './ecs/rules'
export type { BandOptions, ByteCostOptions } from './ecs/bands'
export type { AttentionScorer, AttentionSystem, ExplainedScore, Explanation, HysteresisOptions, OptionalKeys, PairScores, ScorerBatch } from './ecs/types'

// --- sync (plugin/src/sync): the Colyseus side ---
export { AttentionPlugin } from './sync/attention-plugin'
export { AttentionTags } from './sync/options'
export { installWebSocketGlobal } from './sync/websocket-global'
export { createEntityKeys, ENTITY_KEY_LENGTH } from './sync/entity-keys'
export type { AttentionPluginOptions } from './sync/options'
export type { WebSocketClass } from './sync/websocket-global'
export type { EntityKeys } from './sync/entity-keys'

// --- view encoding (plugin/src/view-encoding): the schema encoder hook, also at colyseus-attention/view-encoding ---
export { installViewEncoding } from './view-encoding/install-view-encoding'
export { disposeViews } from './view-encoding/dispose-views'
export type { ViewEncodingHook, ViewEncodingOptions } from './view-encoding/install-view-encoding'
