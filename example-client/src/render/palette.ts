import { Band } from '../world/attention-info'

/** Team fill colours (cycled by team id); team 0 (neutral bots) is grey so band rings stand out. */
const TEAM_COLORS = ['#9aa4b1', '#ff8c42', '#4fa3ff', '#c77dff', '#5ed17a', '#ef476f']

/** Fill colour of a team. */
export function teamColor(team: number): string {
  return TEAM_COLORS[Math.abs(team) % TEAM_COLORS.length]!
}

/** Overlay colour of an attention band: cool for low, hot for high. */
export function bandColor(band: Band): string {
  return band === Band.High ? '#ff3b3b' : band === Band.Medium ? '#ffb020' : '#2ec4b6'
}

/** Short label of a band. */
export function bandName(band: Band): string {
  return band === Band.High ? 'high' : band === Band.Medium ? 'medium' : 'low'
}
