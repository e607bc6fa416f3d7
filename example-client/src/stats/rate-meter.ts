/**
 * A per-second rate over a sliding window (bytes per second, patches per second). Events are kept
 * in a ring and expired lazily, so recording is O(1) amortised.
 */
export class RateMeter {
  private times: number[] = []
  private amounts: number[] = []
  private head = 0
  private sum = 0

  /** @param windowMs - width of the sliding window @defaultValue 1000 */
  constructor(private readonly windowMs = 1000) {}

  /**
   * Records an event.
   * @param amount - how much (bytes, or 1 for a count)
   * @param now - current time (ms)
   */
  record(amount: number, now: number): void {
    this.times.push(now)
    this.amounts.push(amount)
    this.sum += amount
    this.expire(now)
  }

  /**
   * The rate over the window ending at `now`.
   * @param now - current time (ms)
   * @returns amount per second
   */
  perSecond(now: number): number {
    this.expire(now)
    return (this.sum * 1000) / this.windowMs
  }

  private expire(now: number): void {
    const cutoff = now - this.windowMs
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.sum -= this.amounts[this.head]!
      this.head++
    }
    // compact once the dead prefix dominates, so the arrays stay bounded
    if (this.head > 256 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head)
      this.amounts = this.amounts.slice(this.head)
      this.head = 0
    }
    if (this.head === this.times.length) this.sum = 0
  }
}
