import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../lib/cli'

// The long-running commands a newcomer types from the docs: `--help` must print their flags and
// start nothing, and a misspelt flag or a bad value must stop them with the reason, not start a
// 10-minute soak or a full load run with the defaults.

interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node --import tsx <script> ...args` from the repository root; killed (code null) after `ms`. */
async function run(script: string, args: string[], ms = 20_000): Promise<Exit> {
  // a process group of its own: a run that did start (the bug) is killed with its server children
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), ms)
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

const COMMANDS = [
  ['bench/soak/run.ts', 'npm run soak'],
  ['bench/load/run.ts', 'npm run bench:load'],
  ['bench/cluster/run.ts', 'npm run bench:cluster'],
  ['bench/recall/run.ts', 'npm run bench:recall'],
] as const

describe('cli', () => {
  it('should print the usage on --help and start nothing', async () => {
    for (const [script, command] of COMMANDS) {
      const r = await run(script, ['--help'])
      expect(r.code, `${command} -- --help: ${r.stderr}`).toBe(0)
      expect(r.stdout).toContain(`usage: ${command} -- [flags]`)
    }
  })

  it('should list every soak option docs/soak.md names in the soak --help', async () => {
    const doc = readFileSync(resolve(REPO_ROOT, 'docs/soak.md'), 'utf8')
    const options = doc.slice(doc.indexOf('Options:'), doc.indexOf('\n\n', doc.indexOf('Options:')))
    const flags = [...options.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]!)
    expect(flags.length).toBeGreaterThan(8)
    const r = await run('bench/soak/run.ts', ['--help'])
    for (const flag of flags) expect(r.stdout).toContain(`  ${flag} `)
  })

  it('should stop on a misspelt flag or a bad value, naming it, before anything starts', async () => {
    for (const [script, args, message] of [
      ['bench/soak/run.ts', ['--client', '5'], 'npm run soak: unknown flag --client; known flags: --minutes <value>'],
      ['bench/soak/run.ts', ['--seconds', '5', '--drop-rate', '2'], 'npm run soak: --drop-rate must be a number in [0, 1]; got 2'],
      ['bench/load/run.ts', ['--quikc'], 'npm run bench:load: unknown flag --quikc'],
      ['bench/recall/run.ts', ['--family', 'arena,foo'], 'npm run bench:recall: --family has no family foo'],
      ['bench/recall/run.ts', ['--seeds-per-family', 'abc'], 'npm run bench:recall: --seeds-per-family must be an integer in [1, 1000]; got abc'],
      ['bench/cluster/run.ts', ['--quick', '--bots', 'abc'], 'npm run bench:cluster: --bots must be an integer in [0, 20000]; got abc'],
    ] as const) {
      const r = await run(script, [...args])
      expect(r.code, `${script} ${args.join(' ')}: ${r.stdout}`).toBe(2)
      expect(r.stderr).toContain(message)
    }
  })
})
