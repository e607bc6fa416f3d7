import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { resolve } from 'node:path'
import { REPO_ROOT } from './cli'

/** The machine and software a benchmark ran on. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  /** Installed versions of the packages the numbers depend on. */
  packages: Record<string, string>
  /** Git commit of the tree (with `-dirty` when it had uncommitted changes), or `unknown`. */
  commit: string
  date: string
}

/** Packages whose versions the report lists. */
export const REPORTED_PACKAGES = [
  '@colyseus/core',
  '@colyseus/schema',
  '@colyseus/sdk',
  '@colyseus/ws-transport',
  'bitecs',
  'tsx',
  'vitest',
] as const

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
    if (line) return line.split(':')[1]!.trim()
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return os.cpus()[0]?.model ?? 'unknown'
}

function packageVersion(name: string): string {
  const path = resolve(REPO_ROOT, 'node_modules', name, 'package.json')
  if (!existsSync(path)) return 'not installed'
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${head}-dirty` : head
  } catch {
    return 'unknown'
  }
}

/** Collects CPU model (from /proc/cpuinfo), cores, memory, OS, Node and package versions, git commit. */
export function machineInfo(): MachineInfo {
  const plugin = JSON.parse(readFileSync(resolve(REPO_ROOT, 'plugin/package.json'), 'utf8')) as { version: string }
  const packages: Record<string, string> = { 'colyseus-attention': plugin.version }
  for (const p of REPORTED_PACKAGES) packages[p] = packageVersion(p)
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages,
    commit: gitCommit(),
    date: new Date().toISOString().slice(0, 10),
  }
}
