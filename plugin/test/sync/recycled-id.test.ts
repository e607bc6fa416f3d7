import { describe, expect, it } from 'vitest'
import type { Client } from '@colyseus/core'
import { Encoder, schema, StateView, t, type SchemaType } from '@colyseus/schema'
import { addComponent, addEntity, createWorld, removeEntity } from 'bitecs'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem } from '../../src/index'

// bitECS hands a removed id to the next addEntity at once. When that happens between the engine's
// tick and the patch, the id in an interest set names the old entity; the new one, somewhere else,
// was never selected and must not reach the client, not even for one patch.

const Thing = schema({ x: t.float32().default(0) }, 'RecycledIdThing')
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'RecycledIdState')

function setup() {
  const world = createWorld()
  const C = createAttentionComponents(16)
  const attention = createAttentionSystem(world, { components: C, hysteresis: false })
  const state = new State()
  new Encoder(state)
  const plugin = new AttentionPlugin()
  plugin.use(attention)
  const spawn = (x: number): { eid: number; thing: Thing } => {
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    C.Position.x[eid] = x
    const thing = new Thing()
    thing.x = x
    state.things.set(String(eid), thing)
    plugin.track(eid, thing)
    return { eid, thing }
  }
  const observer = spawn(0).eid
  addObserver(world, C, observer, { radius: 50, budget: 8 })
  const client = { sessionId: 'c', view: undefined as StateView | undefined }
  plugin.bind(client as unknown as Client, observer)
  return { world, attention, plugin, state, spawn, view: () => client.view!, tick: () => attention(world) }
}

describe('recycled ids', () => {
  it.each([
    ['one engine tick per patch (incremental sync)', 1],
    ['two engine ticks per patch (full reconcile)', 2],
  ])('should never send the entity that took over a selected id between tick and patch (%s)', (_, ticks) => {
    // with two engine ticks per patch the plugin reconciles the whole set, with one it applies the lists
    const s = setup()
    const near = s.spawn(10)
    for (let k = 0; k < ticks; k++) s.tick()
    s.plugin.sync()
    expect(s.view().has(near.thing)).toBe(true)

    // the next tick still selects `near`...
    for (let k = 0; k < ticks; k++) s.tick()
    // ...then, before the patch, it despawns and a far entity takes its id
    s.plugin.untrack(near.eid)
    s.state.things.delete(String(near.eid))
    removeEntity(s.world, near.eid)
    const far = s.spawn(5000)
    expect(far.eid).toBe(near.eid)
    const o = s.plugin.observerOf('c')
    const i = [...Array(s.attention.memberCount(o)).keys()].find((k) => s.attention.memberAt(o, k) === far.eid)!
    expect(s.attention.memberGenerationAt(o, i)).not.toBe(s.attention.generationOf(far.eid))
    s.plugin.sync()
    expect(s.view().has(far.thing)).toBe(false)
    expect(s.view().has(near.thing)).toBe(false)

    // and the next tick, which sees the far entity as out of range, keeps it out
    for (let k = 0; k < ticks; k++) s.tick()
    s.plugin.sync()
    expect(s.view().has(far.thing)).toBe(false)
  })
})
