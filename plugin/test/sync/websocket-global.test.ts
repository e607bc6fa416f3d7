import { afterEach, describe, expect, it, vi } from 'vitest'
import { installWebSocketGlobal } from '../../src/sync/websocket-global'

const g = globalThis as { WebSocket?: unknown }
const original = g.WebSocket

class FakeSocket {
  static readonly OPEN = 1
}

describe('websocket-global', () => {
  afterEach(() => {
    g.WebSocket = original
    vi.restoreAllMocks()
  })

  it('should install the given class only when the process has no global WebSocket', () => {
    g.WebSocket = undefined
    expect(installWebSocketGlobal(FakeSocket)).toBe(true)
    expect(g.WebSocket).toBe(FakeSocket)
    class Other {
      static readonly OPEN = 1
    }
    expect(installWebSocketGlobal(Other)).toBe(false)
    expect(g.WebSocket).toBe(FakeSocket)
  })

  it('should refuse something that is not a WebSocket class, naming the fix', () => {
    expect(() => installWebSocketGlobal({} as never)).toThrow(/WebSocket class with OPEN === 1.*"ws"/)
  })

  it('should warn once, naming the fix, when a room uses the plugin without a global WebSocket', async () => {
    g.WebSocket = undefined
    vi.resetModules()
    const { warnIfNoWebSocketGlobal } = await import('../../src/sync/websocket-global')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    warnIfNoWebSocketGlobal()
    warnIfNoWebSocketGlobal()
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/installWebSocketGlobal\(WebSocket\)/)
  })
})
