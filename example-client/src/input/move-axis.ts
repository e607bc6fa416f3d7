/** A movement intent: each axis in [-1, 1], +x right, +y down (screen and world share axes). */
export interface MoveAxis {
  dx: number
  dy: number
}

const LEFT = ['KeyA', 'ArrowLeft']
const RIGHT = ['KeyD', 'ArrowRight']
const UP = ['KeyW', 'ArrowUp']
const DOWN = ['KeyS', 'ArrowDown']

/** True for the key codes that steer the avatar (WASD and the arrows). */
export function isMoveKey(code: string): boolean {
  return LEFT.includes(code) || RIGHT.includes(code) || UP.includes(code) || DOWN.includes(code)
}

function anyHeld(held: ReadonlySet<string>, codes: readonly string[]): boolean {
  for (const c of codes) if (held.has(c)) return true
  return false
}

/**
 * Turns the set of held key codes (`KeyboardEvent.code`) into a movement axis. Opposite keys cancel.
 * @param held - codes currently held down
 * @returns the axis, each component -1, 0 or 1
 */
export function axisFromKeys(held: ReadonlySet<string>): MoveAxis {
  const dx = (anyHeld(held, RIGHT) ? 1 : 0) - (anyHeld(held, LEFT) ? 1 : 0)
  const dy = (anyHeld(held, DOWN) ? 1 : 0) - (anyHeld(held, UP) ? 1 : 0)
  return { dx, dy }
}

/**
 * Turns a touch drag (from its start point to the finger) into a movement axis, with a dead zone.
 * @param fromX - where the drag started (px)
 * @param fromY - where the drag started (px)
 * @param toX - where the finger is (px)
 * @param toY - where the finger is (px)
 * @param fullAt - drag length (px) that means full speed; shorter drags scale down
 * @returns the axis, clamped to the unit disc
 */
export function axisFromDrag(fromX: number, fromY: number, toX: number, toY: number, fullAt = 60): MoveAxis {
  const vx = toX - fromX
  const vy = toY - fromY
  const len = Math.hypot(vx, vy)
  if (len < fullAt * 0.15) return { dx: 0, dy: 0 }
  const scale = Math.min(len, fullAt) / fullAt / len
  return { dx: round2(vx * scale), dy: round2(vy * scale) }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100
}
