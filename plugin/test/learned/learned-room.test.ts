import { definePlugins, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { addComponent, addEntity, createWorld } from 'bitecs'
import { BroadcastChannel } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem, type AttentionSystem } from '../../src/index'
import { createOnnxScorer, defaultModelPath, INPUT_WIDTH, type OnnxScorer } from '../../src/learned/index'
import { tinyModel } from '../support/tiny-onnx'

// A room on the learned scorer, served for real and joined by @colyseus/sdk clients: each client
// gets its observer's neighbourhood and never the other's, with the shipped model and through faults.

const Thing = schema({ x: t.float32().default(0) }, 'LearnedThing')
const State = schema({ things: t.map(Thing).view() }, 'LearnedState')
const FAULT_WORKER = new URL('../support/fault-worker.mjs', import.meta.url)

let room: LearnedRoom | null = null

class LearnedRoom extends Room<{ state: InstanceType<typeof State> }> {
  override plugins = definePlugins([new AttentionPlugin()])
  override state = new State()
  world = createWorld()
  C = createAttentionComponents(256)
  attention!: AttentionSystem
  scorer!: OnnxScorer
  watchers: number[] = []

  override async onCreate(options: { faults?: boolean }): Promise<void> {
    this.scorer = options.faults
      ? await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), workerUrl: FAULT_WORKER, hangTimeoutMs: 200, maxStaleTicks: 3, onEvent: () => {} })
      : await createOnnxScorer({ model: defaultModelPath() })
    this.attention = createAttentionSystem(this.world, { components: this.C, hysteresis: false, scorer: this.scorer })
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

  override onJoin(client: ServerClient, options: { watch?: number }): void {
    this.plugins.attention.bind(client, this.watchers[options.watch ?? 0]!)
  }

  override onBeforePatch(): void {
    // the patch timer runs while the async onCreate still loads the model
    if (this.attention !== undefined) this.plugins.attention.sync()
  }

  override async onDispose(): Promise<void> {
    await this.scorer.dispose()
  }
}

let server: TestServer
const faults = new BroadcastChannel('learned-fault')
beforeAll(async () => {
  server = await startTestServer('learned', LearnedRoom)
})
afterAll(async () => {
  faults.close()
  await server.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = (r: ClientRoom): string[] => [...((r.state as { things?: Map<string, unknown> }).things?.keys() ?? [])].sort()

describe('a room on the learned scorer', () => {
  it.each([
    ['the shipped model', false],
    ['a model that throws, returns NaN, is too slow and hangs', true],
  ])('should send each client its observer set and nothing of the other (%s)', async (_, withFaults) => {
    const client = new Client(server.url)
    const a = await client.create('learned', { watch: 0, faults: withFaults })
    const r = room!
    const c = await client.joinById(a.roomId, { watch: 1 })
    const near0 = [r.watchers[0]!, 3, 4, 5, 6, 7].map(String).sort()
    const near1 = [r.watchers[1]!, 8, 9, 10, 11, 12].map(String).sort()
    await until(() => keys(a).length === 6 && keys(c).length === 6, 'the sets')
    expect(keys(a)).toEqual(near0)
    expect(keys(c)).toEqual(near1)
    // a traveller walks from one observer to the other, never in both sets at once
    const traveller = r.spawn(20)
    const key = String(traveller)
    await until(() => keys(a).includes(key), 'the traveller near observer 0')
    const modes = ['throw', 'nan', 'slow', 'hang', 'ok']
    for (let x = 20, step = 0; x <= 1000; x += 20, step++) {
      if (withFaults && step % 10 === 0) faults.postMessage(modes[step / 10]!)
      r.C.Position.x[traveller] = x
      await sleep(25)
      expect(keys(a).includes(key) && keys(c).includes(key)).toBe(false)
    }
    await until(() => keys(c).includes(key) && !keys(a).includes(key), 'the traveller near observer 1')
    expect(keys(a)).toEqual(near0)
    expect(keys(c)).toEqual([...near1, key].sort())
    if (!withFaults) expect(r.scorer.stats().modelRows).toBeGreaterThan(0)
    await a.leave(true)
    await c.leave(true)
  })
})
