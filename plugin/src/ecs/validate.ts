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
  // undefined and null are their own description ("got undefined", never "(a undefined)")
  return typeof value === 'number' || value === undefined || value === null ? '' : ` (a ${typeof value})`
}

/** What was given, with its kind: `"x" (a string)`, `5 (a number)`, `null`, `undefined`, `an array`, `a Float64Array`, `a function`, `an object`. */
export function describeGiven(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object' && value !== null) return 'an object'
  return value === null || value === undefined ? String(value) : `${describeValue(value)} (a ${typeof value})`
}

/**
 * Throws a TypeError naming option `name` unless `value` is of `kind`: `colyseus-attention: lockstep
 * must be true or false; got "yes" (a string)`.
 */
export function checkKind(name: string, value: unknown, kind: 'boolean' | 'function'): void {
  if (typeof value === kind) return
  const what = kind === 'boolean' ? 'true or false' : 'a function'
  throw new TypeError(`colyseus-attention: ${name} must be ${what}; got ${describeGiven(value)}`)
}

/**
 * Throws a TypeError unless `value` is an object (not null, an array or a function).
 * @param fn - who takes it, for the message: `addObserver`, `use(system, options)`.
 * @param value - `fn`'s options object, or the value of its option `option`.
 * @param option - the option that holds `value` (`hysteresis`); undefined for the options object itself.
 * @param what - what the option takes, for the message. @defaultValue 'an object'
 */
export function checkObject(fn: string, value: unknown, option?: string, what = 'an object'): asserts value is object {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return
  const subject = option === undefined ? `${fn} takes an options object` : `${fn} option ${option} takes ${what}`
  throw new TypeError(`colyseus-attention: ${subject}; got ${describeGiven(value)}`)
}

/**
 * Throws a RangeError naming the first key of `given` that is not in `known` (a misspelt option
 * would otherwise be ignored without a word), the known key it is likely a misspelling of, and
 * every known key: `<fn> has no option "radus" (did you mean radius?); its options are ...`, or for
 * a nested object `<fn> option hysteresis has no key "enterScor" (did you mean enterScore?); its keys are ...`.
 * @param fn - who takes the options, for the message: `addObserver`, `createAttentionSystem`.
 * @param given - the options object, or the value of option `option`.
 * @param known - every key `given` may have, in the order the message lists them.
 * @param option - the option that holds `given` (`hysteresis`); undefined for the options object itself.
 * @param noun - what a key of `given` is called in the message. @defaultValue 'option' for the
 *   options object itself, 'key' for an option's value
 */
export function checkKeys(fn: string, given: object, known: readonly string[], option?: string, noun?: string): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue
    const near = nearestKey(key, known)
    const subject = option === undefined ? fn : `${fn} option ${option}`
    noun ??= option === undefined ? 'option' : 'key'
    const hint = near === undefined ? '' : ` (did you mean ${near}?)`
    throw new RangeError(`colyseus-attention: ${subject} has no ${noun} ${JSON.stringify(key)}${hint}; its ${noun}s are ${known.join(', ')}`)
  }
}

/**
 * The known key `key` is likely a misspelling of: the one equal but for case, else the closest
 * within 2 edits (1 for a key under 4 characters, where 2 edits reach almost any short key), the
 * first listed on a tie; undefined when none is that close.
 */
function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  const sameButCase = known.find((k) => k.toLowerCase() === lower)
  if (sameButCase !== undefined) return sameButCase
  let best: string | undefined
  let bestDistance = key.length >= 4 ? 3 : 2
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase())
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance (insertions, deletions, substitutions) between `a` and `b`, one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}

/**
 * `defaults` with each key of `given` that is not undefined over it (an option object's nested
 * keys, like its top-level ones, take the default when undefined). A new object.
 */
export function definedOver<T extends object>(defaults: Readonly<T>, given: object | null | undefined): T {
  const out = { ...defaults }
  if (given === null || given === undefined) return out
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
