import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Decoder, Encoder, schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { AttentionTags } from '../../src/index'
import { enterView, exitView, retagInView } from '../../src/sync/schema-tags'
import { addToView, applyTag, removeFromView } from '../../src/sync/view-sync'

// The adapter (enter, exit, band change) against schema's own view.add / view.remove sequence:
// two views of one state, one edited through the adapter (view-sync.ts), one through the stock
// calls; after every patch both clients must decode the same state, the adapter's client for no
// more bytes, and both views must see the same objects with the same tags.

const TAGS = [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail] as const
const Thing = schema(
  {
    name: t.string().default('a'),
    x: t.float32().default(0),
    motion: t.float32().default(0).view(AttentionTags.Motion),
    angle: t.float32().default(0).view(AttentionTags.Motion),
    detail: t.uint8().default(0).view(AttentionTags.Detail),
  },
  'SchemaTagsThing',
)
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'SchemaTagsState')

type Op = { kind: 'band'; thing: number; band: number } | { kind: 'write'; thing: number; field: 'x' | 'motion' | 'angle' | 'detail'; value: number } | { kind: 'patch' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('band' as const), thing: fc.nat(5), band: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), thing: fc.nat(5), field: fc.constantFrom('x' as const, 'motion' as const, 'angle' as const, 'detail' as const), value: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'patch' as const }) },
)

/** Stock sequence of the earlier sync layer: the reference. */
function stockTag(view: StateView, inst: Thing, oldTag: number, tag: number): void {
  const dropped = oldTag & ~tag
  if (dropped !== 0) {
    view.remove(inst, dropped)
    view.add(inst)
  }
  if (tag !== 0 && (tag & ~oldTag) !== 0) view.add(inst, tag)
}

describe('schema-tags', () => {
  it('should give the client the same decoded state as view.add / view.remove, for no more bytes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), (ops) => {
        const state = new State()
        const things: Thing[] = []
        for (let i = 0; i < 6; i++) {
          const th = new Thing()
          things.push(th)
          state.things.set(String(i), th)
        }
        const encoder = new Encoder(state)
        const views = [new StateView(), new StateView()] as const
        const clients = [new State(), new State()] as const
        const decoders = clients.map((c) => new Decoder(c))
        const bands = [new Array<number>(6).fill(-1), new Array<number>(6).fill(-1)]
        const sent = [0, 0]
        const patch = (): void => {
          const it = { offset: 0 }
          encoder.encode(it)
          const shared = it.offset
          for (let v = 0; v < 2; v++) {
            const bytes = encoder.encodeView(views[v]!, shared, it)
            sent[v]! += bytes.length - shared
            decoders[v]!.decode(bytes)
          }
          encoder.discardChanges()
        }
        {
          const it = { offset: 0 }
          encoder.encodeAll(it)
          for (let v = 0; v < 2; v++) decoders[v]!.decode(encoder.encodeAllView(views[v]!, it.offset, it))
          encoder.discardChanges()
        }
        for (const op of [...ops, { kind: 'patch' } as const]) {
          if (op.kind === 'patch') {
            patch()
            expect(clients[0].toJSON()).toEqual(clients[1].toJSON())
            continue
          }
          const th = things[op.thing]!
          if (op.kind === 'write') {
            th[op.field] = op.value
            continue
          }
          for (let v = 0; v < 2; v++) {
            const old = bands[v]![op.thing]!
            const view = views[v]!
            if (old === op.band) continue
            if (op.band === -1) {
              if (v === 0) removeFromView(view, th, TAGS[old]!)
              else {
                if (TAGS[old] !== 0) view.remove(th, TAGS[old])
                view.remove(th)
              }
            } else if (old === -1) {
              if (v === 0) addToView(view, th, TAGS[op.band]!)
              else if (TAGS[op.band] === 0) view.add(th)
              else view.add(th, TAGS[op.band])
            } else if (v === 0) applyTag(view, th, TAGS[old]!, TAGS[op.band]!)
            else stockTag(view, th, TAGS[old]!, TAGS[op.band]!)
            bands[v]![op.thing] = op.band
          }
        }
        expect(sent[0]).toBeLessThanOrEqual(sent[1]!)
      }),
      {
        numRuns: 150,
        examples: [
          // two band changes then an exit in one patch: the merged entries go with the exit (1 byte more before)
          [
            [
              { kind: 'band', thing: 5, band: 0 },
              { kind: 'patch' },
              { kind: 'band', thing: 5, band: 2 },
              { kind: 'band', thing: 5, band: 0 },
              { kind: 'band', thing: 5, band: -1 },
              { kind: 'band', thing: 0, band: 0 },
            ],
          ],
        ],
      },
    )
  })

  it('should queue one shared entry map per band change, whatever the view or object (no allocation)', () => {
    const state = new State()
    const a = new Thing()
    const b = new Thing()
    state.things.set('a', a)
    state.things.set('b', b)
    const encoder = new Encoder(state)
    const it = { offset: 0 }
    encoder.encodeAll(it)
    encoder.discardChanges()
    const v1 = new StateView()
    const v2 = new StateView()
    for (const v of [v1, v2]) for (const th of [a, b]) v.add(th, AttentionTags.Motion)
    encoder.encode(it)
    encoder.encodeView(v1, 0, it)
    encoder.encodeView(v2, 0, it)
    encoder.discardChanges()
    expect(retagInView(v1, a, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail)).toBe(true)
    expect(retagInView(v2, b, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail)).toBe(true)
    const refIdOf = (th: Thing): number => (th as unknown as Record<symbol, number>)[Symbol.for('$refId')]!
    const first = v1.changes.get(refIdOf(a))
    expect(first).toBeDefined()
    expect(v2.changes.get(refIdOf(b))).toBe(first)
    expect(v1.hasTag(a, AttentionTags.Detail)).toBe(true)
    expect(v2.hasTag(b, AttentionTags.Detail)).toBe(true)
    expect(v1.hasTag(b, AttentionTags.Detail)).toBe(false)
    // a stock edit of the same object in the same patch gets a private copy: the shared map is never edited
    removeFromView(v1, a, AttentionTags.Motion | AttentionTags.Detail)
    expect(v1.changes.get(refIdOf(a))).not.toBe(first)
    expect([...first!.entries()]).toEqual([...v2.changes.get(refIdOf(b))!.entries()])
  })
  it('should enter, leave and retag like view.add / view.remove: same decoded state and view tags, no more bytes, also for new, removed, nested and half-set objects', () => {
    const Part = schema({ v: t.uint8().default(0) }, 'SchemaTagsPart')
    const Loose = schema(
      {
        label: t.string(),
        x: t.float32().default(0),
        motion: t.float32().default(0).view(AttentionTags.Motion),
        detail: t.uint8().default(0).view(AttentionTags.Detail),
        part: Part,
      },
      'SchemaTagsLoose',
    )
    const World = schema({ things: t.map(Thing).view(), loose: t.map(Loose).view(), score: t.uint8().default(0) }, 'SchemaTagsWorld')
    type Obj = Thing | SchemaType<typeof Loose>
    type WOp =
      | { kind: 'band'; obj: number; band: number }
      | { kind: 'write'; obj: number; value: number }
      | { kind: 'label'; obj: number; set: boolean }
      | { kind: 'spawn' }
      | { kind: 'despawn'; obj: number }
      | { kind: 'patch' }
    const N = 8
    const wopArb: fc.Arbitrary<WOp> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('band' as const), obj: fc.nat(N - 1), band: fc.integer({ min: -1, max: 2 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), obj: fc.nat(N - 1), value: fc.integer({ min: 0, max: 200 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('label' as const), obj: fc.nat(N - 1), set: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'spawn' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('despawn' as const), obj: fc.nat(N - 1) }) },
      { weight: 3, arbitrary: fc.constant({ kind: 'patch' as const }) },
    )
    fc.assert(
      fc.property(fc.array(wopArb, { minLength: 1, maxLength: 80, size: 'max' }), fc.boolean(), (ops, spare) => {
        const state = new World()
        const objs: (Obj | undefined)[] = []
        const keys: string[] = []
        let made = 0
        const spawn = (slot: number): void => {
          // even slots: flat entities (the adapter's case); odd slots: a child schema and an unset field (stock)
          const o: Obj = slot % 2 === 0 ? new Thing() : Object.assign(new Loose(), { part: new Part() })
          const key = `k${made++}`
          if (o instanceof Thing) state.things.set(key, o)
          else state.loose.set(key, o as SchemaType<typeof Loose>)
          objs[slot] = o
          keys[slot] = key
        }
        for (let i = 0; i < N; i++) spawn(i)
        const encoder = new Encoder(state)
        const views = [new StateView(), new StateView()] as const
        const clients = [new World(), new World()] as const
        const decoders = clients.map((c) => new Decoder(c))
        const bands = [new Array<number>(N).fill(-1), new Array<number>(N).fill(-1)]
        const sent = [0, 0]
        {
          const it = { offset: 0 }
          encoder.encodeAll(it)
          for (let v = 0; v < 2; v++) decoders[v]!.decode(encoder.encodeAllView(views[v]!, it.offset, it))
          encoder.discardChanges()
        }
        // a view bound to the Root before the run (the adapter needs a view id); the other spare
        if (spare) {
          views[0].add(state.things, undefined)
          views[1].add(state.things, undefined)
        }
        const patch = (): void => {
          const it = { offset: 0 }
          encoder.encode(it)
          const shared = it.offset
          for (let v = 0; v < 2; v++) {
            const bytes = encoder.encodeView(views[v]!, shared, it)
            sent[v]! += bytes.length - shared
            decoders[v]!.decode(bytes)
          }
          encoder.discardChanges()
        }
        const setBand = (v: number, slot: number, band: number): void => {
          const o = objs[slot]!
          const old = bands[v]![slot]!
          const view = views[v]!
          if (old === band) return
          if (band === -1) {
            if (v === 0) removeFromView(view, o, TAGS[old]!)
            else {
              if (TAGS[old] !== 0) view.remove(o, TAGS[old])
              view.remove(o)
            }
          } else if (old === -1) {
            if (v === 0) addToView(view, o, TAGS[band]!)
            else if (TAGS[band] === 0) view.add(o)
            else view.add(o, TAGS[band])
          } else if (v === 0) applyTag(view, o, TAGS[old]!, TAGS[band]!)
          else stockTag(view, o as Thing, TAGS[old]!, TAGS[band]!)
          bands[v]![slot] = band
        }
        for (const op of [...ops, { kind: 'patch' } as const]) {
          if (op.kind === 'patch') {
            patch()
            expect(clients[0].toJSON()).toEqual(clients[1].toJSON())
            continue
          }
          if (op.kind === 'spawn') {
            const slot = objs.findIndex((o) => o === undefined)
            if (slot !== -1) spawn(slot)
            continue
          }
          const o = objs[op.obj]
          if (o === undefined) continue
          if (op.kind === 'write') {
            o.x = op.value
            o.motion = op.value / 2
            o.detail = op.value % 7
            state.score = op.value
          } else if (op.kind === 'label') {
            if ('label' in o) (o as { label: string | undefined }).label = op.set ? `l${op.obj}` : undefined
          } else if (op.kind === 'despawn') {
            for (let v = 0; v < 2; v++) setBand(v, op.obj, -1)
            if (o instanceof Thing) state.things.delete(keys[op.obj]!)
            else state.loose.delete(keys[op.obj]!)
            objs[op.obj] = undefined
          } else for (let v = 0; v < 2; v++) setBand(v, op.obj, op.band)
          for (const x of objs) {
            if (x === undefined) continue
            expect(views[0].has(x)).toBe(views[1].has(x))
            for (const tag of [AttentionTags.Motion, AttentionTags.Detail]) expect(views[0].hasTag(x, tag)).toBe(views[1].hasTag(x, tag))
          }
        }
        expect(sent[0]).toBeLessThanOrEqual(sent[1]!)
      }),
      { numRuns: 200 },
    )
  })

  it('should take the fast path for a flat entity in a bound view, and decline (changing nothing) where schema must do it', () => {
    const state = new State()
    const a = new Thing()
    const b = new Thing()
    state.things.set('a', a)
    state.things.set('b', b)
    const encoder = new Encoder(state)
    encoder.encodeAll({ offset: 0 })
    encoder.discardChanges()
    const view = new StateView()
    // not bound to the Root yet: declined
    expect(enterView(view, a, AttentionTags.Motion)).toBe(false)
    expect(view.has(a)).toBe(false)
    view.add(a, AttentionTags.Motion)
    // already visible: declined; entries pending for the object this patch: declined
    expect(enterView(view, a, AttentionTags.Motion)).toBe(false)
    expect(exitView(view, a, AttentionTags.Motion)).toBe(false)
    expect(view.has(a)).toBe(true)
    encoder.encode({ offset: 0 })
    encoder.encodeView(view, 0, { offset: 0 })
    encoder.discardChanges()
    expect(enterView(view, b, AttentionTags.Motion | AttentionTags.Detail)).toBe(true)
    expect(view.has(b)).toBe(true)
    expect(view.hasTag(b, AttentionTags.Detail)).toBe(true)
    expect(exitView(view, a, AttentionTags.Motion)).toBe(true)
    expect(view.has(a)).toBe(false)
    expect(view.hasTag(a, AttentionTags.Motion)).toBe(false)
    // an iterable view keeps a list of what it holds: declined
    const listed = new StateView(true)
    listed.add(a)
    expect(enterView(listed, b, 0)).toBe(false)
  })
})
