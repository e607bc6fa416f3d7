import { ClientState, definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t, type SchemaType } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld, removeComponent, removeEntity, type World } from 'bitecs'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { roomEncoder } from '../../src/view-encoding/index'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem, setOwner, type AttentionComponents, type AttentionSystem } from '../../src/index'

// What a client is bound to, in real rooms joined by real clients: a binding follows one observer,
// of this room, for as long as that observer is the entity the client was bound to. A client of
// another room, a client that left, an observer id reused by a new player, an entity respawned after
// it was tracked: none may send a client what it is not entitled to, and each is said once.

const Thing = schema({ x: t.float32().default(0), kind: t.string().default('') }, 'BindingThing')
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'BindingState')

const RADIUS = 50

/** Every room of the test server, by its `tag` create option. */
const rooms = new Map<string, BindingRoom>()

class BindingRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new State()
  world!: World
  C!: AttentionComponents
  attention!: AttentionSystem
  /** Player entity per session id. */
  players = new Map<string, number>()
  instances = new Map<number, Thing>()
  /** Game code after sync() in onBeforePatch (run once, then cleared). */
  afterSync: (() => void) | undefined
  /** Game code in the plugin's refresh callback. */
  onRefresh: ((eid: number) => void) | undefined

  override onCreate(options: { tag: string; x: number }): void {
    this.world = createWorld()
    this.C = createAttentionComponents(64)
    this.attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
    this.plugins.attention.use(this.attention, { refresh: (eid) => this.onRefresh?.(eid) })
    // a few things near the players, at the room's own x: their keys tell the rooms apart
    for (let i = 0; i < 3; i++) this.spawn(options.x + 5 + i * 5, `thing-${options.tag}`)
    this.patchRate = 20
    this.setTimestep(() => this.attention(this.world), 20)
    rooms.set(options.tag, this)
  }

  spawn(x: number, kind: string): number {
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    this.C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    thing.kind = kind
    this.instances.set(eid, thing)
    this.state.things.set(String(eid), thing)
    this.plugins.attention.track(eid, thing)
    return eid
  }

  /** Removes a player's entity the way a game does when its player is gone (the client may stay). */
  despawn(eid: number): void {
    this.plugins.attention.untrack(eid)
    this.state.things.delete(String(eid))
    this.instances.delete(eid)
    removeEntity(this.world, eid)
  }

  override onJoin(client: ServerClient, options: { x?: number; unplaced?: boolean }): void {
    if (options.unplaced === true) {
      // a spawn screen: the player's entity exists, bound, with no Position or Observer yet
      const eid = addEntity(this.world)
      this.players.set(client.sessionId, eid)
      this.plugins.attention.bind(client, eid)
      return
    }
    const eid = this.spawn(options.x ?? 0, 'player')
    addObserver(this.world, this.C, eid, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
    this.players.set(client.sessionId, eid)
    this.plugins.attention.bind(client, eid)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
    const f = this.afterSync
    this.afterSync = undefined
    f?.()
  }
}

const StreamState = schema({ things: t.map(Thing).view().stream(), clock: t.number().default(0) }, 'BindingStreamState')
let streamRoom: StreamRoom | undefined
/** Every frame the server sent each client (session id -> bytes as text), from its join on. */
const frames = new Map<string, string[]>()

/** A room whose entities live in a `.view().stream()` collection: a hidden one and a far one exist before anyone joins. */
class StreamRoom extends Room<{ state: InstanceType<typeof StreamState> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new StreamState()
  world = createWorld()
  C = createAttentionComponents(64)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })

  override onCreate(): void {
    streamRoom = this
    this.plugins.attention.use(this.attention)
    for (const [x, kind, hidden] of [[3, 'near', false], [4, 'SECRET-HIDDEN', true], [900, 'SECRET-FAR', false]] as const) {
      const eid = addEntity(this.world)
      addComponent(this.world, eid, this.C.Position)
      this.C.Position.x[eid] = x
      if (hidden) addComponent(this.world, eid, this.C.Hidden)
      const thing = new Thing()
      thing.kind = kind
      this.state.things.set(String(eid), thing)
      this.plugins.attention.track(eid, thing)
    }
    // the state changes every patch, so every patch encodes
    this.clock.setInterval(() => {
      this.state.clock += 1
    }, 20)
    // patches far more often than the engine ticks: the first patches after a join come before any sync
    this.patchRate = 20
    this.setTimestep(() => this.attention(this.world), 200)
  }

  override onJoin(client: ServerClient, options: { bind?: boolean }): void {
    const seen: string[] = []
    frames.set(client.sessionId, seen)
    const raw = client.raw.bind(client)
    client.raw = (data: Uint8Array | Buffer, ...rest: unknown[]) => {
      seen.push(Buffer.from(data).toString('latin1'))
      return (raw as (...a: unknown[]) => void)(data, ...rest)
    }
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    addObserver(this.world, this.C, eid, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
    if (options.bind !== false) this.plugins.attention.bind(client, eid)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }
}

let server: TestServer
let streamServer: TestServer
let warnings: string[] = []
beforeAll(async () => {
  server = await startTestServer('binding', BindingRoom)
  streamServer = await startTestServer('stream', StreamRoom)
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warnings.push(a.map(String).join(' ')))
})
afterEach(() => {
  warnings = []
})
afterAll(async () => {
  vi.restoreAllMocks()
  await server.stop()
  await streamServer.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const kinds = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, { kind: string }> }).things?.values() ?? [])].map((e) => e.kind).sort()
const keys = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, unknown> }).things?.keys() ?? [])].sort()
const ours = (re: RegExp): string[] => warnings.filter((m) => re.test(m))

describe('binding', () => {
  it("should give a client of another room no view, and leave that client with its own room's entities", async () => {
    const a = await new Client(server.url).create('binding', { tag: 'a', x: 0 })
    const b = await new Client(server.url).create('binding', { tag: 'b', x: 1000 })
    try {
      await until(() => kinds(a).includes('thing-a') && kinds(b).includes('thing-b'), 'both rooms synced')
      const roomA = rooms.get('a')!
      const roomB = rooms.get('b')!
      const clientOfB = roomB.clients.find((c) => c.sessionId === b.sessionId)!
      const views = roomA.plugins.attention.viewCount
      const viewOfB = clientOfB.view
      roomA.plugins.attention.bind(clientOfB, roomA.players.get(a.sessionId)!)
      await sleep(150)
      // no view in room A for it (not even room A's player's, shared), and room B's client still
      // holds room B's entities alone
      expect(clientOfB.view).toBe(viewOfB)
      expect(roomA.plugins.attention.viewCount).toBe(views)
      expect(kinds(b)).toEqual(['player', 'thing-b', 'thing-b', 'thing-b'])
      expect(keys(b)).toEqual(roomB.plugins.attention.viewMembers(b.sessionId).map(String).sort())
      expect(ours(/is not a client of room/)).toHaveLength(1)
    } finally {
      await a.leave()
      await b.leave()
    }
  })

  it('should give a client that left no view', async () => {
    const a = await new Client(server.url).create('binding', { tag: 'left', x: 0 })
    const roomA = rooms.get('left')!
    // a second client keeps the room open
    const stays = await new Client(server.url).joinById(roomA.roomId, { x: 500 })
    try {
      await until(() => kinds(a).includes('thing-left'), 'synced')
      const gone = roomA.clients.find((c) => c.sessionId === a.sessionId)!
      const eid = roomA.players.get(a.sessionId)!
      await a.leave()
      await until(() => roomA.plugins.attention.viewCount === 1, 'the view disposed with its client')
      // a late bind (a Client kept and bound from a timer after the room's onLeave for it, say)
      roomA.plugins.attention.bind(gone, eid)
      await sleep(100)
      expect(roomA.plugins.attention.viewCount).toBe(1)
      expect(ours(/already left room/)).toHaveLength(1)
    } finally {
      await stays.leave()
    }
  })

  it("should empty the view of a client whose observer id is reused by a new player, never showing it the new player's set, until it is bound again", async () => {
    const a = await new Client(server.url).create('binding', { tag: 'reuse', x: 0 })
    try {
      const room = rooms.get('reuse')!
      await until(() => kinds(a).includes('player'), 'synced')
      // the game removes a's player (a respawn screen: the client stays) and a new player takes the
      // id at once (bitECS reuses ids), with a hidden stash only that player may see
      const old = room.players.get(a.sessionId)!
      room.despawn(old)
      const reused = room.spawn(0, 'other-player')
      expect(reused).toBe(old)
      addObserver(room.world, room.C, reused, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
      const stash = room.spawn(3, 'stash')
      addComponent(room.world, stash, room.C.Hidden)
      setOwner(room.world, room.C, stash, reused)
      await sleep(200)
      expect(room.attention.isDenied(reused, stash)).toBe(false)
      expect(kinds(a)).toEqual([])
      expect(room.plugins.attention.viewMembers(a.sessionId)).toEqual([])
      expect(ours(/lost its Observer/)).toHaveLength(1)
      // bound again (here to the new player, as a spectator would be), it follows that observer
      room.plugins.attention.bind(room.clients.find((c) => c.sessionId === a.sessionId)!, reused)
      await until(() => kinds(a).includes('stash'), 'the new binding followed')
      expect(kinds(a)).toEqual(['other-player', 'stash', 'thing-reuse', 'thing-reuse', 'thing-reuse'])
    } finally {
      await a.leave()
    }
  })

  it("should never show a client bound before its entity had Position or Observer the set of a new player that took the entity's id", async () => {
    const a = await new Client(server.url).create('binding', { tag: 'unplaced', x: 0 })
    const room = rooms.get('unplaced')!
    const b = await new Client(server.url).joinById(room.roomId, { unplaced: true })
    try {
      const seen: string[][] = []
      b.onStateChange(() => seen.push(kinds(b)))
      await until(() => room.clients.every((c) => c.state === ClientState.JOINED), 'b joined')
      await sleep(100)
      // b's spawn is cancelled (the client stays, back on its spawn screen): the entity, never
      // placed, is removed, which no component removal shows the engine
      const unplaced = room.players.get(b.sessionId)!
      removeEntity(room.world, unplaced)
      // a new player's entity takes the id at once, with a hidden stash only it may see
      const c = await new Client(server.url).joinById(room.roomId, { x: 0 })
      try {
        const reused = room.players.get(c.sessionId)!
        expect(reused).toBe(unplaced)
        const stash = room.spawn(3, 'stash')
        addComponent(room.world, stash, room.C.Hidden)
        setOwner(room.world, room.C, stash, reused)
        await until(() => kinds(c).includes('stash'), "the new player's set")
        await sleep(200)
        expect(seen.flat()).toEqual([])
        expect(room.plugins.attention.viewMembers(b.sessionId)).toEqual([])
        expect(ours(new RegExp(`bind\\(client, ${unplaced}\\): entity ${unplaced} is not an observer.*until bind\\(\\) is called again`))).toHaveLength(1)
        expect(ours(/lost its Observer/)).toHaveLength(0)
        // placed and bound again, b follows its own new entity
        const placed = room.spawn(1, 'b-player')
        addObserver(room.world, room.C, placed, { radius: RADIUS, budget: 32, fov: 2 * Math.PI })
        room.plugins.attention.bind(room.clients.find((x) => x.sessionId === b.sessionId)!, placed)
        await until(() => kinds(b).includes('b-player'), 'the new binding followed')
        expect(kinds(b)).not.toContain('stash')
      } finally {
        await c.leave()
      }
    } finally {
      await b.leave()
      await a.leave()
    }
  })

  it("should not send a client another client's entities after the room replaced its state", async () => {
    const a = await new Client(server.url).create('binding', { tag: 'replaced', x: 0 })
    try {
      const room = rooms.get('replaced')!
      await until(() => kinds(a).includes('thing-replaced'), 'synced')
      // every frame a is sent from now on
      const sent: string[] = []
      const client = room.clients.find((c) => c.sessionId === a.sessionId)!
      const raw = client.raw.bind(client)
      client.raw = (data: Uint8Array | Buffer, ...rest: unknown[]) => {
        sent.push(Buffer.from(data).toString('latin1'))
        return (raw as (...x: unknown[]) => void)(data, ...rest)
      }
      // a new round: a new state, every entity given a new instance in it
      room.state = new State()
      for (const [eid, old] of [...room.instances]) {
        const thing = new Thing()
        thing.x = old.x
        thing.kind = old.kind
        room.instances.set(eid, thing)
        room.state.things.set(String(eid), thing)
        room.plugins.attention.track(eid, thing)
      }
      // a player joins far from a, next to an entity only it may see
      const b = await new Client(server.url).joinById(room.roomId, { x: 3000 })
      try {
        const secret = room.instances.get(room.spawn(3005, 'SECRET-far-from-a'))!
        await until(() => kinds(b).includes('SECRET-far-from-a'), "b's set")
        // the game writes the entity every few patches
        for (let i = 1; i <= 5; i++) {
          secret.x = 3005 + i
          await sleep(40)
        }
        expect(sent.some((f) => f.includes('SECRET'))).toBe(false)
        expect(kinds(a)).not.toContain('SECRET-far-from-a')
        expect(room.plugins.attention.viewMembers(a.sessionId).every((e) => room.C.Position.x[e]! < 100)).toBe(true)
        expect(ours(/was replaced while 1 client was joined/)).toHaveLength(1)
      } finally {
        await b.leave()
      }
    } finally {
      await a.leave()
    }
  })

  it("should not send a client whose set is empty in a replaced state what a new view of its old id holds", async () => {
    const a = await new Client(server.url).create('binding', { tag: 'replaced-empty', x: 0 })
    try {
      const room = rooms.get('replaced-empty')!
      await until(() => kinds(a).includes('thing-replaced-empty'), 'synced')
      // a new round with nothing of a's tracked in it: a's view adds nothing at the next syncs
      room.state = new State()
      await sleep(100)
      // a player joins far from a, next to an entity only it may see; its view may take the id a's had
      const b = await new Client(server.url).joinById(room.roomId, { x: 3000 })
      try {
        room.spawn(3005, 'SECRET-far-from-a')
        await until(() => kinds(b).includes('SECRET-far-from-a'), "b's set")
        // what a reconnection of a would be sent (Colyseus' full state for its client)
        const client = room.clients.find((c) => c.sessionId === a.sessionId)!
        const full = (room as unknown as { _serializer: { getFullState(c: unknown): Uint8Array } })._serializer.getFullState(client)
        expect(Buffer.from(full).toString('latin1')).not.toContain('SECRET')
        expect(kinds(a)).not.toContain('SECRET-far-from-a')
      } finally {
        await b.leave()
      }
    } finally {
      await a.leave()
    }
  })

  it('should say once that an entity respawned after track() is sent to no one until tracked again', async () => {
    const a = await new Client(server.url).create('binding', { tag: 'respawn', x: 0 })
    try {
      const room = rooms.get('respawn')!
      await until(() => kinds(a).includes('thing-respawn'), 'synced')
      const thing = [...room.instances].find(([, e]) => e.kind === 'thing-respawn')![0]
      // the documented respawn: Position removed, then added back
      removeComponent(room.world, thing, room.C.Position)
      addComponent(room.world, thing, room.C.Position)
      room.C.Position.x[thing] = 6
      await until(() => ours(/lost Position after track\(\)/).length > 0, 'the warning')
      expect(keys(a)).not.toContain(String(thing))
      expect(ours(/lost Position after track\(\)/)[0]).toContain(`track(${thing}, instance) again`)
      room.plugins.attention.track(thing, room.instances.get(thing)!)
      await until(() => keys(a).includes(String(thing)), 'sent again once tracked again')
      await sleep(100)
      expect(ours(/lost Position after track\(\)/)).toHaveLength(1)
    } finally {
      await a.leave()
    }
  })

  it('should not send an entity the game hides after sync(), or in the refresh callback, in the same patch', async () => {
    const a = await new Client(server.url).create('binding', { tag: 'late', x: 0 })
    try {
      const room = rooms.get('late')!
      let leaked = false
      a.onStateChange(() => {
        if (kinds(a).includes('SECRET')) leaked = true
      })
      await until(() => kinds(a).includes('thing-late'), 'synced')
      // game code after sync() in onBeforePatch (or in a room clock timer, which Colyseus runs
      // between onBeforePatch and the encoding): the entity is hidden and its field written
      const [thing, inst] = [...room.instances].find(([, e]) => e.kind === 'thing-late')!
      room.afterSync = () => {
        addComponent(room.world, thing, room.C.Hidden)
        inst.kind = 'SECRET'
      }
      await until(() => !keys(a).includes(String(thing)), 'the hidden entity removed')
      // an entrant hidden by the refresh callback the plugin calls as it adds it to a view
      room.onRefresh = (eid) => {
        if (room.instances.get(eid)?.kind !== 'newcomer') return
        addComponent(room.world, eid, room.C.Hidden)
        room.instances.get(eid)!.kind = 'SECRET'
      }
      const late = room.spawn(4, 'newcomer')
      await until(() => room.attention.isDenied(room.players.get(a.sessionId)!, late), 'the refresh to hide it')
      await sleep(200)
      expect(leaked).toBe(false)
      expect(keys(a)).not.toContain(String(late))
    } finally {
      await a.leave()
    }
  })

  it("should never put a stream collection's elements in the frames of a client without a view, nor a hidden or far one in a bound client's", async () => {
    // a client the room does not bind (a lobby watcher, or one bound later): with no view
    // registered, schema sends a stream's elements to every client in the shared patch
    const idle = await new Client(streamServer.url).create('stream', { bind: false })
    // no client is bound yet: the shared patch (what a client without a view is sent), encoded now
    const enc = roomEncoder(streamRoom!)!
    streamRoom!.state.clock += 1
    const shared = Buffer.from(enc.encode({ offset: 0 })).toString('latin1')
    enc.discardChanges()
    expect(shared).not.toContain('near')
    expect(shared).not.toContain('SECRET')
    const a = await new Client(streamServer.url).joinById(idle.roomId)
    try {
      await until(() => kinds(a).includes('near'), 'the near entity')
      await sleep(300)
      const sent = frames.get(a.sessionId)!.join('')
      expect(sent).toContain('near')
      expect(sent).not.toContain('SECRET')
      const idleSent = frames.get(idle.sessionId)!.join('')
      expect(idleSent).not.toContain('near')
      expect(idleSent).not.toContain('SECRET')
    } finally {
      await a.leave()
      await idle.leave()
    }
  })

  it('should refuse one instance tracked as two entities, naming both', async () => {
    const a = await new Client(server.url).create('binding', { tag: 'twice', x: 0 })
    try {
      const room = rooms.get('twice')!
      const [first, inst] = [...room.instances].find(([, e]) => e.kind === 'thing-twice')!
      const other = addEntity(room.world)
      expect(() => room.plugins.attention.track(other, inst)).toThrow(`track(${other}, instance): this instance is tracked as entity ${first} already`)
      // tracking it again as the same entity, or after untrack, is fine
      expect(() => room.plugins.attention.track(first, inst)).not.toThrow()
      room.plugins.attention.untrack(first)
      expect(() => room.plugins.attention.track(other, inst)).not.toThrow()
    } finally {
      await a.leave()
    }
  })

  it('should ignore the plugin methods after the room was disposed, said once, and refuse use()', async () => {
    const a = await new Client(server.url).create('binding', { tag: 'closed', x: 0 })
    const room = rooms.get('closed')!
    await until(() => kinds(a).includes('player'), 'synced')
    const client = room.clients[0]!
    await a.leave()
    // the last client gone, the room disposes itself (and the plugin with it)
    await until(() => (room.plugins.attention as unknown as { disposed: boolean }).disposed, 'the room disposed')
    const plugin = room.plugins.attention
    const e = addEntity(room.world)
    expect(() => plugin.track(e, new Thing())).not.toThrow()
    expect(() => plugin.bind(client, e)).not.toThrow()
    expect(() => plugin.sync()).not.toThrow()
    expect(plugin.viewCount).toBe(0)
    expect(ours(/after room .* was disposed: ignored/)).toHaveLength(1)
    expect(() => plugin.use(createAttentionSystem(createWorld(), { components: createAttentionComponents(8) }))).toThrow(/use\(\) after room .* was disposed/)
  })
})
