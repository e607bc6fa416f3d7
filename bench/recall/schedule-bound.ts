// What a clairvoyant K-slot policy could hold: how many of a recording's interactions a schedule
// that knows every future interaction, and has K slots per player, can have in the player's set for
// the whole lead time before each one (the recall benchmark's "held 500 ms ahead"). No byte cost, no
// hysteresis, no entry budget: a bound on what ranking alone can reach at a count budget, against
// which a scorer's misses (and a target such as "0.7x the heads'") can be read.
//
//   node --import tsx bench/recall/schedule-bound.ts [--family battle,hub] [--seeds train|validation|test] [--budgets 1,2,4,8] [--lead 0.5]
//
// Each interaction a player is a party of needs its other party held over the ticks
// [t - lead, t - 1] (the sets sent before tick t, as the replay scores them). The schedule takes the
// interactions in time order and keeps one if a slot already holds that entity, else if a slot is
// free by the time the holding must start. Every holding is equally long, so with every
// interaction's entity distinct this greedy order is optimal (interval scheduling on K machines;
// which free slot it takes does not matter); repeated entities can make it keep less than the
// optimum (which entity a slot gives up matters then), so its misses are an upper bound on a
// clairvoyant policy's. bench/test/schedule-bound.test.ts checks both against a brute force.
import { isMain, flagValue } from '../lib/cli'
import { FAMILIES } from './families'
import { summarize } from './metrics'
import { attentionPolicy } from './policies/attention-policy'
import { Kind, type Recording } from './recording'
import { replay, WARMUP_SECONDS } from './replay'

/** What the bound reads of a recording. */
export type BoundInput = Pick<Recording, 'dt' | 'entityCount' | 'players' | 'kind' | 'interactions'>

/** The bound on one recording at one budget. */
export interface ScheduleBound {
  /** Interactions counted (one per player party, after the warm-up), as the replay counts them. */
  interactions: number
  /** Of those, how many the schedule holds for the whole lead time. */
  held: number
}

/** One stretch of ticks over which the schedule holds `entity` in player `player`'s set (recording indices, ticks inclusive). */
export interface Holding {
  player: number
  entity: number
  from: number
  to: number
}

/**
 * The clairvoyant K-slot schedule's count of interactions held `leadSeconds` ahead (see the header).
 * @param rec - the recording.
 * @param budget - slots per player (K).
 * @param leadSeconds - how long before an interaction its party must be held. @defaultValue 0.5
 * @param warmupSeconds - interactions before this are not counted. @defaultValue the replay's {@link WARMUP_SECONDS}
 * @param holdings - when given, receives what the schedule holds, one entry per slot and stretch.
 */
export function scheduleBound(rec: BoundInput, budget: number, leadSeconds = 0.5, warmupSeconds = WARMUP_SECONDS, holdings?: Holding[]): ScheduleBound {
  if (!(Number.isInteger(budget) && budget >= 1)) throw new RangeError(`scheduleBound: budget must be an integer >= 1; got ${budget}`)
  const lead = Math.round(leadSeconds / rec.dt)
  const warm = Math.round(warmupSeconds / rec.dt)
  const np = rec.players.length
  const playerOf = new Int32Array(rec.entityCount).fill(-1)
  for (let p = 0; p < np; p++) playerOf[rec.players[p]!] = p
  // per player, per slot: the entity held and the last tick it must stay held
  const ent = new Int32Array(np * budget).fill(-1)
  const until = new Float64Array(np * budget).fill(-Infinity)
  // per slot: its current holding in `holdings` (when asked for)
  const current = new Int32Array(np * budget).fill(-1)
  let interactions = 0
  let held = 0
  const take = (p: number, t: number, e: number): void => {
    interactions++
    const base = p * budget
    const start = t - lead
    // a slot that holds e already, without a gap, keeps holding it
    for (let k = base; k < base + budget; k++) {
      if (ent[k] === e && until[k]! >= start - 1) {
        if (t - 1 > until[k]!) until[k] = t - 1
        if (holdings !== undefined) holdings[current[k]!]!.to = until[k]!
        held++
        return
      }
    }
    let free = -1
    for (let k = base; k < base + budget && free === -1; k++) if (until[k]! < start) free = k
    if (free === -1) return
    ent[free] = e
    until[free] = t - 1
    if (holdings !== undefined) {
      current[free] = holdings.length
      holdings.push({ player: p, entity: e, from: start, to: t - 1 })
    }
    held++
  }
  const log = rec.interactions
  for (let i = 0; i < log.count; i++) {
    const t = log.tick[i]!
    if (t < warm) continue
    const a = log.a[i]!
    const b = log.b[i]!
    if (rec.kind[b] === Kind.Player) take(playerOf[b]!, t, a)
    if (rec.kind[a] === Kind.Player) take(playerOf[a]!, t, b)
  }
  return { interactions, held }
}

/** Command line: see the header. */
function main(): void {
  const only = flagValue('family')?.split(',')
  // validation by default: what guides a choice must not be read off the seeds the result is judged on
  const seedSet = flagValue('seeds') ?? 'validation'
  if (seedSet !== 'train' && seedSet !== 'validation' && seedSet !== 'test') throw new RangeError(`--seeds must be train, validation or test; got ${seedSet}`)
  const budgets = (flagValue('budgets') ?? '1,2,4,8').split(',').map(Number)
  const lead = Number(flagValue('lead') ?? 0.5)
  // the replay reports recall at these two lead times
  if (lead !== 0.5 && lead !== 0.2) throw new RangeError(`--lead must be 0.5 or 0.2 (the replay's recall500 and recall200); got ${flagValue('lead')}`)
  if (!budgets.every((k) => Number.isInteger(k) && k >= 1)) throw new RangeError(`--budgets must be integers >= 1; got ${flagValue('budgets')}`)
  for (const f of FAMILIES) {
    if (only !== undefined && !only.includes(f.name)) continue
    for (const seed of seedSet === 'train' ? f.trainSeeds : seedSet === 'validation' ? f.validationSeeds : f.testSeeds) {
      const rec = f.record(seed)
      for (const K of budgets) {
        const b = scheduleBound(rec, K, lead)
        const heads = summarize(replay(rec, attentionPolicy(K), { measureBytes: false }))
        const miss = (1 - b.held / b.interactions) * 100
        const headsMiss = (1 - (lead === 0.5 ? heads.recall500 : heads.recall200)) * 100
        console.log(`${f.name} seed ${seed} K=${K}: ${b.interactions} interactions; clairvoyant schedule misses ${miss.toFixed(1)}%, the heads ${headsMiss.toFixed(1)}% (held ${lead} s ahead)`)
      }
    }
  }
}

if (isMain(import.meta.url)) main()
