import { describe, expect, it, vi } from 'vitest'
import type { Client } from '@colyseus/core'
import { Decoder, Encoder, schema, t, type SchemaType, type StateView } from '@colyseus/schema'
import { addComponent, addEntity, createWorld, removeComponent } from 'bitecs'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem } from '../../src/index'

// The engine selects at its tick; the game may hide an entity (or make it TeamOnly of another
// team) in a message handler before the patch, and with a patch rate above the simulation rate
// several patches follow one tick. No patch after the change may send the entity to an observer
// that may not see it, whatever the last tick selected.

const Thing = schema({ x: t.float32().default(0) }, 'ViewBoundsThing')
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'ViewBoundsState')

/** A world, its system and a hand-driven plugin over one room state; `spawn(x)` adds a tracked entity on the x axis. */
function room(options: ConstructorParameters<typeof AttentionPlugin>[0] = {}) {
  const world = createWorld()
  const C = createAttentionComponents(32)
  const attention = createAttentionSystem(world, { components: C, hysteresis: false })
  const state = new State()
  const encoder = new Encoder(state)
  const plugin = new AttentionPlugin(options)
  plugin.use(attention)
  const spawn = (x: number): number => {
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    state.things.set(String(eid), thing)
    plugin.track(eid, thing)
    return eid
  }
  return { world, C, attention, state, encoder, plugin, spawn }
}

function setup() {
  const { world, C, attention, encoder, plugin, spawn } = room()
  const observer = spawn(0)
  addObserver(world, C, observer, { radius: 50, budget: 8 })
  const client = { sessionId: 'c', view: undefined as StateView | undefined }
  plugin.bind(client as unknown as Client, observer)
  // what the client decodes, patch by patch (its full state first)
  const received = new State()
  const decoder = new Decoder(received)
  let joined = false
  /** One patch: the plugin's sync, then the bytes the client is sent, decoded. */
  const patch = (): string[] => {
    plugin.sync()
    const it = { offset: 0 }
    if (!joined) {
      joined = true
      encoder.encodeAll(it)
      decoder.decode(encoder.encodeAllView(client.view!, it.offset, it).slice())
    } else {
      encoder.encode(it)
      decoder.decode(encoder.encodeView(client.view!, it.offset, it).slice())
    }
    encoder.discardChanges()
    return [...received.things.keys()]
  }
  return { world, C, attention, plugin, observer, spawn, patch, tick: () => attention(world), members: () => plugin.viewMembers('c') }
}

describe('view-bounds', () => {
  it('should not send a member made Hidden after the tick, at any patch before the next tick', () => {
    const s = setup()
    const spy = s.spawn(10)
    s.tick()
    expect(s.patch()).toContain(String(spy))
    s.tick()
    // a message handler between the tick and the patch: the spy turns invisible
    addComponent(s.world, spy, s.C.Hidden)
    expect(s.attention.isMember(s.observer, spy)).toBe(true)
    // three patches per tick: none holds it
    for (let k = 0; k < 3; k++) {
      expect(s.patch()).not.toContain(String(spy))
      expect(s.members()).not.toContain(spy)
    }
    s.tick()
    expect(s.attention.isMember(s.observer, spy)).toBe(false)
    expect(s.patch()).not.toContain(String(spy))
    // visible again: the next tick selects it and it is sent
    removeComponent(s.world, spy, s.C.Hidden)
    s.tick()
    expect(s.patch()).toContain(String(spy))
  })

  it('should send a member again at the next patch when it is shown again before the next tick', () => {
    const s = setup()
    const spy = s.spawn(10)
    s.tick()
    expect(s.patch()).toContain(String(spy))
    addComponent(s.world, spy, s.C.Hidden)
    expect(s.patch()).not.toContain(String(spy))
    // still a member of the last tick's set, and no longer denied
    removeComponent(s.world, spy, s.C.Hidden)
    expect(s.patch()).toContain(String(spy))
  })

  it('should not add an entrant the tick selected when it is hidden before the patch', () => {
    const s = setup()
    s.tick()
    s.patch()
    const late = s.spawn(20)
    s.tick()
    expect(s.attention.isMember(s.observer, late)).toBe(true)
    addComponent(s.world, late, s.C.Hidden)
    expect(s.patch()).not.toContain(String(late))
    expect(s.patch()).not.toContain(String(late))
  })

  it('should drop a member made TeamOnly of another team after the tick, and keep one of its own team or owned by the observer', () => {
    const s = setup()
    const { world, C } = s
    addComponent(world, s.observer, C.Team)
    C.Team.id[s.observer] = 1
    const enemy = s.spawn(10)
    const friend = s.spawn(12)
    const mine = s.spawn(14)
    for (const [e, team] of [[enemy, 2], [friend, 1], [mine, 2]] as const) {
      addComponent(world, e, C.Team)
      C.Team.id[e] = team
    }
    addComponent(world, mine, C.Owner)
    C.Owner.eid[mine] = s.observer
    s.tick()
    expect(s.patch()).toEqual(expect.arrayContaining([enemy, friend, mine].map(String)))
    s.tick()
    for (const e of [enemy, friend, mine]) addComponent(world, e, C.TeamOnly)
    addComponent(world, mine, C.Hidden)
    const held = s.patch()
    expect(held).not.toContain(String(enemy))
    expect(held).toEqual(expect.arrayContaining([friend, mine, s.observer].map(String)))
    // a team change alone (no component added or removed) denies too
    C.Team.id[friend] = 3
    expect(s.patch()).not.toContain(String(friend))
    expect(s.members().sort((a, b) => a - b)).toEqual([s.observer, mine].sort((a, b) => a - b))
  })

  it('should never hide an observer from itself', () => {
    const s = setup()
    s.tick()
    addComponent(s.world, s.observer, s.C.Hidden)
    expect(s.patch()).toContain(String(s.observer))
    s.tick()
    expect(s.patch()).toContain(String(s.observer))
  })
})

describe('view-bounds when a sync stops part-way', () => {
  /** Two observers far apart, each with a client, and a spy both see. */
  function twoViews(options: ConstructorParameters<typeof AttentionPlugin>[0] = {}) {
    const { world, C, attention, encoder, plugin, spawn } = room(options)
    const a = spawn(0)
    const b = spawn(30)
    addObserver(world, C, a, { radius: 50, budget: 8 })
    addObserver(world, C, b, { radius: 50, budget: 8 })
    const clients = ['a', 'b'].map((id) => ({ sessionId: id, view: undefined as StateView | undefined }))
    plugin.bind(clients[0] as unknown as Client, a)
    plugin.bind(clients[1] as unknown as Client, b)
    const spy = spawn(15)
    // what client b decodes, patch by patch
    const received = new State()
    const decoder = new Decoder(received)
    let joined = false
    const patchB = (): string[] => {
      const it = { offset: 0 }
      if (!joined) {
        joined = true
        encoder.encodeAll(it)
        decoder.decode(encoder.encodeAllView(clients[1]!.view!, it.offset, it).slice())
      } else {
        encoder.encode(it)
        decoder.decode(encoder.encodeView(clients[1]!.view!, it.offset, it).slice())
      }
      encoder.discardChanges()
      return [...received.things.keys()]
    }
    return { world, C, attention, plugin, a, b, spy, patchB, tick: () => attention(world) }
  }

  it('should drop a member made Hidden from every view even when the sync throws before reaching them', () => {
    const s = twoViews()
    s.tick()
    s.plugin.sync()
    expect(s.patchB()).toContain(String(s.spy))
    // a failure in the pass at observer a's view (the first one), before b's view is reached
    const reader = (s.plugin as unknown as { scratch: { reader: { memberCount: (o: number) => number } } }).scratch.reader
    const own = reader.memberCount
    reader.memberCount = (o) => {
      if (o === s.a) throw new Error('injected failure')
      return own(o)
    }
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      s.tick()
      addComponent(s.world, s.spy, s.C.Hidden)
      s.plugin.sync()
      expect(errors).toHaveBeenCalledTimes(1)
      expect(String(errors.mock.calls[0]![0])).toContain('sync() failed')
      // b's view was not reconciled this sync, yet it may not send the spy
      expect(s.plugin.viewMembers('b')).not.toContain(s.spy)
      expect(s.plugin.viewMembers('a')).not.toContain(s.spy)
      expect(s.patchB()).not.toContain(String(s.spy))
      // the failure gone, the next sync reconciles every view
      reader.memberCount = own
      removeComponent(s.world, s.spy, s.C.Hidden)
      s.tick()
      s.plugin.sync()
      expect(s.patchB()).toContain(String(s.spy))
    } finally {
      errors.mockRestore()
    }
  })

  it('should go on with the sync when the refresh callback throws, and report it once', () => {
    const refreshed: number[] = []
    let s: ReturnType<typeof twoViews> | undefined
    s = twoViews({
      refresh: (eid) => {
        refreshed.push(eid)
        if (eid === s!.spy) throw new Error('game bug')
      },
    })
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      s.tick()
      s.plugin.sync()
      // both views got their whole set, the spy included, although its refresh threw
      expect(s.plugin.viewMembers('a')).toContain(s.spy)
      expect(s.plugin.viewMembers('b')).toContain(s.spy)
      expect(s.plugin.viewMembers('b')).toContain(s.a)
      expect(s.patchB()).toContain(String(s.spy))
      expect(errors).toHaveBeenCalledTimes(1)
      expect(String(errors.mock.calls[0]![0])).toContain(`the refresh callback threw for entity ${s.spy}`)
      expect(String(errors.mock.calls[0]![1])).toContain('game bug')
      // hidden between tick and patch, with the callback still throwing: dropped from both views
      s.tick()
      addComponent(s.world, s.spy, s.C.Hidden)
      s.plugin.sync()
      expect(s.plugin.viewMembers('b')).not.toContain(s.spy)
      // shown again: re-entering calls refresh again, which throws again, reported no more
      removeComponent(s.world, s.spy, s.C.Hidden)
      s.tick()
      s.plugin.sync()
      expect(s.plugin.viewMembers('b')).toContain(s.spy)
      expect(refreshed.filter((e) => e === s!.spy).length).toBeGreaterThanOrEqual(2)
      expect(errors).toHaveBeenCalledTimes(1)
    } finally {
      errors.mockRestore()
    }
  })
})

describe('entry order under the entry budget', () => {
  it('should admit what the observer owns before nearer entities, in range or not', () => {
    const { world, C, attention, plugin, spawn } = room({ entryBudget: 2 })
    const o = spawn(0)
    addObserver(world, C, o, { radius: 50, budget: 8 })
    const near = [spawn(5), spawn(6), spawn(7)]
    // a pet in range, scored below the three nearer entities, and one far out of range
    const pet = spawn(40)
    const far = spawn(400)
    for (const e of [pet, far]) {
      C.Owner.eid[e] = o
      addComponent(world, e, C.Owner)
    }
    plugin.bind({ sessionId: 'c', view: undefined } as unknown as Client, o)
    attention(world)
    expect(attention.scoreAt(o, [...Array(attention.memberCount(o)).keys()].find((i) => attention.memberAt(o, i) === pet)!)).toBeLessThan(
      attention.scoreAt(o, [...Array(attention.memberCount(o)).keys()].find((i) => attention.memberAt(o, i) === near[2])!),
    )
    plugin.sync()
    // two per patch: the observer itself and one owned entity, then the other owned one first
    const first = plugin.viewMembers('c')
    expect(first).toHaveLength(2)
    expect(first).toContain(o)
    expect(first.some((e) => e === pet || e === far)).toBe(true)
    // holds() says the same, without allocating a list
    for (const e of [o, ...near, pet, far]) expect(plugin.holds('c', e)).toBe(first.includes(e))
    expect(plugin.holds('nobody', o)).toBe(false)
    attention(world)
    plugin.sync()
    const second = plugin.viewMembers('c')
    expect(second).toEqual(expect.arrayContaining([o, pet, far]))
    expect(second).toHaveLength(4)
    attention(world)
    plugin.sync()
    expect(plugin.viewMembers('c').sort((a, b) => a - b)).toEqual([o, ...near, pet, far].sort((a, b) => a - b))
  })
})
