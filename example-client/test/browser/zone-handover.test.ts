import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ArenaServer } from './harness'
import { browserAvailable, buildClient, launchBrowser, openArena, readPage, sleep, startArena } from './harness'

// A zoned world (4 zone rooms side by side, one process): the page walks its player across a zone
// border and must follow it into the neighbouring room without a reload, keeping its key.

const run = browserAvailable()

async function zoneRooms(url: string): Promise<number> {
  const r = (await fetch(`${url}/debug/zones`).then((res) => res.json())) as { rooms: unknown[] }
  return r.rooms.length
}

const status = (page: Page): Promise<string | null> => page.textContent('#status')

describe.skipIf(!run)('zone handover in the browser', () => {
  let server: ArenaServer
  let browser: Browser

  beforeAll(async () => {
    buildClient()
    server = await startArena({ ZONES: '4x1', BOTS: '80' })
    const deadline = Date.now() + 20_000
    while ((await zoneRooms(server.url)) < 4) {
      if (Date.now() > deadline) throw new Error(`zone rooms did not come up:\n${server.log()}`)
      await sleep(200)
    }
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('should follow the player into the neighbouring zone room without a reload, keeping its key', async () => {
    const { page, view, errors } = await openArena(browser, server.url)
    const first = await status(page)
    expect(first).toMatch(/^room /)
    let navigations = 0
    page.on('framenavigated', () => navigations++)
    // zones are 400 units wide: walking 7 s one way crosses a border unless that way is the world's edge
    let now = first
    for (const key of ['d', 'a']) {
      await page.keyboard.down(key)
      const until = Date.now() + 7000
      while (Date.now() < until && now === first) {
        await sleep(100)
        now = await status(page)
      }
      await page.keyboard.up(key)
      if (now !== first) break
    }
    expect(now).not.toBe(first)
    expect(now).toMatch(/^room /)
    await sleep(1000)
    const after = (await readPage(page))!
    expect(after.selfKey).toBe(view.selfKey)
    expect(after.drawn).toContain(view.selfKey)
    expect(after.drawn.length).toBeGreaterThan(1)
    expect(navigations).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)
})
