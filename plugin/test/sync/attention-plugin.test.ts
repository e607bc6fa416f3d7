import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t, type SchemaType } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld, removeEntity } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, AttentionTags, createAttentionComponents, createAttentionSystem } from '../../src/index'
import { roomEncoder } from '../../src/view-encoding/index'

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

let server: TestServer
let url = ''
beforeAll(async () => {
  server = await startTestServer('test', TestRoom)
  url = server.url
})
afterAll(async () => {
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, unknown> }).things?.keys() ?? [])].sort()

describe('AttentionPlugin', () => {
  it('should validate its options, naming the option and the allowed range', () => {
    expect(() => new AttentionPlugin({ entryBudget: 0 })).toThrow(/entryBudget must be an integer in \[1, 65535\]; got 0/)
    expect(() => new AttentionPlugin({ bandTags: [0, 1] as unknown as [number, number, number] })).toThrow(/bandTags/)
    expect(() => new AttentionPlugin({ bandTags: [0, -1, 3] })).toThrow(/bandTags\[1\]/)
    expect(() => new AttentionPlugin({ shareViews: 'yes' as unknown as boolean })).toThrow(/shareViews/)
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
