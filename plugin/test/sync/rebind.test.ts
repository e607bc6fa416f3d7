import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, AttentionTags, createAttentionComponents, createAttentionSystem } from '../../src/index'

// A client moved to another observer with bind() keeps a view holding what it already has until the
// next sync removes what the new observer does not see. Patches are sent by hand here, so a client
// can join between the bind() and that sync.

const Thing = schema({ x: t.float32().default(0), secret: t.uint8().default(0).view(AttentionTags.Detail) }, 'RebindThing')
const State = schema({ things: t.map(Thing).view() }, 'RebindState')

let room: RebindRoom | null = null

class RebindRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(64)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
  /** Observer A at x=0 with an entity beside it, observer B at x=1000 with one beside it. */
  readonly observers: number[] = []
  readonly keysA: string[] = []
  readonly keysB: string[] = []

  override onCreate(): void {
    this.plugins.attention.use(this.attention)
    for (const [x, keys] of [[0, this.keysA], [1000, this.keysB]] as const) {
      const o = this.spawn(x)
      addObserver(this.world, this.C, o, { radius: 50, budget: 8, fov: 2 * Math.PI })
      this.observers.push(o)
      keys.push(String(o), String(this.spawn(x + 1)))
      keys.sort()
    }
    // no patch timer: the test sends each patch (patch())
    this.patchRate = 0
    room = this
  }

  spawn(x: number): number {
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    this.C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    thing.secret = 100 + eid
    this.state.things.set(String(eid), thing)
    this.plugins.attention.track(eid, thing)
    return eid
  }

  override onJoin(client: ServerClient, options: { watch?: number }): void {
    this.plugins.attention.bind(client, this.observers[options.watch ?? 0]!)
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

let server: TestServer
let url = ''
beforeAll(async () => {
  server = await startTestServer('rebind', RebindRoom)
  url = server.url
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const things = (c: ClientRoom): Map<string, { secret?: number }> | undefined => (c.state as { things?: Map<string, { secret?: number }> }).things
const keys = (c: ClientRoom): string[] => [...(things(c)?.keys() ?? [])].sort()
const same = (a: string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i])

/** Sends patches (one every 20 ms) until `cond` holds. */
async function patchUntil(r: RebindRoom, cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    r.patch()
    await sleep(20)
  }
}

describe('rebind', () => {
  it('should not show a client that binds to an observer the entities of the view a moved client brought to it', { timeout: 30_000 }, async () => {
    const spectator = await new Client(url).create('rebind', { watch: 0 })
    const r = room!
    await patchUntil(r, () => same(keys(spectator), r.keysA), 'the spectator to hold A\'s set')

    // the spectator moves to B in a message handler; a player of B joins before the next patch
    r.plugins.attention.bind(r.clients.find((c) => c.sessionId === spectator.sessionId)!, r.observers[1]!)
    const player = await new Client(url).joinById(r.roomId, { watch: 1 })
    // registered before the socket's next message: the full state cannot have arrived yet
    let fullState = false
    player.onStateChange.once(() => {
      fullState = true
    })
    await until(() => fullState, 'the player\'s full state')
    // its full state shows none of A's set (A's detail fields least of all)
    expect(keys(player).filter((k) => r.keysA.includes(k))).toEqual([])

    await patchUntil(r, () => same(keys(player), r.keysB) && same(keys(spectator), r.keysB), 'both to hold B\'s set')
    for (const k of r.keysB) expect(things(player)!.get(k)!.secret).toBe(100 + Number(k))
    await spectator.leave(true)
    await player.leave(true)
  })
})
