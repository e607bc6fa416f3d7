/**
 * Throttles `face` messages to at most one per `minIntervalMs` (12.5 per second by default, so
 * `move` + `face` stay well under the example server's flood gate of 30 messages per second),
 * keeping the latest angle so the final direction always goes out (trailing edge, via {@link flush}).
 */
export class FaceThrottle {
  private pending: number | null = null
  private lastSent: number | null = null
  private lastSentAt = -Infinity

  /**
   * @param send - delivers one `face` message
   * @param minIntervalMs - smallest gap between two messages @defaultValue 80
   * @param epsilon - angle change (radians) too small to be worth sending @defaultValue 0.01
   */
  constructor(
    private readonly send: (angle: number) => void,
    private readonly minIntervalMs = 80,
    private readonly epsilon = 0.01,
  ) {}

  /**
   * Records a new facing angle and sends it if the interval allows.
   * @param angle - radians
   * @param now - current time (ms)
   */
  offer(angle: number, now: number): void {
    this.pending = angle
    this.flush(now)
  }

  /**
   * Sends the latest pending angle if the interval has passed; call once per frame.
   * @param now - current time (ms)
   * @returns true when a message went out
   */
  flush(now: number): boolean {
    if (this.pending === null || now - this.lastSentAt < this.minIntervalMs) return false
    const angle = this.pending
    this.pending = null
    if (this.lastSent !== null && Math.abs(angleDelta(this.lastSent, angle)) < this.epsilon) return false
    this.lastSent = angle
    this.lastSentAt = now
    this.send(angle)
    return true
  }
}

/** Signed shortest difference `b - a` between two angles, in (-PI, PI]. */
export function angleDelta(a: number, b: number): number {
  let d = (b - a) % (2 * Math.PI)
  if (d > Math.PI) d -= 2 * Math.PI
  if (d <= -Math.PI) d += 2 * Math.PI
  return d
}
