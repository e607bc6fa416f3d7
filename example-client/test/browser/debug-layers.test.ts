import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ArenaServer } from './harness'
import { ARTIFACTS_DIR, browserAvailable, buildClient, launchBrowser, openArena, sleep, startArena, waitFor } from './harness'

const run = browserAvailable()

interface Layers {
  debug: boolean
  worldLayer: boolean
  worldSize: number
  ghosts: number
  drawn: number
  you: number[]
  full: (number | null)[]
}

async function readLayers(page: Page): Promise<Layers> {
  return page.evaluate(() => {
    const a = window.__arena!
    const chart = a.chartSamples()
    return {
      debug: a.debug(),
      worldLayer: a.worldLayer(),
      worldSize: a.worldSize(),
      ghosts: a.ghostsDrawn(),
      drawn: a.drawnKeys().length,
      you: chart.you,
      full: chart.full,
    }
  })
}

/** Waits until the bytes chart holds `n` samples with both lines. */
async function chartFilled(page: Page, n: number): Promise<Layers> {
  return waitFor(
    () => readLayers(page),
    (l) => l.you.length >= n && l.full.slice(-n).every((v) => v !== null),
    15_000,
    `${n} samples in the bytes chart`,
  )
}

/** Opens the page and records every request it makes to a `/debug/` route. */
async function openWatched(browser: Browser, url: string): Promise<{ page: Page; debugRequests: string[]; errors: string[] }> {
  const debugRequests: string[] = []
  const context = await browser.newContext()
  context.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/debug')) debugRequests.push(r.url())
  })
  const opened = await openArena(context, url)
  return { page: opened.page, debugRequests, errors: opened.errors }
}

describe.skipIf(!run)('debug layers and the bytes chart (Chromium against a real example server)', () => {
  let browser: Browser

  beforeAll(async () => {
    buildClient()
    browser = await launchBrowser()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
  })

  describe('with debug off', () => {
    let server: ArenaServer
    beforeAll(async () => {
      server = await startArena({ BOTS: '300', SEED: '7', ATTENTION_DEBUG: '0' })
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
    })

    it('should make no /debug request, draw no world layer, and chart its bytes against the full state', async () => {
      const { page, debugRequests, errors } = await openWatched(browser, server.url)
      const l = await chartFilled(page, 4)
      // the G key does nothing without debug mode
      await page.keyboard.press('KeyG')
      await page.keyboard.press('KeyG')
      await page.mouse.move(300, 600) // hovering asks nothing either
      await sleep(600)
      const after = await readLayers(page)
      expect(l.debug).toBe(false)
      expect(after.worldSize).toBe(0)
      expect(after.ghosts).toBe(0)
      expect(await page.isVisible('#world-toggle')).toBe(false)
      expect(await page.isVisible('#tooltip')).toBe(false)
      expect(debugRequests).toEqual([])
      // the chart: both lines, the page's own traffic well under the full state's
      const you = l.you.slice(-3)
      const full = l.full.slice(-3) as number[]
      expect(you.every((v) => v > 0)).toBe(true)
      for (let i = 0; i < 3; i++) expect(you[i]!).toBeLessThan(full[i]! / 3)
      const legend = await page.textContent('.chart-legend')
      expect(legend).toMatch(/full state \d/)
      expect(legend).toMatch(/you get [\d.]+ %/)
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'arena-debug-off.png') })
      expect(errors).toEqual([])
      await page.context().close()
    })
  })

  describe('with debug on', () => {
    let server: ArenaServer
    beforeAll(async () => {
      server = await startArena({ BOTS: '300', SEED: '7', ATTENTION_DEBUG: '1' })
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
    })

    it('should draw the whole world faintly behind what it holds, and stop when the layer is off', async () => {
      const { page, debugRequests, errors } = await openWatched(browser, server.url)
      const on = await waitFor(
        () => readLayers(page),
        (l) => l.worldSize > 0 && l.ghosts > 0,
        10_000,
        'the debug world layer to draw',
      )
      expect(on.debug).toBe(true)
      expect(on.worldLayer).toBe(true)
      expect(await page.isVisible('#world-toggle')).toBe(true)
      // the world is the whole room; what the page holds is a small part of it
      expect(on.worldSize).toBeGreaterThan(250)
      expect(on.worldSize).toBeGreaterThan(on.drawn * 3)
      expect(debugRequests.some((u) => new URL(u).pathname === '/debug/world')).toBe(true)
      await chartFilled(page, 3)
      await page.mouse.move(800, 300)
      await sleep(300)
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'arena-debug-world.png') })

      // G turns the layer off: no ghosts, no more world requests
      await page.keyboard.press('KeyG')
      await sleep(500)
      const off = await readLayers(page)
      expect(off.worldLayer).toBe(false)
      expect(off.ghosts).toBe(0)
      const asked = debugRequests.filter((u) => new URL(u).pathname === '/debug/world').length
      await sleep(1000)
      expect(debugRequests.filter((u) => new URL(u).pathname === '/debug/world').length).toBe(asked)
      await page.keyboard.press('KeyG')
      await waitFor(() => readLayers(page), (l) => l.ghosts > 0, 5000, 'the layer to come back')
      expect(errors).toEqual([])
      await page.context().close()
    })
  })
})
