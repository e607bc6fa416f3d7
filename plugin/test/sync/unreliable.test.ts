import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem } from '../../src/index'

// `@unreliable` fields go out through the clients' views after each patch, or on a timer of their
// own (`unreliablePatchRate`), between two syncs: what the game denied since the last sync must have
// left the views before they are encoded, as before a patch.

const Thing = schema({ kind: t.string().default(''), x: t.float32().default(0).unreliable() }, 'UnreliableThing')
const State = schema({ things: t.map(Thing).view() }, 'UnreliableState')

let room: UnreliableRoom | undefined

class UnreliableRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin({ entryBudget: 100 })])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(64)
  attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false })
  /** The hidden-later entity and its instance. */
  thing = 0
  inst = new Thing()

  override onCreate(): void {
    room = this
    this.plugins.attention.use(this.attention)
    this.thing = this.spawn(5, this.inst)
    this.patchRate = 20
    // the unreliable fields on a timer of their own, far from the patches
    this.unreliablePatchRate = 10_000
    this.setTimestep(() => this.attention(this.world), 20)
  }

  spawn(x: number, inst: InstanceType<typeof Thing>): number {
    const eid = addEntity(this.world)
    addComponent(this.world, eid, this.C.Position)
    this.C.Position.x[eid] = x
    inst.x = x
    inst.kind = 'thing'
    this.state.things.set(String(eid), inst)
    this.plugins.attention.track(eid, inst)
    return eid
  }

  override onJoin(client: ServerClient): void {
    const eid = this.spawn(0, new Thing())
    addObserver(this.world, this.C, eid, { radius: 50, budget: 8 })
    this.plugins.attention.bind(client, eid)
  }

  override onBeforePatch(): void {
    this.plugins.attention.sync()
  }
}

describe('@unreliable fields', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer('unreliable', UnreliableRoom)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('should drop from the views what the game hid after the last sync before the unreliable fields are encoded', async () => {
    const a = await new Client(server.url).create('unreliable')
    try {
      await until(() => (a.state as { things?: Map<string, unknown> }).things?.has(String(room!.thing)) === true, 'the thing synced')
      const r = room!
      const view = [...r.clients][0]!.view!
      expect(view.has(r.inst)).toBe(true)
      // between two syncs: the game hides the entity and moves it (an unreliable change), then the
      // unreliable timer fires, before any patch
      addComponent(r.world, r.thing, r.C.Hidden)
      r.inst.x = 6
      r.broadcastUnreliablePatch()
      expect(view.has(r.inst)).toBe(false)
    } finally {
      await a.leave()
    }
  })
})
