import { addComponent, addEntity, createWorld, deleteWorld, hasComponent, removeEntity, type World } from 'bitecs'
import { addObserver, addSalience, createAttentionComponents, createAttentionSystem } from '../../../plugin/src/index'
import type { AttentionComponents, AttentionOptions, ObserverOptions } from '../../../plugin/src/index'
import { resolvePluginOptions } from '../../../plugin/src/sync/options'
import type { Recording } from '../recording'
import { viewRadiusOf } from '../viewport'
import type { InterestPolicy, MissDiagnosis, PolicyFactory } from './interest-policy'

/** Settings of the attention policy besides the budget. */
export interface AttentionPolicyOptions {
  /** Observer focus radius, or `'view'`: the recording's view radius (what the player's screen shows). @defaultValue 50 (the engine's default) */
  radius?: number | 'view'
  /**
   * Byte budget per client per second (0: off), when the engine supports it (see
   * {@link engineHasByteBudget}); the count budget is then a cap. @defaultValue 0
   */
  byteBudget?: number
  /** Engine options besides components and dt (defaults when omitted): for ablations only. */
  engine?: Omit<AttentionOptions, 'components' | 'dt'>
  /** Label suffix naming the variant, e.g. `no hysteresis`. */
  variant?: string
  /** Receives the id maps (recording index to entity id and back; updated in place on respawns), e.g. for a training scorer. */
  probe?: (eidOf: Int32Array, indexOf: Int32Array) => void
}

/**
 * Count budget that caps a byte-budget replay. Under a byte budget the byte price decides how much
 * is sent; the cap only bounds the set's length, and is set where no family's crowd reaches it.
 */
export const BYTE_BUDGET_CAP = 1024

/**
 * The configuration the byte-budget sweep is judged in (docs/benchmarks.md, "Targets of issue 11"):
 * byte budget `byteBudget`, the count budget {@link BYTE_BUDGET_CAP} as a cap, and the observer's
 * radius at the recording's view radius. Under a count budget the radius bounds what a client is
 * sent; under a byte budget the price does, and the radius is what the player may be shown.
 */
export function byteBudgetPolicy(byteBudget: number, options: Omit<AttentionPolicyOptions, 'byteBudget'> = {}): PolicyFactory {
  return attentionPolicy(BYTE_BUDGET_CAP, { radius: 'view', ...options, byteBudget })
}

/** True when this build of the engine takes a per-observer byte budget (`ObserverOptions.byteBudget`). */
export function engineHasByteBudget(): boolean {
  return 'byteBudget' in createAttentionComponents(1).Observer
}

/**
 * This plugin's attention engine with its default heads, weights and hysteresis: the real
 * `createAttentionSystem` over a bitECS world mirroring the recording, with the components for what
 * the recording declares (salience and nimbus, team and team-only, owner, hidden, aim target).
 * Interactions are recorded into the engine only after the tick they happened in, so it never sees
 * the future.
 * @param budget - the per-client budget K (a cap when a byte budget is given).
 */
export function attentionPolicy(budget: number, options: AttentionPolicyOptions = {}): PolicyFactory {
  const radiusOption = options.radius ?? 50
  const byteBudget = options.byteBudget ?? 0
  if (byteBudget > 0 && !engineHasByteBudget()) throw new RangeError(`attentionPolicy: byteBudget ${byteBudget} needs an engine with ObserverOptions.byteBudget`)
  return (rec: Recording): InterestPolicy => {
    const n = rec.entityCount
    const np = rec.players.length
    const radius = radiusOption === 'view' ? viewRadiusOf(rec) : radiusOption
    const d = rec.declared
    // owned entities are rule members on top of the budget
    let owned = 0
    if (d?.owner !== undefined) {
      const per = new Int32Array(n)
      for (let i = 0; i < n; i++) if (d.owner[i]! >= 0) owned = Math.max(owned, ++per[d.owner[i]!]!)
    }
    const world = createWorld()
    const C = createAttentionComponents(n + 2)
    // the sets hold the budget, the player's own avatar and what it owns (the engine's default, 256, or more)
    const system = createAttentionSystem(world, { maxMembers: Math.max(256, budget + 1 + owned), ...options.engine, components: C, dt: rec.dt, maxObservers: Math.max(1, np) })
    const eidOf = new Int32Array(n)
    const indexOf = new Int32Array(n + 2).fill(-1)
    options.probe?.(eidOf, indexOf)
    const spawn = (w: World, i: number): void => {
      const eid = addEntity(w)
      eidOf[i] = eid
      indexOf[eid] = i
      addComponent(w, eid, C.Position)
      addComponent(w, eid, C.Velocity)
      addComponent(w, eid, C.Facing)
    }
    for (let i = 0; i < n; i++) spawn(world, i)
    // traits after every spawn: an owner may come later in the recording than what it owns
    if (d !== undefined) for (let i = 0; i < n; i++) declareTraits(world, C, rec, i, eidOf[i]!, eidOf)
    let spawnCursor = 0
    const observer: ObserverOptions & { byteBudget?: number } = { radius, budget }
    if (byteBudget > 0) observer.byteBudget = byteBudget
    for (let p = 0; p < np; p++) addObserver(world, C, eidOf[rec.players[p]!]!, observer)
    const P = C.Position
    const V = C.Velocity
    const F = C.Facing
    const aim = d?.target
    const label =
      byteBudget > 0
        ? `attention${options.variant ? ` (${options.variant})` : ''} B=${byteBudget} K<=${budget}`
        : `attention${options.variant ? ` (${options.variant})` : ''} K=${budget}${radiusOption === 50 ? '' : ` R=${radiusOption}`}`
    return {
      family: 'attention',
      param: byteBudget > 0 ? byteBudget : budget,
      label,
      shared: false,
      // self and owned entities are the only rule members in these scenarios
      maxSetSize: budget + 1 + owned,
      update(t) {
        // a respawned projectile is a new entity to the engine (bitECS recycles the id; the engine's generations tell them apart)
        while (spawnCursor < rec.spawns.count && rec.spawns.tick[spawnCursor]! === t) {
          const i = rec.spawns.entity[spawnCursor++]!
          removeEntity(world, eidOf[i]!)
          spawn(world, i)
          if (d !== undefined) declareTraits(world, C, rec, i, eidOf[i]!, eidOf)
        }
        const base = t * n
        for (let i = 0; i < n; i++) {
          const e = eidOf[i]!
          P.x[e] = rec.x[base + i]!
          P.y[e] = rec.y[base + i]!
          V.x[e] = rec.vx[base + i]!
          V.y[e] = rec.vy[base + i]!
          const a = rec.angle[base + i]!
          F.x[e] = Math.cos(a)
          F.y[e] = Math.sin(a)
          if (aim !== undefined) {
            // what the entity aims at now: the game knows it on this tick, not before
            const target = aim[base + i]!
            if (target >= 0 && !hasComponent(world, e, C.Aim)) addComponent(world, e, C.Aim)
            C.Aim.target[e] = target >= 0 ? eidOf[target]! : 0
          }
        }
        system(world)
      },
      count: (p) => system.memberCount(eidOf[rec.players[p]!]!),
      member: (p, i) => indexOf[system.memberAt(eidOf[rec.players[p]!]!, i)]!,
      band: (p, i) => system.bandAt(eidOf[rec.players[p]!]!, i),
      // what the AttentionPlugin admits per patch by default, rule members (self, owned) first, then by score
      entryBudget: resolvePluginOptions().entryBudget,
      entryPriority(p, i) {
        const o = rec.players[p]!
        const m = indexOf[system.memberAt(eidOf[o]!, i)]!
        return m === o || d?.owner?.[m] === o ? Infinity : system.scoreAt(eidOf[o]!, i)
      },
      observeBytes(p, bytesPerSecond) {
        // the plugin closes the byte-budget loop with what the encoder sent to the client
        if (byteBudget > 0) system.reportBytes(eidOf[rec.players[p]!]!, bytesPerSecond)
      },
      observeInteractions(_t, from, to) {
        const log = rec.interactions
        for (let j = from; j < to; j++) system.recordInteraction(eidOf[log.a[j]!]!, eidOf[log.b[j]!]!)
      },
      diagnose(p, other): MissDiagnosis {
        const o = eidOf[rec.players[p]!]!
        const x = system.explain(o, eidOf[other]!)
        const contributions = x.heads.length > 0 ? x.heads.map((h) => h.contribution) : null
        let weakest = -1
        let weakestScore = Infinity
        for (let i = 0; i < system.memberCount(o); i++) {
          const s = system.scoreAt(o, i)
          if (s < weakestScore) {
            weakestScore = s
            weakest = system.memberAt(o, i)
          }
        }
        const rival = weakest === -1 ? null : system.explain(o, weakest)
        const rivalContributions = rival !== null && rival.heads.length > 0 ? rival.heads.map((h) => h.contribution) : null
        let category: string
        if (x.member) category = 'entered too late'
        else if (x.rule !== null) category = x.rule
        else if (x.rank !== null && x.rank < x.budget) category = 'in top-K, held out by hysteresis'
        else if (x.rank !== null) category = 'ranked outside the budget'
        else category = 'not scored'
        return { category, contributions, rivalContributions }
      },
      dispose() {
        system.dispose()
        deleteWorld(world)
      },
    }
  }
}

/** Gives entity `eid` (recording index `i`) the components of its declared traits. */
function declareTraits(w: World, C: AttentionComponents, rec: Recording, i: number, eid: number, eidOf: Int32Array): void {
  const d = rec.declared!
  const weight = d.salience?.[i] ?? 0
  const nimbus = d.nimbus?.[i] ?? 0
  if (weight > 0 || nimbus > 0) addSalience(w, C, eid, Math.min(1, weight), nimbus)
  const team = d.team?.[i] ?? 0
  if (team !== 0) {
    addComponent(w, eid, C.Team)
    C.Team.id[eid] = team
  }
  if (d.teamOnly?.[i] === 1) addComponent(w, eid, C.TeamOnly)
  const owner = d.owner?.[i] ?? -1
  if (owner >= 0) {
    C.Owner.eid[eid] = eidOf[owner]!
    addComponent(w, eid, C.Owner)
  }
  if (d.hidden?.[i] === 1) addComponent(w, eid, C.Hidden)
}
