import type { MoveAxis } from './move-axis'

/**
 * Sends `move` intents without flooding: at once when the axis changes, then again every `repeatMs`
 * while it is non-zero (so a lost or late message heals), never once per frame.
 */
export class MoveSender {
  private lastDx = 0
  private lastDy = 0
  private lastSentAt = -Infinity

  /**
   * @param send - delivers one `move` message
   * @param repeatMs - resend interval while a direction is held @defaultValue 150
   */
  constructor(
    private readonly send: (axis: MoveAxis) => void,
    private readonly repeatMs = 150,
  ) {}

  /**
   * Offers the current axis; sends when it changed, or when held and `repeatMs` has passed.
   * @param axis - the current intent
   * @param now - current time (ms)
   * @returns true when a message went out
   */
  update(axis: MoveAxis, now: number): boolean {
    const changed = axis.dx !== this.lastDx || axis.dy !== this.lastDy
    const held = axis.dx !== 0 || axis.dy !== 0
    if (!changed && !(held && now - this.lastSentAt >= this.repeatMs)) return false
    this.lastDx = axis.dx
    this.lastDy = axis.dy
    this.lastSentAt = now
    this.send({ dx: axis.dx, dy: axis.dy })
    return true
  }
}
