/*
 * Owns: an insertion-ordered map that reuses its storage across `clear()`, for the per-view change
 * entries the sync layer rewrites every patch (view-entries.ts).
 *
 * A `Map` allocates a new table on every `clear()` and again at each doubling as it refills: a
 * pooled map emptied and refilled each patch leaves a few hundred bytes of garbage per view that
 * changed. This table keeps its arrays: in the steady state a patch allocates nothing.
 *
 * It behaves as a `Map` for everything schema's StateView and encoder and the plugin's drain do
 * with a view's entries (`get`, `set`, `has`, `delete`, `clear`, `size`, `forEach`, `keys`,
 * `entries`, iteration), with the same order: insertion order, a key deleted and set again goes to
 * the end, and a walk visits entries set during it and skips entries deleted before it reaches
 * them. Keys are numbers (found through an open-addressing index) or objects (found by a scan:
 * element bindings under an array, rare).
 */

/** Marks a deleted position in the ordered arrays. */
const HOLE: unique symbol = Symbol('hole')

/** An insertion-ordered map with storage kept across `clear()`; see the file comment. */
export class EntryTable<K, V> {
  /** Keys and values in insertion order; deleted positions hold {@link HOLE}. */
  private keyAt: (K | typeof HOLE)[] = []
  private valueAt: (V | undefined)[] = []
  /** Positions used in the ordered arrays (live entries and holes). */
  private used = 0
  private live = 0
  /** Open addressing, linear probing: position + 1 of each numeric key, 0 for an empty slot. */
  private index = new Int32Array(16)
  private mask = 15
  /** Object keys among the live entries (found by a scan). */
  private objects = 0
  /** Walks in progress (forEach, keys, values, entries): positions must not move meanwhile. */
  private walking = 0

  get size(): number {
    return this.live
  }

  get [Symbol.toStringTag](): string {
    return 'EntryTable'
  }

  has(key: K): boolean {
    return this.find(key) !== -1
  }

  get(key: K): V | undefined {
    const at = this.find(key)
    return at === -1 ? undefined : this.valueAt[at]
  }

  set(key: K, value: V): this {
    const at = this.find(key)
    if (at !== -1) {
      this.valueAt[at] = value
      return this
    }
    // a table never cleared (a view no patch encodes, its client away) would otherwise keep every
    // deleted position: squeeze them out once they outnumber the live entries
    if (this.used >= 64 && this.used >= 2 * this.live + 32 && this.walking === 0) this.compact()
    const pos = this.used++
    this.keyAt[pos] = key
    this.valueAt[pos] = value
    this.live++
    if (typeof key === 'number') {
      // growIndex indexes every key written so far, this one included: indexed twice, a key would
      // leave a slot pointing at its deleted position, which a later backward shift cannot hash
      if (this.live * 2 > this.mask) this.growIndex()
      else this.insertIndex(key, pos)
    } else this.objects++
    return this
  }

  delete(key: K): boolean {
    const at = this.find(key)
    if (at === -1) return false
    if (typeof key === 'number') this.removeIndex(key)
    else this.objects--
    this.keyAt[at] = HOLE
    this.valueAt[at] = undefined
    this.live--
    return true
  }

  clear(): void {
    const keys = this.keyAt
    const values = this.valueAt
    // drop the references (the arrays stay, at their length)
    for (let i = 0; i < this.used; i++) {
      keys[i] = HOLE
      values[i] = undefined
    }
    if (this.live > 0) this.index.fill(0)
    this.used = 0
    this.live = 0
    this.objects = 0
  }

  /** Calls `fn` for each entry in order, as `Map.prototype.forEach` does. */
  forEach<T>(fn: (this: T, value: V, key: K, table: this) => void, thisArg?: T): void {
    const keys = this.keyAt
    this.walking++
    try {
      // `used` is read each step: entries set during the walk are visited
      for (let i = 0; i < this.used; i++) {
        const k = keys[i]!
        if (k !== HOLE) fn.call(thisArg as T, this.valueAt[i] as V, k, this)
      }
    } finally {
      this.walking--
    }
  }

  *keys(): IterableIterator<K> {
    this.walking++
    try {
      for (let i = 0; i < this.used; i++) {
        const k = this.keyAt[i]!
        if (k !== HOLE) yield k
      }
    } finally {
      this.walking--
    }
  }

  *values(): IterableIterator<V> {
    this.walking++
    try {
      for (let i = 0; i < this.used; i++) if (this.keyAt[i] !== HOLE) yield this.valueAt[i] as V
    } finally {
      this.walking--
    }
  }

  *entries(): IterableIterator<[K, V]> {
    this.walking++
    try {
      for (let i = 0; i < this.used; i++) {
        const k = this.keyAt[i]!
        if (k !== HOLE) yield [k, this.valueAt[i] as V]
      }
    } finally {
      this.walking--
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }

  /** Position of `key` in the ordered arrays, or -1. */
  private find(key: K): number {
    if (typeof key === 'number') {
      const index = this.index
      const mask = this.mask
      for (let s = hash(key) & mask; ; s = (s + 1) & mask) {
        const p = index[s]!
        if (p === 0) return -1
        if (this.keyAt[p - 1] === key) return p - 1
      }
    }
    if (this.objects === 0) return -1
    const keys = this.keyAt
    for (let i = 0; i < this.used; i++) if (keys[i] === key) return i
    return -1
  }

  private insertIndex(key: number, pos: number): void {
    const index = this.index
    const mask = this.mask
    let s = hash(key) & mask
    while (index[s] !== 0) s = (s + 1) & mask
    index[s] = pos + 1
  }

  /** Removes `key` from the index, shifting back the entries probed past it (no tombstones). */
  private removeIndex(key: number): void {
    const index = this.index
    const mask = this.mask
    let s = hash(key) & mask
    while (this.keyAt[index[s]! - 1] !== key) s = (s + 1) & mask
    let hole = s
    for (let t = (s + 1) & mask; index[t] !== 0; t = (t + 1) & mask) {
      const home = hash(this.keyAt[index[t]! - 1] as number) & mask
      // move t into the hole unless its home lies cyclically in (hole, t]
      if (hole <= t ? home <= hole || home > t : home <= hole && home > t) {
        index[hole] = index[t]!
        hole = t
      }
    }
    index[hole] = 0
  }

  /** Moves the live entries to the front, in order, and rebuilds the index (no walk in progress). */
  private compact(): void {
    const keys = this.keyAt
    const values = this.valueAt
    let n = 0
    for (let i = 0; i < this.used; i++) {
      const k = keys[i]!
      if (k === HOLE) continue
      keys[n] = k
      values[n] = values[i]
      n++
    }
    for (let i = n; i < this.used; i++) {
      keys[i] = HOLE
      values[i] = undefined
    }
    this.used = n
    this.index.fill(0)
    for (let i = 0; i < n; i++) {
      const k = keys[i]
      if (typeof k === 'number') this.insertIndex(k, i)
    }
  }

  /** Doubles the index (outside the steady state: once per new high-water mark). */
  private growIndex(): void {
    this.index = new Int32Array(this.index.length * 2)
    this.mask = this.index.length - 1
    for (let i = 0; i < this.used; i++) {
      const k = this.keyAt[i]
      if (typeof k === 'number') this.insertIndex(k, i)
    }
  }
}

/** Multiplicative hash of an integer key (ref ids and field indices are small and dense). */
function hash(key: number): number {
  return Math.imul(key | 0, 0x9e3779b1) >>> 16
}
