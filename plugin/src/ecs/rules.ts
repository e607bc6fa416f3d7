// Owns: the visibility and membership rules, written once. Who may never be in an observer's set
// (hidden, team-only of another team, unless the observer owns it) and who is in regardless of
// score and budget (self, owned, always-relevant). docs/concepts.md section 1 is their
// specification. The row writer's candidate loop (features.ts) keeps an inline copy of isDenied for
// speed; test/ecs/rules.test.ts checks it against this file.
import type { AttentionComponents } from './components'
import { Has } from './entity-tracker'

/** Why a member is in the set regardless of score. */
export const Rule = { None: 0, Self: 1, Owned: 2, Always: 3 } as const

/** An entity other than the observer with none of these flags has no rule: loops test them before calling {@link ruleOf}. */
export const RULE_FLAGS = Has.Owner | Has.AlwaysRelevant
/** An entity with none of these flags is never denied. */
export const DENY_FLAGS = Has.Hidden | Has.TeamOnly

/** Why a rule forces an entity in or out of an observer's set (as `explain` reports it). */
export type RuleName = 'self' | 'owned' | 'always-relevant' | 'hidden' | 'other-team' | 'not-attendable'

/** True when `e` has Owner and `Owner.eid[e]` is `o`. */
export function isOwnedBy(c: AttentionComponents, flags: Uint16Array, o: number, e: number): boolean {
  return (flags[e]! & Has.Owner) !== 0 && c.Owner.eid[e] === o
}

/** True when `o` and `e` both have Team, with the same id. */
export function sameTeam(c: AttentionComponents, flags: Uint16Array, o: number, e: number): boolean {
  return (flags[o]! & Has.Team) !== 0 && (flags[e]! & Has.Team) !== 0 && c.Team.id[e] === c.Team.id[o]
}

/** True when visibility rules keep `e` out of observer `o`'s set (Hidden, or TeamOnly of another team); an owner is never denied. */
export function isDenied(c: AttentionComponents, flags: Uint16Array, o: number, e: number): boolean {
  const fl = flags[e]!
  if ((fl & DENY_FLAGS) === 0) return false
  if (isOwnedBy(c, flags, o, e)) return false
  if ((fl & Has.Hidden) !== 0) return true
  return !sameTeam(c, flags, o, e)
}

/**
 * The rule that keeps `e` in observer `o`'s set regardless of score: self, owned, always-relevant
 * (when not denied), else {@link Rule.None}. Entities without Position are never members: callers
 * check that first.
 * @returns a {@link Rule} value.
 */
export function ruleOf(c: AttentionComponents, flags: Uint16Array, o: number, e: number): number {
  if (e === o) return Rule.Self
  if (isOwnedBy(c, flags, o, e)) return Rule.Owned
  if ((flags[e]! & Has.AlwaysRelevant) !== 0 && !isDenied(c, flags, o, e)) return Rule.Always
  return Rule.None
}

/**
 * Writes the rule of each scored row `rowRule[r]` for `r` in `[start, end)` (the rows of observer
 * `o`, none of them `o` itself nor denied).
 */
export function markRuleRows(c: AttentionComponents, flags: Uint16Array, o: number, rowEid: Uint32Array, rowRule: Uint8Array, start: number, end: number): void {
  // PERFORMANCE.md, "constants in locals" and "the common case inline"
  const flagsOf = flags
  const RULES = RULE_FLAGS
  const NONE = Rule.None
  for (let r = start; r < end; r++) {
    const e = rowEid[r]!
    rowRule[r] = (flagsOf[e]! & RULES) === 0 ? NONE : ruleOf(c, flags, o, e)
  }
}

/**
 * The rule that forces `e` in or out of observer `o`'s set, by name, for `explain`: the same
 * decisions as {@link ruleOf} and {@link isDenied}, plus `not-attendable` for an entity without
 * Position. Null when no rule applies (the score decides).
 */
export function explainRule(c: AttentionComponents, flags: Uint16Array, o: number, e: number): RuleName | null {
  if (e === o) return 'self'
  const fl = e >= 0 && e < c.capacity ? flags[e]! : 0
  if ((fl & Has.Position) === 0) return 'not-attendable'
  const rule = ruleOf(c, flags, o, e)
  if (rule === Rule.Owned) return 'owned'
  if (rule === Rule.Always) return 'always-relevant'
  if (isDenied(c, flags, o, e)) return (fl & Has.Hidden) !== 0 ? 'hidden' : 'other-team'
  return null
}
