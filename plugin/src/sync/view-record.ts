import type { StateView } from '@colyseus/schema'
import { grownCopy } from '../ecs/shared-alloc'
import { createEidIndex, eidIndexDelete, eidIndexGet, eidIndexSet, type EidIndex } from './eid-index'
import { holdBand, releaseBand, type WatchBands } from './watch-bands'

/**
 * One StateView and what it holds: the entities added to it, the generation they were added
 * with and the band (view tag) they were added at. Clients bound to the same observer share it.
 */
export interface ViewRecord {
  readonly view: StateView
  /** The observer whose set the view follows (a rebind of its only client retargets it). */
  observer: number
  /**
   * The observer's observer generation when the view was bound to it (`observerGenerationOf`):
   * once the id lost its Observer (the player removed, the id perhaps reused by another), the view
   * follows it no more and stays empty until its clients are bound again.
   */
  observerGen: number
  /**
   * The observer id had no Observer when the view was bound to it: there is no observer life to
   * follow yet (an id without Position or Observer can be removed and taken by a new entity unseen).
   * The plugin confirms the binding once the id is an observer, or lets it lapse (attention-plugin.ts
   * confirmBindings).
   */
  provisional: boolean
  /** Session ids of the clients using this view. */
  readonly sessions: string[]
  /** Entities in the view, in no order; {@link recordSlot} gives an entity's index, or -1. */
  eids: Uint32Array
  gens: Uint32Array
  bands: Uint8Array
  count: number
  /** Entity id -> index in `eids` (sized by the entries, not by the entity capacity). */
  readonly index: EidIndex
  /** Entities that still wait for the entry budget after the last sync. */
  pending: number
  /**
   * Members the last sync kept out of the view for a reason of the view's own (beyond `maxRange`,
   * instance not in the state): the next sync looks for them again among every member.
   */
  held: number
  /** Per-band counts this record's entries are counted in (null until a sync adopts the record). */
  holdings: WatchBands | null
  /** Engine tick of the last sync that left the view exact, or -1 (next sync reconciles fully). */
  synced: number
  /** Observer's member count at that sync. */
  members: number
  /** Sync pass that last saw the record among the plugin's records. */
  seen: number
  /** Bytes the encoder sent this view's clients (each) since the last byte report to the engine. */
  sentBytes: number
}

/** Creates an empty record around `view`. */
export function createViewRecord(view: StateView, observer: number, observerGen: number): ViewRecord {
  return {
    view,
    observer,
    observerGen,
    provisional: false,
    sessions: [],
    eids: new Uint32Array(64),
    gens: new Uint32Array(64),
    bands: new Uint8Array(64),
    count: 0,
    index: createEidIndex(),
    pending: 0,
    held: 0,
    holdings: null,
    synced: -1,
    members: 0,
    seen: 0,
    sentBytes: 0,
  }
}

/**
 * The observer generation of a binding that lapsed: its id was still no observer once a client of
 * the view had joined. No engine generation equals it, so the view follows nobody until bound again.
 */
export const LAPSED_BINDING = -2

/**
 * True when the record's observer id lost its Observer or Position since the view was bound to it
 * (its observer generation moved): the view follows nobody now, whatever the id stands for.
 */
export function observerGone(r: ViewRecord, system: { observerGenerationOf(eid: number): number }): boolean {
  return system.observerGenerationOf(r.observer) !== r.observerGen
}

/** Appends `eid` to the record (growing its arrays by doubling). */
export function recordAdd(r: ViewRecord, eid: number, gen: number, band: number): void {
  if (r.count === r.eids.length) {
    r.eids = grownCopy(r.eids, r.count * 2)
    r.gens = grownCopy(r.gens, r.count * 2)
    r.bands = grownCopy(r.bands, r.count * 2)
  }
  eidIndexSet(r.index, eid, r.count)
  r.eids[r.count] = eid
  r.gens[r.count] = gen
  r.bands[r.count] = band
  r.count++
  if (r.holdings !== null) holdBand(r.holdings, eid, band)
}

/** Removes the entry at index `i` (the last entry fills the hole). */
export function recordRemoveAt(r: ViewRecord, i: number): void {
  const eid = r.eids[i]!
  if (r.holdings !== null) releaseBand(r.holdings, eid, r.bands[i]!)
  const last = --r.count
  if (i !== last) {
    const moved = r.eids[last]!
    r.eids[i] = moved
    r.gens[i] = r.gens[last]!
    r.bands[i] = r.bands[last]!
    eidIndexSet(r.index, moved, i)
  }
  eidIndexDelete(r.index, eid)
}

/** The index of `eid` in the record's entries, or -1 when the view does not hold it. */
export function recordSlot(r: ViewRecord, eid: number): number {
  return eidIndexGet(r.index, eid)
}

/** Sets the band of the entry at index `i`. */
export function recordSetBand(r: ViewRecord, i: number, band: number): void {
  if (r.holdings !== null) {
    releaseBand(r.holdings, r.eids[i]!, r.bands[i]!)
    holdBand(r.holdings, r.eids[i]!, band)
  }
  r.bands[i] = band
}

/** Counts the record's entries in `b` from now on (it must not be counted anywhere yet). */
export function adoptRecord(r: ViewRecord, b: WatchBands): void {
  r.holdings = b
  r.synced = -1
  for (let j = 0; j < r.count; j++) holdBand(b, r.eids[j]!, r.bands[j]!)
}

/** Stops counting the record's entries (its view was disposed). */
export function disownRecord(r: ViewRecord): void {
  const b = r.holdings
  if (b === null) return
  for (let j = 0; j < r.count; j++) releaseBand(b, r.eids[j]!, r.bands[j]!)
  r.holdings = null
}
