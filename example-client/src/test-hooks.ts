/** Read-only hooks the browser tests use; they expose only what this page already holds. */
export interface ArenaHooks {
  roomId: string
  sessionId: string
  /** Key of this client's avatar ('' until the first attention message). */
  selfKey(): string
  /** Entities drawn in the last frame (sorted keys), excluding ones fading out. */
  drawnKeys(): string[]
  /** Frames drawn so far. */
  frames(): number
  /** Whether the attention overlay is on. */
  overlay(): boolean
  /** Where the own avatar was drawn last frame (world units), or null before it arrived. */
  selfPosition(): [number, number] | null
  /** World positions of the entities drawn last frame (not fading), keyed by entity key. */
  drawnPositions(): Record<string, [number, number]>
  /** Kind of each entity drawn last frame, keyed by entity key. */
  drawnKinds(): Record<string, string>
  /** Canvas position (CSS px) where an entity was drawn last frame, or null. */
  screenOf(key: string): [number, number] | null
  /** Focus radius from the last attention message (0 before it). */
  radius(): number
  /** Whether the server said it runs in debug mode. */
  debug(): boolean
  /** Whether the debug world layer is switched on (it draws only in debug mode). */
  worldLayer(): boolean
  /** Entities in the last `/debug/world` snapshot (0: none fetched). */
  worldSize(): number
  /** Ghosts (left-out and pending entities) the debug layer drew last frame. */
  ghostsDrawn(): number
  /** The bytes chart's samples, oldest first: received and full-state bytes per second (NaN as null). */
  chartSamples(): { you: number[]; full: (number | null)[] }
}

declare global {
  interface Window {
    /** Set once the page has joined the room. */
    __arena?: ArenaHooks
  }
}

/** Publishes the hooks on `window.__arena`, frozen. */
export function exposeHooks(hooks: ArenaHooks): void {
  window.__arena = Object.freeze(hooks)
}
