import { addComponent, hasComponent, removeComponent, type World } from 'bitecs'
import type { AttentionComponents } from '../../src/index'

// The deny-rule edits the random scenarios of the sync tests make, as a game makes them: components
// added and removed, a team id written in place.

/** Hides `e`, or shows it again when it is hidden. */
export function toggleHidden(world: World, C: AttentionComponents, e: number): void {
  if (hasComponent(world, e, C.Hidden)) removeComponent(world, e, C.Hidden)
  else addComponent(world, e, C.Hidden)
}

/** Puts `e` in `team` (0: no Team component), visible to that team only when `only`. */
export function setTeam(world: World, C: AttentionComponents, e: number, team: number, only: boolean): void {
  if (team === 0) removeComponent(world, e, C.Team)
  else {
    addComponent(world, e, C.Team)
    C.Team.id[e] = team
  }
  if (only) addComponent(world, e, C.TeamOnly)
  else removeComponent(world, e, C.TeamOnly)
}
