import type { Recording } from '../recording'

/** The interest-management policies compared by the recall benchmark. */
export type PolicyFamily = 'attention' | 'radius' | 'radius-lod' | 'nearest' | 'full'

/**
 * An interest policy replayed offline over a recording: each tick it computes every player's
 * interest set from the recorded state up to that tick (never later ones).
 */
export interface InterestPolicy {
  readonly family: PolicyFamily
  /** The swept parameter: budget (attention), radius (radius, radius-lod), K (nearest), 0 (full). */
  readonly param: number
  /** Human label, e.g. `radius R=30`. */
  readonly label: string
  /** Every client's set is the same: one shared StateView serves all (as the plugin does). */
  readonly shared: boolean
  /** Largest set a client may get (budget + rule members), or Infinity when unbounded. */
  readonly maxSetSize: number
  /** Computes every player's set for tick `t` (sets of player index p = rec.players[p]). */
  update(t: number): void
  /** Members in player p's set (its own entity included). */
  count(p: number): number
  /** Entity index of member i of player p's set. */
  member(p: number, i: number): number
  /**
   * Optional: band of member i of player p's set (`Band.Low`, `Medium` or `High`), held in the
   * client's view with that band's tags. Policies without it are metered at full detail (High).
   */
  band?(p: number, i: number): number
  /**
   * Optional: at most this many members enter one client's view per patch (the plugin's
   * `entryBudget`); the others wait for a later patch, highest {@link entryPriority} first.
   */
  readonly entryBudget?: number
  /** Optional: entry priority of member i of player p's set (higher enters first). */
  entryPriority?(p: number, i: number): number
  /**
   * Optional: what player p's client actually received over the last second, in bytes per second
   * (told once a second when bytes are measured, as a room's encoder knows it).
   */
  observeBytes?(p: number, bytesPerSecond: number): void
  /** Interactions `from..to-1` of the log happened at tick t: told after the sets of tick t were computed. */
  observeInteractions(t: number, from: number, to: number): void
  /**
   * Optional: why the entity `other` is not (long enough) in player p's set as of the last update;
   * called by the replay on misses. Returns a short category such as `ranked outside budget`.
   */
  diagnose?(p: number, other: number): MissDiagnosis
  dispose(): void
}

/** Creates a policy for a recording. */
export type PolicyFactory = (rec: Recording) => InterestPolicy

/** A policy's sets as flat per-player member lists (shared by the geometric policies). */
export interface MemberLists {
  readonly stride: number
  readonly members: Int32Array
  readonly counts: Int32Array
}

/** Allocates member lists for `players` players over `entities` entities. */
export function createMemberLists(players: number, entities: number): MemberLists {
  return { stride: entities, members: new Int32Array(players * entities), counts: new Int32Array(players) }
}

/** Why a policy missed an interaction (see {@link InterestPolicy.diagnose}). */
export interface MissDiagnosis {
  category: string
  /** Per-head score contributions of the missed entity (attention only), in Feature order. */
  contributions: number[] | null
  /** Same for the weakest scored member of the set at that moment (what kept it out). */
  rivalContributions: number[] | null
}
