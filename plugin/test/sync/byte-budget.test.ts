import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, AttentionTags, createAttentionComponents, createAttentionSystem } from '../../src/index'

// A room whose two observers have byte budgets: the plugin measures what the encoder sends each
// view and the engine fits the sets to the budget. Real server, real sdk clients.

const Thing = schema(
  {
    cx: t.int16().default(0),
    x: t.float32().default(0).view(AttentionTags.Motion),
    y: t.float32().default(0).view(AttentionTags.Motion),
  },
  'Thing',
)
const State = schema({ things: t.map(Thing).view() }, 'State')
type ThingT = InstanceType<typeof Thing>

const BUDGETS = [1200, 4000]
let room: BudgetRoom | null = null

class BudgetRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 200 })])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(1024)
  // deliberately wrong band costs (a third of what this schema costs): the loop must correct them
  attention = createAttentionSystem(this.world, { components: this.C, byteCosts: { low: 4, medium: 40, high: 40, enter: 8 } })
  watchers: number[] = []
  things: { eid: number; thing: ThingT; phase: number }[] = []
  t = 0

  override onCreate(): void {
    this.plugins.attention.use(this.attention)
    for (const b of BUDGETS) {
      const o = this.spawn(0, 0)
      addObserver(this.world, this.C, o, { radius: 60, budget: 400, byteBudget: b })
      this.watchers.push(o)
    }
    for (let i = 0; i < 300; i++) this.spawn(((i * 37) % 100) - 50, ((i * 61) % 100) - 50)
    this.patchRate = 50
    this.setTimestep(() => this.step(), 50)
    room = this
  }

  spawn(x: number, y: number): number {
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    this.C.Position.x[eid] = x
    this.C.Position.y[eid] = y
    const thing = new Thing()
    this.state.things.set(String(eid), thing)
    this.plugins.attention.track(eid, thing)
    this.things.push({ eid, thing, phase: eid * 0.7 })
    return eid
  }

  step(): void {
    this.t++
    for (const { eid, thing, phase } of this.things) {
      if (this.watchers.includes(eid)) continue
      const x = this.C.Position.x[eid]! + Math.cos(phase + this.t * 0.05) * 0.3
      const y = this.C.Position.y[eid]! + Math.sin(phase + this.t * 0.05) * 0.3
      this.C.Position.x[eid] = x
      this.C.Position.y[eid] = y
      thing.x = x
      thing.y = y
      // the coarse position every 4th tick, as a Low member's only data
      if (this.t % 4 === eid % 4) thing.cx = Math.round(x)
    }
    this.attention(this.world)
  }

  override onJoin(client: ServerClient, options: { watch?: number }): void {
    this.plugins.attention.bind(client, this.watchers[options.watch ?? 0]!)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer('budget', BudgetRoom)
})
afterAll(async () => {
  await server.stop()
})

/** Counts the bytes of every WebSocket frame a client receives. */
function meter(r: ClientRoom): { bytes: number } {
  const m = { bytes: 0 }
  const ws = (r.connection as unknown as { transport: { ws: WebSocket } }).transport.ws
  ws.addEventListener('message', (ev: MessageEvent) => {
    const d = ev.data as ArrayBuffer | Uint8Array | string
    m.bytes += typeof d === 'string' ? d.length : d.byteLength
  })
  return m
}

describe('byte budget (real server)', () => {
  it('should keep each client near its byte budget, measured on the wire, and give the larger budget more', async () => {
    const client = new Client(server.url)
    const a = await client.joinOrCreate('budget', { watch: 0 })
    const b = await client.joinOrCreate('budget', { watch: 1 })
    await until(() => room !== null && room.clients.length === 2, 'two clients')
    // let the loop settle (reports once a second; the first, the initial full state, is not used),
    // then measure 4 s on the wire
    await new Promise((r) => setTimeout(r, 7000))
    const ma = meter(a)
    const mb = meter(b)
    const start = performance.now()
    await new Promise((r) => setTimeout(r, 4000))
    const seconds = (performance.now() - start) / 1000
    const rateA = ma.bytes / seconds
    const rateB = mb.bytes / seconds
    const [oa, ob] = room!.watchers as [number, number]
    const sys = room!.attention
    // the set fits the budget once the loop has measured the schema's real cost
    expect(rateA).toBeLessThan(BUDGETS[0]! * 1.3)
    expect(rateB).toBeLessThan(BUDGETS[1]! * 1.3)
    expect(rateA).toBeGreaterThan(BUDGETS[0]! * 0.4)
    expect(rateB).toBeGreaterThan(BUDGETS[1]! * 0.4)
    expect(sys.memberCount(ob)).toBeGreaterThan(sys.memberCount(oa))
    // the engine's estimate tracks what was sent
    expect(sys.estimatedBytes(oa)).toBeGreaterThan(rateA * 0.6)
    expect(sys.estimatedBytes(oa)).toBeLessThan(rateA * 1.6)
    await a.leave()
    await b.leave()
  }, 35_000)
})
