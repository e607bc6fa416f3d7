// Owns: the weight of each row in the listwise loss's normaliser (gradient.ts, `logWeight`): how much
// a negative row counts against the positives when the model ranks it high. Positives always count
// fully. Two reasons, each optional, to count a negative row less:
// - value per byte: a still candidate costs its client `DEFAULT_BYTE_COSTS.still` of what a moving
//   one costs (its full-rate fields do not change), so it counts that much; the loss is then lowest
//   when e^score is proportional to the chance of an interaction per byte;
// - hard negatives: a row outside the heads' top `hardTop` of its group counts `tailWeight`.
import { DEFAULT_BYTE_COSTS, FEATURE_COUNT } from '../../plugin/src/index'
import { INPUT_COLUMNS, INPUT_WIDTH } from '../../plugin/src/learned/index'
import type { Dataset } from './dataset'
import { headPrior } from './model'

/** Which weights {@link createRowWeights} applies. */
export interface RowWeightOptions {
  /** Value per byte (needs the `speed` input column). */
  byteWeights: boolean
  /** Hard negatives: the heads' top this many rows count fully (0: off). */
  hardTop: number
  /** Weight of the other negatives when `hardTop` > 0. */
  tailWeight: number
}

/**
 * Creates the weighting of `d`'s groups.
 * @returns a function of a group (first row, row count) giving its rows' log weights (a buffer
 *   reused on every call), or undefined when every row counts fully.
 */
export function createRowWeights(d: Dataset, o: RowWeightOptions): (start: number, m: number) => Float64Array | undefined {
  const speed = (INPUT_COLUMNS as readonly string[]).indexOf('speed')
  if (o.byteWeights && speed < 0) throw new RangeError('byteWeights needs the speed input column')
  if (o.hardTop > 0 && !(o.tailWeight > 0 && o.tailWeight <= 1)) throw new RangeError(`tailWeight must be in (0, 1]; got ${o.tailWeight}`)
  const logStill = Math.log(DEFAULT_BYTE_COSTS.still)
  const logTail = Math.log(o.tailWeight)
  const prior = headPrior()
  const logWeight = new Float64Array(d.maxRows)
  const headScore = new Float64Array(d.maxRows)
  return (a, m) => {
    const hard = o.hardTop > 0 && m > o.hardTop
    if (!o.byteWeights && !hard) return undefined
    for (let r = 0; r < m; r++) logWeight[r] = o.byteWeights && d.x[(a + r) * INPUT_WIDTH + speed]! === 0 ? logStill : 0
    if (hard) {
      for (let r = 0; r < m; r++) {
        let s = 0
        for (let j = 0; j < FEATURE_COUNT; j++) s += d.x[(a + r) * INPUT_WIDTH + j]! * prior[j]!
        headScore[r] = s
      }
      for (let r = 0; r < m; r++) {
        let above = 0
        for (let j = 0; j < m && above < o.hardTop; j++) if (headScore[j]! > headScore[r]!) above++
        if (above >= o.hardTop) logWeight[r]! += logTail
      }
    }
    for (let r = 0; r < m; r++) if (d.label[a + r] === 1) logWeight[r] = 0
    return logWeight
  }
}

/**
 * Creates the weights of `d`'s positive rows in the loss (gradient.ts, `positiveWeight`): a positive
 * whose pair has not interacted lately (its `recency` column below `NEW_RECENCY`) counts `newWeight`
 * times, the others once. Repeat interactions are the easy ones (the recency head already holds
 * their partner); a new engagement is what a set misses when its partner enters too late.
 * @returns a function of a group (first row, row count) giving its rows' weights (a buffer reused on
 *   every call), or undefined when every positive counts once.
 */
export function createPositiveWeights(d: Dataset, newWeight: number): (start: number, m: number) => Float64Array | undefined {
  if (!(newWeight > 0 && Number.isFinite(newWeight))) throw new RangeError(`newWeight must be a finite number > 0; got ${newWeight}`)
  const recency = (INPUT_COLUMNS as readonly string[]).indexOf('recency')
  const weight = new Float64Array(d.maxRows)
  return (a, m) => {
    if (newWeight === 1) return undefined
    for (let r = 0; r < m; r++) weight[r] = d.x[(a + r) * INPUT_WIDTH + recency]! < NEW_RECENCY ? newWeight : 1
    return weight
  }
}

/** Below this `recency` (two half-lives since the pair's last interaction, or none) a positive is a new engagement. */
export const NEW_RECENCY = 0.25
