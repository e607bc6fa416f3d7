import { $internal, addComponent, hasComponent, removeComponent, type World } from 'bitecs'
import { createSharedAlloc, heapAlloc } from './shared-alloc'
import { checkInteger, checkKeys, checkKind, checkObject, checkRange, describeGiven, describeValue, integerMessage, rangeMessage } from './validate'

/** A 3-vector stored as three typed arrays indexed by entity id. */
export interface Vec3Store {
  /** X component per entity id. */
  x: Float32Array
  /** Y component per entity id. */
  y: Float32Array
  /** Z component per entity id (0 in a 2D game). */
  z: Float32Array
}

/**
 * The ECS components the attention engine reads. Plain objects of typed arrays indexed by entity
 * id (bitECS 0.4 style), sized once by `capacity`: entity ids must be below it.
 */
export interface AttentionComponents {
  /** Highest entity id + 1 the stores can hold. */
  readonly capacity: number
  /** World position. An entity is attendable (can be in a set) only if it has Position. */
  readonly Position: Vec3Store
  /** Velocity in units per second (optional; used by the approach head and look-ahead). */
  readonly Velocity: Vec3Store
  /** Forward unit vector (optional; used by the facing and mutual heads). */
  readonly Facing: Vec3Store
  /** The entity a client sees through. */
  readonly Observer: {
    /** Focus radius in world units (> 0). */
    radius: Float32Array
    /** Budget K: at most this many scored members (1..65535). Rule members come on top. */
    budget: Uint16Array
    /** Full field-of-view angle in radians (0..2π). */
    fov: Float32Array
    /** Softmax temperature (> 0). */
    temperature: Float32Array
    /**
     * Bytes per second the client may receive on average over minutes (0: no byte budget, only
     * the count budget). With a byte budget the set holds as many members as their bands' costs
     * allow, `budget` at most; one second may spend up to `byteCosts.burst` times it.
     */
    byteBudget: Float32Array
  }
  /** How noticeable an entity is. */
  readonly Salience: {
    /** Salience head input, 0..1 (clamped). */
    weight: Float32Array
    /**
     * Distance from which the entity is noticed even beyond an observer's focus radius (finite,
     * >= 0). A NaN, negative or infinite value counts as 0; a NaN or infinite one is reported once.
     */
    nimbus: Float32Array
  }
  /** Team or group id. */
  readonly Team: {
    /** Team id per entity id. */
    id: Uint16Array
  }
  /** Tag: visible only to observers of the same Team. */
  readonly TeamOnly: Record<string, never>
  /**
   * The observer that owns this entity; an observer always sees what it owns, Hidden or not, at
   * High band. The ownership lapses when the owner loses Position (removed, its id perhaps reused):
   * the next entity given that id does not own it, and it stays unowned until another owner is
   * written or `setOwner` is called (docs/concepts.md 7).
   */
  readonly Owner: {
    /** Owning observer's entity id per entity id. */
    eid: Uint32Array
  }
  /** Tag: in every observer's set (subject to Hidden / TeamOnly). */
  readonly AlwaysRelevant: Record<string, never>
  /** Tag: never in any set but its owner's. */
  readonly Hidden: Record<string, never>
  /** What the entity aims at (a turret, a sniper, a homing missile): its target notices it from afar. */
  readonly Aim: {
    /** Entity id of the target (0: none). */
    target: Uint32Array
  }
}

/** Options of {@link createAttentionComponents}. */
export interface ComponentStoreOptions {
  /**
   * Puts every store on a SharedArrayBuffer, so that observer threads can read it (the system's
   * option `threads`). The stores stay plain typed arrays, read and written the same way.
   * @defaultValue false
   */
  shared?: boolean | undefined
}

/**
 * Creates the attention components with typed-array stores for `capacity` entity ids.
 * @param capacity - number of entity ids the stores hold (1..2^24).
 * @param options - `shared: true` for SharedArrayBuffer-backed stores (needed by option `threads`).
 * @returns the component objects, to use with bitECS `addComponent` and `createAttentionSystem`.
 * @example
 * const C = createAttentionComponents(10_000)
 * const eid = addEntity(world)
 * addComponent(world, eid, C.Position); C.Position.x[eid] = 10
 */
export function createAttentionComponents(capacity: number, options: ComponentStoreOptions = {}): AttentionComponents {
  checkInteger('capacity', capacity, 1, 1 << 24)
  checkObject('createAttentionComponents', options)
  checkKeys('createAttentionComponents', options, ['shared'])
  const shared = options.shared ?? false
  checkKind('options.shared', shared, 'boolean')
  const alloc = shared ? createSharedAlloc() : heapAlloc
  const vec = (): Vec3Store => ({
    x: alloc.f32(capacity),
    y: alloc.f32(capacity),
    z: alloc.f32(capacity),
  })
  return {
    capacity,
    Position: vec(),
    Velocity: vec(),
    Facing: vec(),
    Observer: {
      radius: alloc.f32(capacity),
      budget: alloc.u16(capacity),
      fov: alloc.f32(capacity),
      temperature: alloc.f32(capacity),
      byteBudget: alloc.f32(capacity),
    },
    Salience: { weight: alloc.f32(capacity), nimbus: alloc.f32(capacity) },
    Team: { id: alloc.u16(capacity) },
    TeamOnly: {},
    Owner: { eid: alloc.u32(capacity) },
    AlwaysRelevant: {},
    Hidden: {},
    Aim: { target: alloc.u32(capacity) },
  }
}

/** Every store of {@link AttentionComponents}, by component and field, with its typed-array kind. */
const STORES = {
  Position: { x: Float32Array, y: Float32Array, z: Float32Array },
  Velocity: { x: Float32Array, y: Float32Array, z: Float32Array },
  Facing: { x: Float32Array, y: Float32Array, z: Float32Array },
  Observer: { radius: Float32Array, budget: Uint16Array, fov: Float32Array, temperature: Float32Array, byteBudget: Float32Array },
  Salience: { weight: Float32Array, nimbus: Float32Array },
  Team: { id: Uint16Array },
  Owner: { eid: Uint32Array },
  Aim: { target: Uint32Array },
} as const satisfies { [K in keyof AttentionComponents]?: Record<string, new (n: number) => ArrayLike<number>> }
/** The tag components of {@link AttentionComponents} (objects without stores). */
const TAGS = ['TeamOnly', 'AlwaysRelevant', 'Hidden'] as const satisfies readonly (keyof AttentionComponents)[]

/**
 * Throws a TypeError unless `c` has the shape {@link createAttentionComponents} gives: an integer
 * `capacity` in [1, 2^24], every component with every store as its kind of typed array, and the tag
 * components. Names what is missing or wrong, e.g. `options.components must come from
 * createAttentionComponents(capacity): its Observer is undefined`. At creation only: it reads every
 * store once.
 * @param name - the argument, for the message: `options.components`.
 */
export function checkComponents(name: string, c: unknown): asserts c is AttentionComponents {
  const fail = (what: string): never => {
    throw new TypeError(`colyseus-attention: ${name} must come from createAttentionComponents(capacity)${what}`)
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return fail(`; got ${describeGiven(c)}`)
  const o = c as Record<string, unknown>
  const cap = o.capacity
  if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 1 || cap > 1 << 24) return fail(`: its capacity must be an integer in [1, ${1 << 24}]; got ${describeGiven(cap)}`)
  for (const component of Object.keys(STORES) as (keyof typeof STORES)[]) {
    const v = o[component]
    if (typeof v !== 'object' || v === null) return fail(`: its ${component} is ${describeGiven(v)}`)
    const fields = STORES[component] as Record<string, new (n: number) => ArrayLike<number>>
    for (const field of Object.keys(fields)) {
      const store = (v as Record<string, unknown>)[field]
      const Kind = fields[field]!
      if (!(store instanceof Kind)) return fail(`: its ${component}.${field} must be a ${Kind.name}; got ${describeGiven(store)}`)
    }
  }
  for (const tag of TAGS) if (typeof o[tag] !== 'object' || o[tag] === null) return fail(`: its ${tag} (a tag component) is ${describeGiven(o[tag])}`)
}

/**
 * Throws a TypeError unless `world` is a bitECS world (what `createWorld()` returns) and `c` an
 * object with a numeric `capacity` (the shape check is {@link checkComponents}', at system
 * creation): what the helpers' calls into bitECS and the stores would otherwise fail on from inside.
 * A few operations: the helpers may run every tick.
 * @param fn - the helper, for the message: `addObserver`.
 */
export function checkWorldAndComponents(fn: string, world: unknown, c: unknown): void {
  // the message is built only when it throws: these helpers may run every tick
  if (!isWorld(world)) checkWorld(`${fn}(world, C, ...)`, world)
  if (typeof c !== 'object' || c === null || typeof (c as { capacity?: unknown }).capacity !== 'number') {
    throw new TypeError(`colyseus-attention: ${fn}(world, C, ...) takes the components (from createAttentionComponents(capacity)) as its second argument; got ${describeGiven(c)}`)
  }
}

/**
 * Throws a TypeError unless `world` is a bitECS world (what `createWorld()` returns), naming `fn`'s
 * first argument: bitECS itself would fail with a TypeError from inside.
 * @param fn - who takes it, with its arguments: `createAttentionSystem(world, options)`.
 */
export function checkWorld(fn: string, world: unknown): void {
  if (isWorld(world)) return
  throw new TypeError(`colyseus-attention: ${fn} takes a bitECS world (from createWorld()) as its first argument; got ${describeGiven(world)}`)
}

function isWorld(world: unknown): boolean {
  // bitECS keeps a world's state under a registered symbol (Symbol.for: the same in every copy of it)
  return typeof world === 'object' && world !== null && $internal in world
}

/** Options of {@link addObserver}. */
export interface ObserverOptions {
  /** Focus radius. @defaultValue 50 */
  radius?: number | undefined
  /** Budget K. @defaultValue 32 */
  budget?: number | undefined
  /** Full field of view in radians. @defaultValue 2π/3 (120°) */
  fov?: number | undefined
  /** Softmax temperature. @defaultValue 1 */
  temperature?: number | undefined
  /**
   * Bytes per second this observer's client may receive on average over minutes (one second may
   * spend up to `byteCosts.burst` times it, and a slow byte price keeps the average); 0 turns the byte budget off. With it,
   * `budget` is a cap: members and bands are bought by value per byte, so the set grows in a crowd
   * (cheap Low members), shrinks when alone, and Medium/High go to members that clearly stand out.
   * A budget below what the rule members cost (a moving avatar: about 360 B/s with the example
   * schema) is read as their cost plus one Low member, on average: about one Low member's worth of
   * what matters most, bought at the byte price (docs/concepts.md 6b). @defaultValue 0
   */
  byteBudget?: number | undefined
}

/**
 * Adds the Observer component with validated settings.
 * @param world - the bitECS world.
 * @param c - the attention components.
 * @param eid - the observer entity (usually the player's avatar).
 * @param options - radius, budget, fov, temperature, byteBudget.
 */
export function addObserver(world: World, c: AttentionComponents, eid: number, options: ObserverOptions = {}): void {
  checkWorldAndComponents('addObserver', world, c)
  checkObject('addObserver', options)
  checkKeys('addObserver', options, OBSERVER_FIELDS)
  const radius = options.radius ?? 50
  const budget = options.budget ?? 32
  const fov = options.fov ?? (2 * Math.PI) / 3
  const temperature = options.temperature ?? 1
  const byteBudget = options.byteBudget ?? 0
  checkRange('Observer.radius', radius, 0, Infinity, true)
  checkInteger('Observer.budget', budget, 1, 65535)
  checkRange('Observer.fov', fov, 0, 2 * Math.PI)
  checkRange('Observer.temperature', temperature, 0, Infinity, true)
  checkRange('Observer.byteBudget', byteBudget, 0, MAX_BYTE_BUDGET)
  checkInteger(`addObserver's entity id (capacity ${c.capacity})`, eid, 0, c.capacity - 1)
  c.Observer.radius[eid] = radius
  c.Observer.budget[eid] = budget
  c.Observer.fov[eid] = fov
  c.Observer.temperature[eid] = temperature
  c.Observer.byteBudget[eid] = byteBudget
  addComponent(world, eid, c.Observer)
}

/** The Observer fields {@link observerFault} names, by its return value. */
export const OBSERVER_FIELDS = ['radius', 'budget', 'fov', 'temperature', 'byteBudget'] as const

/** Most bytes per second an observer's byte budget may be (`addObserver` and the per-tick check). */
const MAX_BYTE_BUDGET = 1e9

/**
 * Which Observer field of `o` is outside the range `addObserver` accepts, as an index into
 * {@link OBSERVER_FIELDS}, or -1 when all are usable. The game writes these typed arrays directly,
 * so the tick checks every observer with this (per observer, no allocation): an observer with a
 * fault is sent nothing until it is fixed (docs/concepts.md 8). The fov allows float32's rounding
 * of 2π.
 */
export function observerFault(c: AttentionComponents, o: number): number {
  const r = c.Observer.radius[o]!
  if (!(r > 0 && r < Infinity)) return 0
  if (!(c.Observer.budget[o]! >= 1)) return 1
  const fov = c.Observer.fov[o]!
  if (!(fov >= 0 && fov <= 2 * Math.PI + 1e-6)) return 2
  const t = c.Observer.temperature[o]!
  if (!(t > 0 && t < Infinity)) return 3
  // NaN or a negative value must not read as "no byte budget" (the count budget alone): fail closed
  const bb = c.Observer.byteBudget[o]!
  if (!(bb >= 0 && bb <= MAX_BYTE_BUDGET)) return 4
  return -1
}

/** The message for fault `field` of observer `o` ({@link observerFault}), with the range `addObserver` checks. */
export function observerFaultMessage(c: AttentionComponents, o: number, field: number): string {
  const name = `Observer.${OBSERVER_FIELDS[field]}[${o}]`
  switch (field) {
    case 0:
      return rangeMessage(name, c.Observer.radius[o], 0, Infinity, true)
    case 1:
      return integerMessage(name, c.Observer.budget[o], 1, 65535)
    case 2:
      return rangeMessage(name, c.Observer.fov[o], 0, 2 * Math.PI)
    case 3:
      return rangeMessage(name, c.Observer.temperature[o], 0, Infinity, true)
    default:
      return rangeMessage(name, c.Observer.byteBudget[o], 0, MAX_BYTE_BUDGET)
  }
}

/**
 * Adds the Salience component with validated settings.
 * @param weight - 0..1 salience head input. @param nimbus - notice distance (>= 0).
 */
export function addSalience(world: World, c: AttentionComponents, eid: number, weight: number, nimbus = 0): void {
  checkWorldAndComponents('addSalience', world, c)
  checkInteger(`addSalience's entity id (capacity ${c.capacity})`, eid, 0, c.capacity - 1)
  checkRange('Salience.weight', weight, 0, 1)
  // the store is float32: a nimbus beyond its largest finite value would be stored as Infinity
  checkRange('Salience.nimbus', nimbus, 0, 3.4e38)
  c.Salience.weight[eid] = weight
  c.Salience.nimbus[eid] = nimbus
  addComponent(world, eid, c.Salience)
}

/** Sets a 2D facing (in the x/y plane) from an angle in radians (finite); adds Facing if missing. */
export function setFacingAngle(world: World, c: AttentionComponents, eid: number, angle: number): void {
  checkWorldAndComponents('setFacingAngle', world, c)
  checkInteger(`setFacingAngle's entity id (capacity ${c.capacity})`, eid, 0, c.capacity - 1)
  // a NaN facing would make every score of the observer NaN: it would see nothing
  if (typeof angle !== 'number' || !Number.isFinite(angle)) {
    throw new RangeError(`colyseus-attention: setFacingAngle's angle must be a finite number of radians; got ${describeValue(angle)}${typeof angle === 'number' ? '' : ` (a ${typeof angle})`}`)
  }
  c.Facing.x[eid] = Math.cos(angle)
  c.Facing.y[eid] = Math.sin(angle)
  c.Facing.z[eid] = 0
  addComponent(world, eid, c.Facing)
}

/**
 * Makes `owner` the owner of `eid`: `owner` then always sees `eid`, Hidden or not, at High band.
 * Adds Owner, or adds it again when `eid` has it: an ownership that lapsed because its owner lost
 * Position (removed, or respawned by removing Position) is granted anew, to the entity now at
 * `owner` (docs/concepts.md 7). Writing `Owner.eid` alone does that only when the id changes.
 */
export function setOwner(world: World, c: AttentionComponents, eid: number, owner: number): void {
  checkWorldAndComponents('setOwner', world, c)
  checkInteger(`setOwner's entity id (capacity ${c.capacity})`, eid, 0, c.capacity - 1)
  checkInteger('Owner.eid', owner, 0, c.capacity - 1)
  if (hasComponent(world, eid, c.Owner)) removeComponent(world, eid, c.Owner)
  c.Owner.eid[eid] = owner
  addComponent(world, eid, c.Owner)
}

/**
 * Declares that `eid` aims at `target` (a turret, a sniper, a homing missile): the target then
 * notices it at any distance (the aim head). Adds Aim if missing; a target of 0 clears the aim.
 */
export function setAimTarget(world: World, c: AttentionComponents, eid: number, target: number): void {
  checkWorldAndComponents('setAimTarget', world, c)
  checkInteger(`setAimTarget's entity id (capacity ${c.capacity})`, eid, 0, c.capacity - 1)
  checkInteger('Aim.target', target, 0, c.capacity - 1)
  c.Aim.target[eid] = target
  addComponent(world, eid, c.Aim)
}
