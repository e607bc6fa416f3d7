import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { attachToTestRoom, ClientState, SchemaSerializer, type Client, type Room } from '@colyseus/core'
import { Decoder, schema, t, type SchemaType, type StateView } from '@colyseus/schema'
import { addComponent, addEntity, createWorld, entityExists, hasComponent, removeComponent, removeEntity } from 'bitecs'
import { addObserver, AttentionPlugin, AttentionTags, createAttentionComponents, createAttentionSystem, setOwner } from '../../src/index'
import type { AttentionSystem } from '../../src/index'
import { recordSlot, type ViewRecord } from '../../src/sync/view-record'
import { setTeam, toggleHidden } from '../support/deny-edits'

// The rule nothing may break: no client ever holds state it is not entitled to. Checked on the
// bytes each client decodes, after every patch and every full state, over random games: spawns,
// moves, despawns (untracked or not, ids reused), observers, Hidden / Team / TeamOnly / Owner
// toggles (owners removed and their ids reused), clients bound, rebound, sharing views, joining
// late, dropping and reconnecting, changes between the engine's tick and the patch, several
// patches per tick, the game writing tagged fields every tick. Patches and full states go through
// Colyseus' own SchemaSerializer on a room stub, so the plugin's encoder and full-state hooks run
// as in a room.

const CAPACITY = 40
const { Motion, Detail } = AttentionTags

const Thing = schema(
  {
    // which instance the client holds (an id reused by bitECS gets a new instance, a new serial)
    serial: t.uint32().default(0),
    x: t.int32().default(0),
    motion: t.int32().default(0).view(Motion),
    detail: t.int32().default(0).view(Detail),
  },
  'EntitlementThing',
)
type Thing = SchemaType<typeof Thing>
const State = schema({ things: t.map(Thing).view() }, 'EntitlementState')
type State = SchemaType<typeof State>


/** bandTags to try: the default, a tag at every band (every exit a tagged remove), and a non-monotone one. */
const TAG_SETS: readonly (readonly [number, number, number])[] = [
  [0, Motion, Motion | Detail],
  [Motion, Motion, Motion | Detail],
  [0, Detail, Motion],
]

type WorldCmd =
  | { kind: 'spawn'; x: number; y: number; observer: boolean; radius: number; budget: number; owner: number | null; hidden: boolean; late: boolean }
  | { kind: 'move'; pick: number; dx: number; dy: number }
  | { kind: 'despawn'; pick: number; untrack: 'before' | 'after' | 'never' }
  | { kind: 'track'; pick: number }
  | { kind: 'observer'; pick: number; radius: number; budget: number }
  | { kind: 'hide'; pick: number }
  | { kind: 'team'; pick: number; team: number; only: boolean }
  | { kind: 'own'; pick: number; owner: number | null }
  | { kind: 'write'; pick: number }
  | { kind: 'bind'; client: number; pick: number }
  | { kind: 'ack'; client: number }
  | { kind: 'leave'; client: number }
  | { kind: 'drop'; client: number }
type Cmd = WorldCmd | { kind: 'sync'; ticks: number; patches: WorldCmd[][] }

const coord = fc.integer({ min: 0, max: 12 }).map((v) => v * 5)
const worldCmdArb: fc.Arbitrary<WorldCmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('spawn' as const),
      x: coord,
      y: coord,
      observer: fc.integer({ min: 0, max: 2 }).map((v) => v === 0),
      radius: fc.integer({ min: 5, max: 60 }),
      budget: fc.integer({ min: 1, max: 8 }),
      owner: fc.option(fc.nat(50), { freq: 3 }),
      hidden: fc.integer({ min: 0, max: 3 }).map((v) => v === 0),
      late: fc.integer({ min: 0, max: 5 }).map((v) => v === 0),
    }),
  },
  // moves large enough to cross maxRange between the tick and the patch
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('move' as const), pick: fc.nat(1000), dx: fc.integer({ min: -30, max: 30 }), dy: fc.integer({ min: -30, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('despawn' as const), pick: fc.nat(1000), untrack: fc.constantFrom('before' as const, 'after' as const, 'never' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('track' as const), pick: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('observer' as const), pick: fc.nat(1000), radius: fc.integer({ min: 5, max: 60 }), budget: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hide' as const), pick: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('team' as const), pick: fc.nat(1000), team: fc.integer({ min: 0, max: 2 }), only: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('own' as const), pick: fc.nat(1000), owner: fc.option(fc.nat(50), { freq: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), pick: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bind' as const), client: fc.nat(4), pick: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), client: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), client: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), client: fc.nat(4) }) },
)
// what happens between the engine's tick and a patch (no entered or exited list shows it)
const betweenArb = fc.oneof({ weight: 2, arbitrary: fc.constant<WorldCmd[]>([]) }, { weight: 1, arbitrary: fc.array(worldCmdArb, { maxLength: 3 }) })
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: worldCmdArb },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      ticks: fc.constantFrom(1, 1, 1, 1, 0, 2),
      // one list per patch: a patch rate above the simulation rate sends several patches per tick
      patches: fc.array(betweenArb, { minLength: 1, maxLength: 3 }),
    }),
  },
)
const scenarioArb = fc.record({
  entryBudget: fc.integer({ min: 1, max: 6 }),
  shareViews: fc.boolean(),
  fastViewEncoding: fc.boolean(),
  hysteresis: fc.boolean(),
  tightBands: fc.boolean(),
  tags: fc.constantFrom(0, 0, 1, 2),
  maxRange: fc.option(fc.constantFrom(12, 25, 45), { nil: undefined, freq: 2 }),
  initial: fc.array(fc.tuple(coord, coord, fc.boolean()), { minLength: 2, maxLength: 16 }),
  binds: fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }),
  cmds: fc.array(cmdArb, { minLength: 1, maxLength: 60, size: 'max' }),
})
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

/** The plugin's private state the test reads (as view-sync.test.ts does). */
interface Internals {
  bySession: Map<string, ViewRecord>
  registry: { instances: (unknown | undefined)[]; generation: Uint32Array }
  onLeave(client: unknown): void
}
const internals = (p: AttentionPlugin): Internals => p as unknown as Internals

/** A client as Colyseus' serializer sees it, with the decoder of what it was sent. */
interface FakeClient {
  sessionId: string
  view: StateView | undefined
  state: number
  raw(bytes: Uint8Array): void
  received: State | null
  decoder: Decoder | null
}

function run(sc: Scenario): void {
  const tags = TAG_SETS[sc.tags]!
  const world = createWorld()
  const C = createAttentionComponents(CAPACITY)
  const engine: AttentionSystem = createAttentionSystem(world, {
    components: C,
    hysteresis: sc.hysteresis ? {} : false,
    ...(sc.tightBands ? { bands: { high: 4.5, medium: 3.5, margin: 0 } } : {}),
  })
  const state = new State()
  const serializer = new SchemaSerializer()
  serializer.reset(state)
  const room = { clients: [] as FakeClient[], _serializer: serializer }
  const plugin = new AttentionPlugin({ entryBudget: sc.entryBudget, shareViews: sc.shareViews, fastViewEncoding: sc.fastViewEncoding, bandTags: tags })
  attachToTestRoom(plugin, room as unknown as Partial<Room>)
  plugin.use(engine, sc.maxRange === undefined ? undefined : { maxRange: sc.maxRange, positions: C.Position })

  const alive: number[] = []
  const instance = new Map<number, Thing>()
  // the owner's generation when the engine linked each ownership (docs/concepts.md section 7); undefined until its next tick
  const linkedGen = new Map<number, number>()
  const slots: (FakeClient | null)[] = [null, null, null, null, null]
  let serial = 0
  let session = 0
  let writes = 0
  let patchNo = 0
  // per observer: its members at the last sync (entity -> band), the tick's valid members only
  let synced = new Map<number, Map<number, number>>()
  const pick = (n: number): number | undefined => (alive.length === 0 ? undefined : alive[n % alive.length])
  const observers = (): number[] => alive.filter((e) => hasComponent(world, e, C.Observer))

  const newThing = (e: number): Thing => {
    const thing = new Thing()
    thing.serial = ++serial
    thing.x = Math.round(C.Position.x[e]!)
    thing.motion = ++writes
    thing.detail = ++writes
    instance.set(e, thing)
    state.things.set(String(e), thing)
    return thing
  }
  const spawn = (c: Extract<WorldCmd, { kind: 'spawn' }>): void => {
    const e = addEntity(world)
    if (e >= CAPACITY) {
      removeEntity(world, e)
      return
    }
    alive.push(e)
    linkedGen.delete(e)
    C.Position.x[e] = c.x
    C.Position.y[e] = c.y
    C.Position.z[e] = 0
    addComponent(world, e, C.Position)
    if (c.observer) addObserver(world, C, e, { radius: c.radius, budget: c.budget, fov: 2 * Math.PI })
    if (c.hidden) addComponent(world, e, C.Hidden)
    if (c.owner !== null) {
      const os = observers().filter((o) => o !== e)
      if (os.length > 0) {
        const owner = os[c.owner % os.length]!
        setOwner(world, C, e, owner)
        linkedGen.set(e, engine.generationOf(owner))
      }
    }
    const thing = newThing(e)
    if (!c.late) plugin.track(e, thing)
  }
  const clientOf = (k: number): FakeClient | null => slots[k] ?? null
  const fullState = (c: FakeClient): void => {
    // Colyseus marks the client joined, then sends the full state of its view (Room: JOIN_ROOM)
    c.state = ClientState.JOINED
    c.received = new State()
    c.decoder = new Decoder(c.received)
    c.raw(serializer.getFullState(c as unknown as Client))
    check(c, 'full state')
  }

  const apply = (cmd: WorldCmd): void => {
    switch (cmd.kind) {
      case 'spawn':
        spawn(cmd)
        return
      case 'move': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        C.Position.x[e] = C.Position.x[e]! + cmd.dx
        C.Position.y[e] = C.Position.y[e]! + cmd.dy
        return
      }
      case 'despawn': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        if (cmd.untrack === 'before') plugin.untrack(e)
        removeEntity(world, e)
        alive.splice(alive.indexOf(e), 1)
        if (cmd.untrack === 'after') plugin.untrack(e)
        // a game that forgets to untrack leaves the instance in the state until the id is reused
        if (cmd.untrack !== 'never') {
          state.things.delete(String(e))
          instance.delete(e)
        }
        return
      }
      case 'track': {
        // tracks a late entity, or replaces a tracked one's instance
        const e = pick(cmd.pick)
        if (e !== undefined) plugin.track(e, newThing(e))
        return
      }
      case 'observer': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        if (hasComponent(world, e, C.Observer)) removeComponent(world, e, C.Observer)
        else addObserver(world, C, e, { radius: cmd.radius, budget: cmd.budget, fov: 2 * Math.PI })
        return
      }
      case 'hide': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        toggleHidden(world, C, e)
        return
      }
      case 'team': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        setTeam(world, C, e, cmd.team, cmd.only)
        return
      }
      case 'own': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        linkedGen.delete(e)
        const os = observers().filter((o) => o !== e)
        if (cmd.owner === null || os.length === 0) removeComponent(world, e, C.Owner)
        else {
          const owner = os[cmd.owner % os.length]!
          setOwner(world, C, e, owner)
          // an ownership belongs to the owner's life when Owner was added
          linkedGen.set(e, engine.generationOf(owner))
        }
        return
      }
      case 'write': {
        const e = pick(cmd.pick)
        const thing = e === undefined ? undefined : instance.get(e)
        if (thing === undefined) return
        thing.detail = ++writes
        thing.motion = ++writes
        return
      }
      case 'bind': {
        const e = pick(cmd.pick)
        if (e === undefined) return
        let c = clientOf(cmd.client)
        if (c === null) {
          // joins: onJoin binds, the full state follows when the client acknowledges (ack)
          c = {
            sessionId: `s${session++}`,
            view: undefined,
            state: ClientState.JOINING,
            received: null,
            decoder: null,
            raw(bytes) {
              this.decoder!.decode(bytes, { offset: 1 })
            },
          }
          slots[cmd.client] = c
          room.clients.push(c)
        }
        plugin.bind(c as unknown as Client, e)
        return
      }
      case 'ack': {
        // a joining client acknowledges, or a dropped one reconnects (the same view, a full state)
        const c = clientOf(cmd.client)
        if (c !== null && c.state !== ClientState.JOINED) fullState(c)
        return
      }
      case 'leave': {
        const c = clientOf(cmd.client)
        if (c === null) return
        room.clients.splice(room.clients.indexOf(c), 1)
        internals(plugin).onLeave(c)
        slots[cmd.client] = null
        return
      }
      case 'drop': {
        const c = clientOf(cmd.client)
        if (c !== null && c.state === ClientState.JOINED) c.state = ClientState.RECONNECTING
        return
      }
    }
  }

  /** The engine's tick, with what the game writes every tick and what the test must know of it. */
  const tick = (): void => {
    for (const e of alive) {
      const thing = instance.get(e)
      if (thing === undefined) continue
      thing.x = Math.round(C.Position.x[e]!)
      thing.motion = ++writes
      thing.detail = ++writes
    }
    engine(world)
  }

  const snapshot = (): void => {
    synced = new Map()
    for (const c of room.clients) {
      const o = plugin.observerOf(c.sessionId)
      if (o === -1 || synced.has(o)) continue
      const m = new Map<number, number>()
      if (engine.isObserver(o)) {
        for (let i = 0; i < engine.memberCount(o); i++) {
          const e = engine.memberAt(o, i)
          if (engine.memberGenerationAt(o, i) === engine.generationOf(e)) m.set(e, engine.bandAt(o, i))
        }
      }
      synced.set(o, m)
    }
  }

  const patch = (): void => {
    plugin.sync()
    snapshot()
    patchNo++
    serializer.applyPatches(room.clients as unknown as Client[], state)
    for (const c of room.clients) if (c.state === ClientState.JOINED) check(c, `patch ${patchNo}`)
  }

  /** Owned by `o` now: Owner names it, and its generation is the one the engine linked (docs/concepts.md section 7). */
  const ownedBy = (o: number, e: number): boolean => {
    if (!hasComponent(world, e, C.Owner) || C.Owner.eid[e] !== o) return false
    return linkedGen.get(e) === engine.generationOf(o)
  }
  /** The deny rules as they are now, from the components (docs/concepts.md section 1). */
  const deniedNow = (o: number, e: number): boolean => {
    if (e === o || ownedBy(o, e)) return false
    if (hasComponent(world, e, C.Hidden)) return true
    if (!hasComponent(world, e, C.TeamOnly)) return false
    return !(hasComponent(world, o, C.Team) && hasComponent(world, e, C.Team) && C.Team.id[e] === C.Team.id[o])
  }
  const within = (o: number, e: number): boolean =>
    sc.maxRange === undefined || e === o || Math.hypot(C.Position.x[e]! - C.Position.x[o]!, C.Position.y[e]! - C.Position.y[o]!, C.Position.z[e]! - C.Position.z[o]!) <= sc.maxRange

  /** What client `c` decoded, against what it may hold now. */
  const check = (c: FakeClient, when: string): void => {
    const sid = c.sessionId
    const ctx = `${when}, client ${sid}`
    const decoded = c.received!.things
    const held = [...decoded.keys()].map(Number).sort((a, b) => a - b)
    const members = plugin.viewMembers(sid).sort((a, b) => a - b)
    expect(held, `${ctx}: decoded entities vs the view's`).toEqual(members)
    if (held.length === 0) return
    const r = internals(plugin).bySession.get(sid)!
    const o = r.observer
    const reg = internals(plugin).registry
    for (const e of held) {
      const at = `${ctx} (observer ${o}): entity ${e}`
      const got = decoded.get(String(e))!
      // alive, and the very instance registered for its current life
      expect(entityExists(world, e), `${at} is not alive`).toBe(true)
      const inst = instance.get(e)
      expect(inst, `${at} has no instance`).toBeDefined()
      expect(reg.instances[e] === inst && reg.generation[e] === engine.generationOf(e), `${at} is not the registered instance`).toBe(true)
      expect(got.serial, `${at}: serial (another life's instance)`).toBe(inst!.serial)
      // entitled now
      expect(engine.isDenied(o, e), `${at} isDenied`).toBe(false)
      expect(deniedNow(o, e), `${at} denied by the rules (Hidden / TeamOnly / lapsed Owner)`).toBe(false)
      expect(within(o, e), `${at} beyond maxRange ${sc.maxRange}`).toBe(true)
      // a member of the observer's set at the last sync, at the band the view holds it
      const j = recordSlot(r, e)
      const band = r.bands[j]!
      // (a view rebound since, synced -1, still holds the previous observer's set until the next sync,
      // as docs/sync.md says; a full state then shows it, within the deny rules and maxRange checked above)
      if (r.synced !== -1) expect(synced.get(o)?.get(e), `${at}: band in the set at the last sync vs the view's`).toBe(band)
      // only the fields of its band, each with the server's current value
      const tag = tags[band]!
      expect(got.x, `${at}: x`).toBe(inst!.x)
      if ((tag & Motion) !== 0) expect(got.motion, `${at}: motion at band ${band}`).toBe(inst!.motion)
      else expect(got.motion, `${at}: motion readable at band ${band}`).toBeUndefined()
      if ((tag & Detail) !== 0) expect(got.detail, `${at}: detail at band ${band}`).toBe(inst!.detail)
      else expect(got.detail, `${at}: detail readable at band ${band}`).toBeUndefined()
    }
  }

  for (const [x, y, obs] of sc.initial) spawn({ kind: 'spawn', x, y, observer: obs, radius: 40, budget: 6, owner: null, hidden: false, late: false })
  sc.binds.forEach((b, k) => {
    const os = observers()
    apply({ kind: 'bind', client: k, pick: os.length > 0 ? alive.indexOf(os[b % os.length]!) : b })
    if (b % 2 === 0) apply({ kind: 'ack', client: k })
  })
  for (const cmd of sc.cmds) {
    if (cmd.kind !== 'sync') {
      apply(cmd)
      continue
    }
    for (const e of alive) {
      // a little drift every tick: sets gain, lose and rebalance members
      C.Position.x[e] = C.Position.x[e]! + ((e * 7 + patchNo) % 5) - 2
    }
    for (let k = 0; k < cmd.ticks; k++) tick()
    for (const between of cmd.patches) {
      for (const c of between) apply(c)
      patch()
    }
  }
  tick()
  patch()
  for (const c of [...room.clients]) internals(plugin).onLeave(c)
  engine.dispose()
}

/**
 * Scenarios the property found once, replayed first on every run:
 * 1. a client that reconnects to a view it shares, empty and never bound to the state, got a fork of
 *    its own that went back to the shared view after a patch: its full state (from the unbound fork)
 *    lacked the entity collection the shared view showed, so the next entity the view took never
 *    reached it (a view never bound is never merged back).
 */
const FOUND: Scenario[] = [
  { entryBudget: 1, shareViews: true, fastViewEncoding: false, hysteresis: false, tightBands: false, tags: 0, maxRange: undefined, initial: [[0, 0, false], [0, 0, true], [0, 0, false], [0, 0, false], [0, 0, false]], binds: [0, 0], cmds: [{ kind: 'sync', ticks: 1, patches: [[], [{ kind: 'observer', pick: 876, radius: 5, budget: 1 }]] }, { kind: 'drop', client: 1 }, { kind: 'sync', ticks: 1, patches: [[{ kind: 'ack', client: 1 }, { kind: 'spawn', x: 0, y: 0, observer: true, radius: 5, budget: 1, owner: null, hidden: true, late: true }], [{ kind: 'despawn', pick: 0, untrack: 'before' }]] }, { kind: 'bind', client: 0, pick: 1 }, { kind: 'bind', client: 1, pick: 384 }, { kind: 'write', pick: 0 }] },
]

describe('entitlement', () => {
  // scripts bind clients to entities that are not observers, and let ownerships lapse: warnings by design
  beforeAll(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
  })
  afterAll(() => {
    vi.restoreAllMocks()
  })

  it('should never let a client decode an entity or a field it is not entitled to, nor a stale value', () => {
    fc.assert(fc.property(scenarioArb, run), { numRuns: 300, examples: FOUND.map((x) => [x]) })
  })

  it('should remove from a client moved off a shared view an entity untracked before the move', () => {
    const h = harness()
    const a = h.spawn(0, true)
    const b = h.spawn(1000, true)
    const rock = h.spawn(5, false)
    // a player and a spectator share a's view
    const player = h.join(a)
    const spectator = h.join(a)
    h.patch()
    expect(h.keys(player)).toEqual([a, rock].sort((x, y) => x - y))
    // one message handler: the rock despawns, then the player moves to b (a respawn, a spectator switching)
    h.plugin.untrack(rock)
    h.state.things.delete(String(rock))
    removeEntity(h.world, rock)
    h.plugin.bind(player as unknown as Client, b)
    h.patch()
    expect(h.keys(spectator)).toEqual([a])
    expect(h.plugin.viewMembers(player.sessionId)).toEqual([b])
    // the remove was queued in the shared view before the player got a copy of it: only the spectator was sent it
    expect(h.keys(player)).toEqual([b])
  })

  it('should not show a joining client an entity removed from the world since the last patch', () => {
    const h = harness()
    const a = h.spawn(0, true)
    const rock = h.spawn(5, false)
    const player = h.join(a)
    h.patch()
    expect(h.keys(player)).toEqual([a, rock])
    // the rock is removed from the world (the game has not untracked it, nor deleted it from the state yet);
    // a spectator's join is acknowledged before the next patch
    removeEntity(h.world, rock)
    const spectator = h.join(a)
    expect(h.keys(spectator)).toEqual([a])
  })

  it("should not show a player whose entity took a removed player's id, in its full state, what the removed player owned", () => {
    const h = harness()
    const a = h.spawn(0, true)
    // a's hidden scout: only a may see it
    const scout = h.spawn(5, false)
    addComponent(h.world, scout, h.C.Hidden)
    setOwner(h.world, h.C, scout, a)
    const first = h.join(a)
    h.patch()
    expect(h.keys(first)).toEqual([a, scout])
    // a's entity dies (its client waits to respawn); another player's entity, far away, takes its id at once
    h.plugin.untrack(a)
    h.state.things.delete(String(a))
    removeEntity(h.world, a)
    const b = h.spawn(1000, true)
    expect(b).toBe(a)
    // that player joins before the next tick: bound to the same id, it gets the first player's view
    const second = h.join(b)
    expect(h.keys(second)).not.toContain(scout)
  })
})

/** One room driven by hand (no server), for the reproductions: each patch is a tick, a sync and Colyseus' serializer. */
function harness() {
  const world = createWorld()
  const C = createAttentionComponents(CAPACITY)
  const engine = createAttentionSystem(world, { components: C, hysteresis: false })
  const state = new State()
  const serializer = new SchemaSerializer()
  serializer.reset(state)
  const room = { clients: [] as FakeClient[], _serializer: serializer }
  const plugin = new AttentionPlugin()
  attachToTestRoom(plugin, room as unknown as Partial<Room>)
  plugin.use(engine)
  const spawn = (x: number, observer: boolean): number => {
    const e = addEntity(world)
    addComponent(world, e, C.Position)
    C.Position.x[e] = x
    if (observer) addObserver(world, C, e, { radius: 50, budget: 8, fov: 2 * Math.PI })
    const thing = new Thing()
    thing.x = x
    state.things.set(String(e), thing)
    plugin.track(e, thing)
    return e
  }
  /** A client bound to `observer` that has acknowledged its join (it decoded its full state). */
  const join = (observer: number): FakeClient => {
    const received = new State()
    const decoder = new Decoder(received)
    const c: FakeClient = {
      sessionId: `c${room.clients.length}`,
      view: undefined,
      state: ClientState.JOINED,
      received,
      decoder,
      raw: (bytes) => decoder.decode(bytes, { offset: 1 }),
    }
    room.clients.push(c)
    plugin.bind(c as unknown as Client, observer)
    c.raw(serializer.getFullState(c as unknown as Client))
    return c
  }
  const patch = (): void => {
    engine(world)
    plugin.sync()
    serializer.applyPatches(room.clients as unknown as Client[], state)
  }
  const keys = (c: FakeClient): number[] => [...c.received!.things.keys()].map(Number).sort((x, y) => x - y)
  return { world, C, engine, state, plugin, spawn, join, patch, keys }
}
