import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { Encoder, schema, t, type SchemaType } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import {
  addObserver,
  addSalience,
  AttentionPlugin,
  createAttentionComponents,
  createAttentionSystem,
  installViewEncoding,
  type AttentionComponents,
  type AttentionSystem,
} from '../../src/index'
import { roomEncoder } from '../../src/view-encoding/index'

// Mistakes a new user makes, in a real room joined by real clients: each must be refused with an
// error naming the fix, or warned about once, and none may leak an entity or end the process.

const Thing = schema({ x: t.float32().default(0) }, 'MisuseThing')
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view(), open: t.map(Thing) }, 'MisuseState')

interface Mode {
  /** Use one module-level world and system for every room (the mistake). */
  share?: boolean
  noSync?: boolean
  noTick?: boolean
  /** The engine ticks every this many ms (default 20, with patches every 20 ms). */
  tickMs?: number
  /** No patch timer: the room patches by hand, first this many ms after the first join, then every 50 ms. */
  manualPatchAfter?: number
  maxRange?: number
  /** Delete entity `near[0]`'s instance from the state without untrack, before anyone joins. */
  detach?: boolean
  /** The system's memberCount throws once (a bug inside sync). */
  throwOnce?: boolean
  /** The refresh callback throws every time (a game bug in the game's own callback). */
  refreshThrows?: boolean
  /** Track an instance of the unfiltered `open` map in onCreate. */
  trackOpen?: boolean
  /** onJoin binds a new entity, then makes it an observer (the order a game may well write). */
  bindFirst?: boolean
  /** onJoin binds nobody (the mistake). */
  noBind?: boolean
  /** onJoin binds through a second plugin that is not registered on the room (the mistake). */
  loose?: boolean
  /** onCreate starts the patch timer, then awaits this many ms (loading a model) before use(). */
  useAfter?: number
  /** onCreate never calls use() (the mistake); onJoin binds nobody. */
  noUse?: boolean
}

interface Engine {
  world: World
  C: AttentionComponents
  attention: AttentionSystem
}
const makeEngine = (): Engine => {
  const world = createWorld()
  const C = createAttentionComponents(256)
  return { world, C, attention: createAttentionSystem(world, { components: C, hysteresis: false }) }
}
let sharedEngine: Engine | null = null
let room: MisuseRoom | null = null

const RADIUS = 50

class MisuseRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new State()
  engine!: Engine
  mode: Mode = {}
  observer = -1
  near: number[] = []
  far: number[] = []
  mover = -1
  /** Entities found in a view, right after a sync, farther than maxRange from the observer. */
  violations: string[] = []
  thrown = false
  loose: AttentionPlugin | undefined

  override async onCreate(mode: Mode): Promise<void> {
    this.mode = mode
    if (mode.useAfter !== undefined || mode.noUse) {
      // the patch timer runs while an async onCreate awaits
      this.patchRate = 20
      room = this
      if (mode.noUse) return
      await new Promise((r) => setTimeout(r, mode.useAfter))
    }
    this.engine = mode.share ? (sharedEngine ??= makeEngine()) : makeEngine()
    const { C } = this.engine
    if (mode.throwOnce) {
      const sys = this.engine.attention
      const own = sys.memberCount
      sys.memberCount = (o: number) => {
        if (this.thrown) return own(o)
        this.thrown = true
        throw new Error('a bug inside sync')
      }
    }
    this.plugins.attention.use(this.engine.attention, {
      ...(mode.maxRange === undefined ? {} : { maxRange: mode.maxRange, positions: C.Position }),
      ...(mode.refreshThrows
        ? {
            refresh: () => {
              this.thrown = true
              throw new Error('a game bug in refresh')
            },
          }
        : {}),
    })
    this.observer = this.spawn(0)
    addObserver(this.engine.world, C, this.observer, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
    for (let i = 0; i < 4; i++) this.near.push(this.spawn(10 + i * 10))
    // salient and far: their nimbus makes the engine select them beyond the radius
    for (let i = 0; i < 4; i++) {
      const e = this.spawn(70 + i * 20)
      addSalience(this.engine.world, C, e, 1, 200)
      this.far.push(e)
    }
    this.mover = this.spawn(0)
    addSalience(this.engine.world, C, this.mover, 1, 200)
    if (mode.trackOpen) {
      const e = addEntity(this.engine.world)
      const thing = new Thing()
      this.state.open.set(String(e), thing)
      this.plugins.attention.track(e, thing)
    }
    if (mode.detach) this.state.things.delete(String(this.near[0]))
    this.patchRate = mode.manualPatchAfter === undefined ? 20 : null
    if (!mode.noTick) this.setTimestep(() => this.engine.attention(this.engine.world), mode.tickMs ?? 20)
    room = this
  }

  spawn(x: number): number {
    const { world, C } = this.engine
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    this.state.things.set(String(eid), thing)
    this.plugins.attention.track(eid, thing)
    return eid
  }

  override onJoin(client: ServerClient, options: { bind?: number }): void {
    const after = this.mode.manualPatchAfter
    if (after !== undefined && this.clients.length === 1) {
      this.clock.setTimeout(() => this.clock.setInterval(() => this.broadcastPatch(), 50), after)
    }
    if (this.mode.noBind || this.mode.noUse) return
    if (this.mode.loose) {
      // what a room gets from `loose = new AttentionPlugin()` as a plain field
      this.loose ??= new AttentionPlugin().use(createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }))
      this.loose.bind(client, 0)
      return
    }
    if (this.mode.bindFirst) {
      const e = this.spawn(5)
      this.plugins.attention.bind(client, e)
      addObserver(this.engine.world, this.engine.C, e, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
      return
    }
    this.plugins.attention.bind(client, options.bind ?? this.observer)
  }

  override onBeforePatch(): void {
    if (this.mode.noSync) return
    this.plugins.attention.sync()
    if (this.mode.maxRange === undefined) return
    const X = this.engine.C.Position.x
    for (const c of this.clients) {
      for (const e of this.plugins.attention.viewMembers(c.sessionId)) {
        if (Math.abs(X[e]! - X[this.observer]!) > this.mode.maxRange) this.violations.push(`${e} at ${X[e]}`)
      }
    }
  }
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer('misuse', MisuseRoom)
})
afterAll(async () => {
  await server.stop()
})

let warnings: string[] = []
let errors: string[] = []
beforeAll(() => {
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warnings.push(a.map(String).join(' ')))
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
})
afterEach(() => {
  warnings = []
  errors = []
})
afterAll(() => {
  vi.restoreAllMocks()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, unknown> }).things?.keys() ?? [])]
const ours = (w: string[], re: RegExp): string[] => w.filter((m) => re.test(m))

describe('misuse', () => {
  it('should refuse to track an instance that is not in the state or not behind .view(), naming the entity and the fix', async () => {
    const state = new State()
    new Encoder(state)
    const world = createWorld()
    const C = createAttentionComponents(16)
    const plugin = new AttentionPlugin().use(createAttentionSystem(world, { components: C }))
    const loose = new Thing()
    expect(() => plugin.track(3, loose)).toThrow(/track\(3, instance\): the instance is not in this room's state/)
    const open = new Thing()
    state.open.set('4', open)
    expect(() => plugin.track(4, open)).toThrow(/field 'open' of MisuseState is not marked \.view\(\).*open: t\.map\(MisuseThing\)\.view\(\)/)
    expect(() => plugin.track(5, { x: 1 } as never)).toThrow(/needs a schema instance/)
    // and in a room: its creation fails with the same words
    await expect(new Client(server.url).create('misuse', { trackOpen: true })).rejects.toThrow(/not marked \.view\(\)/)
  })

  it('should refuse to track an element of a .stream() collection whose class has tagged fields (bands could not hold them back)', () => {
    const Unit = schema({ cx: t.int16(), x: t.float32().view(1), hp: t.uint8().view(2) }, 'MisuseStreamUnit')
    const Dot = schema({ cx: t.int16() }, 'MisuseStreamDot')
    const StreamState = schema({ units: t.map(Unit).view().stream(), dots: t.map(Dot).view().stream() }, 'MisuseStreamState')
    const state = new StreamState()
    new Encoder(state)
    const plugin = new AttentionPlugin().use(createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }))
    const unit = new Unit()
    state.units.set('1', unit)
    expect(() => plugin.track(1, unit)).toThrow(/track\(1, instance\): field 'units' of MisuseStreamState is a \.stream\(\) collection, and MisuseStreamUnit has fields with view tags.*Use a map/)
    // untagged fields in a stream: membership is all the plugin decides, and that holds
    const dot = new Dot()
    state.dots.set('2', dot)
    expect(() => plugin.track(2, dot)).not.toThrow()
  })

  it('should warn once per class about a field whose view tag no band holds (it would never be sent)', () => {
    const Odd = schema({ x: t.float32().view(1), secret: t.uint8().view(4), note: t.string().view(8), all: t.uint8().view() }, 'MisuseOdd')
    const OddState = schema({ odd: t.map(Odd).view() }, 'MisuseOddState')
    const state = new OddState()
    new Encoder(state)
    const world = createWorld()
    const plugin = new AttentionPlugin().use(createAttentionSystem(world, { components: createAttentionComponents(16) }))
    for (let e = 1; e <= 3; e++) {
      const o = new Odd()
      state.odd.set(String(e), o)
      plugin.track(e, o)
    }
    expect(ours(warnings, /MisuseOdd fields "secret" \(\.view\(4\)\), "note" \(\.view\(8\)\) have tags that no band holds \(bandTags \[0, 1, 3\]\)/)).toHaveLength(1)
    expect(ours(warnings, /no band holds/)).toHaveLength(1)
    // with a band that holds tag 4, only "note" is left out
    const wider = new AttentionPlugin({ bandTags: [0, 1, 1 | 2 | 4] }).use(createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }))
    const o = new Odd()
    state.odd.set('9', o)
    wider.track(9, o)
    expect(ours(warnings, /MisuseOdd field "note" \(\.view\(8\)\) has a tag that no band holds/)).toHaveLength(1)
  })

  it('should refuse an attention system that a second room uses, and one its room disposed', async () => {
    const a = await new Client(server.url).create('misuse', { share: true })
    await expect(new Client(server.url).create('misuse', { share: true })).rejects.toThrow(/already used by another room/)
    await a.leave(true)
    // the first room's plugin disposes the system with the room: a later room is told so, not handed a dead system
    let refused = ''
    for (let k = 0; k < 50 && !/disposed when room/.test(refused); k++) {
      await sleep(50)
      refused = await new Client(server.url).create('misuse', { share: true }).then(
        (b) => (void b.leave(true), 'created'),
        (e: Error) => e.message,
      )
    }
    expect(refused).toMatch(new RegExp(`this attention system was disposed when room ${a.roomId}, which used it, closed.*not at module scope`))
    sharedEngine = null
  })

  it('should keep serving when a tracked instance left the state without untrack, and say which entity once', async () => {
    const c = await new Client(server.url).create('misuse', { detach: true })
    const r = room!
    const gone = String(r.near[0])
    await until(() => keys(c).includes(String(r.near[1])), 'the other members')
    // the room goes on patching: a later move reaches the client
    r.state.things.get(String(r.near[1]))!.x = 12.5
    await until(() => (c.state as { things: Map<string, Thing> }).things.get(String(r.near[1]))?.x === 12.5, 'a later patch')
    expect(keys(c)).not.toContain(gone)
    const said = ours(warnings, new RegExp(`entity ${gone} is tracked but its instance is no longer in the room's state.*untrack\\(${gone}\\)`))
    expect(said).toHaveLength(1)
    await c.leave(true)
  })

  it('should log a failing sync once and go on, never ending the process nor stopping another room', async () => {
    const other = await new Client(server.url).create('misuse', {})
    const ro = room!
    await until(() => ro.near.every((e) => keys(other).includes(String(e))), 'the other room')
    const c = await new Client(server.url).create('misuse', { throwOnce: true })
    const r = room!
    await until(() => r.near.every((e) => keys(c).includes(String(e))), 'the set after the failed sync')
    expect(r.thrown).toBe(true)
    expect(ours(errors, new RegExp(`sync\\(\\) failed in room ${r.roomId}; the room goes on`))).toHaveLength(1)
    // the other room still patches its client
    ro.state.things.get(String(ro.near[1]))!.x = 33.5
    await until(() => (other.state as { things: Map<string, Thing> }).things.get(String(ro.near[1]))?.x === 33.5, 'a patch in the other room')
    await c.leave(true)
    await other.leave(true)
  })

  it('should sync nothing, and say nothing, while an async onCreate awaits before use(); and say once when use() never came', async () => {
    const c = await new Client(server.url).create('misuse', { useAfter: 300 })
    const r = room!
    await until(() => r.near.every((e) => keys(c).includes(String(e))), 'the set once use() ran')
    expect(ours(errors, /before use\(system\)/)).toEqual([])
    const n = await new Client(server.url).create('misuse', { noUse: true })
    const rn = room!
    await until(() => ours(errors, new RegExp(`sync\\(\\) failed in room ${rn.roomId}`)).length > 0, 'the missing use() said')
    await sleep(200)
    expect(ours(errors, /sync\(\) before use\(system\): call plugins\.attention\.use\(system\) in onCreate/)).toHaveLength(1)
    await n.leave(true)
    await c.leave(true)
  })

  it('should go on syncing when the refresh callback throws, and say so once', async () => {
    const c = await new Client(server.url).create('misuse', { refreshThrows: true })
    const r = room!
    // every member arrives although each one's refresh threw
    await until(() => r.near.every((e) => keys(c).includes(String(e))), 'the set')
    expect(r.thrown).toBe(true)
    r.state.things.get(String(r.near[1]))!.x = 44.5
    await until(() => (c.state as { things: Map<string, Thing> }).things.get(String(r.near[1]))?.x === 44.5, 'a later patch')
    expect(ours(errors, /the refresh callback threw for entity \d+; the sync went on/)).toHaveLength(1)
    expect(ours(errors, new RegExp(`sync\\(\\) failed in room ${r.roomId}`))).toHaveLength(0)
    await c.leave(true)
  })

  it('should warn once when bind() names an entity that is not an observer', async () => {
    const c = await new Client(server.url).create('misuse', {})
    const r = room!
    const d = await new Client(server.url).joinById(c.roomId, { bind: r.near[1] })
    const e = await new Client(server.url).joinById(c.roomId, { bind: r.near[2] })
    // said at the sync after the bind (onJoin may add the Observer after binding)
    await until(() => ours(warnings, /is not an observer/).length > 0, 'the warning', 3000)
    await sleep(200)
    expect(ours(warnings, new RegExp(`bind\\(client, ${r.near[1]}\\): entity ${r.near[1]} is not an observer.*addObserver`))).toHaveLength(1)
    expect(ours(warnings, /is not an observer/)).toHaveLength(1)
    for (const x of [c, d, e]) await x.leave(true)
  })

  it('should not warn when onJoin binds first and adds the Observer after', async () => {
    const c = await new Client(server.url).create('misuse', { bindFirst: true })
    const r = room!
    await until(() => r.near.every((e) => keys(c).includes(String(e))), 'the set of the new observer')
    await sleep(200)
    expect(warnings).toEqual([])
    await c.leave(true)
  })

  it('should warn once about a joined client that onJoin never bound', async () => {
    const c = await new Client(server.url).create('misuse', { noBind: true })
    await until(() => ours(warnings, /bound to no observer/).length > 0, 'the warning', 5000)
    expect(ours(warnings, new RegExp(`client ${c.sessionId} joined room ${c.roomId} but is bound to no observer.*bind\\(client, observerEntity\\) in onJoin`))).toHaveLength(1)
    expect(keys(c)).toEqual([])
    await c.leave(true)
  })

  it('should warn once when bind() gets a client but the plugin is not registered on the room', async () => {
    const c = await new Client(server.url).create('misuse', { loose: true })
    const d = await new Client(server.url).joinById(c.roomId, {})
    expect(ours(warnings, /not registered on the room.*definePlugins\(\[new AttentionPlugin/)).toHaveLength(1)
    for (const x of [c, d]) await x.leave(true)
  })

  it('should warn once when sync() is never called', async () => {
    const c = await new Client(server.url).create('misuse', { noSync: true })
    await until(() => ours(warnings, /sync\(\) was not called/).length > 0, 'the warning', 3000)
    expect(ours(warnings, /sync\(\) was not called.*onBeforePatch/)).toHaveLength(1)
    await c.leave(true)
  })

  it('should warn once when the system never ticks', async () => {
    const c = await new Client(server.url).create('misuse', { noTick: true })
    await until(() => ours(warnings, /has not ticked/).length > 0, 'the warning', 5000)
    await sleep(300)
    expect(ours(warnings, /has not ticked for \d+ patches over 2 s \(tick 0\), so views show nothing.*setTimestep/)).toHaveLength(1)
    await c.leave(true)
  })

  it('should not warn a room that ticks far less often than it patches, or patches by hand and late', async () => {
    // a tick every 700 ms, a patch every 50 ms: 14 patches per tick
    const slow = await new Client(server.url).create('misuse', { tickMs: 700 })
    const rs = room!
    await until(() => rs.near.every((e) => keys(slow).includes(String(e))), 'the set of a slow ticker')
    await sleep(800)
    // no patch timer: the first patch 800 ms after the join
    const manual = await new Client(server.url).create('misuse', { manualPatchAfter: 800 })
    const rm = room!
    await until(() => rm.near.every((e) => keys(manual).includes(String(e))), 'the set of a room patching by hand')
    expect(warnings).toEqual([])
    await slow.leave(true)
    await manual.leave(true)
  })

  it('should never send an entity beyond maxRange, whatever the engine selects', async () => {
    // without the bound the salient far entities reach the client: the scenario selects beyond the radius
    const free = await new Client(server.url).create('misuse', {})
    const rf = room!
    await until(() => rf.far.every((e) => keys(free).includes(String(e))), 'the far entities without maxRange')
    await free.leave(true)

    const c = await new Client(server.url).create('misuse', { maxRange: RADIUS })
    const r = room!
    const X = r.engine.C.Position.x
    await until(() => r.near.every((e) => keys(c).includes(String(e))), 'the near entities')
    // the mover walks out to 2.5x the radius and back, one step per patch
    let held = 0
    for (let k = 0; k <= 60; k++) {
      X[r.mover] = k <= 30 ? k * 4 : (60 - k) * 4
      await sleep(20)
      for (const key of keys(c)) {
        const e = Number(key)
        // the static entities are exact on the client: none of them beyond the bound, ever
        if (e !== r.mover) expect(Math.abs(X[e]!), `entity ${e}`).toBeLessThanOrEqual(RADIUS)
      }
      if (keys(c).includes(String(r.mover))) held++
    }
    // the engine did select the far ones; no view held them (nor the mover beyond the bound) after any sync
    expect(r.far.some((e) => r.engine.attention.isMember(r.observer, e))).toBe(true)
    expect(r.violations).toEqual([])
    expect(held).toBeGreaterThan(0)
    await until(() => keys(c).includes(String(r.mover)), 'the mover back in range')
    // a real room never changes the state or a view between encode() and encodeView()
    expect(installViewEncoding(roomEncoder(r)!)!.reorderedPatches).toBe(0)
    await c.leave(true)
  })

  it('should validate maxRange, naming the option, the value and the allowed range', () => {
    expect(() => new AttentionPlugin({ maxRange: -1 })).toThrow(/maxRange must be a finite number in \(0, Infinity\); got -1/)
    expect(() => new AttentionPlugin({ maxRange: '60' as unknown as number })).toThrow(/got "60" \(a string\)/)
    expect(() => new AttentionPlugin({ entryBudget: '24' as unknown as number })).toThrow(/entryBudget must be an integer in \[1, 65535\]; got "24" \(a string\)/)
    const world = createWorld()
    const C = createAttentionComponents(16)
    const system = createAttentionSystem(world, { components: C })
    expect(() => new AttentionPlugin({ maxRange: 60 }).use(system)).toThrow(/maxRange needs the positions.*positions: C\.Position/)
    expect(() => new AttentionPlugin().use(system, { maxRange: 60, positions: createAttentionComponents(8).Position })).toThrow(/fewer than the system's capacity 16/)
    // positions of another type would be measured wrapped (a Uint8Array reads 256 as 0) or not at all
    const bytes = { x: new Uint8Array(16), y: C.Position.y, z: C.Position.z }
    expect(() => new AttentionPlugin({ maxRange: 60, positions: bytes as never })).toThrow(/positions must be the Position store .*Float32Arrays\); got positions\.x is a Uint8Array/)
    const view = { x: C.Position.x, y: C.Position.y, z: new DataView(new ArrayBuffer(64)) }
    expect(() => new AttentionPlugin({ maxRange: 60, positions: view as never })).toThrow(/got positions\.z is a DataView/)
    expect(() => new AttentionPlugin({ maxRange: 60, positions: 'C.Position' as never })).toThrow(/got "C.Position" \(a string\)/)
    const doubles = { x: new Float64Array(16), y: C.Position.y, z: C.Position.z }
    expect(() => new AttentionPlugin({ maxRange: 60, positions: doubles as never })).toThrow(/got positions\.x is a Float64Array/)
  })
})
