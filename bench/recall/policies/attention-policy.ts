import { addComponent, addEntity, createWorld, deleteWorld, removeEntity, type World } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem } from '../../../plugin/src/index'
import type { AttentionOptions } from '../../../plugin/src/index'
import type { Recording } from '../recording'
import type { InterestPolicy, MissDiagnosis, PolicyFactory } from './interest-policy'

/** Settings of the attention policy besides the budget. */
export interface AttentionPolicyOptions {
  /** Observer focus radius. @defaultValue 50 (the engine's default) */
  radius?: number
  /** Engine options besides components and dt (defaults when omitted): for ablations only. */
  engine?: Omit<AttentionOptions, 'components' | 'dt'>
  /** Label suffix naming the variant, e.g. `no hysteresis`. */
  variant?: string
  /** Receives the id maps (recording index to entity id and back; updated in place on respawns), e.g. for a training scorer. */
  probe?: (eidOf: Int32Array, indexOf: Int32Array) => void
}

/**
 * This plugin's attention engine with its default heads, weights and hysteresis: the real
 * `createAttentionSystem` over a bitECS world mirroring the recording. Interactions are recorded
 * into the engine only after the tick they happened in, so it never sees the future.
 * @param budget - the per-client budget K.
 */
export function attentionPolicy(budget: number, options: AttentionPolicyOptions = {}): PolicyFactory {
  const radius = options.radius ?? 50
  return (rec: Recording): InterestPolicy => {
    const n = rec.entityCount
    const np = rec.players.length
    const world = createWorld()
    const C = createAttentionComponents(n + 2)
    const system = createAttentionSystem(world, { ...options.engine, components: C, dt: rec.dt, maxObservers: Math.max(1, np) })
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
    let spawnCursor = 0
    for (let p = 0; p < np; p++) addObserver(world, C, eidOf[rec.players[p]!]!, { radius, budget })
    const P = C.Position
    const V = C.Velocity
    const F = C.Facing
    return {
      family: 'attention',
      param: budget,
      label: `attention${options.variant ? ` (${options.variant})` : ''} K=${budget}${radius === 50 ? '' : ` R=${radius}`}`,
      shared: false,
      // self is the only rule member in this scenario
      maxSetSize: budget + 1,
      update(t) {
        // a respawned projectile is a new entity to the engine (bitECS recycles the id; the engine's generations tell them apart)
        while (spawnCursor < rec.spawns.count && rec.spawns.tick[spawnCursor]! === t) {
          const i = rec.spawns.entity[spawnCursor++]!
          removeEntity(world, eidOf[i]!)
          spawn(world, i)
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
        }
        system(world)
      },
      count: (p) => system.memberCount(eidOf[rec.players[p]!]!),
      member: (p, i) => indexOf[system.memberAt(eidOf[rec.players[p]!]!, i)]!,
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
