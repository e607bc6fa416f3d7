/**
 * How many views hold each entity at each band, and the published `watch` band derived from it:
 * the highest band any view holds the entity at after the last sync (-1: no view holds it). The
 * counts change with every view edit (sync, untrack, a view's disposal); `watch` changes only when a
 * sync publishes, so between syncs it reads the same as a rebuild from every view would.
 */
export interface WatchBands {
  /** Views holding each entity at each band: `count[eid * 3 + band]`. */
  readonly count: Uint32Array
  /** Published highest band per entity, -1 when no view holds it. */
  readonly watch: Int8Array
  /** Entities with `watch >= 0`, dense; `watchedAt[eid]` is the index, or -1. */
  readonly watched: Uint32Array
  readonly watchedAt: Int32Array
  watchedN: number
  /** Entities whose counts changed since the last publish (each once). */
  readonly dirty: Uint32Array
  readonly dirtyMark: Uint8Array
  dirtyN: number
}

/** Creates empty counts for `capacity` entity ids. */
export function createWatchBands(capacity: number): WatchBands {
  return {
    count: new Uint32Array(capacity * 3),
    watch: new Int8Array(capacity).fill(-1),
    watched: new Uint32Array(capacity),
    watchedAt: new Int32Array(capacity).fill(-1),
    watchedN: 0,
    dirty: new Uint32Array(capacity),
    dirtyMark: new Uint8Array(capacity),
    dirtyN: 0,
  }
}

/** Counts one more view holding `eid` at `band`. */
export function holdBand(b: WatchBands, eid: number, band: number): void {
  b.count[eid * 3 + band]!++
  touch(b, eid)
}

/** Counts one view fewer holding `eid` at `band`. */
export function releaseBand(b: WatchBands, eid: number, band: number): void {
  b.count[eid * 3 + band]!--
  touch(b, eid)
}

function touch(b: WatchBands, eid: number): void {
  if (b.dirtyMark[eid] === 1) return
  b.dirtyMark[eid] = 1
  b.dirty[b.dirtyN++] = eid
}

/** Recomputes `watch` for every entity whose counts changed since the last publish. */
export function publishWatch(b: WatchBands): void {
  const count = b.count
  for (let k = 0; k < b.dirtyN; k++) {
    const e = b.dirty[k]!
    b.dirtyMark[e] = 0
    const c = e * 3
    const w = count[c + 2]! > 0 ? 2 : count[c + 1]! > 0 ? 1 : count[c]! > 0 ? 0 : -1
    if (w !== -1) watchAt(b, e, w)
    else if (b.watch[e] !== -1) {
      b.watch[e] = -1
      const i = b.watchedAt[e]!
      const last = b.watched[--b.watchedN]!
      b.watched[i] = last
      b.watchedAt[last] = i
      b.watchedAt[e] = -1
    }
  }
  b.dirtyN = 0
}

/** Rebuild mode: forgets every watch band (the pass then calls {@link raiseWatch} for each view entry). */
export function resetWatch(b: WatchBands): void {
  for (let k = 0; k < b.watchedN; k++) {
    const e = b.watched[k]!
    b.watch[e] = -1
    b.watchedAt[e] = -1
  }
  b.watchedN = 0
}

/** Rebuild mode: records that a view holds `eid` at `band`. */
export function raiseWatch(b: WatchBands, eid: number, band: number): void {
  if (band > b.watch[eid]!) watchAt(b, eid, band)
}

function watchAt(b: WatchBands, eid: number, band: number): void {
  if (b.watch[eid] === -1) {
    b.watchedAt[eid] = b.watchedN
    b.watched[b.watchedN++] = eid
  }
  b.watch[eid] = band
}
