import { Band } from '../../../plugin/src/index'
import type { Recording } from '../recording'
import type { InterestPolicy, PolicyFactory } from './interest-policy'
import { radiusPolicy } from './radius-policy'

/**
 * Owns: radius AOI with distance level of detail, the baseline a careful game writes by hand: the
 * same members as radius-policy.ts, each held with a band by its distance (near at full detail, far
 * at the coarse position only). The replay meters the bands like the attention engine's (byte-meter.ts).
 */

/** Band radii of {@link radiusLodPolicy} as fractions of the AOI radius R. */
export interface RadiusLodBands {
  /** Members within `high * R` are {@link Band.High} (every field). */
  readonly high: number
  /** Members within `medium * R` (and beyond `high * R`) are {@link Band.Medium} (+ full-rate motion); the rest out to R are Low. */
  readonly medium: number
}

/**
 * The band radii of the benchmark's radius-lod sweep: High within R/16, Medium within R/8, Low out to
 * R. Chosen on the families' training seeds (never the validation or test seeds) by
 * `node --import tsx bench/recall/radius-lod-search.ts` among R/4, R/8 and R/16 (Medium at twice
 * High), with a rule fixed before it ran; see bench/recall/README.md, "Policies".
 */
export const RADIUS_LOD_BANDS: RadiusLodBands = Object.freeze({ high: 1 / 16, medium: 1 / 8 })

/**
 * Radius AOI with distance level of detail: every entity within `radius` of the player (2D distance)
 * that the player may see (hidden and other-team team-only entities are left out, as in
 * radius-policy.ts), held at High within `bands.high * radius`, Medium within `bands.medium *
 * radius` and Low out to `radius`. The player's own entity (distance 0) is High. No hysteresis and no
 * entry budget, like plain radius AOI.
 * @param radius - the AOI radius R in world units (> 0).
 * @param bands - the band radii as fractions of R (0 <= high <= medium <= 1). @defaultValue {@link RADIUS_LOD_BANDS}
 * @returns the policy factory; its label is `radius-lod R=<radius>`, with the fractions in parentheses when not the defaults.
 */
export function radiusLodPolicy(radius: number, bands: RadiusLodBands = RADIUS_LOD_BANDS): PolicyFactory {
  if (!(radius > 0) || !Number.isFinite(radius)) throw new RangeError(`radiusLodPolicy: radius must be a finite number > 0; got ${radius}`)
  if (!(bands.medium >= 0 && bands.medium <= 1)) throw new RangeError(`radiusLodPolicy: bands.medium must be in [0, 1]; got ${bands.medium}`)
  if (!(bands.high >= 0 && bands.high <= bands.medium)) throw new RangeError(`radiusLodPolicy: bands.high must be in [0, bands.medium = ${bands.medium}]; got ${bands.high}`)
  const custom = bands.high !== RADIUS_LOD_BANDS.high || bands.medium !== RADIUS_LOD_BANDS.medium
  const label = `radius-lod${custom ? ` (High R*${bands.high}, Medium R*${bands.medium})` : ''} R=${radius}`
  const high2 = (bands.high * radius) ** 2
  const medium2 = (bands.medium * radius) ** 2
  const members = radiusPolicy(radius)
  return (rec: Recording): InterestPolicy => {
    // radius AOI's own members (the same entitlement filter); the band follows from the distance
    const inner = members(rec)
    const n = rec.entityCount
    let base = 0
    return {
      ...inner,
      family: 'radius-lod',
      label,
      update(t) {
        base = t * n
        inner.update(t)
      },
      band(p, i) {
        const o = rec.players[p]!
        const e = inner.member(p, i)
        const dx = rec.x[base + e]! - rec.x[base + o]!
        const dy = rec.y[base + e]! - rec.y[base + o]!
        const d2 = dx * dx + dy * dy
        return d2 <= high2 ? Band.High : d2 <= medium2 ? Band.Medium : Band.Low
      },
    }
  }
}
