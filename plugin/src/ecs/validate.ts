/** How a bad value reads in an error: strings quoted (`"24"`), so a string is never mistaken for the number. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return String(value)
}

/** Throws a RangeError naming the option, its value and the allowed range unless `value` is finite and `min <= value <= max` (or `> min` when exclusiveMin). */
export function checkRange(name: string, value: number, min: number, max: number, exclusiveMin = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max
  if (!ok) throw new RangeError(rangeMessage(name, value, min, max, exclusiveMin))
}

/** "colyseus-attention: `name` must be a finite number in (min, max]; got `value`": what {@link checkRange} throws. */
export function rangeMessage(name: string, value: unknown, min: number, max: number, exclusiveMin = false): string {
  const lo = exclusiveMin ? `(${min}` : `[${min}`
  const hi = max === Infinity ? 'Infinity)' : `${max}]`
  return `colyseus-attention: ${name} must be a finite number in ${lo}, ${hi}; got ${describeValue(value)}${typeNote(value)}`
}

/** Throws a RangeError unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new RangeError(integerMessage(name, value, min, max))
}

/** What {@link checkInteger} throws. */
export function integerMessage(name: string, value: unknown, min: number, max: number): string {
  return `colyseus-attention: ${name} must be an integer in [${min}, ${max}]; got ${describeValue(value)}${typeNote(value)}`
}

/** " (a string)" and the like when the value is not a number at all. */
function typeNote(value: unknown): string {
  return typeof value === 'number' ? '' : ` (a ${value === null ? 'null' : typeof value})`
}
