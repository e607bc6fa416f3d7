import { ClientState, CloseCode, definePlugins, Room, SchemaSerializer, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { WebSocket } from 'ws'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, AttentionTags, Band, createAttentionComponents, createAttentionSystem, installWebSocketGlobal } from '../../src/index'
import { roomSerializer } from '../../src/view-encoding/schema-internals'

// A client's full state (first join, or reconnection after a drop) and its view's pending changes.
// Colyseus sends the full state of the client's view when the client acknowledges the join, and the
// view's pending changes (queued since the last patch, or since the client dropped) went out again
// with the next patch: removes of tagged fields addressed objects the client did not hold, and the
// sdk's decoder logged '"refId" not found' (the soak's decode errors, issue 12). Patches are sent by
// hand here, so every step happens in a known order.

const { Motion, Detail } = AttentionTags
const Rock = schema({ x: t.float32().default(0), vx: t.float32().default(0).view(Motion), hp: t.uint8().default(100).view(Detail) }, 'FullStateRock')
const State = schema({ rocks: t.map(Rock).view() }, 'FullStateState')

/** Watcher positions: near the rocks of cluster A (x 0..25) or of cluster B (x 1000..1025). */
const AT_A = 10
const AT_B = 1010

let room: FullStateRoom | null = null

class FullStateRoom extends Room<{ state: InstanceType<typeof State> }> {
  // every band carries a tag: each exit from a view is a tagged remove (a DELETE to the rock's own ref id)
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100, bandTags: [Motion, Motion, Motion | Detail] })])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(64)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
  watcher = -1
  readonly keysA: string[] = []
  readonly keysB: string[] = []

  /** Reconnection awaited in onLeave (no onDrop), the pattern of Colyseus' allowReconnection doc comment. */
  reconnectInLeave = false

  override onCreate(options: { fast?: boolean; inLeave?: boolean }): void {
    this.plugins.attention.use(this.attention, { fastViewEncoding: options.fast ?? true })
    if (options.inLeave === true) {
      this.reconnectInLeave = true
      // Colyseus calls onDrop when the room has one, else onLeave
      ;(this as { onDrop?: unknown }).onDrop = undefined
    }
    this.watcher = addEntity(this.world)
    addComponent(this.world, this.watcher, this.C.Position)
    this.C.Position.x[this.watcher] = AT_A
    addObserver(this.world, this.C, this.watcher, { radius: 50, budget: 32, fov: 2 * Math.PI })
    for (const [base, keys] of [[0, this.keysA], [1000, this.keysB]] as const) {
      for (let i = 0; i < 6; i++) {
        const eid = addEntity(this.world)
        addComponent(this.world, eid, this.C.Position)
        this.C.Position.x[eid] = base + i * 5
        const rock = new Rock()
        rock.x = base + i * 5
        this.state.rocks.set(String(eid), rock)
        this.plugins.attention.track(eid, rock)
        keys.push(String(eid))
      }
    }
    this.keysA.sort()
    this.keysB.sort()
    // no patch timer: the test sends each patch (patch())
    this.patchRate = 0
    room = this
  }

  override onJoin(client: ServerClient): void {
    this.plugins.attention.bind(client, this.watcher)
  }

  override async onDrop(client: ServerClient): Promise<void> {
    await this.allowReconnection(client, 20)
  }

  override async onLeave(client: ServerClient, code?: number): Promise<void> {
    if (this.reconnectInLeave && code !== CloseCode.CONSENTED) await this.allowReconnection(client, 20).catch(() => {})
  }

  /** The watcher's band for `eid` (-1: no member). */
  bandOf(eid: number): number {
    for (let i = 0; i < this.attention.memberCount(this.watcher); i++) if (this.attention.memberAt(this.watcher, i) === eid) return this.attention.bandAt(this.watcher, i)
    return -1
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }

  /** One engine tick and one patch. */
  patch(): void {
    this.attention(this.world)
    this.broadcastPatch()
  }
}

// Node 20: Colyseus 0.18 reconnects clients through the global WebSocket
installWebSocketGlobal(WebSocket)

let server: TestServer
let url = ''
beforeAll(async () => {
  server = await startTestServer('fullstate', FullStateRoom)
  url = server.url
})
afterAll(async () => {
  await server.stop()
})

// what the sdk's decoder reports when a patch names an object the client does not hold
let decodeErrors: string[] = []
const consoleError = console.error
const consoleWarn = console.warn
const consoleInfo = console.info
beforeEach(() => {
  decodeErrors = []
  console.error = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].includes('"refId" not found')) decodeErrors.push(a[0])
    else consoleError(...a)
  }
  console.warn = (...a: unknown[]) => {
    if (typeof a[0] === 'string' && a[0].startsWith('@colyseus/schema: definition mismatch')) decodeErrors.push(a[0])
    else if (a[0] !== 'Please report this issue to the developers.') consoleWarn(...a)
  }
  console.info = (...a: unknown[]) => {
    if (typeof a[0] !== 'string' || !a[0].startsWith('[Colyseus reconnection]')) consoleInfo(...a)
  }
})
afterEach(() => {
  console.error = consoleError
  console.warn = consoleWarn
  console.info = consoleInfo
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = (c: ClientRoom): string[] => [...((c.state as { rocks?: Map<string, unknown> }).rocks?.keys() ?? [])].sort()
const same = (a: string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i])
const joined = (r: FullStateRoom, n: number): boolean => r.clients.length === n && r.clients.every((c) => c.state === ClientState.JOINED)

/** Sends patches (one every 20 ms) until `cond` holds. */
async function patchUntil(r: FullStateRoom, cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    r.patch()
    await sleep(20)
  }
}

/** A few more patches, for any late decode error to show. */
async function settle(r: FullStateRoom): Promise<void> {
  for (let i = 0; i < 5; i++) {
    r.patch()
    await sleep(20)
  }
}

/**
 * Drops `c`'s socket (the sdk reconnects to its seat) and resolves once the server saw it go, with
 * a function that waits for the reconnection.
 */
async function drop(r: FullStateRoom, c: ClientRoom, others: number): Promise<() => Promise<void>> {
  c.reconnection.minUptime = 0
  c.reconnection.delay = 200
  let isBack = false
  c.onReconnect(() => {
    isBack = true
  })
  c.connection.close(4010, 'test drop')
  await until(() => r.clients.length === others, 'the server to see the drop')
  return () => until(() => isBack, 'the sdk to reconnect')
}

describe('full state and pending view changes', () => {
  it.each([true, false])('should not send a reconnecting client the changes its view queued while it was away (fastViewEncoding: %s)', { timeout: 30_000 }, async (fast) => {
    const c = await new Client(url).create('fullstate', { fast })
    const r = room!
    await until(() => joined(r, 1), 'the client to join')
    // the internal the plugin wraps (schema-internals.ts): room._serializer, Colyseus' SchemaSerializer
    expect(roomSerializer(r)).toBeInstanceOf(SchemaSerializer)
    await patchUntil(r, () => same(keys(c), r.keysA), 'the client to hold cluster A')

    const back = await drop(r, c, 0)
    // while it is away its view moves from cluster A to cluster B: tagged removes queue up
    r.C.Position.x[r.watcher] = AT_B
    for (let i = 0; i < 3; i++) r.patch()
    expect(r.plugins.attention.viewMembers(c.sessionId).filter((e) => e !== r.watcher).map(String).sort()).toEqual(r.keysB)

    await back()
    await until(() => joined(r, 1), 'the client to be back')
    await patchUntil(r, () => same(keys(c), r.keysB), 'the client to hold cluster B')
    await settle(r)
    expect(decodeErrors).toEqual([])
    expect(keys(c)).toEqual(r.keysB)
    await c.leave(true)
  })

  it('should let the room bind a dropped client to another observer while it is away, and show it that set once back', { timeout: 30_000 }, async () => {
    const c = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the client to join')
    await patchUntil(r, () => same(keys(c), r.keysA), 'the client to hold cluster A')
    const away = r.clients[0]!
    const back = await drop(r, c, 0)
    // a respawn (or a spectator's switch) while the client is in its reconnection window
    const other = addEntity(r.world)
    addComponent(r.world, other, r.C.Position)
    r.C.Position.x[other] = AT_B
    addObserver(r.world, r.C, other, { radius: 50, budget: 32, fov: 2 * Math.PI })
    const warned: unknown[] = []
    const warn = console.warn
    console.warn = (...a: unknown[]) => void warned.push(a.join(' '))
    try {
      r.plugins.attention.bind(away, other)
    } finally {
      console.warn = warn
    }
    expect(warned).toEqual([])
    expect(r.plugins.attention.observerOf(away.sessionId)).toBe(other)
    for (let i = 0; i < 3; i++) r.patch()
    await back()
    await until(() => joined(r, 1), 'the client to be back')
    await patchUntil(r, () => same(keys(c), r.keysB), 'the client to hold cluster B')
    await settle(r)
    expect(decodeErrors).toEqual([])
    await c.leave(true)
  })

  it('should give a client joining a shared view with pending changes a consistent start, and then share the view again', { timeout: 30_000 }, async () => {
    const player = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the player to join')
    await patchUntil(r, () => same(keys(player), r.keysA), 'the player to hold cluster A')

    // the view moves to cluster B and is synced but not yet patched: its removes of A are pending
    r.C.Position.x[r.watcher] = AT_B
    r.attention(r.world)
    r.plugins.attention.sync()
    // a spectator of the same observer joins now, and its full state shows cluster B already
    const spectator = await new Client(url).joinById(r.roomId)
    await until(() => joined(r, 2), 'the spectator to join')
    await until(() => same(keys(spectator), r.keysB), 'the spectator to decode its full state')
    // it got a fork of the view: the player still needs the pending removes, the spectator must not get them
    expect(r.plugins.attention.viewCount).toBe(2)

    await patchUntil(r, () => same(keys(player), r.keysB) && same(keys(spectator), r.keysB), 'both to hold cluster B')
    await settle(r)
    expect(decodeErrors).toEqual([])
    // after a patch the two views held the same: the spectator is back on the player's view
    expect(r.plugins.attention.viewCount).toBe(1)

    // and both still follow it
    r.C.Position.x[r.watcher] = AT_A
    await patchUntil(r, () => same(keys(player), r.keysA) && same(keys(spectator), r.keysA), 'both to hold cluster A again')
    expect(decodeErrors).toEqual([])
    await spectator.leave(true)
    await player.leave(true)
  })

  it('should not show a joining or reconnecting client an entity hidden since the last patch', { timeout: 30_000 }, async () => {
    const player = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the player to join')
    await patchUntil(r, () => same(keys(player), r.keysA), 'the player to hold cluster A')
    // hidden by a message handler; no tick and no patch before the spectator's full state
    const spy = r.keysA[0]!
    addComponent(r.world, Number(spy), r.C.Hidden)
    const rest = r.keysA.filter((k) => k !== spy)
    const spectator = await new Client(url).joinById(r.roomId)
    await until(() => joined(r, 2) && keys(spectator).length > 0, 'the spectator to decode its full state')
    expect(keys(spectator)).toEqual(rest)
    // the player loses it at the next patch; both then share the view again
    await patchUntil(r, () => same(keys(player), rest) && r.plugins.attention.viewCount === 1, 'the player to lose it')
    expect(keys(spectator)).toEqual(rest)

    // a reconnection's full state too: hidden while the spectator is away
    const back = await drop(r, spectator, 1)
    const spy2 = rest[0]!
    addComponent(r.world, Number(spy2), r.C.Hidden)
    await back()
    await until(() => joined(r, 2) && !same(keys(spectator), rest), 'the spectator to decode its new full state')
    expect(keys(spectator)).toEqual(rest.filter((k) => k !== spy2))
    await settle(r)
    expect(decodeErrors).toEqual([])
    expect(keys(player)).toEqual(rest.filter((k) => k !== spy2))
    await spectator.leave(true)
    await player.leave(true)
  })

  it('should not send a spectator that reconnects to a shared view the changes queued while it was away', { timeout: 30_000 }, async () => {
    const player = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the player to join')
    const spectator = await new Client(url).joinById(r.roomId)
    await until(() => joined(r, 2), 'the spectator to join')
    await patchUntil(r, () => same(keys(player), r.keysA) && same(keys(spectator), r.keysA), 'both to hold cluster A')
    expect(r.plugins.attention.viewCount).toBe(1)

    const back = await drop(r, spectator, 1)
    r.C.Position.x[r.watcher] = AT_B
    // synced, not patched: the player still needs the pending removes when the spectator is back
    r.attention(r.world)
    r.plugins.attention.sync()
    await back()
    await until(() => joined(r, 2), 'the spectator to be back')
    expect(r.plugins.attention.viewCount).toBe(2)
    await patchUntil(r, () => same(keys(player), r.keysB) && same(keys(spectator), r.keysB), 'both to hold cluster B')
    await settle(r)
    expect(decodeErrors).toEqual([])
    expect(r.plugins.attention.viewCount).toBe(1)
    await spectator.leave(true)
    await player.leave(true)
  })

  it("should move the session's client, not a Client object kept from before its reconnection, off a shared view on bind()", { timeout: 30_000 }, async () => {
    const player = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the player to join')
    const spectator = await new Client(url).joinById(r.roomId)
    await until(() => joined(r, 2), 'the spectator to join')
    // the game keeps the Client object of the spectator's join (onJoin's argument)
    const kept = r.clients.getById(spectator.sessionId)!
    await patchUntil(r, () => same(keys(player), r.keysA) && same(keys(spectator), r.keysA), 'both to hold cluster A')
    const back = await drop(r, spectator, 1)
    await back()
    await until(() => joined(r, 2), 'the spectator to be back')
    // Colyseus gave the reconnected session a new Client object; after the full state's fork it
    // shares the player's view again
    const live = r.clients.getById(spectator.sessionId)!
    expect(live).not.toBe(kept)
    await patchUntil(r, () => r.plugins.attention.viewCount === 1, 'the spectator back on the shared view')
    // spectating ends: the game binds its kept object to the spectator's own observer, far away
    const own = addEntity(r.world)
    addComponent(r.world, own, r.C.Position)
    r.C.Position.x[own] = AT_B
    addObserver(r.world, r.C, own, { radius: 50, budget: 32, fov: 2 * Math.PI })
    r.plugins.attention.bind(kept, own)
    expect(r.plugins.attention.observerOf(spectator.sessionId)).toBe(own)
    // the view patches are encoded for is the session's client's: it left the player's view
    expect(live.view).not.toBe(r.clients.getById(player.sessionId)!.view)
    await patchUntil(r, () => same(keys(spectator), r.keysB), 'the spectator to hold cluster B only')
    // what the player's view gets from now on never reaches the spectator
    await settle(r)
    expect(keys(spectator)).toEqual(r.keysB)
    expect(keys(player)).toEqual(r.keysA)
    expect(decodeErrors).toEqual([])
    await spectator.leave(true)
    await player.leave(true)
  })

  it('should keep a client that reconnects in the room\'s onLeave bound to its observer and view', { timeout: 30_000 }, async () => {
    const c = await new Client(url).create('fullstate', { inLeave: true })
    const r = room!
    await until(() => joined(r, 1), 'the client to join')
    await patchUntil(r, () => same(keys(c), r.keysA), 'the client to hold cluster A')
    const back = await drop(r, c, 0)
    r.C.Position.x[r.watcher] = AT_B
    await back()
    await until(() => joined(r, 1), 'the client to be back')
    // the plugin's onLeave runs after the room's, once the client is back: it must not unbind it
    expect(r.plugins.attention.observerOf(c.sessionId)).toBe(r.watcher)
    expect(r.plugins.attention.viewCount).toBe(1)
    await patchUntil(r, () => same(keys(c), r.keysB), 'the client to follow its observer to cluster B')
    await settle(r)
    expect(decodeErrors).toEqual([])
    await c.leave(true)
    await until(() => r.plugins.attention.viewCount === 0, 'the view to be disposed when the client leaves for good')
  })

  it.each([
    ['alone', false],
    ['sharing its view', true],
  ])('should not leave a reconnecting client (%s) a field its entity\'s band stopped showing while it was away', { timeout: 30_000 }, async (_what, shared) => {
    const c = await new Client(url).create('fullstate', {})
    const r = room!
    await until(() => joined(r, 1), 'the client to join')
    const other = shared ? await new Client(url).joinById(r.roomId) : null
    await until(() => joined(r, shared ? 2 : 1), 'every client to join')
    // the rock under the watcher is at High: its client holds hp (Detail)
    const rock = r.keysA.find((k) => r.C.Position.x[Number(k)] === AT_A)!
    const hp = (cl: ClientRoom): unknown => ((cl.state as { rocks: Map<string, { hp?: number }> }).rocks.get(rock) as { hp?: number } | undefined)?.hp
    await patchUntil(r, () => same(keys(c), r.keysA) && hp(c) === 100, 'the client to hold the rock at High')
    expect(r.bandOf(Number(rock))).toBe(Band.High)

    const back = await drop(r, c, shared ? 1 : 0)
    // away: the rock moves to the edge of the radius, its band drops to Low (Motion only)
    r.C.Position.x[Number(rock)] = AT_A + 48
    await patchUntil(r, () => r.bandOf(Number(rock)) === Band.Low, 'the rock to drop to Low')
    if (other !== null) await patchUntil(r, () => hp(other) === undefined, 'the other client to lose hp')
    await back()
    await until(() => joined(r, shared ? 2 : 1), 'the client to be back')
    await patchUntil(r, () => hp(c) === undefined, 'the reconnected client to lose hp')
    expect(keys(c)).toEqual(r.keysA)
    await settle(r)
    expect(decodeErrors).toEqual([])
    if (shared) expect(r.plugins.attention.viewCount).toBe(1)
    r.C.Position.x[Number(rock)] = AT_A
    await other?.leave(true)
    await c.leave(true)
  })
})

