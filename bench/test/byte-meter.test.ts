import { Decoder } from '@colyseus/schema'
import { describe, expect, it } from 'vitest'
import { Band } from '../../plugin/src/index'
import { createByteMeter, meterKey, MeterState } from '../recall/byte-meter'
import { exampleKindName } from '../recall/write-schedule'
import { Kind } from '../recall/recording'
import { QUICK_SCENARIO, recordScenario } from '../recall/scenario'

/** The recorded entity a state key names (keys are opaque: search the first few thousand). */
const byKey = new Map(Array.from({ length: 4096 }, (_, i) => [meterKey(i), i] as const))
const entityOf = (key: string): number => byKey.get(key) ?? -1

describe('byte-meter', () => {
  const rec = recordScenario({ ...QUICK_SCENARIO, seconds: 3 })
  const n = rec.entityCount

  it('should deliver exactly the members of each view, with the recorded positions', () => {
    const views = 3
    const meter = createByteMeter(rec, views)
    const decoders = Array.from({ length: views }, () => new Decoder(new MeterState()))
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
        expect([...seen.keys()].map(entityOf).sort((a, b) => a - b)).toEqual([...member[v]!].sort((a, b) => a - b))
        for (const [key, ent] of seen) {
          const e = entityOf(key)
          expect(ent.x).toBe(rec.x[t * n + e])
          expect(ent.y).toBe(rec.y[t * n + e])
          expect(ent.kind).toBe(exampleKindName(rec.kind[e]!))
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

  it('should charge a Low member less than a High one, and send it only the untagged fields', () => {
    const meter = createByteMeter(rec, 2)
    const decoders = Array.from({ length: 2 }, () => new Decoder(new MeterState()))
    meter.onPatch = (v, bytes) => {
      decoders[v]!.decode(bytes, { offset: 1 })
    }
    // the same moving entity (a chaser): view 0 holds it at Low, view 1 at High
    const e = rec.kind.indexOf(Kind.Chaser)
    meter.add(0, e, Band.Low)
    meter.add(1, e, Band.High)
    for (let t = 0; t < rec.ticks; t++) meter.encodeTick(t, t >= 4)
    expect(meter.bytes[0]!).toBeGreaterThan(0)
    expect(meter.bytes[0]!).toBeLessThan(meter.bytes[1]! / 3)
    const low = decoders[0]!.state.entities.get(meterKey(e))!
    const high = decoders[1]!.state.entities.get(meterKey(e))!
    const last = (rec.ticks - 1) * n + e
    expect(low.x ?? 0).toBe(0)
    expect(high.x).toBe(rec.x[last])
    // the coarse position is refreshed every 4th tick
    expect(Math.abs(low.cx - rec.x[last]!)).toBeLessThan(4 * rec.dt * 10 + 1)
    meter.dispose()
  })

  it('should re-tag a member whose band changes, as the plugin does', () => {
    const meter = createByteMeter(rec, 1)
    const dec = new Decoder(new MeterState())
    meter.onPatch = (_v, bytes) => {
      dec.decode(bytes, { offset: 1 })
    }
    const e = rec.entityCount - 1
    meter.add(0, e, Band.Low)
    meter.encodeTick(0, true)
    expect(dec.state.entities.get(meterKey(e))!.x ?? 0).toBe(0)
    meter.setBand(0, e, Band.High)
    meter.encodeTick(1, true)
    expect(dec.state.entities.get(meterKey(e))!.x).toBe(rec.x[n + e])
    meter.setBand(0, e, Band.Low)
    meter.encodeTick(2, true)
    const before = meter.bytes[0]!
    // at Low again: motion is no longer sent, only coarse refreshes
    for (let t = 3; t < 8; t++) meter.encodeTick(t, true)
    expect(dec.state.entities.get(meterKey(e))!.cx).toBe(Math.round(rec.x[4 * n + e]!))
    expect(meter.bytes[0]! - before).toBeLessThan(40)
    meter.dispose()
  })
})
