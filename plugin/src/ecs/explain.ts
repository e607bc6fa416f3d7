// Owns: `explain`, the account of one (observer, entity) pair. It decides nothing itself: the rule
// comes from rules.ts, the rows, their rules and features from the tick's own broadphase and row
// writer (replayed), the score from the scorer, band and hysteresis state from the stored set.
import type { Band } from './bands'
import { observerFault, observerFaultMessage, type AttentionComponents } from './components'
import { Has } from './entity-tracker'
import { FEATURE_COUNT, HEAD_NAMES, type HeadWeights } from './heads'
import type { InterestSets } from './interest-sets'
import { explainRule, Rule } from './rules'
import type { AttentionScorer, Explanation, HysteresisOptions } from './types'

/** Inputs of {@link explainPair}: the observer's freshly gathered rows and its stored set. */
export interface ExplainInputs {
  c: AttentionComponents
  flags: Uint16Array
  o: number
  e: number
  /** The observer's rows as the tick gathers them: entity, rule ({@link Rule}) and features of each. */
  rows: number[]
  rules: number[]
  features: number[][]
  scorer: AttentionScorer
  weights: HeadWeights
  customScorer: boolean
  hysteresis: HysteresisOptions
  sets: InterestSets
  slot: number
  inRange: boolean
}

/** Builds the explanation of entity `e` for observer `o`. Allocates; debugging only. */
export function explainPair(x: ExplainInputs): Explanation {
  const { c, flags, o, e, sets, slot } = x
  const n = x.rows.length
  const flat = new Float32Array(Math.max(1, n) * FEATURE_COUNT)
  x.features.forEach((f, r) => flat.set(f, r * FEATURE_COUNT))
  const scores = new Float32Array(Math.max(1, n))
  x.scorer.score(flat, n, scores)
  const idx = x.rows.indexOf(e)

  let member = false
  let band: Band | null = null
  let outTicks = 0
  let memberWeight: number | null = null
  if (slot !== -1) {
    sets.weights(slot)
    const base = slot * sets.stride
    for (let i = 0; i < sets.count[slot]!; i++) {
      if (sets.eid[base + i] === e) {
        member = true
        band = sets.band[base + i]! as Band
        outTicks = sets.outTicks[base + i]!
        memberWeight = sets.weight[base + i]!
      }
    }
  }

  // an observer that cannot see: nothing is "out of range", the observer is what is wrong
  const fault = slot === -1 ? -1 : observerFault(c, o)
  const blind =
    slot === -1
      ? `${o} is not an observer (it has no Observer component: addObserver)`
      : (flags[o]! & Has.Position) === 0
        ? `observer ${o} has no Position (it sees nothing)`
        : fault !== -1
          ? `observer ${o} sees nothing: ${observerFaultMessage(c, o, fault).replace('colyseus-attention: ', '')}`
          : null
  let rule: Explanation['rule'] = e === o ? 'self' : blind !== null ? null : explainRule(c, flags, o, e)
  if (rule === null && blind === null && idx === -1) rule = 'out-of-range'

  let score: number | null = null
  let weight: number | null = null
  let rank: number | null = null
  const heads: Explanation['heads'] = []
  if (idx !== -1) {
    const feats = x.features[idx]!
    HEAD_NAMES.forEach((name, h) => {
      const feature = feats[h]!
      const wgt = x.customScorer ? NaN : x.weights[name]
      heads.push({ name, feature, weight: wgt, contribution: feature * wgt })
    })
    score = scores[idx]!
    weight = memberWeight
    // rank among the rows that compete for the budget (rule members don't)
    let better = 0
    for (let r = 0; r < n; r++) {
      const other = x.rows[r]!
      if (x.rules[r] !== Rule.None || r === idx) continue
      if (scores[r]! > score || (scores[r] === score && other < e)) better++
    }
    rank = better
  }
  const budget = c.Observer.budget[o] ?? 0
  const h = x.hysteresis
  const status = member ? 'in' : 'not in'
  const why =
    blind !== null && rule === null
      ? blind
      : rule !== null
        ? `rule: ${rule}`
        : `score ${score === null ? 'none' : score.toFixed(3)}, rank ${rank === null ? 'none' : rank + 1} of ${n} candidates (budget ${budget}, enter >= ${h.enterScore}, exit < ${h.exitScore})`
  return {
    observer: o,
    entity: e,
    member,
    rule,
    heads,
    score,
    weight,
    rank,
    candidates: n,
    budget,
    band,
    hysteresis: { enterScore: h.enterScore, exitScore: h.exitScore, outTicks, minOutTicks: h.minOutTicks, swapMargin: h.swapMargin },
    summary: `entity ${e} is ${status} observer ${o}'s set: ${why}`,
  }
}
