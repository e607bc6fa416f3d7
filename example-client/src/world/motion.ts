import { angleDelta } from '../input/face-throttle'

/** A position and heading at one instant. */
export interface Pose {
  x: number
  y: number
  angle: number
}

/** Shortest interval assumed between two samples (ms): about one patch. */
const MIN_INTERVAL = 30
/** Longest interval (ms): past this an entity is treated as having stopped, not as slow. */
const MAX_INTERVAL = 600
/** Jumps longer than this (world units) snap instead of sliding across the map. */
const SNAP_DISTANCE = 40

/**
 * Smooth motion between patches for one entity. Each new sample starts a glide from the pose shown
 * at that moment to the sample, lasting about the interval between the last two samples, so motion
 * stays continuous whether the entity updates every patch (high band) or every few (low band).
 */
export class Motion {
  private fromX = 0
  private fromY = 0
  private fromA = 0
  private toX = 0
  private toY = 0
  private toA = 0
  private startAt = 0
  private duration = MIN_INTERVAL
  private lastSampleAt = -Infinity
  private hasSample = false

  /**
   * Records a server sample.
   * @param x - world x
   * @param y - world y
   * @param angle - heading (radians), or NaN when unknown (keeps the previous heading)
   * @param now - arrival time (ms)
   */
  push(x: number, y: number, angle: number, now: number): void {
    const a = Number.isNaN(angle) ? (this.hasSample ? this.toA : 0) : angle
    if (!this.hasSample) {
      this.fromX = this.toX = x
      this.fromY = this.toY = y
      this.fromA = this.toA = a
      this.startAt = now
      this.lastSampleAt = now
      this.hasSample = true
      return
    }
    if (x === this.toX && y === this.toY && a === this.toA) return
    const current = this.at(now)
    const far = Math.hypot(x - current.x, y - current.y) > SNAP_DISTANCE
    this.fromX = far ? x : current.x
    this.fromY = far ? y : current.y
    this.fromA = current.angle
    this.toX = x
    this.toY = y
    this.toA = a
    this.duration = Math.min(MAX_INTERVAL, Math.max(MIN_INTERVAL, now - this.lastSampleAt))
    this.startAt = now
    this.lastSampleAt = now
  }

  /** True once at least one sample arrived. */
  get ready(): boolean {
    return this.hasSample
  }

  /**
   * The pose to draw at `now`.
   * @param now - current time (ms)
   * @returns the interpolated pose (the latest sample once the glide is over)
   */
  at(now: number): Pose {
    const t = Math.min(1, Math.max(0, (now - this.startAt) / this.duration))
    return {
      x: this.fromX + (this.toX - this.fromX) * t,
      y: this.fromY + (this.toY - this.fromY) * t,
      angle: this.fromA + angleDelta(this.fromA, this.toA) * t,
    }
  }
}
