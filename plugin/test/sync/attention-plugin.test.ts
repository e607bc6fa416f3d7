import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { Encoder, schema, t, type SchemaType, type StateView } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld, removeEntity } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, AttentionTags, createAttentionComponents, createAttentionSystem } from '../../src/index'
import { roomEncoder } from '../../src/view-encoding/index'
import { threadsOf } from '../../src/ecs/observer-threads'

// A minimal room using the plugin, served for real on 127.0.0.1 and joined by @colyseus/sdk clients.

const Thing = schema({ x: t.float32().default(0), secret: t.uint8().default(7).view(AttentionTags.Detail) }, 'Thing')
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'State')

let room: TestRoom | null = null

class TestRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100, refresh: (eid) => this.refreshed.push(eid) })])
  refreshed: number[] = []
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(256)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
  /** eids of the two observers: one at x=0, one at x=1000 */
  watchers: number[] = []
  seen: string[] = []

  override onCreate(): void {
    this.plugins.attention.use(this.attention)
    for (const x of [0, 1000]) {
      const o = this.spawn(x)
      addObserver(this.world, this.C, o, { radius: 50, budget: 8 })
      this.watchers.push(o)
    }
    for (let i = 0; i < 5; i++) this.spawn(10 + i * 8)
    for (let i = 0; i < 5; i++) this.spawn(1010 + i * 8)
    this.patchRate = 20
    this.setTimestep(() => this.attention(this.world), 20)
    room = this
  }

  spawn(x: number): number {
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    this.C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    this.state.things.set(String(eid), thing)
    this.plugins.attention.track(eid, thing)
    return eid
  }

  despawn(eid: number): void {
    this.plugins.attention.untrack(eid, (s) => this.seen.push(s))
    this.state.things.delete(String(eid))
    removeEntity(this.world, eid)
  }

  override onJoin(client: ServerClient, options: { watch?: number }): void {
    this.plugins.attention.bind(client, this.watchers[options.watch ?? 0]!)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }
}

let threaded: ThreadedRoom | null = null

/** A room whose system scores on a worker thread, and that never calls `attention.dispose()` itself unless asked. */
class ThreadedRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin()])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(64, { shared: true })
  attention = createAttentionSystem(this.world, { components: this.C, threads: 2 })
  observer = -1
  /** The room's onDispose disposes the system too, as the example server's does. */
  selfDispose = false

  override onCreate(options: { selfDispose?: boolean }): void {
    this.selfDispose = options.selfDispose === true
    this.plugins.attention.use(this.attention)
    for (const x of [0, 10]) {
      const eid = addEntity(this.world)
      addComponent(this.world, eid, this.C.Position)
      this.C.Position.x[eid] = x
      const thing = new Thing()
      this.state.things.set(String(eid), thing)
      this.plugins.attention.track(eid, thing)
      if (this.observer === -1) this.observer = eid
    }
    addObserver(this.world, this.C, this.observer, { radius: 50, budget: 8 })
    this.patchRate = 20
    this.setTimestep(() => this.attention(this.world), 20)
    threaded = this
  }

  override onJoin(client: ServerClient): void {
    this.plugins.attention.bind(client, this.observer)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }

  override onDispose(): void {
    if (this.selfDispose) this.attention.dispose()
  }
}

let server: TestServer
let threadedServer: TestServer
let url = ''
beforeAll(async () => {
  server = await startTestServer('test', TestRoom)
  threadedServer = await startTestServer('threaded', ThreadedRoom)
  url = server.url
})
afterAll(async () => {
  await server.stop()
  await threadedServer.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A plugin driven by hand over a real schema state: an observer at x=0 (radius 50) and entities at
 * 10 (`near`) and 40 (`far`). `step()` ticks the engine and syncs.
 */
function handDriven(ctor: { maxRange?: number }, overrides?: { maxRange?: number }) {
  const state = new State()
  new Encoder(state)
  const world = createWorld()
  const C = createAttentionComponents(64)
  const attention = createAttentionSystem(world, { components: C, hysteresis: false })
  const plugin = new AttentionPlugin({ ...ctor, positions: C.Position })
  if (overrides === undefined) plugin.use(attention)
  else plugin.use(attention, overrides)
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
  const observer = spawn(0)
  addObserver(world, C, observer, { radius: 50, budget: 8 })
  const near = spawn(10)
  const far = spawn(40)
  plugin.bind({ sessionId: 'hand', view: undefined } as unknown as ServerClient, observer)
  return {
    plugin,
    attention,
    observer,
    near,
    far,
    spawn,
    step: () => {
      attention(world)
      plugin.sync()
    },
    members: () => plugin.viewMembers('hand'),
  }
}
const keys = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, unknown> }).things?.keys() ?? [])].sort()

describe('AttentionPlugin', () => {
  it('should validate its options, naming the option and the allowed range', () => {
    expect(() => new AttentionPlugin({ entryBudget: 0 })).toThrow(/entryBudget must be an integer in \[1, 65535\]; got 0/)
    expect(() => new AttentionPlugin({ bandTags: [0, 1] as unknown as [number, number, number] })).toThrow(/bandTags/)
    expect(() => new AttentionPlugin({ bandTags: [0, -1, 3] })).toThrow(/bandTags\[1\]/)
    expect(() => new AttentionPlugin({ shareViews: 'yes' as unknown as boolean })).toThrow(/shareViews/)
    // a hole is no tag (forEach would skip it), and null is no "not given"
    expect(() => new AttentionPlugin({ bandTags: [0, , 3] as unknown as [number, number, number] })).toThrow(/bandTags\[1\] must be an integer in \[0, 2147483647\]; got undefined/)
    expect(() => new AttentionPlugin({ bandTags: null as never })).toThrow(/bandTags must be an array of 3 tags \[low, medium, high\]; got null/)
    expect(() => new AttentionPlugin({ entryBudget: null as never })).toThrow(/entryBudget must be an integer in \[1, 65535\]; got null/)
    expect(() => new AttentionPlugin().use(createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }), { shareViews: null as never })).toThrow(/shareViews must be true or false; got null/)
    const p = new AttentionPlugin()
    expect(() => p.track(1, {} as never)).toThrow(/track\(\) before use\(system\).*in onCreate, before any track\(\)/)
    expect(() => p.bind({ sessionId: 's', view: undefined } as never, 1)).toThrow(/bind\(\) before use\(system\)/)
    expect(() => p.untrack(1)).toThrow(/untrack\(\) before use\(system\)/)
    // sync() runs in Colyseus' patch timer: it logs (once) rather than throw
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    p.sync()
    p.sync()
    expect(error.mock.calls.map((c) => String(c[1]))).toEqual([expect.stringMatching(/sync\(\) before use\(system\)/)])
    error.mockRestore()
  })

  it('should refuse options that are not an object, and unknown option keys, naming the key and the options', () => {
    expect(() => new AttentionPlugin(null as never)).toThrow(TypeError)
    expect(() => new AttentionPlugin(null as never)).toThrow(/AttentionPlugin takes an options object; got null/)
    expect(() => new AttentionPlugin('x' as never)).toThrow(/AttentionPlugin takes an options object; got "x" \(a string\)/)
    expect(() => new AttentionPlugin([60] as never)).toThrow(/got an array/)
    // a misspelt key would leave the room without its bound
    const misspelt = () => new AttentionPlugin({ maxrange: 60 } as never)
    expect(misspelt).toThrow(RangeError)
    expect(misspelt).toThrow(
      /AttentionPlugin has no option "maxrange" \(did you mean maxRange\?\); its options are bandTags, entryBudget, shareViews, refresh, fastViewEncoding, maxRange, positions/,
    )
    expect(() => new AttentionPlugin({ entryBudget: 24, budget: 8 } as never)).toThrow(/has no option "budget"; its options are/)
    const system = createAttentionSystem(createWorld(), { components: createAttentionComponents(16) })
    expect(() => new AttentionPlugin().use(system, { maxRnage: 60 } as never)).toThrow(/use\(system, options\) has no option "maxRnage" \(did you mean maxRange\?\); its options are/)
    expect(() => new AttentionPlugin().use(system, null as never)).toThrow(/use\(system, options\) takes an options object/)
    // a refused use() leaves the plugin unused: the next use() goes through
    const p = new AttentionPlugin()
    expect(() => p.use(system, { entryBudget: 0 })).toThrow(/entryBudget/)
    expect(p.use(system)).toBe(p)
    // undefined is "not given", as in the constructor
    expect(() => new AttentionPlugin({ entryBudget: undefined, maxRange: undefined })).not.toThrow()
  })

  it('should keep the band tags it was given, whatever becomes of the caller\'s array', () => {
    const tags: [number, number, number] = [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail]
    const state = new State()
    new Encoder(state)
    const world = createWorld()
    const C = createAttentionComponents(16)
    const attention = createAttentionSystem(world, { components: C, hysteresis: false })
    const plugin = new AttentionPlugin({ bandTags: tags }).use(attention)
    const things: Thing[] = []
    const spawn = (x: number): number => {
      const eid = addEntity(world)
      addComponent(world, eid, C.Position)
      C.Position.x[eid] = x
      things[eid] = new Thing()
      state.things.set(String(eid), things[eid]!)
      plugin.track(eid, things[eid]!)
      return eid
    }
    const observer = spawn(0)
    addObserver(world, C, observer, { radius: 50, budget: 8, fov: 2 * Math.PI })
    const client = { sessionId: 'c', view: undefined as StateView | undefined }
    plugin.bind(client as unknown as ServerClient, observer)
    const e = spawn(1)
    attention(world)
    plugin.sync()
    expect(client.view!.hasTag(things[e]!, AttentionTags.Detail)).toBe(true)
    // the game's array changed while the room runs: the entry it holds at High must still leave High whole
    tags[2] = AttentionTags.Motion
    C.Position.x[e] = 45
    attention(world)
    plugin.sync()
    expect(client.view!.has(things[e]!)).toBe(true)
    expect(client.view!.hasTag(things[e]!, AttentionTags.Detail)).toBe(false)
    expect(client.view!.hasTag(things[e]!, AttentionTags.Motion)).toBe(false)
    client.view!.dispose()
  })

  it('should keep the constructor\'s maxRange when use() overrides it with undefined', () => {
    const h = handDriven({ maxRange: 20 }, { maxRange: undefined })
    for (let k = 0; k < 3; k++) h.step()
    // the engine selects both (radius 50); the bound of 20 keeps the one at 40 out of the view
    expect(h.attention.isMember(h.observer, h.far)).toBe(true)
    expect(h.members().sort((a, b) => a - b)).toEqual([h.observer, h.near].sort((a, b) => a - b))
  })

  it('should refuse a second use(), keeping every tracked entity and view, and ignore the same system used again', () => {
    const h = handDriven({ maxRange: 100 })
    for (let k = 0; k < 3; k++) h.step()
    const before = h.members().sort((a, b) => a - b)
    expect(before).toEqual([h.observer, h.near, h.far].sort((a, b) => a - b))
    // changing options at runtime: refused, naming what to do instead
    expect(() => h.plugin.use(h.attention, { maxRange: 20 })).toThrow(/use\(\) is called once per room.*already drives this attention system.*new AttentionPlugin\(\{ \.\.\. \}\) or to that first use/)
    const other = createAttentionSystem(createWorld(), { components: createAttentionComponents(64) })
    expect(() => h.plugin.use(other)).toThrow(/already drives another attention system/)
    // the same system again, without options: nothing happens
    expect(h.plugin.use(h.attention)).toBe(h.plugin)
    for (let k = 0; k < 3; k++) h.step()
    expect(h.members().sort((a, b) => a - b)).toEqual(before)
    // entities tracked before are still tracked: one moved in range is sent; a new one too
    const late = h.spawn(5)
    for (let k = 0; k < 3; k++) h.step()
    expect(h.members()).toContain(late)
    expect(h.members()).toHaveLength(4)
  })

  it('should send each client only its observer set, and share one view between clients of the same observer', async () => {
    const client = new Client(url)
    const a = await client.joinOrCreate('test', { watch: 0 })
    const r = room!
    // a spectator joins at once, while the view it shares is still being filled (test/sync/shared-view.test.ts
    // pins down the patches that used to lose it)
    const b = await client.joinById(a.roomId, { watch: 0 })
    const c = await client.joinById(a.roomId, { watch: 1 })
    const near0 = [r.watchers[0]!, 3, 4, 5, 6, 7].map(String).sort()
    const near1 = [r.watchers[1]!, 8, 9, 10, 11, 12].map(String).sort()
    await until(() => keys(a).length === 6 && keys(b).length === 6 && keys(c).length === 6, 'the sets')
    expect(keys(a)).toEqual(near0)
    expect(keys(b)).toEqual(near0)
    expect(keys(c)).toEqual(near1)
    // two observers, three clients: two views, the one of observer 0 shared (encoded once)
    expect(r.plugins.attention.viewCount).toBe(2)
    expect(r.clients.getById(a.sessionId)!.view).toBe(r.clients.getById(b.sessionId)!.view)
    expect(r.clients.getById(a.sessionId)!.view).not.toBe(r.clients.getById(c.sessionId)!.view)
    // default band tags: the detail field reaches a client only for High-band members
    const o = r.watchers[0]!
    let high = 0
    for (let i = 0; i < r.attention.memberCount(o); i++) {
      const e = r.attention.memberAt(o, i)
      const band = r.attention.bandAt(o, i)
      const thing = (a.state as { things: Map<string, { secret?: number }> }).things.get(String(e))!
      expect(thing.secret !== undefined, `entity ${e} at band ${band}`).toBe(band === 2)
      if (band === 2) high++
      // watchBand: the highest band any view holds the entity at; refresh ran before it was sent
      expect(r.plugins.attention.watchBand(e)).toBe(band)
      expect(r.refreshed).toContain(e)
    }
    expect(high).toBeGreaterThan(0)
    expect(high).toBeLessThan(r.attention.memberCount(o))
    expect(r.plugins.attention.watchBand(r.watchers[1]! + 100)).toBe(-1)

    // despawn a member: it leaves both sharing clients, and untrack reports who had it
    r.despawn(5)
    await until(() => !keys(a).includes('5') && !keys(b).includes('5'), 'the despawn')
    expect(r.seen.sort()).toEqual([a.sessionId, b.sessionId].sort())
    expect(keys(c)).toEqual(near1)

    // one sharing client leaves: the other keeps its view; when both are gone the view is disposed
    await b.leave(true)
    await sleep(100)
    expect(r.plugins.attention.viewCount).toBe(2)
    r.C.Position.x[4] = 40
    await sleep(100)
    expect(keys(a)).toEqual(near0.filter((k) => k !== '5'))
    const shared = r.clients.getById(a.sessionId)!.view! as unknown as { id: number }
    const sharedId = shared.id
    await a.leave(true)
    await until(() => r.plugins.attention.viewCount === 1, 'the view disposal')
    // the view is disposed: its id back on the room's free list, its bit gone from every object
    await until(() => shared.id === -1, 'the view disposed')
    const root = (roomEncoder(r) as unknown as { root: { _freeViewIds: number[]; changeTrees: Record<number, { visibleViews?: number[] }> } }).root
    expect(root._freeViewIds).toContain(sharedId)
    for (const tree of Object.values(root.changeTrees)) expect((tree.visibleViews?.[sharedId >> 5] ?? 0) & (1 << (sharedId & 31))).toBe(0)
    await c.leave(true)
  })

  it('should leave a client bound to another observer only that observer\'s set, whether it had its view alone or shared it', async () => {
    const client = new Client(url)
    const a = await client.joinOrCreate('test', { watch: 0 })
    const r = room!
    const b = await client.joinById(a.roomId, { watch: 0 })
    const near0 = [r.watchers[0]!, 3, 4, 5, 6, 7].map(String).sort()
    const near1 = [r.watchers[1]!, 8, 9, 10, 11, 12].map(String).sort()
    await until(() => keys(a).length === 6 && keys(b).length === 6, 'the sets')
    const server = (c: ClientRoom) => r.clients.getById(c.sessionId)!
    expect(server(a).view).toBe(server(b).view)

    // a shared its view with b: it moves to a copy, whose next sync removes observer 0's entities
    r.plugins.attention.bind(server(a), r.watchers[1]!)
    await until(() => keys(a).join() === near1.join(), 'a on observer 1')
    expect(keys(b)).toEqual(near0)
    expect(server(a).view).not.toBe(server(b).view)
    expect(r.plugins.attention.observerOf(a.sessionId)).toBe(r.watchers[1])

    // b had its view alone: the view itself follows observer 1
    const viewOfB = server(b).view
    r.plugins.attention.bind(server(b), r.watchers[1]!)
    await until(() => keys(b).join() === near1.join(), 'b on observer 1')
    expect(server(b).view).toBe(viewOfB)
    // and back, and the same observer again changes nothing
    r.plugins.attention.bind(server(b), r.watchers[0]!)
    r.plugins.attention.bind(server(b), r.watchers[0]!)
    await until(() => keys(b).join() === near0.join(), 'b on observer 0 again')
    await sleep(100)
    expect(keys(a)).toEqual(near1)
    expect(keys(b)).toEqual(near0)
    expect(r.plugins.attention.viewCount).toBe(2)
    await a.leave(true)
    await b.leave(true)
    await until(() => r.plugins.attention.viewCount === 0, 'the views disposed')
  })

  it('should dispose the system with its room, ending its worker threads, also when the room disposes it itself', async () => {
    const error = vi.spyOn(console, 'error')
    for (const selfDispose of [false, true]) {
      const c = await new Client(threadedServer.url).create('threaded', { selfDispose })
      const r = threaded!
      const workers = threadsOf(r.attention)!.workers
      expect(workers).toHaveLength(1)
      await until(() => r.attention.threadsRunning() === 2 && keys(c).length === 2, 'the worker thread and the set')
      await c.leave(true)
      // the room closes with its last client; nobody called dispose() but the plugin (or both)
      await until(() => workers.every((w) => w.threadId === -1), `the worker threads to end (selfDispose ${selfDispose})`)
      // the system is retired with its room: another room may not pick it up
      expect(() => new AttentionPlugin().use(r.attention)).toThrow(new RegExp(`disposed when room ${r.roomId}, which used it, closed`))
    }
    expect(error).not.toHaveBeenCalled()
    error.mockRestore()
  })

  it('should move an entity between clients as it moves between observers, and never send it elsewhere', async () => {
    const client = new Client(url)
    const a = await client.joinOrCreate('test', { watch: 0 })
    const r = room!
    const c = await client.joinById(a.roomId, { watch: 1 })
    const traveller = r.spawn(20)
    const key = String(traveller)
    await until(() => keys(a).includes(key), 'the traveller near observer 0')
    expect(keys(c)).not.toContain(key)
    for (let x = 20; x <= 1000; x += 20) {
      r.C.Position.x[traveller] = x
      await sleep(25)
      // never in both at once: the two neighbourhoods are 900 units apart
      expect(keys(a).includes(key) && keys(c).includes(key)).toBe(false)
    }
    await until(() => keys(c).includes(key), 'the traveller near observer 1')
    expect(keys(a)).not.toContain(key)
    await a.leave(true)
    await c.leave(true)
  })
})
