import { spawn } from 'node:child_process'
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
})
