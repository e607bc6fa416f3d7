import { describe, expect, it } from 'vitest'
import { EntryTable } from '../../src/sync/entry-table'

/** Deterministic generator for the random operation sequences. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

type Key = number | { id: number }

const objectKeys: { id: number }[] = Array.from({ length: 6 }, (_, id) => ({ id }))

function snapshot(m: { forEach(fn: (v: number, k: Key) => void): void }): [Key, number][] {
  const out: [Key, number][] = []
  m.forEach((v, k) => out.push([k, v]))
  return out
}

describe('entry-table', () => {
  it('should behave as a Map (values, order, size, iteration) over random sets, deletes and clears', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const rnd = rng(seed)
      const table = new EntryTable<Key, number>()
      const oracle = new Map<Key, number>()
      // a small key range makes deletes and re-sets of the same key frequent; a large one grows the index
      const range = seed % 2 === 0 ? 12 : 400
      for (let step = 0; step < 1500; step++) {
        const r = rnd()
        const key: Key = rnd() < 0.05 ? objectKeys[Math.floor(rnd() * objectKeys.length)]! : Math.floor(rnd() * range)
        if (r < 0.55) {
          const v = Math.floor(rnd() * 1000)
          table.set(key, v)
          oracle.set(key, v)
        } else if (r < 0.9) expect(table.delete(key)).toBe(oracle.delete(key))
        else if (r < 0.92) {
          table.clear()
          oracle.clear()
        }
        expect(table.size).toBe(oracle.size)
        expect(table.get(key)).toBe(oracle.get(key))
        expect(table.has(key)).toBe(oracle.has(key))
        if (step % 50 === 0) {
          expect(snapshot(table)).toEqual(snapshot(oracle))
          expect([...table.keys()]).toEqual([...oracle.keys()])
          expect([...table]).toEqual([...oracle])
          for (let k = 0; k < range; k++) expect(table.get(k)).toBe(oracle.get(k))
        }
      }
    }
  })

  it('should visit what a Map visits when entries are deleted or set during a walk', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const build = (): [EntryTable<number, number>, Map<number, number>] => {
        const table = new EntryTable<number, number>()
        const oracle = new Map<number, number>()
        const rnd = rng(seed)
        for (let i = 0; i < 30; i++) {
          const k = Math.floor(rnd() * 50)
          table.set(k, i)
          oracle.set(k, i)
        }
        return [table, oracle]
      }
      const walk = (m: EntryTable<number, number> | Map<number, number>, viaKeys: boolean): number[] => {
        const rnd = rng(seed * 7)
        const seen: number[] = []
        const visit = (k: number): void => {
          seen.push(k)
          const r = rnd()
          const other = Math.floor(rnd() * 50)
          if (r < 0.3) m.delete(other)
          else if (r < 0.4 && seen.length < 60) m.set(other + 100, k)
        }
        if (viaKeys) for (const k of m.keys()) visit(k)
        else m.forEach((_v, k) => visit(k))
        return seen
      }
      for (const viaKeys of [false, true]) {
        const [table, oracle] = build()
        expect(walk(table, viaKeys)).toEqual(walk(oracle, viaKeys))
        expect([...table]).toEqual([...oracle])
      }
    }
  })

  it('should index the key whose set grows the index once, so that later deletes still work', () => {
    // keys sharing one home slot in the grown index (the table's hash): one probe chain, so the
    // delete of the first shifts every later slot back, a slot left behind by the growth included
    const hash = (key: number): number => Math.imul(key | 0, 0x9e3779b1) >>> 16
    const keys: number[] = []
    for (let k = 1; keys.length < 8; k++) if ((hash(k) & 31) === (hash(1) & 31)) keys.push(k)
    const table = new EntryTable<number, number>()
    const oracle = new Map<number, number>()
    // the 8th set grows the index from 16 to 32 slots
    for (const k of keys) {
      table.set(k, k)
      oracle.set(k, k)
    }
    for (const k of [keys[7]!, ...keys.slice(0, 7)]) {
      expect(table.delete(k)).toBe(oracle.delete(k))
      expect([...table]).toEqual([...oracle])
    }
  })

  it('should squeeze out deleted positions when never cleared, keeping order and lookups', () => {
    const table = new EntryTable<number, number>()
    const oracle = new Map<number, number>()
    const rnd = rng(11)
    for (let step = 0; step < 20000; step++) {
      const k = Math.floor(rnd() * 40)
      if (rnd() < 0.5) {
        table.set(k, step)
        oracle.set(k, step)
      } else {
        table.delete(k)
        oracle.delete(k)
      }
    }
    expect([...table]).toEqual([...oracle])
    // without compaction every set of a deleted key would have taken a new position
    expect((table as unknown as { used: number }).used).toBeLessThan(200)
  })

  it('should keep its arrays and index across clear() (refilled to the same size, nothing is replaced)', () => {
    const table = new EntryTable<number, number>()
    const fill = (): void => {
      for (let k = 0; k < 200; k++) table.set(k * 37, k)
      for (let k = 0; k < 200; k += 3) table.delete(k * 37)
      table.clear()
    }
    fill()
    const keyArray = (table as unknown as { keyAt: unknown[] }).keyAt
    const index = (table as unknown as { index: Int32Array }).index
    for (let round = 0; round < 5; round++) fill()
    expect((table as unknown as { keyAt: unknown[] }).keyAt).toBe(keyArray)
    expect((table as unknown as { index: Int32Array }).index).toBe(index)
  })
})
