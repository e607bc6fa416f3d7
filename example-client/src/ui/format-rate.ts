/**
 * Formats a byte rate for humans.
 * @param bps - bytes per second
 * @returns e.g. '812 B/s', '12.4 kB/s'
 */
export function formatRate(bps: number): string {
  if (bps < 1000) return `${Math.round(bps)} B/s`
  if (bps < 1_000_000) return `${(bps / 1000).toFixed(1)} kB/s`
  return `${(bps / 1_000_000).toFixed(2)} MB/s`
}
