// The public API of colyseus-attention: every export by name.

// --- engine (plugin/src/ecs): knows nothing of Colyseus ---
export { createAttentionComponents, addObserver, addSalience, setFacingAngle, setAimTarget } from './ecs/components'
export { createAttentionSystem, createHeadScorer } from './ecs/attention-system'
export { DEFAULT_WEIGHTS, DEFAULT_HYSTERESIS, DEFAULT_BANDS, DEFAULT_BYTE_COSTS, NO_HYSTERESIS } from './ecs/options'
export { Band, Feature, FEATURE_COUNT, HEAD_NAMES } from './ecs/types'
export type { AttentionComponents, Vec3Store, ObserverOptions } from './ecs/components'
export type { AttentionOptions } from './ecs/options'
export type {
  AttentionScorer,
  AttentionSystem,
  BandOptions,
  ByteCostOptions,
  ExplainedScore,
  Explanation,
  HeadName,
  HeadWeights,
  HysteresisOptions,
  ScorerBatch,
} from './ecs/types'

// --- sync (plugin/src/sync): the Colyseus side ---
export { AttentionPlugin } from './sync/attention-plugin'
export { AttentionTags } from './sync/options'
export { installWebSocketGlobal } from './sync/websocket-global'
export type { AttentionPluginOptions } from './sync/options'
export type { WebSocketClass } from './sync/websocket-global'

// --- view encoding (plugin/src/view-encoding): the schema encoder hook, also at colyseus-attention/view-encoding ---
export { installViewEncoding } from './view-encoding/install-view-encoding'
export type { ViewEncodingHook, ViewEncodingOptions } from './view-encoding/install-view-encoding'
