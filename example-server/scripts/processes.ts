import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../src/server'

// Real processes for the cluster demo, tests and benchmark: a redis-server on 127.0.0.1 on a
// free port (no persistence), and example servers started as `tsx src/main.ts` child processes.

const here = dirname(fileURLToPath(import.meta.url))
const serverDir = resolve(here, '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A redis-server started for a test. */
export interface TestRedis {
  port: number
  url: string
  stop(): Promise<void>
  /** Stops it, keeping the port for {@link TestRedis.restart}. */
  kill(): Promise<void>
  restart(): Promise<void>
}

/** Starts redis-server on 127.0.0.1 on a free port, daemonized, with persistence off. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'attention-redis-'))
  const pidfile = join(dir, 'redis.pid')
  const up = async (): Promise<void> => {
    await run('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', pidfile, '--dir', dir])
    for (let i = 0; i < 100; i++) {
      if ((await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], true)).includes('PONG')) return
      await sleep(50)
    }
    throw new Error('redis-server did not start')
  }
  const down = async (): Promise<void> => {
    let pid = 0
    try {
      pid = Number(readFileSync(pidfile, 'utf8').trim())
    } catch {
      return
    }
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      return
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0)
      } catch {
        break
      }
      await sleep(20)
    }
    rmSync(pidfile, { force: true })
  }
  await up()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: down,
    restart: up,
    stop: async () => {
      await down()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function run(cmd: string, args: string[], quiet = false): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (out += d.toString()))
    p.on('error', (e) => (quiet ? ok('') : fail(e)))
    p.on('close', (code) => (code === 0 || quiet ? ok(out) : fail(new Error(`${cmd} exited ${code}: ${out}`))))
  })
}

/** An example server process. */
export interface ServerProcess {
  port: number
  url: string
  child: ChildProcess
  /** Everything it printed so far. */
  output(): string
  /** Resolves when a line matching `re` was printed (or rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<void>
  stop(): Promise<void>
  kill(): void
}

/**
 * Starts `src/main.ts` with `env` on `port` (default: a free one); resolves once it listens (or
 * rejects with its output). `echo` copies its output lines, prefixed, to this process's stdout.
 */
export async function startProcess(env: Record<string, string>, waitListening = true, port?: number, echo?: string): Promise<ServerProcess> {
  port ??= await freePort()
  // one process (tsx as a loader, not its CLI, which would run the server in a child of its own)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const take = (d: Buffer): void => {
    out += d.toString()
    if (echo !== undefined) for (const line of d.toString().split('\n')) if (line !== '') process.stdout.write(`${echo} ${line}\n`)
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const proc: ServerProcess = {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async waitFor(re, ms = 20_000) {
      const until = Date.now() + ms
      while (!re.test(out)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${re} in:\n${out}`)
        if (child.exitCode !== null && !re.test(out)) throw new Error(`process exited (${child.exitCode}) before ${re}:\n${out}`)
        await sleep(25)
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    kill() {
      child.kill('SIGKILL')
    },
  }
  if (waitListening) await proc.waitFor(/arena listening/)
  return proc
}

/** GETs JSON from a server's debug endpoint. */
export async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url)
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`)
  return (await r.json()) as T
}

/** One zone room as `/debug/zones` describes it. */
export interface ZoneInfo {
  roomId: string
  zone: number
  clients: number
  entities: number
  stats: { published: number; publishedBytes: number; received: number; receivedBytes: number; dropped: number; ghosts: number; handedOut: number; handedIn: number; linkUp: boolean; delayMs: number }
  hidden: string[]
  teamOnly: [string, number][]
  tickMs: number[]
}

/** Every zone room of the cluster, with the process hosting it. */
export async function zonesOf(procs: ServerProcess[]): Promise<(ZoneInfo & { proc: ServerProcess })[]> {
  const all: (ZoneInfo & { proc: ServerProcess })[] = []
  for (const p of procs) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue
    const r = await getJson<{ rooms: ZoneInfo[] }>(`${p.url}/debug/zones`)
    for (const z of r.rooms) all.push({ ...z, proc: p })
  }
  return all.sort((a, b) => a.zone - b.zone)
}
