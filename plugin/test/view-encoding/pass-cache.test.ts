import { describe, expect, it, onTestFinished } from 'vitest'
import { Encoder, schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { installViewEncoding } from '../../src/view-encoding/install-view-encoding'

// Oracle: the stock schema encoder. The direct pass emits each changed plain object once per set of
// tags its views hold on it, while the per-view lists are built, and the views copy those bytes
// (pass-cache.ts). These cases push that store past its first sizes: many distinct tag sets on one
// object in one patch, and objects whose bytes outgrow the room kept free before each emission.

const TAGS = [1, 2, 4, 8, 16] as const

const Thing = schema(
  {
    plain: t.uint16().default(0),
    a: t.uint8().default(0).view(TAGS[0]),
    b: t.uint8().default(0).view(TAGS[1]),
    c: t.uint8().default(0).view(TAGS[2]),
    d: t.uint8().default(0).view(TAGS[3]),
    note: t.string().default('').view(TAGS[4]),
  },
  'PcTestThing',
)
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'PcTestState')
type State = InstanceType<typeof State>

/** One room: a state of `count` things, `views` views, with or without the hook. */
function createRoom(hooked: boolean, count: number, views: number) {
  const state: State = new State()
  const encoder = new Encoder(state)
  const hook = hooked ? installViewEncoding(encoder) : null
  const things: Thing[] = []
  for (let i = 0; i < count; i++) {
    const thing = new Thing()
    state.things.set(String(i), thing)
    things.push(thing)
  }
  const list: StateView[] = []
  for (let v = 0; v < views; v++) list.push(new StateView())
  encoder.encodeAll({ offset: 0 })
  encoder.discardChanges()
  /** Encodes a patch as Colyseus does: the shared part, then every view with one iterator. */
  const patch = (): Uint8Array[] => {
    const it = { offset: 0 }
    const out = [encoder.encode(it).slice()]
    const shared = it.offset
    for (const view of list) out.push(encoder.encodeView(view, shared, it).slice())
    encoder.discardChanges()
    return out
  }
  return { things, views: list, patch, hook }
}

/** The tag set view `v` holds: every combination of the five tags in turn (0: the default tag only). */
const tagsOf = (v: number): number => v % 32

describe('pass-cache', () => {
  it('should give every view its own bytes when many views hold different tag sets on one changed object', () => {
    const rooms = [createRoom(true, 3, 40), createRoom(false, 3, 40)]
    for (const r of rooms) {
      r.views.forEach((view, v) => {
        for (const thing of r.things) {
          if (tagsOf(v) === 0) view.add(thing)
          else view.add(thing, tagsOf(v))
        }
      })
    }
    expect(rooms[0]!.patch()).toEqual(rooms[1]!.patch())
    for (let round = 1; round <= 4; round++) {
      for (const r of rooms) {
        r.things.forEach((thing, i) => {
          // every field of every thing changes: 32 distinct tag sets see 32 different byte strings
          thing.plain = round * 100 + i
          thing.a = round + i
          thing.b = round * 2 + i
          thing.c = round * 3 + i
          thing.d = round * 4 + i
          thing.note = `r${round}-${i}`
        })
      }
      const got = rooms[0]!.patch()
      expect(got).toEqual(rooms[1]!.patch())
      // views holding different tags on the things got different bytes
      expect(new Set(got.slice(1).map((b) => b.join(','))).size).toBe(32)
    }
    expect(rooms[0]!.hook!.directPasses).toBeGreaterThanOrEqual(4 * 40)
  })

  it('should encode objects whose bytes outgrow the store and the room kept free before each of them', () => {
    // patches of a few hundred KiB: a buffer that size from the start, as a room would set it
    const size = Encoder.BUFFER_SIZE
    Encoder.BUFFER_SIZE = 4 * 1024 * 1024
    onTestFinished(() => {
      Encoder.BUFFER_SIZE = size
    })
    const rooms = [createRoom(true, 4, 3), createRoom(false, 4, 3)]
    for (const r of rooms) {
      for (const thing of r.things) {
        r.views[0]!.add(thing, TAGS[4])
        r.views[1]!.add(thing, TAGS[0] | TAGS[4])
        r.views[2]!.add(thing)
      }
    }
    expect(rooms[0]!.patch()).toEqual(rooms[1]!.patch())
    for (let round = 1; round <= 2; round++) {
      for (const r of rooms) {
        r.things.forEach((thing, i) => {
          // tens of KiB per object: the first one alone outgrows the store's first size
          thing.note = String.fromCharCode(97 + ((round + i) % 26)).repeat(17000 + 1000 * round + 37 * i)
          thing.a = round + i
        })
      }
      const got = rooms[0]!.patch()
      expect(got).toEqual(rooms[1]!.patch())
      expect(got[1]!.length).toBeGreaterThan(4 * 17000)
    }
  })
})
