// Owns the lifecycle of the benchmarks' child processes (servers, client crowds): spawn with an IPC
// channel, keep their output, request/reply over IPC with a timeout, read their CPU and RSS from
// /proc, and stop them (SIGTERM, then SIGKILL). Also the loopback port helpers they listen with.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'

/** A node child process with an IPC channel. */
export interface BenchChild {
  readonly pid: number
  /** Every stdout/stderr line so far (at most `maxLines`). */
  readonly output: string[]
  /** Sends `msg` and resolves with the first reply whose `type` is `type`; rejects after `timeoutMs` or if the child exited. */
  ask<T>(msg: unknown, type: string, timeoutMs?: number): Promise<T>
  exited(): boolean
  exitCode(): number | null
  /** Resolves when the child has exited. */
  readonly exit: Promise<void>
  /** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number
  /** Resident set size in bytes, from /proc/<pid>/status. */
  rssBytes(): number
  /** Stops the child (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>
  /** The underlying process (for its own messages). */
  readonly process: ChildProcess
}

/** Options of {@link spawnBenchChild}. */
export interface BenchChildOptions {
  /** Module to run (through tsx). */
  entry: string
  cwd: string
  env?: Record<string, string>
  /** Node flags before `--import tsx`. */
  nodeArgs?: readonly string[]
  args?: readonly string[]
  /** @defaultValue 5000 */
  maxLines?: number
}

const CLK_TCK = 100

/** Starts `node [nodeArgs] --import tsx entry [args]` with an IPC channel and collects its output. */
export function spawnBenchChild(o: BenchChildOptions): BenchChild {
  const output: string[] = []
  const maxLines = o.maxLines ?? 5000
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', o.entry, ...(o.args ?? [])], {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let exited = false
  let code: number | null = null
  const exit = new Promise<void>((r) =>
    child.once('exit', (c) => {
      exited = true
      code = c
      r()
    }),
  )
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '' && output.length < maxLines) output.push(line)
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const pid = child.pid!
  return {
    pid,
    output,
    process: child,
    exit,
    exited: () => exited,
    exitCode: () => code,
    ask<T>(msg: unknown, type: string, timeoutMs = 10_000): Promise<T> {
      return new Promise((ok, fail) => {
        if (exited) return fail(new Error('child exited'))
        const on = (m: unknown): void => {
          if ((m as { type?: string }).type !== type) return
          clearTimeout(timer)
          child.off('message', on)
          ok(m as T)
        }
        const timer = setTimeout(() => {
          child.off('message', on)
          fail(new Error(`child ${pid} did not answer '${type}' within ${timeoutMs / 1000} s`))
        }, timeoutMs)
        child.on('message', on)
        child.send(msg as never)
      })
    },
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
    async stop() {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exit
      clearTimeout(timer)
    },
  }
}

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

/** Starts a server child on a free loopback port (`PORT` in its environment) and waits until it listens; stops it on failure. */
export async function spawnServerChild(o: BenchChildOptions & { timeoutMs?: number }): Promise<BenchChild & { port: number }> {
  const port = await freePort()
  const child = spawnBenchChild({ ...o, env: { ...o.env, PORT: String(port) } })
  try {
    await waitForPort(port, o.timeoutMs ?? 30_000, () => !child.exited())
  } catch (e) {
    await child.stop()
    throw new Error(`${(e as Error).message}\n${child.output.slice(-20).join('\n')}`)
  }
  return Object.assign(child, { port })
}
