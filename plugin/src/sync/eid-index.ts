// Owns: a small map from entity id to an index (where a view's record keeps that entity), sized
// by the entries it holds rather than by the entity capacity: a view of 30 members costs a table
// of 64 slots, not a capacity-long array per view (500 views of a 10,000-entity room held 20 MB
// that way, and its lookups missed the cache). Open addressing with linear probing over a
// power-of-two table, multiplicative hashing, deletion by backward shift (no tombstones, so a
// probe never walks past deleted keys). Allocation-free but when it grows (doubling).

/** The table: `keys[h]` an entity id or -1 (empty), `vals[h]` its index. */
export interface EidIndex {
  keys: Int32Array
  vals: Int32Array
  /** 32 - log2(table size): the home slot of `eid` is `imul(eid, GOLDEN) >>> shift`. */
  shift: number
  /** Keys held. */
  size: number
}

const GOLDEN = 0x9e3779b1 | 0
const FIRST_BITS = 6

/** Creates an empty index. */
export function createEidIndex(): EidIndex {
  return { keys: new Int32Array(1 << FIRST_BITS).fill(-1), vals: new Int32Array(1 << FIRST_BITS), shift: 32 - FIRST_BITS, size: 0 }
}

/** The index stored for `eid`, or -1. */
export function eidIndexGet(x: EidIndex, eid: number): number {
  const keys = x.keys
  const mask = keys.length - 1
  for (let h = Math.imul(eid, GOLDEN) >>> x.shift; ; h = (h + 1) & mask) {
    const k = keys[h]!
    if (k === eid) return x.vals[h]!
    if (k === -1) return -1
  }
}

/** Stores `value` (>= 0) for `eid`, replacing what it held. */
export function eidIndexSet(x: EidIndex, eid: number, value: number): void {
  // at most half full: probes stay short
  if (2 * (x.size + 1) > x.keys.length) grow(x)
  const keys = x.keys
  const mask = keys.length - 1
  for (let h = Math.imul(eid, GOLDEN) >>> x.shift; ; h = (h + 1) & mask) {
    const k = keys[h]!
    if (k === eid) {
      x.vals[h] = value
      return
    }
    if (k === -1) {
      keys[h] = eid
      x.vals[h] = value
      x.size++
      return
    }
  }
}

/** Removes `eid` (nothing when absent). */
export function eidIndexDelete(x: EidIndex, eid: number): void {
  const keys = x.keys
  const vals = x.vals
  const mask = keys.length - 1
  const shift = x.shift
  let i = Math.imul(eid, GOLDEN) >>> shift
  for (;;) {
    const k = keys[i]!
    if (k === -1) return
    if (k === eid) break
    i = (i + 1) & mask
  }
  x.size--
  // backward shift: move later keys of the run into the hole when their home slot allows it
  for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
    const k = keys[j]!
    if (k === -1) break
    const home = Math.imul(k, GOLDEN) >>> shift
    // k stays when its home lies cyclically in (i, j]: moving it to i would put it before its home
    const stays = i <= j ? i < home && home <= j : i < home || home <= j
    if (stays) continue
    keys[i] = k
    vals[i] = vals[j]!
    i = j
  }
  keys[i] = -1
}

/** Doubles the table and re-inserts every key. */
function grow(x: EidIndex): void {
  const oldKeys = x.keys
  const oldVals = x.vals
  const n = oldKeys.length * 2
  x.keys = new Int32Array(n).fill(-1)
  x.vals = new Int32Array(n)
  x.shift--
  x.size = 0
  for (let h = 0; h < oldKeys.length; h++) {
    const k = oldKeys[h]!
    if (k !== -1) eidIndexSet(x, k, oldVals[h]!)
  }
}
