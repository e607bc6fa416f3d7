import type { Vec3Store } from '../ecs/components'
import type { SetReader } from './set-reader'
import type { ViewRecord } from './view-record'
import { createWatchBands, type WatchBands } from './watch-bands'

/** Scratch shared by every sync pass (one plugin instance, one thread). */
export interface SyncScratch {
  /** Per-entity stamps of the current view's pass, and the member index found for a stamped entity. */
  mark: Uint32Array
  markIndex: Int32Array
  stamp: number
  /** Member indices of a view's entrants. */
  pending: Int32Array
  /** Highest band any view holds each entity at after the last sync (-1: in no view); `bands.watch`. */
  watch: Int8Array
  bands: WatchBands
  /** Accessors of the system last synced. */
  reader: SetReader | null
  /** Records whose entries `bands` counts, to uncount those the plugin dropped. */
  known: ViewRecord[]
  /** Sync pass number, the pass each entity was last refreshed in, and the band it was refreshed for then. */
  pass: number
  refreshed: Uint32Array
  refreshedBand: Int8Array
  refresh: ((eid: number, band: number) => void) | null
  /** The first error the refresh callback threw, and for which entity (-1: none yet). */
  refreshError: unknown
  refreshErrorEid: number
  /**
   * An instance was tracked since the last sync. Its entity may have been a member for a while, so
   * it is in no entered list: this sync looks for entrants among every member of every view.
   */
  tracked: boolean
  /**
   * Test oracle, not an option: reconcile every view from its whole set each sync and rebuild
   * `watch` from every view entry, as before incremental sync.
   */
  fullReconcile: boolean
  /** `maxRange` squared (Infinity: unbounded) and the positions it is measured on. */
  maxRange2: number
  positions: Vec3Store | null
  /** Entities of the pass not added because their instance left the state (for a once-only warning). */
  detached: number
  /** The first such entity, for the warning. */
  detachedEid: number
  /** A view the last sync emptied because its observer id lost its Observer since the bind (-1: none). */
  orphanedObserver: number
  /** A member the last sync could not send because its tracked instance predates a removal of its Position (-1: none). */
  staleTracked: number
  /**
   * An entity sent with a child schema whose own tagged fields were held back (schema-tags.ts
   * stripChildTags; -1: none), and the child's class, for a once-only warning.
   */
  strippedEid: number
  strippedClass: string
}

/** Creates sync scratch for `capacity` entity ids. */
export function createSyncScratch(capacity: number): SyncScratch {
  const bands = createWatchBands(capacity)
  return {
    mark: new Uint32Array(capacity),
    markIndex: new Int32Array(capacity),
    stamp: 0,
    pending: new Int32Array(64),
    watch: bands.watch,
    bands,
    reader: null,
    known: [],
    pass: 0,
    refreshed: new Uint32Array(capacity),
    refreshedBand: new Int8Array(capacity),
    refresh: null,
    refreshError: undefined,
    refreshErrorEid: -1,
    tracked: false,
    fullReconcile: false,
    maxRange2: Infinity,
    positions: null,
    detached: 0,
    detachedEid: -1,
    orphanedObserver: -1,
    staleTracked: -1,
    strippedEid: -1,
    strippedClass: '',
  }
}

/** A fresh stamp for `mark` (stamps stay small integers: a larger number would be boxed). */
export function nextStamp(s: SyncScratch): number {
  if (++s.stamp === 0x3fffffff) {
    s.mark.fill(0)
    s.stamp = 1
  }
  return s.stamp
}

/** Makes room for `n` entrants in `pending`. */
export function reservePending(s: SyncScratch, n: number): void {
  if (n <= s.pending.length) return
  let len = s.pending.length * 2
  while (len < n) len *= 2
  const grown = new Int32Array(len)
  grown.set(s.pending)
  s.pending = grown
}
