// A scorer that knows the future, run through the real engine: how much of the gap between the
// heads and the clairvoyant schedule (schedule-bound.ts) is the scorer's, and how much is the
// engine's selection (hysteresis, bands, the plugin's entry budget) that any scorer goes through.
//
//   node --import tsx bench/recall/oracle-scorer.ts [--family hub,battle] [--seeds train|validation|test] [--budgets 1,2,4] [--bonus 20]
//
// Each tick the oracle gives every (player, candidate) row the heads' score plus a bonus:
// - mode `next`: when the pair interacts within the next `lead + 2` ticks (the replay judges an
//   interaction at tick t against the sets of ticks t - lead .. t - 1, and the entry budget can
//   hold an entrant back one patch), the sooner the larger: a perfect "who interacts next"
//   predictor, what a learned scorer is trained to approach;
// - mode `schedule`: when the clairvoyant schedule holds the pair on that tick (from two ticks
//   early): what it still misses beyond the bound is what the engine's selection loses.
// Diagnostic only: it reads the recording's future.
import { DEFAULT_WEIGHTS, type AttentionScorer, type ScorerBatch } from '../../plugin/src/index'
import { FEATURE_COUNT, scoreRow, weightVector } from '../../plugin/src/ecs/heads'
import { flagValue, isMain } from '../lib/cli'
import { FAMILIES } from './families'
import { summarize } from './metrics'
import { attentionPolicy, type AttentionPolicyOptions } from './policies/attention-policy'
import type { PolicyFactory } from './policies/interest-policy'
import type { Recording } from './recording'
import { replay } from './replay'
import { scheduleBound, type Holding } from './schedule-bound'

/**
 * The attention policy at budget K, scored by the heads plus a bonus read from the recording's
 * future (see the header).
 * @param bonus - added to the heads' score (mode `next`: up to twice it, for an interaction on the next tick).
 * @param leadSeconds - the lead time the replay's recall is judged at. @defaultValue 0.5
 * @param options - the attention policy's options (its scorer is replaced).
 * @param mode - `next` or `schedule` (see the header). @defaultValue 'next'
 */
export function oraclePolicy(rec: Recording, budget: number, bonus: number, leadSeconds = 0.5, options: AttentionPolicyOptions = {}, mode: 'next' | 'schedule' = 'next'): PolicyFactory {
  const lead = Math.round(leadSeconds / rec.dt) + 2
  const bonusOf = mode === 'schedule' ? scheduleBonus(rec, budget, leadSeconds, bonus) : nextBonus(rec, lead, bonus)
  let indexOf: Int32Array = new Int32Array(0)
  let now = 0
  const w = weightVector(DEFAULT_WEIGHTS)
  const scorer: AttentionScorer = {
    // explain's path (the replay's miss diagnosis): the heads alone
    score(features, rows, out) {
      for (let r = 0; r < rows; r++) scoreRow(w, features, r * FEATURE_COUNT, out, r)
    },
    scoreBatch(batch: ScorerBatch, out: Float32Array) {
      for (let i = 0; i < batch.observerCount; i++) {
        const o = indexOf[batch.observers[i]!]!
        for (let r = batch.observerStart[i]!; r < batch.observerStart[i + 1]!; r++) {
          scoreRow(w, batch.features, r * FEATURE_COUNT, out, r)
          const e = indexOf[batch.rowEid[r]!]!
          if (o >= 0 && e >= 0) out[r]! += bonusOf(o, e, now)
        }
      }
    },
  }
  const inner = attentionPolicy(budget, {
    ...options,
    engine: { ...options.engine, scorer },
    variant: 'oracle',
    probe: (_eidOf, idx) => {
      indexOf = idx
    },
  })
  return (r) => {
    const policy = inner(r)
    const update = policy.update.bind(policy)
    policy.update = (t) => {
      now = t
      update(t)
    }
    return policy
  }
}

/** Bonus of pair (player o, entity e) at tick t: the schedule's pairs (from two ticks early, for the entry budget) get `bonus`. */
function scheduleBonus(rec: Recording, budget: number, leadSeconds: number, bonus: number): (o: number, e: number, t: number) => number {
  const n = rec.entityCount
  const holdings: Holding[] = []
  scheduleBound(rec, budget, leadSeconds, undefined, holdings)
  // per (player, entity): the stretches the schedule holds it
  const held = new Map<number, Array<[number, number]>>()
  for (const h of holdings) {
    const key = rec.players[h.player]! * n + h.entity
    let list = held.get(key)
    if (list === undefined) held.set(key, (list = []))
    list.push([h.from - 2, h.to])
  }
  return (o, e, t) => {
    const list = held.get(o * n + e)
    if (list !== undefined) for (const [from, to] of list) if (from <= t && t <= to) return bonus
    return 0
  }
}

/**
 * Bonus of pair (o, e) at tick t: when it interacts within the next `lead` ticks, `bonus` times
 * 1 to 2, the sooner the higher (with more upcoming partners than slots, the next ones first).
 */
function nextBonus(rec: Recording, lead: number, bonus: number): (o: number, e: number, t: number) => number {
  const n = rec.entityCount
  // per unordered pair: the ticks it interacts on, ascending
  const ticksOf = new Map<number, number[]>()
  const log = rec.interactions
  for (let i = 0; i < log.count; i++) {
    const a = log.a[i]!
    const b = log.b[i]!
    const key = Math.min(a, b) * n + Math.max(a, b)
    let list = ticksOf.get(key)
    if (list === undefined) ticksOf.set(key, (list = []))
    list.push(log.tick[i]!)
  }
  return (o, e, t) => {
    const list = ticksOf.get(Math.min(o, e) * n + Math.max(o, e))
    if (list === undefined) return 0
    // the first tick after t
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid]! <= t) lo = mid + 1
      else hi = mid
    }
    if (lo === list.length || list[lo]! > t + lead) return 0
    return bonus * (1 + (lead - (list[lo]! - t)) / lead)
  }
}

/** Command line: see the header. */
function main(): void {
  const only = flagValue('family')?.split(',') ?? ['hub', 'battle']
  // validation by default: what guides a choice must not be read off the seeds the result is judged on
  const seedSet = flagValue('seeds') ?? 'validation'
  if (seedSet !== 'train' && seedSet !== 'validation' && seedSet !== 'test') throw new RangeError(`--seeds must be train, validation or test; got ${seedSet}`)
  const budgets = (flagValue('budgets') ?? '1,2,4').split(',').map(Number)
  const bonus = Number(flagValue('bonus') ?? 20)
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  for (const f of FAMILIES) {
    if (!only.includes(f.name)) continue
    for (const seed of seedSet === 'train' ? f.trainSeeds : seedSet === 'validation' ? f.validationSeeds : f.testSeeds) {
      const rec = f.record(seed)
      for (const K of budgets) {
        const b = scheduleBound(rec, K)
        const heads = summarize(replay(rec, attentionPolicy(K)))
        const oracle = summarize(replay(rec, oraclePolicy(rec, K, bonus)))
        const loose = summarize(replay(rec, oraclePolicy(rec, K, bonus, 0.5, { engine: { hysteresis: false } })))
        const sched = summarize(replay(rec, oraclePolicy(rec, K, bonus, 0.5, {}, 'schedule')))
        console.log(
          `${f.name} seed ${seed} K=${K}: misses at 500 ms: heads ${pct(1 - heads.recall500)} (${heads.bytesPerClientPerSec.toFixed(0)} B/s), ` +
            `oracle through the engine ${pct(1 - oracle.recall500)} (${oracle.bytesPerClientPerSec.toFixed(0)} B/s), ` +
            `oracle without hysteresis ${pct(1 - loose.recall500)} (${loose.bytesPerClientPerSec.toFixed(0)} B/s), ` +
            `the schedule through the engine ${pct(1 - sched.recall500)} (${sched.bytesPerClientPerSec.toFixed(0)} B/s), ` +
            `clairvoyant schedule ${pct(1 - b.held / b.interactions)}`,
        )
      }
    }
  }
}

if (isMain(import.meta.url)) main()
