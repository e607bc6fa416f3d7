// Owns: `explain`, the account of one (observer, entity) pair. It decides nothing itself: the rule
// comes from rules.ts, the rows, their rules, features and scores from the tick's own broadphase,
// row writer and scoring (replayed by the system), band and hysteresis state from the set readers
// see, the byte price from the system.
import { Band, entryPremium, type ByteCostOptions } from './bands'
import { standsStill } from './byte-budget'
import { observerFault, observerFaultMessage, type AttentionComponents } from './components'
import { Has } from './entity-tracker'
import { HEAD_NAMES, type HeadWeights } from './heads'
import type { InterestSets } from './interest-sets'
import { explainRule, Rule } from './rules'
import type { Explanation, HysteresisOptions } from './types'

/** Inputs of {@link explainPair}: the observer's freshly gathered rows and the set readers see. */
export interface ExplainInputs {
  c: AttentionComponents
  flags: Uint16Array
  o: number
  e: number
  /** The observer's rows as the tick gathers them: entity, rule ({@link Rule}), features and score of each. */
  rows: number[]
  rules: number[]
  features: number[][]
  scores: number[]
  weights: HeadWeights
  customScorer: boolean
  hysteresis: HysteresisOptions
  /** The sets readers see (`memberAt`, `isMember`): with option pipelined, the last hand-over. */
  sets: InterestSets
  slot: number
  /** The observer's byte budget (bytes per second), price (`bytePrice`), measured byte ratio and costs; null without a byte budget. */
  bytes: { budget: number; price: number; scale: number; costs: ByteCostOptions; floored: boolean } | null
}

/** Builds the explanation of entity `e` for observer `o`. Allocates; debugging only. */
export function explainPair(x: ExplainInputs): Explanation {
  const { c, flags, o, e, sets, slot, scores } = x
  const n = x.rows.length
  const idx = x.rows.indexOf(e)

  let member = false
  let band: Band | null = null
  let outTicks = 0
  let memberWeight: number | null = null
  // members the count budget holds (rule members come on top)
  let scoredMembers = 0
  if (slot !== -1) {
    sets.weights(slot)
    const base = slot * sets.stride
    for (let i = 0; i < sets.count[slot]!; i++) {
      if (sets.rule[base + i] === Rule.None) scoredMembers++
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
  // an observer that sees nothing is not in its own set either: the observer is what is wrong
  let rule: Explanation['rule'] = blind !== null ? (member ? explainRule(c, flags, o, e) : null) : e === o ? 'self' : explainRule(c, flags, o, e)
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

  // the byte budget (docs/concepts.md 6b): a candidate the count budget and hysteresis would let in
  // is cut by it when its score is below the price, or when the count budget had room left
  let bytes: Explanation['bytes'] = null
  let bytesWhy = ''
  if (x.bytes !== null && blind === null) {
    const { budget: B, price, scale, costs } = x.bytes
    const at = band ?? Band.Low
    // a non-rule entity standing still is charged a share of Low, and its entry when it is no member yet
    const still = rule === null && at === Band.Low && standsStill(c, flags, e)
    const cost = (at === Band.High ? costs.high : at === Band.Medium ? costs.medium : still ? costs.low * costs.still : costs.low) * scale
    // a NaN score is below any price (it is never bought)
    const belowPrice = score !== null && !(score >= price)
    const cut =
      !member && rule === null && score !== null && rank !== null && (belowPrice || (rank < budget && scoredMembers < budget))
    bytes = { budget: B, price, cost, cut }
    const costText = `${member ? 'costs' : 'would cost'} ${cost.toFixed(1)} B/s${still ? ` standing still${member ? '' : `, and ${(costs.enter * scale).toFixed(1)} B to enter`}` : ''}`
    // a member from before the tick below the price: lingering on its way out, or held by the
    // entry premium (none at the floor); an entrant of this tick was bought at the price the tick
    // started with, which may have risen since
    const premium = x.bytes.floored ? 0 : entryPremium(costs, c.Observer.temperature[o]!)
    let enteredNow = false
    for (let i = 0; i < sets.enteredCount[slot]!; i++) if (sets.entered[slot * sets.stride + i] === e) enteredNow = true
    const held = member && rule === null && belowPrice && !enteredNow
    const heldText = !held
      ? ''
      : outTicks > 0
        ? `: below the price, lingering (${outTicks} of ${h.minOutTicks} ticks out)`
        : premium > 0 && score! >= price - premium
          ? `: below the price, kept by the entry premium (a member stays bought down to ${premium.toFixed(3)} below it)`
          : ''
    bytesWhy = `; byte budget ${B} B/s, price ${price.toFixed(3)}, ${costText}${cut ? `: cut by the byte budget (${belowPrice ? 'score below the price' : 'no bytes left'})` : heldText}`
  }

  const why =
    blind !== null && rule === null
      ? blind
      : rule !== null
        ? `rule: ${rule}`
        : `score ${score === null ? 'none' : score.toFixed(3)}, rank ${rank === null ? 'none' : rank + 1} of ${n} candidates (budget ${budget}, ${x.bytes === null ? `enter >= ${h.enterScore}, exit < ${h.exitScore}` : 'the byte price in place of enter and exit scores'})${bytesWhy}`
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
    // the thresholds in force: none under a byte budget (docs/concepts.md 6b, step 6)
    hysteresis: {
      enterScore: x.bytes === null ? h.enterScore : -Infinity,
      exitScore: x.bytes === null ? h.exitScore : -Infinity,
      outTicks,
      minOutTicks: h.minOutTicks,
      swapMargin: h.swapMargin,
    },
    bytes,
    summary: `entity ${e} is ${status} observer ${o}'s set: ${why}`,
  }
}
