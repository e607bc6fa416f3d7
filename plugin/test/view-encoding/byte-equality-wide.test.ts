import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Encoder, schema, StateView, t } from '@colyseus/schema'
import { installViewEncoding } from '../../src/view-encoding/install-view-encoding'

// Oracle: the stock schema encoder, as in byte-equality.test.ts, on the shapes that test leaves
// out: classes of more than 8 and more than 32 fields (ops in an array, the high dirty word),
// nested schemas, arrays and maps of primitives and of schemas inside filtered objects, arrays of
// filtered schemas, and views disposed (and replaced) mid-run.

const MOTION = 1
const DETAIL = 2
const WIDE_FIELDS = 40
const MID_FIELDS = 12

/** Field i's tag: some MOTION, some DETAIL, some `.view()`, the rest untagged, spread over both dirty words. */
const tagOf = (i: number): number | 'view' | undefined => (i % 5 === 1 ? MOTION : i % 5 === 2 ? DETAIL : i % 7 === 3 ? 'view' : undefined)

function fields(n: number): Record<string, ReturnType<typeof t.uint8>> {
  const out: Record<string, ReturnType<typeof t.uint8>> = {}
  for (let i = 0; i < n; i++) {
    const tag = tagOf(i)
    const f = t.uint8().default(0)
    out[`f${i}`] = tag === undefined ? f : tag === 'view' ? f.view() : f.view(tag)
  }
  return out
}

const Leaf = schema({ v: t.uint8().default(0), w: t.uint8().default(0).view(DETAIL) }, 'VeWideLeaf')
const Wide = schema(
  {
    ...fields(WIDE_FIELDS),
    leaf: Leaf,
    nums: t.array('uint8'),
    dict: t.map('uint8'),
    leaves: t.array(Leaf),
    leafMap: t.map(Leaf),
  },
  'VeWideItem',
)
const Mid = schema(fields(MID_FIELDS), 'VeWideMid')
const State = schema(
  {
    tick: t.uint16().default(0),
    wides: t.map(Wide).view(),
    mids: t.map(Mid).view(),
    list: t.array(Mid).view(),
    open: t.map(Wide),
  },
  'VeWideState',
)
type State = InstanceType<typeof State>
type Coll = 'wides' | 'mids' | 'list' | 'open'
type Nested = 'leaf' | 'leaf.w' | 'leaf.replace' | 'nums.push' | 'nums.set' | 'nums.pop' | 'dict.set' | 'dict.delete' | 'leaves.push' | 'leaves.set' | 'leafMap.set' | 'leafMap.delete'

type Op =
  | { k: 'spawn'; coll: Coll; key: number }
  | { k: 'despawn'; coll: Coll; key: number }
  | { k: 'set'; coll: Coll; key: number; field: number; value: number }
  | { k: 'nested'; key: number; what: Nested; value: number }
  | { k: 'add'; view: number; coll: Coll; key: number; tag: number }
  | { k: 'remove'; view: number; coll: Coll; key: number; tag: number }
  | { k: 'dispose'; view: number }
  | { k: 'tick'; value: number }
  | { k: 'patch'; order: number[]; twice: number }

const KEYS = 6
const VIEWS = 4
const COLLS: Coll[] = ['wides', 'mids', 'list', 'open']
const NESTED: Nested[] = ['leaf', 'leaf.w', 'leaf.replace', 'nums.push', 'nums.set', 'nums.pop', 'dict.set', 'dict.delete', 'leaves.push', 'leaves.set', 'leafMap.set', 'leafMap.delete']
const collArb = fc.constantFrom(...COLLS)
const tagArb = fc.constantFrom(-1, MOTION, DETAIL, MOTION | DETAIL)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('spawn' as const), coll: collArb, key: fc.nat(KEYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('despawn' as const), coll: collArb, key: fc.nat(KEYS - 1) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('set' as const), coll: collArb, key: fc.nat(KEYS - 1), field: fc.nat(WIDE_FIELDS - 1), value: fc.nat(255) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('nested' as const), key: fc.nat(KEYS - 1), what: fc.constantFrom(...NESTED), value: fc.nat(255) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('add' as const), view: fc.nat(VIEWS - 1), coll: collArb, key: fc.nat(KEYS - 1), tag: tagArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), view: fc.nat(VIEWS - 1), coll: collArb, key: fc.nat(KEYS - 1), tag: tagArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dispose' as const), view: fc.nat(VIEWS - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const), value: fc.nat(1000) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('patch' as const),
      order: fc.shuffledSubarray([...Array(VIEWS).keys()], { minLength: 0, maxLength: VIEWS }),
      twice: fc.integer({ min: -1, max: VIEWS - 1 }),
    }),
  },
)

type Obj = InstanceType<typeof Wide> | InstanceType<typeof Mid>

/** One side of the comparison: a state, its encoder and views, driven by the ops. */
function createSide(hooked: boolean, direct = true) {
  const state: State = new State()
  const encoder = new Encoder(state)
  const hook = hooked ? installViewEncoding(encoder, { direct }) : null
  const views: StateView[] = []
  for (let i = 0; i < VIEWS; i++) views.push(new StateView())
  const live = new Map<string, Obj>()
  encoder.encodeAll({ offset: 0 })
  const wideOf = (key: number) => (live.get(`wides:${key}`) ?? live.get(`open:${key}`)) as InstanceType<typeof Wide> | undefined
  const apply = (op: Op): Uint8Array[] | null => {
    switch (op.k) {
      case 'spawn': {
        const id = `${op.coll}:${op.key}`
        if (live.has(id)) return null
        if (op.coll === 'wides' || op.coll === 'open') {
          const w = new Wide()
          w.leaf = new Leaf()
          ;(w as unknown as Record<string, number>).f0 = op.key
          state[op.coll].set(String(op.key), w)
          live.set(id, w)
        } else {
          const m = new Mid()
          ;(m as unknown as Record<string, number>).f0 = op.key
          if (op.coll === 'mids') state.mids.set(String(op.key), m)
          else state.list.push(m)
          live.set(id, m)
        }
        return null
      }
      case 'despawn': {
        const id = `${op.coll}:${op.key}`
        const o = live.get(id)
        if (o === undefined) return null
        if (op.coll === 'list') state.list.splice(state.list.indexOf(o as InstanceType<typeof Mid>), 1)
        else state[op.coll].delete(String(op.key))
        live.delete(id)
        return null
      }
      case 'set': {
        const o = live.get(`${op.coll}:${op.key}`)
        if (o === undefined) return null
        const n = op.coll === 'wides' || op.coll === 'open' ? WIDE_FIELDS : MID_FIELDS
        ;(o as unknown as Record<string, number>)[`f${op.field % n}`] = op.value
        return null
      }
      case 'nested': {
        const w = wideOf(op.key)
        if (w === undefined) return null
        const v = op.value
        switch (op.what) {
          case 'leaf': w.leaf.v = v; break
          case 'leaf.w': w.leaf.w = v; break
          case 'leaf.replace': { const l = new Leaf(); l.v = v; w.leaf = l; break }
          case 'nums.push': w.nums.push(v); break
          case 'nums.set': if (w.nums.length > 0) w.nums[v % w.nums.length] = v; break
          case 'nums.pop': w.nums.pop(); break
          case 'dict.set': w.dict.set(String(v % 4), v); break
          case 'dict.delete': w.dict.delete(String(v % 4)); break
          case 'leaves.push': { const l = new Leaf(); l.w = v; w.leaves.push(l); break }
          case 'leaves.set': if (w.leaves.length > 0) w.leaves[v % w.leaves.length]!.v = v; break
          case 'leafMap.set': { const l = new Leaf(); l.v = v; w.leafMap.set(String(v % 3), l); break }
          case 'leafMap.delete': w.leafMap.delete(String(v % 3)); break
        }
        return null
      }
      case 'add':
      case 'remove': {
        const o = live.get(`${op.coll}:${op.key}`)
        if (o === undefined || op.coll === 'open') return null
        const v = views[op.view]!
        if (op.k === 'add') {
          if (op.tag === -1) v.add(o)
          else v.add(o, op.tag)
        } else if (op.tag === -1) v.remove(o)
        else v.remove(o, op.tag)
        return null
      }
      case 'dispose':
        // the client left: its view goes, a new client's view takes its place (and later its id)
        views[op.view]!.dispose()
        views[op.view] = new StateView()
        return null
      case 'tick':
        state.tick = op.value
        return null
      case 'patch': {
        const it = { offset: 0 }
        const out: Uint8Array[] = [encoder.encode(it).slice()]
        const shared = it.offset
        for (const v of op.order) out.push(encoder.encodeView(views[v]!, shared, it).slice())
        if (op.twice >= 0 && op.order.includes(op.twice)) out.push(encoder.encodeView(views[op.twice]!, shared, it).slice())
        encoder.discardChanges()
        return out
      }
    }
  }
  return { apply, hook }
}

describe('view-encoding (wide and nested schemas)', () => {
  it.each([
    ['direct pass', true],
    ['schema pass over the lists', false],
  ])('should encode every view to the same bytes as the stock encoder (%s)', (_, direct) => {
    let indexedPatches = 0
    let directPasses = 0
    let disposed = 0
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 150, size: 'max' }), (ops) => {
        const a = createSide(true, direct)
        const b = createSide(false)
        ops.push({ k: 'patch', order: [...Array(VIEWS).keys()], twice: -1 })
        for (const op of ops) {
          if (op.k === 'dispose') disposed++
          const got = a.apply(op)
          const want = b.apply(op)
          if (got === null || want === null) continue
          const firsts = 1 + (op as Extract<Op, { k: 'patch' }>).order.length
          expect(got.slice(0, firsts)).toEqual(want.slice(0, firsts))
        }
        expect(a.hook!.fallbacks).toBe(0)
        indexedPatches += a.hook!.indexedPatches
        directPasses += a.hook!.directPasses
      }),
      { numRuns: 150, endOnFailure: true },
    )
    expect(indexedPatches).toBeGreaterThan(500)
    expect(disposed).toBeGreaterThan(50)
    if (direct) expect(directPasses).toBeGreaterThan(200)
    else expect(directPasses).toBe(0)
  })

  it('should match the stock encoder when a view holding wide items is disposed between patches', () => {
    const run = (hooked: boolean): Uint8Array[] => {
      const side = createSide(hooked)
      const out: Uint8Array[] = []
      const script: Op[] = [
        { k: 'spawn', coll: 'wides', key: 1 },
        { k: 'spawn', coll: 'list', key: 2 },
        { k: 'add', view: 0, coll: 'wides', key: 1, tag: MOTION },
        { k: 'add', view: 1, coll: 'wides', key: 1, tag: -1 },
        { k: 'add', view: 1, coll: 'list', key: 2, tag: DETAIL },
        { k: 'patch', order: [0, 1, 2, 3], twice: -1 },
        { k: 'set', coll: 'wides', key: 1, field: 36, value: 9 },
        { k: 'set', coll: 'wides', key: 1, field: 1, value: 8 },
        { k: 'dispose', view: 0 },
        { k: 'patch', order: [0, 1, 2, 3], twice: 1 },
        { k: 'add', view: 0, coll: 'wides', key: 1, tag: DETAIL },
        { k: 'set', coll: 'wides', key: 1, field: 37, value: 7 },
        { k: 'nested', key: 1, what: 'leaves.push', value: 3 },
        { k: 'dispose', view: 1 },
        { k: 'patch', order: [1, 0, 2, 3], twice: -1 },
      ]
      for (const op of script) out.push(...(side.apply(op) ?? []))
      return out
    }
    expect(run(true)).toEqual(run(false))
  })
})
