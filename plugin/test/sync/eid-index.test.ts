import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createEidIndex, eidIndexDelete, eidIndexGet, eidIndexSet } from '../../src/sync/eid-index'

// The view records' entity-id index against a Map: random sets, overwrites and deletions (the
// backward-shift deletion is the part that can go wrong), over ids that collide in small tables.

type Op = { kind: 'set'; eid: number; value: number } | { kind: 'delete'; eid: number }

const op = (maxEid: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), eid: fc.integer({ min: 0, max: maxEid }), value: fc.integer({ min: 0, max: 1 << 20 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), eid: fc.integer({ min: 0, max: maxEid }) }) },
  )

describe('EidIndex', () => {
  it('should agree with a Map after every operation, for every id', () => {
    fc.assert(
      // small id ranges make deletions hit held keys often; large ones spread keys over grown tables
      fc.property(fc.oneof(fc.integer({ min: 8, max: 160 }), fc.integer({ min: 161, max: 5000 })), fc.array(op(5000), { minLength: 100, maxLength: 400, size: 'max' }), (maxEid, ops) => {
        const x = createEidIndex()
        const m = new Map<number, number>()
        for (const o of ops) {
          const eid = o.eid % (maxEid + 1)
          if (o.kind === 'set') {
            eidIndexSet(x, eid, o.value)
            m.set(eid, o.value)
          } else {
            eidIndexDelete(x, eid)
            m.delete(eid)
          }
          // plain comparisons (an expect per entry per step made this test take seconds); a false
          // result fails the property with its counterexample
          if (x.size !== m.size) return false
          for (const [k, v] of m) if (eidIndexGet(x, k) !== v) return false
        }
        for (let e = 0; e <= Math.min(maxEid, 600); e++) if (eidIndexGet(x, e) !== (m.get(e) ?? -1)) return false
        return true
      }),
      { numRuns: 100 },
    )
  })

  it('should stay sized by its entries: 30 entries of a large id space keep the first table', () => {
    const x = createEidIndex()
    for (let i = 0; i < 30; i++) eidIndexSet(x, 1_000_000 + i * 7919, i)
    expect(x.keys.length).toBe(64)
    for (let i = 0; i < 30; i++) eidIndexSet(x, 2_000_000 + i, i)
    expect(x.keys.length).toBe(128)
    for (let i = 0; i < 30; i++) expect(eidIndexGet(x, 1_000_000 + i * 7919)).toBe(i)
  })

  it('should leave a key at its own home slot where it is when the key before it is deleted', () => {
    const x = createEidIndex()
    const homeOf = (e: number): number => Math.imul(e, 0x9e3779b1 | 0) >>> x.shift
    const a = 1
    let b = 2
    while (homeOf(b) !== (homeOf(a) + 1) % 64) b++
    eidIndexSet(x, a, 10)
    eidIndexSet(x, b, 20)
    eidIndexDelete(x, a)
    expect(eidIndexGet(x, b)).toBe(20)
    expect(eidIndexGet(x, a)).toBe(-1)
  })

  it('should find every key of a long probe run after deleting from its middle', () => {
    // ids that share a home slot form one run; deleting inside it must keep the rest reachable
    const x = createEidIndex()
    const same: number[] = []
    for (let e = 0; same.length < 12; e++) if (Math.imul(e, 0x9e3779b1 | 0) >>> x.shift === 5) same.push(e)
    same.forEach((e, i) => eidIndexSet(x, e, i))
    for (const k of [3, 0, 11, 6]) eidIndexDelete(x, same[k]!)
    same.forEach((e, i) => expect(eidIndexGet(x, e)).toBe([3, 0, 11, 6].includes(i) ? -1 : i))
  })
})
