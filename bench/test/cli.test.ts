import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../lib/cli'

// The long-running commands a newcomer types from the docs: `--help` must print their flags and
// start nothing, and a misspelt flag or a bad value must stop them with the reason, not start a
// 10-minute soak or a full load run with the defaults.

interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `node --import tsx <script> ...args` from the repository root; killed (code null) after `ms`
 * (generous: every run of the file starts at once, on a machine that may be busy).
 */
async function run(script: string, args: readonly string[], env: Record<string, string> = {}, ms = 60_000): Promise<Exit> {
  // a process group of its own: a run that did start (the bug) is killed with its server children
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), ms)
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** Each command and the script it runs. */
const COMMANDS = {
  'npm run soak': 'bench/soak/run.ts',
  'npm run bench:load': 'bench/load/run.ts',
  'npm run bench:cluster': 'bench/cluster/run.ts',
  'npm run bench:recall': 'bench/recall/run.ts',
  'npm run bench:engine': 'plugin/bench/engine.bench.ts',
  'npm run bench:sync': 'plugin/bench/sync.bench.ts',
  'npm run bench': 'bench/run-all.ts',
  'npm run train': 'bench/train/train.ts',
} as const
type Command = keyof typeof COMMANDS

/** A folder for what a command that did start would write. */
const SCRATCH = mkdtempSync(join(tmpdir(), 'cli-test-'))

/** A misspelt flag or a bad value: command, arguments, what it must print to stderr, environment. */
const CASES: readonly (readonly [Command, readonly string[], string, Record<string, string>?])[] = [
  ['npm run soak', ['--client', '5'], 'npm run soak: unknown flag --client; known flags: --minutes <value>'],
  ['npm run soak', ['--seconds', '5', '--drop-rate', '2'], 'npm run soak: --drop-rate must be a number in [0, 1]; got 2'],
  ['npm run bench:load', ['--quikc'], 'npm run bench:load: unknown flag --quikc'],
  ['npm run bench:load', ['--clients', '50,x'], 'npm run bench:load: --clients must be a comma-separated list of integers in [1, 2000]; got 50,x'],
  ['npm run bench:recall', ['--family', 'arena,foo'], 'npm run bench:recall: --family has no family foo'],
  ['npm run bench:recall', ['--seeds-per-family', 'abc'], 'npm run bench:recall: --seeds-per-family must be an integer in [1, 1000]; got abc'],
  ['npm run bench:recall', ['--load', '/tmp/unused.bin', '--seeds', 'train'], "npm run bench:recall: --seeds chooses the built-in families' recordings, and --load replays a recording instead"],
  ['npm run bench:cluster', ['--quick', '--bots', 'abc'], 'npm run bench:cluster: --bots must be an integer in [0, 20000]; got abc'],
  ['npm run bench:engine', ['--quick', '--jsno'], 'npm run bench:engine: unknown flag --jsno; known flags: --threads <value>'],
  ['npm run bench:engine', ['--threads', '2', '--ticks', '0'], 'npm run bench:engine: --ticks must be an integer in [1, 100000]; got 0'],
  ['npm run bench:sync', ['--quick', '--client', '50'], 'npm run bench:sync: unknown flag --client; known flags: --entities <value>'],
  ['npm run bench:sync', ['--quick'], 'npm run bench:sync: POLICIES has no policy atention; the policies are attention, attention-threads', { POLICIES: 'atention,full' }],
  // with --report-only and --docs: where the flags were not checked, only a report in a temporary folder
  ['npm run bench', ['--report-only', '--qiuck', '--docs', SCRATCH], 'npm run bench: unknown flag --qiuck; known flags: --only <value>'],
  ['npm run bench', ['--report-only', '--only', 'engine,snyc', '--docs', SCRATCH], 'npm run bench: --only has no part snyc; the parts are engine, sync, recall, load'],
  ['npm run train', ['--out', '/tmp/unused.onnx', '--epoch', '3'], 'npm run train: unknown flag --epoch; known flags: --out <value>'],
  ['npm run train', ['--out', '/tmp/unused.onnx', '--epochs', '0'], 'npm run train: --epochs must be an integer in [1, 1000]; got 0'],
]

// A run is mostly loading its script (about a second of CPU each): every run of the file starts at
// once, before the first test, and the tests read their outputs.
const helps = new Map<Command, Promise<Exit>>()
/** The output of `<command> -- --help` (`-h` for bench:sync), run once. */
function help(command: Command): Promise<Exit> {
  if (!helps.has(command)) helps.set(command, run(COMMANDS[command], [command === 'npm run bench:sync' ? '-h' : '--help']))
  return helps.get(command)!
}
let caseRuns: Promise<Exit[]>

describe('cli', () => {
  beforeAll(() => {
    for (const command of Object.keys(COMMANDS) as Command[]) void help(command)
    caseRuns = Promise.all(CASES.map(([command, args, , env]) => run(COMMANDS[command], args, env)))
  })
  afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }))

  it('should print the usage on --help and start nothing', async () => {
    const commands = Object.keys(COMMANDS) as Command[]
    const runs = await Promise.all(commands.map(help))
    commands.forEach((command, i) => {
      expect(runs[i]!.code, `${command} -- --help: ${runs[i]!.stderr}`).toBe(0)
      expect(runs[i]!.stdout).toContain(`usage: ${command} -- [flags]`)
    })
  })

  it('should list every soak option docs/soak.md names in the soak --help', async () => {
    const doc = readFileSync(resolve(REPO_ROOT, 'docs/soak.md'), 'utf8')
    const options = doc.slice(doc.indexOf('Options:'), doc.indexOf('\n\n', doc.indexOf('Options:')))
    const flags = [...options.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]!)
    expect(flags.length).toBeGreaterThan(8)
    const r = await help('npm run soak')
    for (const flag of flags) expect(r.stdout).toContain(`  ${flag} `)
  })

  it('should stop on a misspelt flag or a bad value, naming it, before anything starts', async () => {
    const runs = await caseRuns
    for (const [i, [command, args, message]] of CASES.entries()) {
      const r = runs[i]!
      expect(r.code, `${command} -- ${args.join(' ')}: ${r.stdout}`).toBe(2)
      expect(r.stderr).toContain(message)
      // the flags a misspelt one is refused against are those the command reads: its usage explains each
      const known = /known flags: (.*) \(`/.exec(r.stderr)?.[1]
      const usage = (await help(command)).stdout
      for (const flag of known?.split(', ').map((f) => f.split(' ')[0]!) ?? []) expect(usage, `${command} -- --help`).toMatch(new RegExp(`^  ${flag}[ =]`, 'm'))
    }
  })
})
