import type { ReplayResult } from './replay'

/**
 * Pools the replays of one policy configuration over several recordings (seeds) into one result:
 * interactions are concatenated; per-client rates, set sizes and coverage are averaged with each
 * replay weighted by its client-seconds; maxima are maxima and violations add up.
 * @param results - replays of the same configuration (at least one).
 */
export function poolResults(results: readonly ReplayResult[]): ReplayResult {
  const first = results[0]
  if (first === undefined) throw new RangeError('poolResults: results must not be empty')
  if (results.length === 1) return first
  let weight = 0
  const avg = { bytes: 0, churn: 0, set: 0, cov: 0, covW: 0, policyMs: 0, encodeMs: 0, bands: [0, 0, 0] as [number, number, number] }
  const cats: Record<string, number> = {}
  let seconds = 0
  let maxSet = 0
  let violations = 0
  let deferred = 0
  for (const r of results) {
    const w = r.seconds * r.clients
    weight += w
    seconds += r.seconds
    avg.bytes += r.bytesPerClientPerSec * w
    avg.churn += r.churnPerClientPerSec * w
    avg.set += r.meanSetSize * w
    if (!Number.isNaN(r.viewportCoverage)) {
      avg.cov += r.viewportCoverage * w
      avg.covW += w
    }
    avg.policyMs += r.policyMsPerTick / results.length
    avg.encodeMs += r.encodeMsPerTick / results.length
    for (let b = 0; b < 3; b++) avg.bands[b]! += r.meanBandCounts[b]! * w
    maxSet = Math.max(maxSet, r.maxSetSize)
    violations += r.entitlementViolations
    deferred += r.entrantsDeferred
    for (const [k, v] of Object.entries(r.missCategories)) cats[k] = (cats[k] ?? 0) + v
  }
  const concat = <T extends Float64Array | Uint8Array>(pick: (r: ReplayResult) => T, make: (n: number) => T): T => {
    const out = make(results.reduce((s, r) => s + pick(r).length, 0))
    let off = 0
    for (const r of results) {
      out.set(pick(r), off)
      off += pick(r).length
    }
    return out
  }
  const meanVec = (pick: (r: ReplayResult) => number[] | null): number[] | null => {
    const vs = results.map(pick).filter((v): v is number[] => v !== null)
    if (vs.length === 0) return null
    return vs[0]!.map((_, h) => vs.reduce((s, v) => s + v[h]!, 0) / vs.length)
  }
  return {
    family: first.family,
    param: first.param,
    label: first.label,
    seconds,
    clients: first.clients,
    leads: concat((r) => r.leads, (n) => new Float64Array(n)),
    detailLeads: concat((r) => r.detailLeads, (n) => new Float64Array(n)),
    kinds: concat((r) => r.kinds, (n) => new Uint8Array(n)),
    otherKinds: concat((r) => r.otherKinds, (n) => new Uint8Array(n)),
    bytesPerClientPerSec: avg.bytes / weight,
    churnPerClientPerSec: avg.churn / weight,
    meanSetSize: avg.set / weight,
    maxSetSize: maxSet,
    setSizeBound: Math.max(...results.map((r) => r.setSizeBound)),
    policyMsPerTick: avg.policyMs,
    encodeMsPerTick: avg.encodeMs,
    missCategories: cats,
    missContributions: meanVec((r) => r.missContributions),
    rivalContributions: meanVec((r) => r.rivalContributions),
    viewportCoverage: avg.covW === 0 ? Number.NaN : avg.cov / avg.covW,
    viewRadius: first.viewRadius,
    meanBandCounts: [avg.bands[0] / weight, avg.bands[1] / weight, avg.bands[2] / weight],
    entitlementViolations: violations,
    entrantsDeferred: deferred,
  }
}
