import type { Recording } from './recording'

/**
 * Who may see what, from a recording's declared traits, with the engine's rules: a hidden entity
 * is seen only by its owner; a team-only entity only by players of its team (team 0 is no team)
 * and by its owner. Without declared traits everyone may see everything.
 */
export interface Entitlement {
  /** True when some entity is hidden or team-only (sets may then differ per player). */
  readonly restricted: boolean
  /** True when player entity `player` may not see entity `e`. */
  denied(player: number, e: number): boolean
}

/**
 * Builds the entitlement rules of a recording (mirrors `isDenied` in plugin/src/ecs/features.ts).
 * @param rec - the recording; its `declared` traits are optional.
 */
export function createEntitlement(rec: Recording): Entitlement {
  const d = rec.declared
  const hidden = d?.hidden
  const teamOnly = d?.teamOnly
  const team = d?.team
  const owner = d?.owner
  let restricted = false
  for (let e = 0; e < rec.entityCount; e++) {
    if (hidden?.[e] === 1 || teamOnly?.[e] === 1) {
      restricted = true
      break
    }
  }
  if (!restricted) return { restricted, denied: () => false }
  return {
    restricted,
    denied(player, e) {
      const isHidden = hidden?.[e] === 1
      if (!isHidden && teamOnly?.[e] !== 1) return false
      if (owner !== undefined && owner[e] === player) return false
      if (isHidden) return true
      const t = team?.[e] ?? 0
      return !(t !== 0 && team?.[player] === t)
    },
  }
}
