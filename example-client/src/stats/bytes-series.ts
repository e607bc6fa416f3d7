/**
 * The last minute of traffic, one sample per second: the bytes per second this client received, and
 * what the full state would have cost it (the server's figure from the `attention` message, NaN when
 * the server sends none, e.g. without the plugin). Samples live in fixed rings; the oldest drops out.
 */
export class BytesSeries {
  /** Received bytes per second, oldest first from {@link start}. */
  readonly you: Float64Array
  /** Full-state bytes per second (NaN: unknown for that second). */
  readonly full: Float64Array
  private head = 0
  private filled = 0
  private lastAt = Number.NaN
  private lastTotal = 0
  private fullSum = 0
  private fullN = 0

  /**
   * @param capacity - samples kept @defaultValue 60
   * @param periodMs - time between samples (ms) @defaultValue 1000
   */
  constructor(
    readonly capacity = 60,
    private readonly periodMs = 1000,
  ) {
    this.you = new Float64Array(capacity)
    this.full = new Float64Array(capacity)
  }

  /** Notes a full-state rate reported by the server (bytes per second). */
  noteFull(bps: number): void {
    this.fullSum += bps
    this.fullN++
  }

  /**
   * Takes a sample once a period has passed since the previous one.
   * @param now - current time (ms)
   * @param totalBytes - bytes received since the page joined
   * @returns true when a sample was added
   */
  tick(now: number, totalBytes: number): boolean {
    if (Number.isNaN(this.lastAt)) {
      this.lastAt = now
      this.lastTotal = totalBytes
      this.fullSum = 0
      this.fullN = 0
      return false
    }
    const ms = now - this.lastAt
    if (ms < this.periodMs) return false
    const i = (this.head + this.filled) % this.capacity
    this.you[i] = ((totalBytes - this.lastTotal) * 1000) / ms
    this.full[i] = this.fullN > 0 ? this.fullSum / this.fullN : Number.NaN
    if (this.filled < this.capacity) this.filled++
    else this.head = (this.head + 1) % this.capacity
    this.lastAt = now
    this.lastTotal = totalBytes
    this.fullSum = 0
    this.fullN = 0
    return true
  }

  /** Samples held (at most {@link capacity}). */
  get length(): number {
    return this.filled
  }

  /** Ring index of the k-th sample, oldest first. */
  start(k: number): number {
    return (this.head + k) % this.capacity
  }

  /** Largest finite value among both series (0 when empty). */
  max(): number {
    let m = 0
    for (let k = 0; k < this.filled; k++) {
      const i = this.start(k)
      const y = this.you[i]!
      const f = this.full[i]!
      if (y > m) m = y
      if (f > m) m = f
    }
    return m
  }
}
