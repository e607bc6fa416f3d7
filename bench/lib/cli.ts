import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Root of the repository (bench/ sits at its top level). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Where benchmark runs leave their JSON results (git-ignored). */
export const RESULTS_DIR = resolve(REPO_ROOT, '.bench-results')

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const arg = process.argv[1]
  return arg !== undefined && metaUrl === pathToFileURL(resolve(arg)).href
}

/** True when `--<name>` is on the command line. */
export function hasFlag(name: string, argv: readonly string[] = process.argv.slice(2)): boolean {
  return argv.includes(`--${name}`)
}

/** Value of `--name=value` or `--name value`, else undefined. */
export function flagValue(name: string, argv: readonly string[] = process.argv.slice(2)): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3)
    if (a === `--${name}`) return argv[i + 1]
  }
  return undefined
}

/**
 * Throws unless every argument is a known flag: `--name` for a switch, `--name value` or
 * `--name=value` for a flag that takes a value. A misspelt flag is an error, not silently ignored.
 * @param command - how the error names the command, e.g. `npm run train`.
 * @param valued - names of the flags that take a value (without `--`).
 * @param switches - names of the flags that do not.
 */
export function checkFlags(command: string, valued: readonly string[], switches: readonly string[], argv: readonly string[] = process.argv.slice(2)): void {
  const known = (): string => [...valued.map((f) => `--${f} <value>`), ...switches.map((f) => `--${f}`)].join(', ')
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const m = /^--([^=]+)(=.*)?$/.exec(a)
    const name = m?.[1]
    if (name !== undefined && valued.includes(name)) {
      if (m![2] !== undefined) continue
      const v = argv[i + 1]
      if (v === undefined || v.startsWith('--')) throw new RangeError(`${command}: --${name} needs a value`)
      i++
    } else if (name === undefined || !switches.includes(name) || m![2] !== undefined) {
      const what = name === undefined ? `argument ${a}` : switches.includes(name) ? `value in ${a} (--${name} takes none)` : `flag ${a}`
      throw new RangeError(`${command}: unknown ${what}; known flags: ${known()}`)
    }
  }
}

/**
 * Reads a command's flags before it starts anything: with `--help` (or `-h`) prints `usage` and
 * exits 0; an unknown flag, or a flag without its value (see {@link checkFlags}), stops the command
 * with the reason and exit code 2, so a typo cannot start a long run with the defaults.
 * @param command - how messages name the command, e.g. `npm run soak`.
 * @param usage - what `--help` prints: every flag with its default.
 * @param valued - names of the flags that take a value (without `--`).
 * @param switches - names of the flags that do not.
 */
export function acceptFlags(command: string, usage: string, valued: readonly string[], switches: readonly string[], argv: readonly string[] = process.argv.slice(2)): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage)
    process.exit(0)
  }
  try {
    checkFlags(command, valued, switches, argv)
  } catch (e) {
    stopWith(`${e instanceof Error ? e.message : String(e)} (\`${command} -- --help\` prints the usage)`)
  }
}

/**
 * The value of a numeric flag, or undefined when it is absent. A value that is not an integer (or,
 * with `integer` false, a finite number) in [min, max] stops the command with the reason (exit code 2).
 */
export function numberFlag(command: string, name: string, min: number, max: number, integer = true, argv: readonly string[] = process.argv.slice(2)): number | undefined {
  const raw = flagValue(name, argv)
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    stopWith(`${command}: --${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]; got ${raw}`)
  }
  return n
}

/**
 * The value of a flag holding a comma-separated list of integers, or undefined when it is absent. A
 * list with an entry that is not an integer in [min, max] stops the command with the reason (exit code 2).
 */
export function integerListFlag(command: string, name: string, min: number, max: number, argv: readonly string[] = process.argv.slice(2)): number[] | undefined {
  const raw = flagValue(name, argv)
  if (raw === undefined) return undefined
  const list = raw.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)))
  if (!list.every((n) => Number.isInteger(n) && n >= min && n <= max)) stopWith(`${command}: --${name} must be a comma-separated list of integers in [${min}, ${max}]; got ${raw}`)
  return list
}

/** Positional argument `i` of `process.argv`: a whole number of at least 1, or `fallback` when absent; else a usage error. */
export function positionalInteger(i: number, fallback: number, name: string): number {
  const raw = process.argv[i]
  if (raw === undefined) return fallback
  const v = Number(raw)
  if (!Number.isInteger(v) || v < 1) stopWith(`${name} must be a whole number of at least 1; got ${JSON.stringify(raw)}`)
  return v
}

/** Stops the command with a usage error (exit code 2). */
export function stopWith(message: string): never {
  console.error(message)
  process.exit(2)
}

/** Writes `data` as pretty JSON to `.bench-results/<name>.json` and returns the path. */
export function writeResult(name: string, data: unknown, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true })
  const path = resolve(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2))
  return path
}
