// Random worlds and tick scripts for the engine's property tests: fast-check arbitraries for
// commands, a driver that applies them to a real bitECS world (engine and oracle side by side), and
// readers of the engine's sets.
import fc from 'fast-check'
import { addComponent, addEntity, createWorld, entityExists, hasComponent, query, removeComponent, removeEntity, type World } from 'bitecs'
import { createAttentionComponents, createAttentionSystem } from '../../src/index'
import type { AttentionComponents, AttentionOptions, AttentionSystem } from '../../src/index'
import { createBruteForceAttention, type BruteForceAttention } from '../support/brute-force'

/** Capacity of the component stores in property tests. */
export const CAPACITY = 256

/** Optional components a command can toggle. */
export const TOGGLES = ['Velocity', 'Facing', 'Salience', 'Team', 'TeamOnly', 'Hidden', 'AlwaysRelevant', 'Owner', 'Observer', 'Aim'] as const
type Toggle = (typeof TOGGLES)[number]

/** Salience weights on a dyadic grid (exact in float32) so exact-score worlds have many ties. */
const DYADIC = [0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]

/** Settings of a new entity. */
export interface SpawnSpec {
  kind: 'spawn'
  x: number; y: number; z: number
  vel: [number, number, number] | null
  facing: number | null
  facingPitch: number
  observer: { radius: number; budget: number; fov: number; temperature: number } | null
  salience: { weight: number; nimbus: number } | null
  team: number | null
  teamOnly: boolean
  hidden: boolean
  alwaysRelevant: boolean
  owner: number | null
}
/** A mutation of the world between ticks; `pick` selects an alive entity (mod the alive count). */
export type Command =
  | SpawnSpec
  | { kind: 'move'; pick: number; dx: number; dy: number; dz: number; vel: [number, number, number] }
  | { kind: 'remove'; pick: number }
  | { kind: 'toggle'; pick: number; component: Toggle; other: number; value: number }
  | { kind: 'observer'; pick: number; radius: number; budget: number }
  | { kind: 'bytes'; pick: number; byteBudget: number }
  | { kind: 'interact'; pick: number; other: number; strength: number }
  | { kind: 'tick' }

/** `arb` with probability `p`, else null. */
const maybe = <T>(arb: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: Math.round(100 * (1 - p)), arbitrary: fc.constant(null) }, { weight: Math.round(100 * p), arbitrary: arb })
const chance = (p: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: 99 }).map((v) => v < 100 * p)

const coord = (span: number): fc.Arbitrary<number> => fc.double({ min: -span, max: span, noNaN: true, noDefaultInfinity: true })
const vel = fc.tuple(coord(20), coord(20), coord(3))

/** Arbitrary new entity; `dyadic` draws salience from an exact grid. */
export function spawnArb(dyadic: boolean): fc.Arbitrary<SpawnSpec> {
  return fc.record({
    kind: fc.constant('spawn' as const),
    x: coord(25), y: coord(25), z: coord(3),
    vel: maybe(vel, 0.5),
    facing: maybe(fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }), 0.6),
    facingPitch: fc.oneof(fc.constant(0), fc.double({ min: -0.5, max: 0.5, noNaN: true })),
    observer: maybe(
      fc.record({
        radius: fc.double({ min: 2, max: 40, noNaN: true }),
        budget: fc.integer({ min: 1, max: 6 }),
        fov: fc.oneof(fc.constant(0), fc.constant(2 * Math.PI), fc.double({ min: 0, max: 2 * Math.PI, noNaN: true })),
        temperature: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 4, noNaN: true })),
      }),
      0.25,
    ),
    salience: maybe(
      fc.record({
        weight: dyadic ? fc.constantFrom(...DYADIC) : fc.double({ min: -0.5, max: 1.5, noNaN: true }),
        nimbus: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 60, noNaN: true })),
      }),
      0.5,
    ),
    team: maybe(fc.integer({ min: 0, max: 2 }), 0.5),
    teamOnly: chance(0.15),
    hidden: chance(0.1),
    alwaysRelevant: chance(0.08),
    owner: maybe(fc.nat(1000), 0.12),
  })
}

/** Arbitrary command; spawns are frequent so worlds fill up, ticks are added by the script arbitrary. */
export function commandArb(dyadic: boolean): fc.Arbitrary<Command> {
  return fc.oneof(
    { weight: 4, arbitrary: spawnArb(dyadic) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('move' as const), pick: fc.nat(1000), dx: coord(8), dy: coord(8), dz: coord(1), vel }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(1000) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('toggle' as const), pick: fc.nat(1000), component: fc.constantFrom(...TOGGLES), other: fc.nat(1000), value: fc.nat(1000) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('observer' as const), pick: fc.nat(1000), radius: fc.double({ min: 2, max: 40, noNaN: true }), budget: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), pick: fc.nat(1000), byteBudget: fc.constantFrom(0, 0, 15, 40, 120, 400, 1500) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('interact' as const), pick: fc.nat(1000), other: fc.nat(1000), strength: fc.double({ min: 0, max: 1.5, noNaN: true }) }) },
  )
}

/** A script: an initial population then batches of commands, each followed by a tick. */
export function scriptArb(dyadic: boolean, maxTicks = 12): fc.Arbitrary<{ initial: SpawnSpec[]; steps: Command[][] }> {
  return fc.record({
    // size 'max': fast-check's default size caps generated arrays at about min + 10 elements
    initial: fc.array(spawnArb(dyadic), { minLength: 2, maxLength: 30, size: 'max' }),
    steps: fc.array(fc.array(commandArb(dyadic), { maxLength: 6 }), { minLength: 1, maxLength: maxTicks }),
  })
}

/** Engine and oracle over one world, with the bookkeeping the properties need. */
export interface Harness {
  world: World
  C: AttentionComponents
  engine: AttentionSystem
  /** The second system of {@link HarnessExtras.twin}, or null. */
  twin: AttentionSystem | null
  oracle: BruteForceAttention
  /** Ids removed (or whose Position was removed) since the last tick. */
  gone: Set<number>
  /** Runs a command (not 'tick'). */
  apply(cmd: Command): void
  /** Ticks engine and oracle and clears `gone`. */
  tick(): void
  /** Alive entities, ascending. */
  alive(): number[]
}

/** What {@link createHarness} adds to the engine and oracle. */
export interface HarnessExtras {
  /** Component stores on SharedArrayBuffers (option `threads`). */
  shared?: boolean
  /** A second system on the same world with these options, ticked after the engine (`Harness.twin`). */
  twin?: Omit<AttentionOptions, 'components'>
}

/** Creates a harness with the given engine options (components are filled in). */
export function createHarness(options: Omit<AttentionOptions, 'components'>, extras: HarnessExtras = {}): Harness {
  const world = createWorld()
  const C = createAttentionComponents(CAPACITY, { shared: extras.shared ?? false })
  const engine = createAttentionSystem(world, { components: C, ...options })
  const twin = extras.twin === undefined ? null : createAttentionSystem(world, { components: C, ...extras.twin })
  // the oracle checks each tick's selection against the byte price the engine starts it with
  const priceBefore = new Float64Array(CAPACITY)
  // ... and the members it starts it with (the entry premium), less the ids removed since (a
  // recycled id is another entity)
  const membersBefore = new Map<number, Set<number>>()
  const oracle = createBruteForceAttention(world, { components: C, ...options }, {
    priceOf: (o) => priceBefore[o]!,
    wasMember: (o, e) => (membersBefore.get(o)?.has(e) ?? false) && !gone.has(e),
    // the oracle runs after the engine in a tick
    selected: (o) => engine.lastScoredTick(o) === engine.tick,
  })
  const gone = new Set<number>()
  const aliveList: number[] = []

  const pick = (n: number): number | undefined => (aliveList.length === 0 ? undefined : aliveList[n % aliveList.length])

  function spawn(s: SpawnSpec): void {
    const e = addEntity(world)
    if (e >= CAPACITY) { removeEntity(world, e); return }
    aliveList.push(e)
    aliveList.sort((a, b) => a - b)
    C.Position.x[e] = s.x; C.Position.y[e] = s.y; C.Position.z[e] = s.z
    addComponent(world, e, C.Position)
    if (s.vel) setVel(e, s.vel)
    if (s.facing !== null) setFacing(e, s.facing, s.facingPitch)
    if (s.observer) {
      C.Observer.radius[e] = s.observer.radius
      C.Observer.budget[e] = s.observer.budget
      C.Observer.fov[e] = s.observer.fov
      C.Observer.temperature[e] = s.observer.temperature
      addComponent(world, e, C.Observer)
      oracle.observerAdded(e)
    }
    if (s.salience) {
      C.Salience.weight[e] = s.salience.weight
      C.Salience.nimbus[e] = s.salience.nimbus
      addComponent(world, e, C.Salience)
    }
    if (s.team !== null) { C.Team.id[e] = s.team; addComponent(world, e, C.Team) }
    if (s.teamOnly) addComponent(world, e, C.TeamOnly)
    if (s.hidden) addComponent(world, e, C.Hidden)
    if (s.alwaysRelevant) addComponent(world, e, C.AlwaysRelevant)
    if (s.owner !== null) {
      const observers = aliveList.filter((a) => hasComponent(world, a, C.Observer))
      const target = observers.length > 0 ? observers[s.owner % observers.length]! : e
      C.Owner.eid[e] = target
      addComponent(world, e, C.Owner)
    }
  }
  function setVel(e: number, v: [number, number, number]): void {
    C.Velocity.x[e] = v[0]; C.Velocity.y[e] = v[1]; C.Velocity.z[e] = v[2]
    addComponent(world, e, C.Velocity)
  }
  function setFacing(e: number, yaw: number, pitch: number): void {
    C.Facing.x[e] = Math.cos(yaw) * Math.cos(pitch)
    C.Facing.y[e] = Math.sin(yaw) * Math.cos(pitch)
    C.Facing.z[e] = Math.sin(pitch)
    addComponent(world, e, C.Facing)
  }

  function toggle(e: number, name: Toggle, other: number, value: number): void {
    const comp = C[name]
    if (hasComponent(world, e, comp)) { removeComponent(world, e, comp); return }
    switch (name) {
      case 'Velocity': setVel(e, [(value % 41) - 20, ((value * 7) % 41) - 20, 0]); return
      case 'Facing': setFacing(e, value / 100, 0); return
      case 'Salience': C.Salience.weight[e] = DYADIC[value % DYADIC.length]!; C.Salience.nimbus[e] = value % 3 === 0 ? value % 50 : 0; break
      case 'Team': C.Team.id[e] = value % 3; break
      case 'Owner': C.Owner.eid[e] = pick(other) ?? e; break
      // an aim at an alive entity (perhaps an observer, perhaps not) or at nothing (0)
      case 'Aim': C.Aim.target[e] = value % 4 === 0 ? 0 : pick(other) ?? 0; break
      case 'Observer':
        C.Observer.radius[e] = 5 + (value % 30); C.Observer.budget[e] = 1 + (value % 5)
        C.Observer.fov[e] = (value % 7); C.Observer.temperature[e] = 0.25 + (value % 4) / 2
        break
      default: break
    }
    addComponent(world, e, comp)
    if (name === 'Observer') oracle.observerAdded(e)
  }

  const h: Harness = {
    world, C, engine, twin, oracle, gone,
    apply(cmd) {
      switch (cmd.kind) {
        case 'spawn': spawn(cmd); return
        case 'move': {
          const e = pick(cmd.pick); if (e === undefined) return
          C.Position.x[e] = C.Position.x[e]! + cmd.dx; C.Position.y[e] = C.Position.y[e]! + cmd.dy; C.Position.z[e] = C.Position.z[e]! + cmd.dz
          if (hasComponent(world, e, C.Velocity)) { C.Velocity.x[e] = cmd.vel[0]; C.Velocity.y[e] = cmd.vel[1]; C.Velocity.z[e] = cmd.vel[2] }
          return
        }
        case 'remove': {
          const e = pick(cmd.pick); if (e === undefined) return
          removeEntity(world, e)
          aliveList.splice(aliveList.indexOf(e), 1)
          gone.add(e)
          oracle.entityRemoved(e)
          return
        }
        case 'toggle': {
          const e = pick(cmd.pick); if (e === undefined) return
          toggle(e, cmd.component, cmd.other, cmd.value)
          return
        }
        case 'observer': {
          const e = pick(cmd.pick); if (e === undefined || !hasComponent(world, e, C.Observer)) return
          C.Observer.radius[e] = cmd.radius; C.Observer.budget[e] = cmd.budget
          return
        }
        case 'bytes': {
          const e = pick(cmd.pick); if (e === undefined || !hasComponent(world, e, C.Observer)) return
          C.Observer.byteBudget[e] = cmd.byteBudget
          return
        }
        case 'interact': {
          const a = pick(cmd.pick), b = pick(cmd.other); if (a === undefined || b === undefined || a === b) return
          engine.recordInteraction(a, b, cmd.strength)
          twin?.recordInteraction(a, b, cmd.strength)
          oracle.recordInteraction(a, b, cmd.strength)
          return
        }
        case 'tick': h.tick(); return
      }
    },
    tick() {
      membersBefore.clear()
      for (let e = 0; e < CAPACITY; e++) {
        priceBefore[e] = engine.isObserver(e) ? engine.bytePrice(e) : 0
        if (!engine.isObserver(e)) continue
        const m = new Set<number>()
        for (let i = 0; i < engine.memberCount(e); i++) m.add(engine.memberAt(e, i))
        membersBefore.set(e, m)
      }
      engine(world)
      twin?.(world)
      oracle(world)
      gone.clear()
    },
    alive: () => aliveList.filter((e) => entityExists(world, e)),
  }
  return h
}

/** The engine's set of one observer, read through the accessors. */
export interface EngineSet {
  members: number[]
  scores: Map<number, number>
  weights: Map<number, number>
  bands: Map<number, number>
  entered: number[]
  exited: number[]
}

/** Reads an observer's set from the engine. */
export function readEngineSet(sys: AttentionSystem, o: number): EngineSet {
  const s: EngineSet = { members: [], scores: new Map(), weights: new Map(), bands: new Map(), entered: [], exited: [] }
  for (let i = 0; i < sys.memberCount(o); i++) {
    const e = sys.memberAt(o, i)
    s.members.push(e)
    s.scores.set(e, sys.scoreAt(o, i))
    s.weights.set(e, sys.weightAt(o, i))
    s.bands.set(e, sys.bandAt(o, i))
  }
  for (let i = 0; i < sys.enteredCount(o); i++) s.entered.push(sys.enteredAt(o, i))
  for (let i = 0; i < sys.exitedCount(o); i++) s.exited.push(sys.exitedAt(o, i))
  return s
}

/** Observers of the world (Observer and Position), ascending. */
export function observersOf(h: Harness): number[] {
  return Array.from(query(h.world, [h.C.Observer, h.C.Position])).sort((a, b) => a - b)
}
