import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { resolve } from 'node:path'
import { REPO_ROOT } from '../lib/cli'
import type { TickTimings } from './server-entry'

/** The example server as a child process on 127.0.0.1. */
export interface ServerProcess {
  readonly port: number
  readonly pid: number
  /** Every stdout/stderr line so far. */
  readonly output: string[]
  /** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number
  /** Resident set size in bytes, from /proc/<pid>/status. */
  rssBytes(): number
  /** Clears the server's tick timings. */
  resetTimings(): Promise<void>
  /** The server's tick timings since the last reset (from bench/load/server-entry.ts). */
  timings(): Promise<TickTimings>
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>
}

/** Settings passed to the example server through its environment. */
export interface ServerSettings {
  /** Bots simulated by the server. */
  bots: number
  /** Interest management on (the plugin) or off (every client gets the full state). */
  attention: boolean
  /** Extra environment variables. */
  env?: Record<string, string>
  /** Server entry module. @defaultValue {@link SERVER_ENTRY} */
  entry?: string
}

/** Entry point of the example server. */
export const SERVER_ENTRY = resolve(REPO_ROOT, 'example-server/src/main.ts')
/** The instrumenting wrapper the child actually runs (it imports SERVER_ENTRY). */
const WRAPPER = resolve(REPO_ROOT, 'bench/load/server-entry.ts')

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (a !== null && typeof a === 'object' ? ok(a.port) : fail(new Error('no port'))))
    })
  })
}

/** Resolves when something accepts TCP connections on 127.0.0.1:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('server exited before listening')
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1')
      c.once('connect', () => {
        c.destroy()
        r(true)
      })
      c.once('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
}

const CLK_TCK = 100

/**
 * Starts the example server (`node --import tsx example-server/src/main.ts`) on a free port of
 * 127.0.0.1 and waits until it listens.
 * @param settings - bots, plugin on/off, extra env.
 */
export async function startServerProcess(settings: ServerSettings): Promise<ServerProcess> {
  const port = await freePort()
  const output: string[] = []
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WRAPPER], {
    cwd: resolve(REPO_ROOT, 'example-server'),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      BOTS: String(settings.bots),
      ATTENTION: settings.attention ? '1' : '0',
      BENCH_SERVER_ENTRY: settings.entry ?? SERVER_ENTRY,
      ...settings.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let exited = false
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())))
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') output.push(line)
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const pid = child.pid!
  const ask = <T>(msg: string, type: string): Promise<T> =>
    new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not answer '${msg}'`)), 10_000)
      const on = (m: unknown): void => {
        const r = m as { type?: string }
        if (r.type !== type) return
        clearTimeout(timer)
        child.off('message', on)
        ok(m as T)
      }
      child.on('message', on)
      child.send(msg)
    })
  const proc: ServerProcess = {
    port,
    pid,
    output,
    cpuSeconds() {
      // fields after the parenthesised command name: utime is field 14, stime 15 (1-based)
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return (Number(rest[11]) + Number(rest[12])) / CLK_TCK
    },
    rssBytes() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return m ? Number(m[1]) * 1024 : Number.NaN
    },
    async resetTimings() {
      await ask('reset', 'reset')
    },
    async timings() {
      return (await ask<{ timings: TickTimings }>('stats', 'stats')).timings
    },
    async stop() {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exit
      clearTimeout(timer)
    },
  }
  try {
    await waitForPort(port, 30_000, () => !exited)
  } catch (e) {
    await proc.stop()
    throw new Error(`${(e as Error).message}\n${output.slice(-20).join('\n')}`)
  }
  return proc
}
