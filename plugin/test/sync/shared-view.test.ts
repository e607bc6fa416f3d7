import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem, installViewEncoding } from '../../src/index'
import { roomEncoder } from '../../src/view-encoding/index'

// Two clients share one view (a spectator follows a player). The world's schema state never
// changes after spawning: only the observer moves, in the ECS. So every later patch carries view
// changes and no state changes, which Colyseus encodes per client, not per view: without the
// plugin's encoder hook the second client of a shared view receives nothing.

const Rock = schema({ x: t.float32().default(0) }, 'SharedViewRock')
const State = schema({ rocks: t.map(Rock).view() }, 'SharedViewState')

let room: SharedRoom | null = null

class SharedRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(64)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
  watcher = -1

  override onCreate(options: { fast: boolean }): void {
    this.plugins.attention.use(this.attention, { fastViewEncoding: options.fast })
    this.watcher = addEntity(this.world)
    addComponent(this.world, this.watcher, this.C.Position)
    this.C.Position.x[this.watcher] = 5000 // far from every rock: an empty set
    addObserver(this.world, this.C, this.watcher, { radius: 50, budget: 16 })
    for (let i = 0; i < 6; i++) {
      const eid = addEntity(this.world)
      addComponent(this.world, eid, this.C.Position)
      this.C.Position.x[eid] = i * 5
      const rock = new Rock()
      rock.x = i * 5
      this.state.rocks.set(String(eid), rock)
      this.plugins.attention.track(eid, rock)
    }
    this.patchRate = 20
    this.setTimestep(() => this.attention(this.world), 20)
    room = this
  }

  override onJoin(client: ServerClient): void {
    this.plugins.attention.bind(client, this.watcher)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }
}

let server: TestServer
let url = ''
beforeAll(async () => {
  server = await startTestServer('shared', SharedRoom)
  url = server.url
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = (r: ClientRoom): string[] => [...((r.state as { rocks?: Map<string, unknown> }).rocks?.keys() ?? [])].sort()

describe('shared views', () => {
  it.each([true, false])('should send every client of a shared view the same entries and exits, also in patches without state changes (fastViewEncoding: %s)', async (fast) => {
    const client = new Client(url)
    const a = await client.create('shared', { fast })
    const b = await client.joinById(a.roomId)
    const r = room!
    await until(() => r.clients.length === 2, 'both clients in the room')
    await sleep(150) // both joined and past their full state; the set is still empty
    expect(keys(a)).toEqual([])
    expect(keys(b)).toEqual([])
    expect(r.plugins.attention.viewCount).toBe(1)

    for (let round = 0; round < 3; round++) {
      // walk to the rocks: the set fills in a patch that has view changes only
      r.C.Position.x[r.watcher] = 10
      await until(() => r.plugins.attention.viewMembers(a.sessionId).length === 6, 'the server set to fill')
      const want = r.plugins.attention
        .viewMembers(a.sessionId)
        .filter((e) => e !== r.watcher)
        .map(String)
        .sort()
      await until(() => keys(a).length === want.length && keys(b).length === want.length, `both clients to receive ${want.length} rocks (a: ${keys(a).length}, b: ${keys(b).length})`)
      expect(keys(a)).toEqual(want)
      expect(keys(b)).toEqual(want)
      // and away again: both lose them
      r.C.Position.x[r.watcher] = 5000
      await until(() => keys(a).length === 0 && keys(b).length === 0, `both clients to drop the rocks (a: ${keys(a).length}, b: ${keys(b).length})`)
    }
    // the plugin installed the hook on the room's own encoder (a second install returns it)
    const hook = installViewEncoding(roomEncoder(r)!)!
    expect(hook.repeats).toBeGreaterThan(0)
    if (fast) expect(hook.indexedPatches).toBeGreaterThan(0)
    else expect(hook.indexedPatches).toBe(0)
    await a.leave(true)
    await b.leave(true)
  })
})
