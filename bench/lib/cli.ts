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

/** Writes `data` as pretty JSON to `.bench-results/<name>.json` and returns the path. */
export function writeResult(name: string, data: unknown, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true })
  const path = resolve(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2))
  return path
}
