import { $changes, Encoder, schema, StateView, t } from '@colyseus/schema'
import { describe, expect, it } from 'vitest'
import { disposeViews } from '../../src/index'

// disposeViews (what the plugin disposes its views with) against schema's own view.dispose(): two
// copies of the same room, the same views and edits, one disposed each way; every bitmap of every
// object, the free ids and the registered views must come out the same.

const MOTION = 1
const DETAIL = 2

/** Deterministic generator (mulberry32) for the rooms and the leaving views. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const Pos = schema({ x: t.float32().default(0), y: t.float32().default(0) }, 'DisposePos')
const Flat = schema({ kind: t.string().default('bot'), x: t.float32().default(0).view(MOTION), hp: t.uint8().default(1).view(DETAIL) }, 'DisposeFlat')
const Deep = schema({ pos: Pos, hp: t.uint8().default(1).view(DETAIL), name: t.string().default('') }, 'DisposeDeep')
const State = schema({ flats: t.map(Flat).view(), deeps: t.map(Deep).view(), list: t.array(Flat) }, 'DisposeState')

interface Room {
  state: InstanceType<typeof State>
  encoder: Encoder
  views: StateView[]
}

/** One room built from `seed`: entities, views holding random subsets at random tags, a patch or two in between. */
function buildRoom(seed: number, views: number): Room {
  const rng = mulberry32(seed)
  const state = new State()
  const encoder = new Encoder(state)
  for (let i = 0; i < 60; i++) state.flats.set(`f${i}`, new Flat())
  for (let i = 0; i < 20; i++) state.deeps.set(`d${i}`, new Deep().assign({ pos: new Pos() }))
  for (let i = 0; i < 5; i++) state.list.push(new Flat())
  encoder.encode()
  encoder.discardChanges()
  const vs: StateView[] = []
  for (let v = 0; v < views; v++) {
    const view = new StateView()
    for (let k = 0; k < 12; k++) {
      const deep = rng() < 0.3
      const obj = deep ? state.deeps.get(`d${Math.floor(rng() * 20)}`)! : state.flats.get(`f${Math.floor(rng() * 60)}`)!
      const r = rng()
      if (r < 0.3) view.add(obj)
      else if (r < 0.6) view.add(obj, MOTION)
      else if (r < 0.8) view.add(obj, MOTION | DETAIL)
      else view.add(obj, DETAIL)
      if (rng() < 0.15) view.remove(obj, DETAIL)
      if (rng() < 0.1) view.remove(obj)
    }
    if (rng() < 0.3) view.subscribe(state.flats)
    vs.push(view)
    if (rng() < 0.2) {
      encoder.encode()
      encoder.discardChanges()
    }
  }
  // a despawn while held, and a spawn after the views exist
  state.flats.delete('f3')
  state.flats.set('late', new Flat())
  return { state, encoder, views: vs }
}

interface RootView {
  changeTrees: Record<number, { visibleViews?: number[]; subscribedViews?: number[]; tagViews?: Map<number, number[]> }>
  _freeViewIds: number[]
  activeViews: Map<number, unknown>
}

function rootOf(room: Room): RootView {
  return (room.encoder as unknown as { root: RootView }).root
}

/** Every bitmap of every object (by ref id), the free ids and the registered views, comparable across rooms. */
function snapshot(room: Room): unknown {
  const root = rootOf(room)
  const trees: Record<string, unknown> = {}
  for (const [refId, tree] of Object.entries(root.changeTrees)) {
    const tags = tree.tagViews === undefined ? [] : [...tree.tagViews].sort((a, b) => a[0] - b[0])
    // trailing zero words mean the same as missing ones
    const trim = (a: number[] | undefined): number[] => {
      if (a === undefined) return []
      let n = a.length
      while (n > 0 && a[n - 1] === 0) n--
      return a.slice(0, n)
    }
    trees[refId] = { visible: trim(tree.visibleViews), subscribed: trim(tree.subscribedViews), tags: tags.map(([k, a]) => [k, trim(a)]).filter(([, a]) => (a as number[]).length > 0) }
  }
  return { trees, free: [...root._freeViewIds].sort((a, b) => a - b), active: [...root.activeViews.keys()].sort((a, b) => a - b) }
}

/** How many objects of the room carry view `id`'s bit in any bitmap (visibility, subscription, a tag). */
function treesHolding(room: Room, id: number): number {
  const slot = id >> 5
  const bit = 1 << (id & 31)
  const has = (a: number[] | undefined) => a !== undefined && slot < a.length && (a[slot]! & bit) !== 0
  let n = 0
  for (const tree of Object.values(rootOf(room).changeTrees)) {
    if (has(tree.visibleViews) || has(tree.subscribedViews) || [...(tree.tagViews?.values() ?? [])].some(has)) n++
  }
  return n
}

describe('disposeViews', () => {
  it('should leave every bitmap, the free ids and the registered views as schema\'s view.dispose() does, one view or many at once', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const nViews = 40 + (seed % 3) * 20 // past 32 views: more than one bitmap word
      const stock = buildRoom(seed, nViews)
      const ours = buildRoom(seed, nViews)
      expect(snapshot(ours)).toEqual(snapshot(stock))
      const rng = mulberry32(seed * 7919)
      const leaving = stock.views.map((_, i) => i).filter(() => rng() < 0.4)
      const leavingIds = ours.views.map((v) => (v as unknown as { id: number }).id)
      expect(leaving.reduce((n, i) => n + treesHolding(ours, leavingIds[i]!), 0), 'the leaving views hold something').toBeGreaterThan(0)
      // one at a time, as clients leave
      for (const i of leaving) stock.views[i]!.dispose()
      for (const i of leaving) disposeViews([ours.views[i]!])
      const before = snapshot(stock)
      expect(snapshot(ours), `seed ${seed}, views ${leaving.join(',')} one by one`).toEqual(before)
      // the leaving views' bits are gone everywhere (the comparison alone would pass if neither cleared them)
      for (const i of leaving) expect(treesHolding(ours, leavingIds[i]!), `view ${i}`).toBe(0)
      // the rest at once, as a room that closes
      const rest = stock.views.map((_, i) => i).filter((i) => !leaving.includes(i))
      for (const i of rest) stock.views[i]!.dispose()
      disposeViews(rest.map((i) => ours.views[i]!))
      const after = snapshot(ours) as { trees: Record<string, { visible: number[]; subscribed: number[]; tags: unknown[] }> }
      expect(after, `seed ${seed}, the rest at once`).toEqual(snapshot(stock))
      for (const tree of Object.values(after.trees)) {
        expect(tree.visible).toEqual([])
        expect(tree.subscribed).toEqual([])
        expect(tree.tags).toEqual([])
      }
      // a view made next takes a freed id and sees nothing until it is given something
      const next = new StateView()
      next.add(ours.state.flats.get('f1')!)
      const f2 = (ours.state.flats.get('f2') as unknown as Record<symbol, Parameters<StateView['isVisible']>[0]>)[$changes]!
      expect(next.isVisible(f2)).toBe(false)
    }
  })

  it('should refuse what is no array of StateViews, naming it, before disposing anything', () => {
    const v = new StateView()
    expect(() => disposeViews('x' as never)).toThrow('disposeViews(views) takes an array of StateViews; got "x" (a string)')
    expect(() => disposeViews([v, null] as never)).toThrow('disposeViews(views): views[1] is no StateView; got null')
    // the valid view before the bad one was left alone
    expect(() => disposeViews([v])).not.toThrow()
  })

  it('should dispose a view that was never bound, and views of two rooms given together', () => {
    const a = buildRoom(5, 10)
    const b = buildRoom(6, 10)
    const unbound = new StateView()
    disposeViews([unbound, a.views[0]!, b.views[0]!, a.views[1]!])
    expect(rootOf(a)._freeViewIds.sort()).toEqual([0, 1])
    expect(rootOf(b)._freeViewIds).toEqual([0])
    expect(rootOf(a).activeViews.has(0)).toBe(false)
    expect(rootOf(b).activeViews.has(0)).toBe(false)
  })

  it('should unregister the finalizer schema keeps for each view, so a collected view never frees its id a second time', async () => {
    const gc = (globalThis as { gc?: () => void }).gc!
    expect(gc, 'the plugin suite runs with --expose-gc').toBeTypeOf('function')
    const room = buildRoom(9, 4)
    const root = rootOf(room)
    const collect = async (until: () => boolean): Promise<void> => {
      for (let i = 0; i < 40 && !until(); i++) {
        gc()
        await new Promise((r) => setTimeout(r, 25))
      }
    }
    // control: a view dropped without dispose is collected and its finalizer frees its id (so this test sees finalizers)
    const droppedId = (room.views.pop() as unknown as { id: number }).id
    await collect(() => root._freeViewIds.includes(droppedId))
    expect(root._freeViewIds, 'the control view was not finalized: this test cannot observe finalizers').toContain(droppedId)
    // disposed here, then dropped: its id is freed once, by the dispose, never again by a finalizer
    const ids = room.views.map((v) => (v as unknown as { id: number }).id)
    disposeViews(room.views)
    room.views = []
    const freed = root._freeViewIds.length
    await collect(() => root._freeViewIds.length > freed)
    await collect(() => false)
    expect(root._freeViewIds.length).toBe(freed)
    for (const id of ids) expect(root._freeViewIds.filter((x) => x === id)).toHaveLength(1)
  })
})
