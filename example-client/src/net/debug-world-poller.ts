import type { WorldSnapshot } from '../world/debug-world'

/**
 * Polls `/debug/world` while the debug layer is on, one request in flight at most. It is created
 * only once the server said it runs in debug mode: with debug off the page makes no `/debug/*`
 * request at all.
 */
export class DebugWorldPoller {
  private inFlight = false
  private lastAt = -Infinity
  private failures = 0

  /**
   * @param url - builds the `/debug/world` URL for the current room and session
   * @param onSnapshot - receives each answer with its arrival time
   * @param clock - time source (ms)
   * @param periodMs - time between requests @defaultValue 200
   */
  constructor(
    private readonly url: () => string,
    private readonly onSnapshot: (s: WorldSnapshot, now: number) => void,
    private readonly clock: () => number,
    private readonly periodMs = 200,
  ) {}

  /**
   * Called every frame while the layer is on: starts a request when one is due.
   * @param now - current time (ms)
   */
  poll(now: number): void {
    // back off after failures (server restarted without debug, room gone): 200 ms, 400 ms, ... 5 s
    const wait = Math.min(5000, this.periodMs * 2 ** this.failures)
    if (this.inFlight || now - this.lastAt < wait) return
    this.inFlight = true
    this.lastAt = now
    void fetch(this.url())
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        // 204: the player just crossed into another zone; the next request asks the new room
        return res.status === 204 ? null : ((await res.json()) as WorldSnapshot)
      })
      .then((s) => {
        this.failures = 0
        if (s !== null) this.onSnapshot(s, this.clock())
      })
      .catch(() => {
        this.failures = Math.min(this.failures + 1, 5)
      })
      .finally(() => {
        this.inFlight = false
      })
  }
}
