// colyseus-attention/zones: attention across zone rooms (experimental). Every export by name.
export { createBorderExchange } from './border-exchange'
export { checkZoneGrid, distanceToBounds, parseZoneSize, zoneAt, zoneBounds, zoneCount, zoneNeighbours } from './zone-grid'
export type { BorderExchange } from './border-exchange'
export type { BorderPresence } from './exchange-options'
export type { BorderEvents, BorderExchangeOptions, BorderStats } from './exchange-options'
export type { BorderFieldFormat } from './border-codec'
export type { ZoneComponents } from './ghost-store'
export type { ZoneBounds, ZoneGrid, ZoneSize } from './zone-grid'
