import { describe, expect, it } from 'vitest'
import { tapTraffic } from '../../src/net/traffic-tap'

describe('traffic-tap', () => {
  it('should count bytes and state patches and still hand every frame to the SDK', () => {
    const seen: unknown[] = []
    const conn = { events: { onmessage: (e: MessageEvent) => void seen.push(e.data) } as { onmessage?: (e: MessageEvent) => unknown } }
    let now = 0
    const tap = tapTraffic(conn, () => now)
    const frame = (code: number, size: number): MessageEvent => {
      const b = new Uint8Array(size)
      b[0] = code
      return { data: b.buffer } as MessageEvent
    }
    conn.events.onmessage!(frame(15, 100)) // patch
    now = 10
    conn.events.onmessage!(frame(15 | 0x20, 50)) // patch with the TIMED modifier bit
    conn.events.onmessage!(frame(13, 30)) // room message
    expect(seen).toHaveLength(3)
    expect(tap.totalBytes()).toBe(180)
    expect(tap.bytes.perSecond(20)).toBe(180)
    expect(tap.patches.perSecond(20)).toBe(2)
  })
})
