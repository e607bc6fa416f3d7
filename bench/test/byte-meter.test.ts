import { Decoder } from '@colyseus/schema'
import { describe, expect, it } from 'vitest'
import { BenchState, createByteMeter } from '../recall/byte-meter'
import { QUICK_SCENARIO, recordScenario } from '../recall/scenario'

describe('byte-meter', () => {
  const rec = recordScenario({ ...QUICK_SCENARIO, seconds: 3 })
  const n = rec.entityCount

  it('should deliver exactly the members of each view, with the recorded positions', () => {
    const views = 3
    const meter = createByteMeter(rec, views)
    const decoders = Array.from({ length: views }, () => new Decoder(new BenchState()))
    meter.onPatch = (v, bytes) => {
      decoders[v]!.decode(bytes, { offset: 1 })
    }
    const member = Array.from({ length: views }, () => new Set<number>())
    for (let t = 0; t < rec.ticks; t++) {
      // view v sees the entities within 20 + 10 v units of player v
      for (let v = 0; v < views; v++) {
        const o = rec.players[v]!
        for (let e = 0; e < n; e++) {
          const d = Math.hypot(rec.x[t * n + e]! - rec.x[t * n + o]!, rec.y[t * n + e]! - rec.y[t * n + o]!)
          const want = d <= 20 + 10 * v
          if (want && !member[v]!.has(e)) {
            member[v]!.add(e)
            meter.add(v, e)
          } else if (!want && member[v]!.has(e)) {
            member[v]!.delete(e)
            meter.remove(v, e)
          }
        }
      }
      meter.encodeTick(t, true)
      for (let v = 0; v < views; v++) {
        const seen = decoders[v]!.state.entities
        expect([...seen.keys()].map(Number).sort((a, b) => a - b)).toEqual([...member[v]!].sort((a, b) => a - b))
        for (const [key, ent] of seen) {
          const e = Number(key)
          expect(ent.x).toBe(rec.x[t * n + e])
          expect(ent.y).toBe(rec.y[t * n + e])
          expect(ent.kind).toBe(rec.kind[e])
        }
      }
    }
    // wider views cost more bytes
    expect(meter.bytes[0]!).toBeGreaterThan(0)
    expect(meter.bytes[2]!).toBeGreaterThan(meter.bytes[0]!)
    meter.dispose()
  })

  it('should count nothing for a view that sees nothing', () => {
    const meter = createByteMeter(rec, 2)
    meter.add(0, 0)
    for (let t = 0; t < 20; t++) meter.encodeTick(t, true)
    expect(meter.bytes[0]!).toBeGreaterThan(0)
    expect(meter.bytes[1]!).toBe(0)
    meter.dispose()
  })
})
