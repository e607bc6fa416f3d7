import type { AttentionMessage } from '../net/synced-types'

/** Attention band of a member, as the server numbers them. */
export const Band = { Low: 0, Medium: 1, High: 2 } as const
/** One of {@link Band}'s values. */
export type Band = (typeof Band)[keyof typeof Band]

/** Weight and band of one interest-set member. */
export interface MemberAttention {
  weight: number
  band: Band
}

/** The latest attention snapshot, indexed by entity key for drawing. */
export class AttentionInfo {
  /** Key of this client's avatar ('' until the first message). */
  self = ''
  radius = 0
  fov = 0
  budget = 0
  /** The observer's byte budget (bytes per second), 0 when it has none. */
  byteBudget = 0
  /** What the full state would cost this client (bytes per second), from the last message; NaN when it did not say. */
  fullBps = Number.NaN
  /** Whether the server runs in debug mode (it then answers `/debug/*`). */
  debug = false
  /** Time (ms) the last message arrived, or -1. */
  receivedAt = -1
  private members = new Map<string, MemberAttention>()

  /**
   * Replaces the snapshot with a new message.
   * @param msg - the `attention` message
   * @param now - arrival time (ms)
   */
  apply(msg: AttentionMessage, now: number): void {
    this.self = msg.self
    this.radius = msg.radius
    this.fov = msg.fov
    this.budget = msg.budget
    this.byteBudget = msg.byteBudget ?? 0
    this.fullBps = msg.fullBps ?? Number.NaN
    this.debug = msg.debug === true
    this.receivedAt = now
    const next = new Map<string, MemberAttention>()
    for (const [key, weight, band] of msg.members) next.set(key, { weight, band: toBand(band) })
    this.members = next
  }

  /** The member's weight and band, or undefined when it is not in the last snapshot. */
  get(key: string): MemberAttention | undefined {
    return this.members.get(key)
  }

  /** Members in the last snapshot (self and rule members included). */
  get size(): number {
    return this.members.size
  }

  /** Largest weight in the snapshot (1 when empty), to normalise tints. */
  maxWeight(): number {
    let max = 0
    for (const m of this.members.values()) if (m.weight > max) max = m.weight
    return max > 0 ? max : 1
  }
}

function toBand(n: number): Band {
  return n >= 2 ? Band.High : n >= 1 ? Band.Medium : Band.Low
}
