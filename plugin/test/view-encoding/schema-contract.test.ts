import { $changes, $filter, $getByIndex, $refId, ArraySchema, Encoder, OPERATION, schema, Schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { describe, expect, it } from 'vitest'
import {
  allFieldsLive,
  ARRAY_SNAPSHOT,
  clearAllTagBits,
  DEFAULT_VIEW_TAG,
  dirtyHighOf,
  isFlatSchemaTree,
  isVisibleTo,
  parentTreeOf,
  refIdOf,
  setVisibleTo,
  treeOf as internalTreeOf,
  viewIdOf,
  writeTagBits,
  isEncoderLike,
  isPlainSchemaTree,
  lowestViewId,
  opAt,
  pendingChanges,
  replacePendingChanges,
  SCHEMA_FILTER,
  SWITCH_TO_STRUCTURE,
  viewBit,
  viewSlot,
  type ChangeTreeLike,
  type EncoderLike,
  type NodeLike,
} from '../../src/view-encoding/schema-internals'
import { EntryTable } from '../../src/sync/entry-table'

// The contract with @colyseus/schema and Colyseus: every internal schema-internals.ts names, read
// from the real packages. A release that renames a field, moves an op byte, changes a constant or
// the view-id and bitmap layout fails here before it can change the bytes a client receives.

const MOTION = 1
const DETAIL = 2

/** A Schema class of `n` uint8 fields f0..f(n-1); `tagOf(i)` marks field i `.view(tag)` (DEFAULT_VIEW_TAG: `.view()`). */
function wide(n: number, name: string, tagOf: (i: number) => number | undefined = () => undefined) {
  const fields: Record<string, ReturnType<typeof t.uint8>> = {}
  for (let i = 0; i < n; i++) {
    const tag = tagOf(i)
    const f = t.uint8().default(0)
    fields[`f${i}`] = tag === undefined ? f : tag === DEFAULT_VIEW_TAG ? f.view() : f.view(tag)
  }
  return schema(fields, name)
}

const treeOf = (obj: object): ChangeTreeLike => (obj as Record<PropertyKey, unknown>)[$changes] as ChangeTreeLike
const encoderOf = (e: Encoder): EncoderLike => e as unknown as EncoderLike

/** Every tree on `root.changes`, in order, checking each node's links and position. */
function changedTrees(e: Encoder): ChangeTreeLike[] {
  const list = encoderOf(e).root.changes
  const out: ChangeTreeLike[] = []
  let prev: NodeLike | undefined
  for (let n = list.next; n !== undefined; n = n.next) {
    expect(n.prev).toBe(prev)
    expect(typeof n.position).toBe('number')
    out.push(n.changeTree!)
    prev = n
  }
  expect(list.tail).toBe(prev)
  expect(typeof list.nextPosition).toBe('number')
  return out
}

describe('schema-internals', () => {
  it('should match the constants schema encodes with', () => {
    // the structure switch: a view pass starts each object with it, then the object's ref id
    const Box = schema({ n: t.uint8().default(0) }, 'ContractBox')
    const State = schema({ boxes: t.map(Box).view() }, 'ContractSwitchState')
    const state = new State()
    const e = new Encoder(state)
    const view = new StateView()
    const box = new Box()
    state.boxes.set('a', box)
    e.encodeAll({ offset: 0 })
    e.discardChanges()
    view.add(box)
    box.n = 7
    const it = { offset: 0 }
    e.encode(it)
    const shared = it.offset
    const bytes = e.encodeView(view, shared, it)
    expect(bytes[shared]).toBe(SWITCH_TO_STRUCTURE)
    // `.view()` without a tag stores DEFAULT_VIEW_TAG in the descriptor
    const T = wide(2, 'ContractDefaultTag', (i) => (i === 0 ? DEFAULT_VIEW_TAG : MOTION))
    expect(treeOf(new T()).encDescriptor.tags).toEqual([DEFAULT_VIEW_TAG, MOTION])
    expect(SCHEMA_FILTER).toBe((Schema as unknown as Record<PropertyKey, unknown>)[$filter])
    expect(typeof SCHEMA_FILTER).toBe('function')
  })

  it.each([
    ['at most 8 fields (ops packed in opsLow/opsHigh)', 8],
    ['more than 8 fields (ops in an array)', 9],
    ['more than 32 fields (dirtyHigh)', 40],
    ['the most fields schema allows', 63],
  ])('should read dirty bits and ops the way ChangeTree records them: %s', (_, n) => {
    const T = wide(n, `ContractWide${n}`)
    const State = schema({ item: T }, `ContractWideState${n}`)
    const state = new State()
    const e = new Encoder(state)
    const item = new T()
    state.item = item
    e.discardChanges()
    const tree = treeOf(item)
    expect(tree._isSchema).toBe(true)
    expect(tree.ops === undefined).toBe(n <= 8)
    // fields spread unevenly over both packed words and both dirty words, so a moved byte shows
    const set = [...new Set([0, 2, 5, n - 1, 9, 31, 32, 33, 62])].filter((i) => i < n)
    for (const i of set) (item as unknown as Record<string, number>)[`f${i}`] = 1 + (i % 200)
    for (let i = 0; i < n; i++) {
      const dirty = i < 32 ? (tree.dirtyLow >>> i) & 1 : (dirtyHighOf(tree) >>> (i - 32)) & 1
      expect(dirty, `field ${i} dirty`).toBe(set.includes(i) ? 1 : 0)
      // the copied _opAt reads what schema's own does, and what getChange reports
      const own = (tree as unknown as { _opAt(i: number): number })._opAt(i)
      expect(opAt(tree, i), `field ${i} op`).toBe(own)
      // a tree not yet encoded records ADD (128); REPLACE is 0, the same as "no op"
      expect(opAt(tree, i), `field ${i} op`).toBe(set.includes(i) ? OPERATION.ADD : 0)
      if (set.includes(i)) expect(tree.getChange(i)).toBe(OPERATION.ADD)
    }
    // classes of at most 8 fields keep nothing in dirtyHigh
    if (n <= 8) expect(dirtyHighOf(tree)).toBe(0)
    expect(changedTrees(e)).toContain(tree)
    expect(tree.ref[$refId]).toBe((item as unknown as Record<symbol, number>)[$refId])
    expect(tree.refTarget[$getByIndex](0)).toBe(1)
    e.discardChanges()
    expect(tree.dirtyLow | tree.dirtyHigh).toBe(0)
  })

  it('should describe each class by tags, filter, full-state-only flag, metadata and field encoder', () => {
    const Tagged = wide(40, 'ContractTagged', (i) => (i === 1 ? DEFAULT_VIEW_TAG : i === 2 ? MOTION : i === 35 ? DETAIL : undefined))
    const Plain = wide(3, 'ContractPlain')
    const d = treeOf(new Tagged()).encDescriptor
    expect(d.tags[0]).toBeUndefined()
    expect(d.tags[1]).toBe(DEFAULT_VIEW_TAG)
    expect(d.tags[2]).toBe(MOTION)
    expect(d.tags[35]).toBe(DETAIL)
    expect(d.filter).toBe(SCHEMA_FILTER)
    expect(d.hasAnyFullStateOnly).toBe(false)
    expect(typeof d.encoder).toBe('function')
    expect(d.encoder.length).toBeGreaterThanOrEqual(8)
    expect(d.metadata).toBeDefined()
    const p = treeOf(new Plain()).encDescriptor
    expect(p.filter).toBeUndefined()
    expect(p.tags.every((x) => x === undefined)).toBe(true)
    const Full = schema({ a: t.uint8().default(0), b: t.uint8().default(0).fullStateOnly?.() ?? t.uint8() }, 'ContractFull')
    expect(typeof treeOf(new Full()).encDescriptor.hasAnyFullStateOnly).toBe('boolean')
  })

  it('should expose the per-tree pass tree-view-pass.ts mirrors: descriptor kind and view bitmask, recorded changes, a collection filter', () => {
    const Item = schema({ kind: t.uint8().default(0), x: t.uint8().default(0).view(MOTION), y: t.uint8().default(0).view() }, 'ContractPassItem')
    const State = schema({ items: t.map(Item).view() }, 'ContractPassState')
    const state = new State()
    const e = new Encoder(state)
    const a = new Item()
    const b = new Item()
    state.items.set('a', a)
    state.items.set('b', b)
    e.encodeAll({ offset: 0 })
    e.discardChanges()
    const view = new StateView()
    view.add(a, MOTION)
    const it = { offset: 0 }
    e.encode(it)
    e.encodeView(view, it.offset, it)
    e.discardChanges()
    const d = treeOf(a).encDescriptor
    expect(d.isSchema).toBe(true)
    // bit i: field i carries a view tag
    expect(d.filterBitmask).toBe(0b110)
    const m = treeOf(state.items)
    expect(m.encDescriptor.isSchema).toBeFalsy()
    expect(m.has()).toBe(false)
    state.items.delete('b')
    const c = new Item()
    state.items.set('c', c)
    expect(m.has()).toBe(true)
    const seen: [number, number | undefined][] = []
    m.forEachWithCtx(seen, (acc, index, op) => acc.push([index, op]))
    expect(seen.map(([, op]) => op).sort()).toEqual([OPERATION.ADD, OPERATION.DELETE].sort())
    // the same changes, in the same order, in the collection's change map (walked without pure ops)
    expect([...m.collDirty!.entries()]).toEqual(seen)
    expect(m.collPureOps === undefined || m.collPureOps.length === 0).toBe(true)
    // the map's filter: is the element at that index visible to the view
    const filter = m.encDescriptor.filter!
    expect(typeof filter).toBe('function')
    const indexOf = (want: number | undefined): number => seen.find(([, op]) => op === want)![0]
    expect(filter(m.ref, indexOf(OPERATION.ADD), view)).toBe(false)
    view.add(c)
    expect(filter(m.ref, indexOf(OPERATION.ADD), view)).toBe(true)
    expect(view.isChangeTreeVisible(m as never)).toBe(true)
    a.x = 5
    const fields: number[] = []
    treeOf(a).forEachWithCtx(fields, (acc, index) => acc.push(index))
    expect(fields).toEqual([1])
    expect(treeOf(a).has()).toBe(true)
    // a pure op (CLEAR) is recorded apart from the change map
    state.items.clear()
    expect(m.collPureOps!.length).toBeGreaterThan(0)
  })

  it('should mark filtered trees, trees visible through their parent, and plain Schema trees', () => {
    const Part = schema({ v: t.uint8().default(0) }, 'ContractPart')
    const Item = schema({ x: t.uint8().default(0).view(MOTION), part: Part }, 'ContractItem')
    const State = schema({ items: t.map(Item).view(), open: t.map(Item), list: t.array(Item).view() }, 'ContractFilterState')
    const state = new State()
    new Encoder(state)
    const hidden = new Item()
    hidden.part = new Part()
    const shown = new Item()
    shown.part = new Part()
    state.items.set('h', hidden)
    state.open.set('s', shown)
    expect(treeOf(state.items).isFiltered).toBe(true)
    expect(treeOf(hidden).isFiltered).toBe(true)
    expect(treeOf(state.open).isFiltered).toBe(false)
    // an untagged child of a filtered item: visible to a view through its parent
    expect(treeOf(hidden.part).isVisibilitySharedWithParent).toBe(true)
    expect(treeOf(hidden).isVisibilitySharedWithParent).toBe(false)
    // collections' trees are not Schema trees (the field may be absent on them)
    expect(treeOf(state.items)._isSchema).toBeFalsy()
    expect(isPlainSchemaTree(treeOf(hidden))).toBe(true)
    expect(isPlainSchemaTree(treeOf(hidden.part))).toBe(false)
    expect(isPlainSchemaTree(treeOf(state.items))).toBe(false)
  })

  it('should lay out view ids and visibility bitmaps as StateView does, over more than 32 views', () => {
    const Item = schema({ x: t.uint8().default(0).view(MOTION), y: t.uint8().default(0) }, 'ContractBitsItem')
    const State = schema({ items: t.map(Item).view() }, 'ContractBitsState')
    const state = new State()
    const e = new Encoder(state)
    const root = encoderOf(e).root
    const item = new Item()
    state.items.set('a', item)
    const views: StateView[] = []
    for (let i = 0; i < 40; i++) views.push(new StateView())
    // ids are handed out on a view's first add, densely from 0, and registered with the Root
    expect(root.activeViews.size).toBe(0)
    views.forEach((v) => v.add(item, MOTION))
    expect(views.map((v) => v.id)).toEqual([...Array(40).keys()])
    for (const v of views) {
      const inner = v as unknown as { _slot: number; _bit: number }
      expect(inner._slot).toBe(viewSlot(v.id))
      expect(inner._bit).toBe(viewBit(v.id))
      expect(root.activeViews.get(v.id)?.deref()).toBe(v)
    }
    // the bitmaps: visibleViews (seen) and tagViews (held with a tag), one bit per view id
    const tree = treeOf(item)
    const seen: number[] = []
    tree.visibleViews!.forEach((bits, slot) => {
      for (let b = bits | 0; b !== 0; b &= b - 1) seen.push(lowestViewId(slot * 32, b))
    })
    expect(seen).toEqual([...Array(40).keys()])
    const held = tree.tagViews!.get(MOTION)!
    for (const v of views) expect((held[viewSlot(v.id)]! & viewBit(v.id)) !== 0).toBe(true)
    views[35]!.remove(item, MOTION)
    expect((tree.tagViews!.get(MOTION)![viewSlot(35)]! & viewBit(35)) !== 0).toBe(false)
    for (const v of views) expect(v.isVisible(tree as never)).toBe(((tree.visibleViews![viewSlot(v.id)]! & viewBit(v.id)) !== 0))
    // a disposed view lets go of its id and its bits; the next view takes the id again
    views[33]!.dispose()
    expect(views[33]!.id).toBe(-1)
    expect(root.activeViews.has(33)).toBe(false)
    expect((tree.visibleViews![viewSlot(33)]! & viewBit(33)) !== 0).toBe(false)
    const next = new StateView()
    next.add(item)
    expect(next.id).toBe(33)
  })

  it('should keep a view\'s pending adds and removes per ref id, keyed by index, binding or whole-array snapshot', () => {
    const Item = schema({ x: t.uint8().default(0) }, 'ContractPendingItem')
    const State = schema({ items: t.map(Item).view(), list: t.array(Item).view() }, 'ContractPendingState')
    const state = new State()
    const e = new Encoder(state)
    const a = new Item()
    state.items.set('a', a)
    state.list = new ArraySchema<SchemaType<typeof Item>>(new Item(), new Item())
    e.encodeAll({ offset: 0 })
    e.discardChanges()
    const view = new StateView()
    view.add(a)
    const pending = pendingChanges(view)
    expect(pending).toBeInstanceOf(Map)
    const forMap = pending.get(treeOf(state.items).ref[$refId]!)!
    expect(forMap).toBeInstanceOf(Map)
    for (const [key, op] of forMap) {
      expect(typeof op).toBe('number')
      if (typeof key !== 'number') {
        // an element binding: the child's tree, which can find its index in the parent
        expect(typeof key.indexInParent).toBe('function')
        expect(key.ref[$refId]).toBeTypeOf('number')
      }
    }
    // a whole array added to a view (not new this patch): one snapshot entry
    view.add(state.list)
    const forList = pending.get(treeOf(state.list).ref[$refId]!)
    expect(forList?.get(ARRAY_SNAPSHOT)).toBe(OPERATION.ADD)
    // encodeView consumes them
    const it = { offset: 0 }
    e.encode(it)
    e.encodeView(view, it.offset, it)
    expect(pending.size).toBe(0)
  })

  it('should read a view\'s pending changes through its field, so that a store with Map\'s methods stands in (same bytes)', () => {
    const Item = schema({ x: t.uint8().default(0), m: t.uint8().default(0).view(MOTION) }, 'ContractStoreItem')
    const State = schema({ items: t.map(Item).view() }, 'ContractStoreState')
    const state = new State()
    const e = new Encoder(state)
    const items = Array.from({ length: 12 }, (_, i) => {
      const it = new Item()
      state.items.set(String(i), it)
      return it
    })
    e.encodeAll({ offset: 0 })
    e.discardChanges()
    const plain = new StateView()
    const stored = new StateView()
    replacePendingChanges(stored, new EntryTable() as unknown as ReturnType<typeof pendingChanges>)
    expect(pendingChanges(stored)).toBeInstanceOf(EntryTable)
    let seed = 3
    const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    for (let patch = 0; patch < 40; patch++) {
      for (let k = 0; k < 6; k++) {
        const i = Math.floor(rnd() * items.length)
        const item = items[i]!
        const r = rnd()
        for (const v of [plain, stored]) {
          if (r < 0.4) v.add(item, r < 0.2 ? MOTION : undefined)
          else if (r < 0.7) v.remove(item, MOTION)
          else v.remove(item)
        }
        item.x = (item.x + 1) % 200
        item.m = (item.m + 3) % 200
      }
      // an item leaves the state and another comes back: schema queues deletes into the views itself
      if (patch % 7 === 3) state.items.delete(String(patch % items.length))
      if (patch % 7 === 5) state.items.set(String((patch - 2) % items.length), items[(patch - 2) % items.length]!)
      const it = { offset: 0 }
      e.encode(it)
      const shared = it.offset
      const a = e.encodeView(plain, shared, it).slice()
      const b = e.encodeView(stored, shared, it).slice()
      expect(b).toEqual(a)
      expect(pendingChanges(stored).size).toBe(0)
      e.discardChanges()
    }
  })

  it('should have the Encoder and Root members the hook reads and wraps', () => {
    const State = schema({ n: t.uint8().default(0), s: t.map('uint8') }, 'ContractEncoderState')
    const e = new Encoder(new State())
    const enc = encoderOf(e)
    expect(isEncoderLike(enc)).toBe(true)
    expect(enc.root.changeTrees[treeOf(e.state).ref[$refId]!]).toBe(treeOf(e.state))
    expect(Array.isArray(enc.root.pendingFilterRefresh)).toBe(true)
    expect(enc.root.streamTrees).toBeInstanceOf(Set)
    // protected in TypeScript: ensureCapacity grows ahead of a write; _resizeBuffer after an overflowing pass
    const warn = console.warn
    console.warn = () => {}
    try {
      const small = new Uint8Array(8)
      const grown = enc.ensureCapacity(small, 7)
      expect(grown.length).toBeGreaterThan(8)
      const resized = enc._resizeBuffer(small, 100)
      expect(resized.length).toBeGreaterThanOrEqual(100)
    } finally {
      console.warn = warn
    }
    // every state change goes through Root.enqueueChangeTree; a view's first add through registerView
    let enqueued = 0
    let registered = 0
    const ownEnqueue = enc.root.enqueueChangeTree
    const ownRegister = enc.root.registerView
    enc.root.enqueueChangeTree = function (this: unknown, tree: unknown, node?: unknown) {
      enqueued++
      return ownEnqueue.call(this, tree, node)
    }
    enc.root.registerView = function (this: unknown, v: StateView) {
      registered++
      return ownRegister.call(this, v)
    }
    e.discardChanges()
    ;(e.state as unknown as { n: number }).n = 5
    expect(enqueued).toBeGreaterThan(0)
    const Item = schema({ x: t.uint8().default(0) }, 'ContractRegisterItem')
    const S2 = schema({ items: t.map(Item).view() }, 'ContractRegisterState')
    const s2 = new S2()
    const e2 = new Encoder(s2)
    const r2 = encoderOf(e2).root
    const own2 = r2.registerView
    r2.registerView = function (this: unknown, v: StateView) {
      registered++
      return own2.call(this, v)
    }
    const item = new Item()
    s2.items.set('a', item)
    const view = new StateView()
    view.add(item)
    view.add(item, MOTION)
    expect(registered).toBe(1)
  })
  it('should write visibility and tag bits the way StateView reads them (the sync layer\'s own view edits)', () => {
    const Item = schema({ x: t.uint8().default(0).view(MOTION), d: t.uint8().default(0).view(DETAIL), y: t.uint8().default(0) }, 'ContractEditItem')
    const State = schema({ items: t.map(Item).view(), list: t.array(Item).view() }, 'ContractEditState')
    const state = new State()
    new Encoder(state)
    const items: SchemaType<typeof Item>[] = []
    for (let i = 0; i < 3; i++) {
      const it = new Item()
      items.push(it)
      state.items.set(String(i), it)
    }
    const views: StateView[] = []
    for (let i = 0; i < 40; i++) {
      const v = new StateView()
      expect(viewIdOf(v)).toBe(-1)
      v.add(items[0]!)
      views.push(v)
    }
    const tree = internalTreeOf(items[1])!
    expect(tree).toBe(treeOf(items[1]!))
    expect(internalTreeOf({})).toBeUndefined()
    expect(refIdOf(tree)).toBe((items[1] as unknown as Record<symbol, number>)[$refId])
    // parent chain: the item's collection, then the state root
    expect(parentTreeOf(tree)).toBe(treeOf(state.items))
    expect(parentTreeOf(treeOf(state.items))).toBe(treeOf(state))
    expect(parentTreeOf(treeOf(state))).toBeUndefined()
    for (const v of views) {
      const id = viewIdOf(v)
      expect(id).toBe(v.id)
      expect(isVisibleTo(tree, id)).toBe(false)
      setVisibleTo(tree, id, true)
      expect(v.isVisible(tree as never)).toBe(true)
      expect(v.has(items[1]!)).toBe(true)
      writeTagBits(tree, id, 0, MOTION | DETAIL)
      expect(v.hasTag(items[1]!, MOTION)).toBe(true)
      expect(v.hasTag(items[1]!, DETAIL)).toBe(true)
      writeTagBits(tree, id, DETAIL, 0)
      expect(v.hasTag(items[1]!, DETAIL)).toBe(false)
      expect(v.hasTag(items[1]!, MOTION)).toBe(true)
    }
    // what StateView writes, the helpers read
    views[3]!.add(items[2]!, MOTION)
    expect(isVisibleTo(internalTreeOf(items[2])!, viewIdOf(views[3]!))).toBe(true)
    views[3]!.remove(items[2]!, MOTION)
    expect(isVisibleTo(internalTreeOf(items[2])!, viewIdOf(views[3]!))).toBe(false)
    // clearing one view's bits leaves the others'
    clearAllTagBits(tree, viewIdOf(views[35]!))
    setVisibleTo(tree, viewIdOf(views[35]!), false)
    expect(views[35]!.hasTag(items[1]!, MOTION)).toBe(false)
    expect(views[35]!.has(items[1]!)).toBe(false)
    expect(views[34]!.hasTag(items[1]!, MOTION)).toBe(true)
    expect(views[36]!.has(items[1]!)).toBe(true)
  })

  it('should describe each tree by parent, key, newness, filtering and fields the way view.add / view.remove decide', () => {
    const Part = schema({ v: t.uint8().default(0) }, 'ContractShapePart')
    const Flat = schema({ name: t.string(), x: t.uint8().default(0).view(MOTION), y: t.uint8().default(0) }, 'ContractShapeFlat')
    const Deep = schema({ x: t.uint8().default(0), part: Part }, 'ContractShapeDeep')
    const Skips = schema({ x: t.uint8().default(0), p: t.uint8().default(0).patchOnly?.() ?? t.uint8() }, 'ContractShapeSkips')
    const State = schema(
      { flats: t.map(Flat).view(), list: t.array(Flat).view(), deeps: t.map(Deep).view(), open: t.map(Flat), skips: t.map(Skips).view(), stream: t.map(Flat).stream?.() ?? t.map(Flat) },
      'ContractShapeState',
    )
    const state = new State()
    const e = new Encoder(state)
    const f = new Flat()
    state.flats.set('f', f)
    const tree = internalTreeOf(f)!
    // a tree not encoded yet is new; after a patch it is not
    expect(tree.isNew).toBe(true)
    e.encodeAll({ offset: 0 })
    e.discardChanges()
    expect(tree.isNew).toBe(false)
    expect(tree.root).toBeDefined()
    expect(tree.parent).toBe(state.flats)
    // a map element's key in its parent's view entries is its journal index, which indexInParent reports
    expect(typeof tree.parentIndex).toBe('number')
    expect(tree.indexInParent(state.flats)).toBe(tree.parentIndex)
    const view = new StateView()
    view.add(f)
    expect(pendingChanges(view).get(refIdOf(treeOf(state.flats)))?.get(tree.parentIndex!)).toBe(OPERATION.ADD)
    // filtered containers and classes with .view() fields keep view entries; arrays key them by the element's tree
    expect(treeOf(state.flats).hasFilteredFields).toBe(true)
    expect(treeOf(state).hasFilteredFields).toBe(true)
    expect(treeOf(state.flats).isArray).toBe(false)
    expect(treeOf(state.list).isArray).toBe(true)
    expect(treeOf(state.flats).isStreamCollection).toBe(false)
    if (typeof t.map(Flat).stream === 'function') expect(treeOf(state.stream).isStreamCollection).toBe(true)
    // field names and types: a string type for a primitive field
    expect(tree.encDescriptor.names).toEqual(['name', 'x', 'y'])
    expect(tree.encDescriptor.types).toEqual(['string', 'uint8', 'uint8'])
    expect(isFlatSchemaTree(tree)).toBe(true)
    const d = new Deep()
    d.part = new Part()
    state.deeps.set('d', d)
    expect(isFlatSchemaTree(internalTreeOf(d)!)).toBe(false)
    expect(isFlatSchemaTree(treeOf(state.flats))).toBe(false)
    // fields schema's full-sync walk skips (patch-only, deprecated) are listed in the class metadata
    const sk = new Skips()
    state.skips.set('s', sk)
    const skTree = internalTreeOf(sk)!
    const metadata = skTree.encDescriptor.metadata as Record<string, unknown>
    if (typeof t.uint8().patchOnly === 'function') {
      expect(metadata['~__fullSyncSkipIndexes']).toEqual([1])
      expect(isFlatSchemaTree(skTree)).toBe(false)
    }
    // every field set: what forEachLive walks
    expect(allFieldsLive(tree)).toBe(false)
    const live: number[] = []
    ;(tree as unknown as { forEachLive(cb: (i: number) => void): void }).forEachLive((i) => live.push(i))
    expect(live).toEqual([1, 2])
    f.name = 'n'
    expect(allFieldsLive(tree)).toBe(true)
    // child trees, without a closure per call
    const seen: unknown[] = []
    internalTreeOf(d)!.forEachChildWithCtx(seen, (acc, child) => acc.push(child))
    expect(seen).toEqual([treeOf(d.part)])
  })
  // room._serializer.encoder (roomEncoder) is pinned with a real server in plain-room.test.ts,
  // room._serializer itself (roomSerializer: getFullState, applyPatches) in test/sync/full-state.test.ts,
  // its applyUnreliablePatches and encoder.hasUnreliableChanges in test/sync/unreliable.test.ts, and
  // room._internalState (roomCreating, RoomInternalState.CREATING) in test/sync/misuse.test.ts
})
