// Shared setup for the browser suites: Chromium discovery, the client build, a real example server.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
/** example-client/ */
export const CLIENT_DIR = resolve(here, '../..')
/** The repository root. */
export const ROOT_DIR = resolve(CLIENT_DIR, '..')
/** Where screenshots go (gitignored). */
export const ARTIFACTS_DIR = join(CLIENT_DIR, 'test-artifacts')

/** Debian's Chromium, or `CHROMIUM_PATH` when set. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Whether the browser suites can run. Without Chromium they are skipped loudly outside CI; in CI
 * (`CI=true`) a missing browser throws, failing the run.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  const msg = `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`browser tests need Chromium in CI. ${msg}`)
  const bar = '!'.repeat(100)
  console.warn(`\n${bar}\n!!! SKIPPING THE BROWSER TESTS. ${msg}\n${bar}\n`)
  return false
}

/** Launches headless Chromium with a fresh temporary profile. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** Builds the client into example-client/dist (what the example server serves). */
export function buildClient(): void {
  const vite = join(ROOT_DIR, 'node_modules/vite/bin/vite.js')
  const viteLocal = join(CLIENT_DIR, 'node_modules/vite/bin/vite.js')
  const bin = existsSync(viteLocal) ? viteLocal : vite
  const r = spawnSync(process.execPath, [bin, 'build', '--logLevel', 'warn'], { cwd: CLIENT_DIR, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`)
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      s.close(() => ok(port))
    })
  })
}

/** A running example server (child process) on 127.0.0.1. */
export interface ArenaServer {
  port: number
  url: string
  /** Output so far, for failure messages. */
  log(): string
  stop(): Promise<void>
}

/**
 * Starts the real example server as a child process, debug endpoints on, bound to 127.0.0.1.
 * @param env - extra environment (BOTS, SEED, ...)
 * @returns once the server answers HTTP on its port
 */
export async function startArena(env: Record<string, string> = {}): Promise<ArenaServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'example-server/src/main.ts'], {
    cwd: ROOT_DIR,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ATTENTION_DEBUG: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`example server exited (${child.exitCode}):\n${out}`)
    try {
      const res = await fetch(`${url}/`)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`example server did not answer on ${url} within 30 s:\n${out}`)
    }
    await sleep(200)
  }
  return { port, url, log: () => out, stop }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms))
}

/** The page's test hooks, read in the browser. */
export interface PageView {
  roomId: string
  sessionId: string
  selfKey: string
  drawn: string[]
  frames: number
}

/** Reads `window.__arena` (undefined until the page joined). */
export async function readPage(page: Page): Promise<PageView | undefined> {
  return page.evaluate(() => {
    const a = window.__arena
    if (a === undefined) return undefined
    return { roomId: a.roomId, sessionId: a.sessionId, selfKey: a.selfKey(), drawn: a.drawnKeys(), frames: a.frames() }
  })
}

/** The size of the pages {@link openArena} opens (CSS px). */
export const VIEWPORT = Object.freeze({ width: 1100, height: 760 })

/**
 * Opens the demo page and waits until it has joined and drawn its avatar and some other entities.
 * @param browser - the browser, or a context of it (to watch every request the page makes)
 * @param url - the server's HTTP base
 * @returns the page and its first view
 */
export async function openArena(browser: Browser | BrowserContext, url: string): Promise<{ page: Page; view: PageView; errors: string[] }> {
  const page = await browser.newPage({ viewport: VIEWPORT })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  await page.goto(url)
  const view = await waitFor(
    () => readPage(page),
    (v) => v !== undefined && v.selfKey !== '' && v.drawn.includes(v.selfKey) && v.drawn.length > 1,
    20_000,
    'the page to join and draw entities',
  )
  return { page, view: view!, errors }
}

/**
 * Polls `read` until `done` holds.
 * @returns the last value read
 * @throws with `what` and the last value after `timeoutMs`
 */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let v = await read()
  while (!done(v)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`)
    await sleep(100)
    v = await read()
  }
  return v
}

/** The server's debug interest set of one client (sorted keys). */
export async function debugInterest(url: string, roomId: string, sessionId: string): Promise<string[]> {
  const res = await fetch(`${url}/debug/interest?room=${encodeURIComponent(roomId)}&session=${encodeURIComponent(sessionId)}`)
  if (!res.ok) throw new Error(`/debug/interest answered ${res.status}: ${await res.text()}`)
  const body = (await res.json()) as { members: (string | number)[] }
  return body.members.map(String).sort()
}
