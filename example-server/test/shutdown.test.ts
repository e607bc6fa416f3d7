import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

describe('main', () => {
  it('should stop on Ctrl-C without a shutdown error, even when the signal arrives twice', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', BOTS: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)))
    const deadline = Date.now() + 30_000
    while (!out.includes('listening') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100))
    expect(out).toContain('listening')
    // a terminal's Ctrl-C reaches every process of the group, and the tsx runner relays it too
    child.kill('SIGINT')
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(out).not.toMatch(/error|already_shutting_down/i)
  })

  it('should refuse a bad engine variable at start, naming it and its range', async () => {
    for (const [vars, message] of [
      [{ PIPELINED: '2' }, 'PIPELINED must be an integer in [0, 1]; got 2'],
      [{ ENGINE_THREADS: '9' }, 'ENGINE_THREADS must be an integer in [1, 8]; got 9'],
      [{ PIPELINED: '1', SCORER: 'learned' }, 'PIPELINED=1 needs SCORER=heads'],
    ] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: { ...process.env, PORT: '0', HOST: '127.0.0.1', BOTS: '20', ...vars },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
      expect(code).toBe(2)
      expect(out).toContain(message)
      expect(out).not.toContain('listening')
    }
  })

  it('should refuse a switch variable that is not 0 or 1, naming it, rather than ignore it', async () => {
    for (const [name, value] of [
      ['ATTENTION', 'off'],
      ['ATTENTION_DEBUG', 'true'],
      ['DIRECT_FRAMES', 'no'],
    ] as const) {
      const { code, out } = await runMain({ [name]: value }, 30_000)
      expect(code).toBe(2)
      expect(out).toContain(`${name} must be an integer in [0, 1]; got ${value}`)
    }
  })

  it('should exit with the reason when its port is taken, not wait for ever', async () => {
    const taken = createServer()
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok))
    const port = (taken.address() as { port: number }).port
    try {
      const { code, out } = await runMain({ PORT: String(port) }, 30_000)
      expect(code).toBe(1)
      expect(out).toContain('arena: could not start: listen EADDRINUSE')
      expect(out).not.toContain('listening on')
    } finally {
      taken.close()
    }
  })
})

describe('cluster script', () => {
  it('should refuse a bad PORT before it starts anything, naming the value', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts'], { cwd: root, env: { ...process.env, PORT: 'abc' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => child.kill('SIGINT'), 20_000)
    const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
    clearTimeout(timer)
    expect(code).toBe(2)
    expect(out).toContain('PORT must be an integer in [1, 65534] for 2 processes; got abc')
    expect(out).not.toContain('redis-server')
  })
})

/** Runs main.ts on 127.0.0.1 with 20 bots and `vars` until it exits (killed after `ms`: code null). */
async function runMain(vars: Record<string, string>, ms: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', BOTS: '20', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
  clearTimeout(timer)
  return { code, out }
}
