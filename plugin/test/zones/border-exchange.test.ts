import { addComponent, addEntity, createWorld, hasComponent, removeComponent, removeEntity } from 'bitecs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { addObserver, addSalience, createAttentionComponents, createAttentionSystem, type AttentionSystem } from '../../src/index'
import { BORDER_VERSION, fieldLayout, HEADER_BYTES, roundToHalf } from '../../src/zones/border-codec'
import { createBorderExchange, type BorderExchange, type BorderExchangeOptions, type BorderFieldFormat, type ZoneGrid } from '../../src/zones/index'
import { chainRow, createBus, createZone, find, grid, observer, setTeam, setup, spawn, tick, type Bus, type Zone } from './zone-harness'

describe('border-exchange', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('should mirror entities within the margin as ghosts with their fields, and nothing farther', () => {
    const { bus, clock, a, b } = setup()
    const near = spawn(a, 90, 50)
    addSalience(a.world, a.C, near, 0.5, 20)
    spawn(a, 20, 50)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    expect(b.added).toEqual([a.ex.gidOf(near)])
    expect(b.ex.stats.ghosts).toBe(1)
    const ghost = [...Array(256).keys()].find((e) => b.ex.isGhost(e))!
    expect(b.C.Position.x[ghost]).toBeCloseTo(90)
    expect(b.C.Salience.nimbus[ghost]).toBeCloseTo(20)
    expect(b.kind[ghost]).toBe(7)
  })

  it('should never publish hidden or team-only entities', () => {
    const { bus, clock, a, b } = setup()
    const hidden = spawn(a, 95, 40)
    addComponent(a.world, hidden, a.C.Hidden)
    const scout = spawn(a, 95, 60)
    addComponent(a.world, scout, a.C.Team)
    a.C.Team.id[scout] = 1
    addComponent(a.world, scout, a.C.TeamOnly)
    const seen: string[] = []
    bus.subscribe('attention:zone:0', (d) => seen.push(String(d)))
    for (let i = 0; i < 5; i++) tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(0)
    expect(seen.length).toBeGreaterThan(0)
    // every summary is header-only
    for (const s of seen) expect(Buffer.from(s, 'base64').length).toBe(HEADER_BYTES)
  })

  it('should hand an entity over when it crosses, with exactly one owner and one copy per zone at every step', () => {
    const { bus, clock, a, b } = setup()
    const eid = spawn(a, 85, 50, 40)
    const gid = a.ex.gidOf(eid)
    let crossed = false
    for (let i = 0; i < 40; i++) {
      tick([a, b], bus, clock)
      const inA = [...Array(256).keys()].filter((e) => a.ex.gidOf(e) === gid)
      const inB = [...Array(256).keys()].filter((e) => b.ex.gidOf(e) === gid)
      const x = 85 + 2 * (i + 1)
      // a holds it (owned, then as a ghost) until it is well past a's margin; b from the first summary on
      if (x < 130) expect(inA.length).toBe(1)
      else expect(inA.length).toBeLessThanOrEqual(1)
      if (i > 0) expect(inB.length).toBe(1)
      const owners = (inA.length === 1 && !a.ex.isGhost(inA[0]!) ? 1 : 0) + (inB.length === 1 && !b.ex.isGhost(inB[0]!) ? 1 : 0)
      // while the handover message is in flight the entity is a ghost on both sides for one delivery
      expect(owners).toBeLessThanOrEqual(1)
      if (inA.length === 1 && !a.ex.isGhost(inA[0]!)) expect(crossed).toBe(false)
      if (inB.length === 1 && !b.ex.isGhost(inB[0]!)) crossed = true
    }
    expect(crossed).toBe(true)
    expect(a.released).toEqual([gid])
    expect(b.adopted).toEqual([gid])
    expect(b.removed).toEqual([])
    expect(a.removed).toEqual([gid])
    // it moved on in b; a's ghost follows b's summaries until it leaves a's margin
    expect(a.ex.stats.ghosts).toBe(0)
  })

  it('should hand over position and velocity exactly, so an entity just across the border stays there', () => {
    const { bus, clock, a, b } = setup()
    // 0.0005 units before the border, creeping over it: on the u16 frame (steps of 0.003 units)
    // it would land on either side
    const eid = spawn(a, 99.9995, 50, 0.02)
    const gid = a.ex.gidOf(eid)
    let handedAt = NaN
    for (let i = 0; i < 40; i++) {
      tick([a, b], bus, clock)
      if (Number.isNaN(handedAt) && a.released.length === 1) handedAt = a.C.Position.x[eid]!
    }
    expect(a.released).toEqual([gid])
    expect(b.adopted).toEqual([gid])
    expect(b.released).toEqual([])
    const mine = [...Array(256).keys()].find((e) => b.ex.gidOf(e) === gid && !b.ex.isGhost(e))!
    expect(handedAt).toBeGreaterThanOrEqual(100)
    expect(b.C.Velocity.x[mine]).toBe(Math.fround(0.02))
  })

  it('should send an unchanged entity only in keyframes, and a departure at once', () => {
    const { bus, clock, a, b } = setup()
    const eid = spawn(a, 90, 50)
    const sizes: number[] = []
    bus.subscribe('attention:zone:0', (d) => sizes.push(Buffer.from(String(d), 'base64').length))
    for (let i = 0; i < 20; i++) tick([a, b], bus, clock)
    // the entity rides in the 2 keyframes only: gid and flags (5 bytes), position (4), velocity
    // (4), its one f32 field (4); no team, no salience
    expect(sizes.filter((n) => n > HEADER_BYTES)).toEqual([HEADER_BYTES + 17, HEADER_BYTES + 17])
    expect(b.ex.stats.ghosts).toBe(1)
    a.ex.forget(eid)
    removeEntity(a.world, eid)
    // a publishes the departure, b applies it at its next step (not after the next keyframe)
    tick([a, b], bus, clock)
    tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(0)
    expect(b.removed.length).toBe(1)
  })

  it('should carry fields in their declared formats, and resend only when the value a neighbour reads changes', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const hp = new Float32Array(16)
    const heading = new Float32Array(16)
    const got: number[][] = []
    const make = (zone: number, formats: BorderFieldFormat[]) => {
      const world = createWorld()
      const C = createAttentionComponents(16)
      const ex = createBorderExchange({
        world, components: C, presence: bus, grid, zone, margin: 30, keyframeEvery: 1000, now: () => clock.t,
        fields: 2, fieldFormats: formats,
        readFields: (eid, out) => { out[0] = hp[eid]!; out[1] = heading[eid]! },
        events: { added: (_e, _g, f) => got.push([f[0]!, f[1]!]), updated: (_e, f) => got.push([f[0]!, f[1]!]) },
      })
      return { world, C, ex }
    }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const a = make(0, ['u8', 'f16'])
    const b = make(1, ['u8', 'f16'])
    // a third zone that declares other formats hears nothing from a
    const c = make(1, ['u8', 'f32'])
    const eid = addEntity(a.world)
    addComponent(a.world, eid, a.C.Position)
    addComponent(a.world, eid, a.C.Velocity)
    a.C.Position.x[eid] = 90
    a.ex.register(eid)
    const sizes: number[] = []
    bus.subscribe('attention:zone:0', (d) => sizes.push(Buffer.from(String(d), 'base64').length))
    const step = (h: number, angle: number): void => {
      hp[eid] = h
      heading[eid] = angle
      clock.t += 50
      a.ex.step(0.05)
      b.ex.step(0.05)
      c.ex.step(0.05)
      bus.flush()
    }
    step(7.3, 1.2345)
    // hp 7.4 and a heading change below a half's step read the same on the other side: no resend
    step(7.4, 1.2346)
    step(8, 1.2346)
    step(8, 2.5)
    b.ex.step(0.05)
    // 5 bytes of gid and flags, 8 of kinematics, 1 of hp, 2 of heading
    expect(sizes.slice(0, 4)).toEqual([HEADER_BYTES + 16, HEADER_BYTES, HEADER_BYTES + 16, HEADER_BYTES + 16])
    expect(got).toEqual([[7, roundToHalf(1.2345)], [8, roundToHalf(1.2346)], [8, 2.5]])
    expect(c.ex.stats.ghosts).toBe(0)
    expect(c.ex.stats.dropReasons['layout mismatch']).toBeGreaterThan(0)
    // c hears a and b, and they hear c (b on its own channel): each warns once
    expect(warn.mock.calls.map((w) => String(w[0]).match(/^colyseus-attention: border exchange of zone (\d) drops the messages of zone (\d)/)?.slice(1, 3).join('<-')).sort()).toEqual(['0<-1', '1<-0', '1<-1'])
  })

  it('should send positions on the zone frame within half a step and velocities as half floats, and whole floats when the tolerance is finer than the frame', () => {
    for (const tolerance of [1, 0]) {
      const bus = createBus()
      const clock = { t: 1000 }
      const make = (zone: number) => {
        const world = createWorld()
        const C = createAttentionComponents(16)
        return { world, C, ex: createBorderExchange({ world, components: C, presence: bus, grid, zone, margin: 30, tolerance, now: () => clock.t }) }
      }
      const a = make(0)
      const b = make(1)
      const eid = addEntity(a.world)
      addComponent(a.world, eid, a.C.Position)
      addComponent(a.world, eid, a.C.Velocity)
      a.C.Position.x[eid] = 91.23456
      a.C.Position.y[eid] = 47.6543
      a.C.Velocity.x[eid] = 1.2345
      a.ex.register(eid)
      const sizes: number[] = []
      bus.subscribe('attention:zone:0', (d) => sizes.push(Buffer.from(String(d), 'base64').length))
      clock.t += 50
      a.ex.step(0.05)
      bus.flush()
      b.ex.step(0)
      const ghost = [...Array(16).keys()].find((e) => b.ex.isGhost(e))!
      // frame: 200 units (twice the zone) in 65,535 steps
      const half = 200 / 65535 / 2 + 1e-5
      expect(sizes[0]).toBe(HEADER_BYTES + 5 + (tolerance === 0 ? 16 : 8))
      if (tolerance === 0) expect(b.C.Position.x[ghost]).toBe(Math.fround(91.23456))
      expect(Math.abs(b.C.Position.x[ghost]! - 91.23456)).toBeLessThanOrEqual(half)
      expect(Math.abs(b.C.Position.y[ghost]! - 47.6543)).toBeLessThanOrEqual(half)
      expect(b.C.Velocity.x[ghost]).toBe(tolerance === 0 ? Math.fround(1.2345) : roundToHalf(1.2345))
    }
  })

  it('should resend a changing entity at most once per minResendMs', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    const world = createWorld()
    const C = createAttentionComponents(16)
    const ex = createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 30, minResendMs: 100, now: () => clock.t })
    const eid = addEntity(world)
    addComponent(world, eid, C.Position)
    addComponent(world, eid, C.Velocity)
    C.Position.x[eid] = 90
    ex.register(eid)
    const counts: number[] = []
    bus.subscribe('attention:zone:0', (d) => counts.push(Buffer.from(String(d), 'base64').readUInt16LE(16)))
    for (let i = 0; i < 9; i++) {
      // a velocity that flips every tick: without the limit, every summary would carry it
      C.Velocity.x[eid] = i % 2 === 0 ? 30 : -30
      clock.t += 50
      ex.step(0.05)
      bus.flush()
    }
    expect(counts).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1])
  })

  it('should expire the ghosts of a zone that stops publishing, and keep serving', () => {
    const { bus, clock, a, b } = setup()
    spawn(a, 90, 50)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(1)
    for (let i = 0; i < 4; i++) tick([b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(1)
    for (let i = 0; i < 4; i++) tick([b], bus, clock)
    expect(b.ex.stats.ghosts).toBe(0)
    expect(b.removed.length).toBe(1)
  })

  it('should drop and count malformed, oversized and foreign messages without throwing', () => {
    const { bus, clock, a, b } = setup()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    spawn(a, 90, 50)
    tick([a, b], bus, clock)
    bus.publish('attention:zone:0', { not: 'a string' })
    bus.publish('attention:zone:0', 'not base64 at all !!!')
    bus.publish('attention:zone:0', Buffer.alloc(HEADER_BYTES).toString('base64'))
    bus.publish('attention:zone:0', Buffer.alloc(HEADER_BYTES - 1).toString('base64'))
    bus.publish('attention:zone:0', 'A'.repeat(400_000))
    // a well-formed header and one wide record (gid, flags, f32 x, y, vx, vy, one f32 field)
    const record = (x: number, layout = fieldLayout(['f32'], grid), extra = 0): string => {
      const m = Buffer.alloc(HEADER_BYTES + 25 + extra)
      m[0] = 0xa7
      m[1] = BORDER_VERSION
      m.writeUInt16LE(1, 16)
      m.writeUInt8(layout.codes.length, 18)
      m.writeUInt32LE(layout.hash, 24)
      m.writeDoubleLE(clock.t, 8)
      m.writeUInt32LE(12345, HEADER_BYTES)
      m.writeUInt8(32, HEADER_BYTES + 4) // Wide: f32 position and velocity
      m.writeFloatLE(x, HEADER_BYTES + 5)
      m.writeFloatLE(50, HEADER_BYTES + 9)
      return m.toString('base64')
    }
    bus.publish('attention:zone:0', record(NaN))
    bus.publish('attention:zone:0', record(95, fieldLayout(['u8'], grid)))
    bus.publish('attention:zone:0', record(95, fieldLayout(['f32'], { ...grid, width: 400 })))
    bus.publish('attention:zone:0', record(95, undefined, 1))
    // the control: the same record, well formed, is a ghost
    bus.publish('attention:zone:0', record(95))
    bus.flush()
    expect(() => tick([a, b], bus, clock)).not.toThrow()
    expect(b.ex.stats.dropped).toBe(9)
    expect(b.ex.stats.dropReasons['layout mismatch']).toBe(2)
    expect(Object.keys(b.ex.stats.dropReasons).sort()).toEqual(['bad magic or version', 'layout mismatch', 'length mismatch', 'non-finite value', 'not a string', 'oversized', 'short'].sort())
    // (the control comes from another instance of zone 0 than zone 0's room: zone 1 takes it for
    // that room's replacement, and drops the ghost of the room's entity)
    expect(b.ex.isGhost(find(b, 12345))).toBe(true)
    // of all these, only the layout mismatches (a misconfiguration, not noise) are warned, once
    // by each exchange that heard them (zone 0 on its own channel, zone 1 as its neighbour's)
    expect(warn.mock.calls.map((w) => String(w[0]).replace(/ \(grid[\s\S]*/, ''))).toEqual([
      'colyseus-attention: border exchange of zone 0 drops the messages of zone 0 (channel attention:zone:0): its grid or its fieldFormats differ from this room\'s',
      'colyseus-attention: border exchange of zone 1 drops the messages of zone 0 (channel attention:zone:0): its grid or its fieldFormats differ from this room\'s',
    ])
  })

  it('should report a lost link, stop handing over, and resume when it is back', () => {
    const { bus, clock, a, b } = setup()
    const changes: boolean[] = []
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    const ok = a.ex.stats.linkUp
    bus.up = false
    for (let i = 0; i < 10; i++) tick([a, b], bus, clock)
    changes.push(ok, a.ex.stats.linkUp)
    const eid = spawn(a, 99, 50, 40)
    tick([a, b], bus, clock)
    expect(a.ex.isGhost(eid)).toBe(false)
    bus.up = true
    for (let i = 0; i < 30; i++) tick([a, b], bus, clock)
    changes.push(a.ex.stats.linkUp)
    expect(changes).toEqual([true, false, true])
    expect(a.released.length).toBe(1)
    expect(b.adopted.length).toBe(1)
  })

  it('should validate its options with errors naming the option', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const bus = createBus()
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 2, margin: 10 })).toThrow(/zone must be an integer in \[0, 1\]; got 2/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 0 })).toThrow(/margin/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 5, fields: 2 })).toThrow(/readFields/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 5, fields: 1, readFields: () => {}, fieldFormats: ['u8', 'u8'] })).toThrow(/fieldFormats must have one format per field \(1\)/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 5, fields: 1, readFields: () => {}, fieldFormats: ['u32' as BorderFieldFormat] })).toThrow(/fieldFormats\[0\] must be one of 'f32', 'f16', 'u8', 'i8', 'u16', 'i16'; got u32/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid: { columns: 0, rows: 1, width: 1, height: 1 }, zone: 0, margin: 5 })).toThrow(/grid.columns/)
  })

  it('should reject unknown options and events, naming the key and the known ones', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const bus = createBus()
    const base = { world, components: C, presence: bus, grid, zone: 0, margin: 10 }
    const misspelt = { ...base, intervalMS: 20 } as unknown as BorderExchangeOptions
    expect(() => createBorderExchange(misspelt)).toThrow(/createBorderExchange has no option "intervalMS" \(did you mean intervalMs\?\); its options are world, components, .*intervalMs.*now$/)
    const badEvent = { ...base, events: { adopt: () => {} } } as unknown as BorderExchangeOptions
    expect(() => createBorderExchange(badEvent)).toThrow(/createBorderExchange option events has no key "adopt" \(did you mean adopted\?\); its keys are added, updated, removed, adopted, released$/)
    const notAFunction = { ...base, events: { added: 1 } } as unknown as BorderExchangeOptions
    expect(() => createBorderExchange(notAFunction)).toThrow(/events.added must be a function; got 1/)
    // callbacks and switches fail at creation, not in a tick seconds later
    const kinds: [Record<string, unknown>, string][] = [
      [{ onLinkChange: 'log' }, 'onLinkChange must be a function; got "log" (a string)'],
      [{ handover: 'false' }, 'handover must be true or false; got "false" (a string)'],
      [{ now: 5 }, 'now must be a function; got 5 (a number)'],
      [{ readFields: {} }, 'readFields must be a function; got an object'],
      [{ channel: 5 }, 'channel must be a non-empty string; got 5 (a number)'],
    ]
    for (const [extra, message] of kinds) {
      expect(() => createBorderExchange({ ...base, ...extra } as unknown as BorderExchangeOptions), message).toThrow(`colyseus-attention: ${message}`)
    }
    // every known option and event at once is accepted
    expect(() => createBorderExchange({
      ...base, intervalMs: 50, keyframeEvery: 10, tolerance: 1, minResendMs: 0, fieldTolerance: [0], ttlMs: 1000, fields: 1,
      fieldFormats: ['f32'], readFields: () => {}, onLinkChange: () => {}, handover: true, maxMessageBytes: 1024,
      maxEntities: 10, channel: 'c', now: () => 0, events: { added() {}, updated() {}, removed() {}, adopted() {}, released() {} },
    })).not.toThrow()
  })

  it('should reject at creation a missing world and a margin wider than a zone, naming the option and the range', () => {
    const C = createAttentionComponents(16)
    const bus = createBus()
    const noWorld = { world: undefined, components: C, presence: bus, grid, zone: 0, margin: 10 } as unknown as BorderExchangeOptions
    expect(() => createBorderExchange(noWorld)).toThrow(/world must be the zone room's bitECS world \(createWorld\(\)\); got undefined/)
    const plain = { world: {}, components: C, presence: bus, grid, zone: 0, margin: 10 } as unknown as BorderExchangeOptions
    expect(() => createBorderExchange(plain)).toThrow(/world must be/)
    // grid: two zones of 100 x 100
    const world = createWorld()
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 100.5 })).toThrow(/margin must be a finite number in \(0, 100\]; got 100.5 \(the smaller side of a zone/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid: { columns: 2, rows: 4, width: 200, height: 100 }, zone: 0, margin: 30 })).toThrow(/margin must be a finite number in \(0, 25\]; got 30/)
    expect(() => createBorderExchange({ world, components: C, presence: bus, grid, zone: 0, margin: 100 })).not.toThrow()
  })

  it("should give gids this zone + 1 in the top byte, up to the last zone of the largest grid, and refuse a grid of 256 zones", () => {
    const bus = createBus()
    const make = (g: ZoneGrid, zone: number): BorderExchange =>
      createBorderExchange({ world: createWorld(), components: createAttentionComponents(16), presence: bus, grid: g, zone, margin: 1 })
    // the largest grid: 240 zones (16 x 15), its last zone 239
    const big = { columns: 16, rows: 15, width: 1600, height: 1500 }
    const gids = [0, 1, 239].map((zone) => {
      const ex = make(big, zone)
      return [ex.register(1), ex.register(2)]
    })
    expect(gids.map((g) => g.map((gid) => gid >>> 24))).toEqual([[1, 1], [2, 2], [240, 240]])
    for (const g of gids) expect(g[1]! - g[0]!).toBe(1)
    expect(() => make({ columns: 16, rows: 16, width: 1600, height: 1600 }, 255)).toThrow(/grid.columns \* grid.rows must be at most 255 zones .*; got 16 x 16 = 256/)
  })

  it('should take dt in seconds: reject a non-finite dt, warn once about one that looks like milliseconds, and take a negative one as 0', () => {
    const { bus, clock, a, b } = setup()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (const bad of [NaN, Infinity, -Infinity, '0.05' as unknown as number]) {
      expect(() => b.ex.step(bad)).toThrow(/border.step\(dt\): dt is the tick's duration in seconds and must be a finite number \(a negative one, from a clock set back, is taken as 0 with a warning\); got/)
    }
    spawn(a, 90, 50, 40)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const ghost = [...Array(256).keys()].find((e) => b.ex.isGhost(e))!
    const x = b.C.Position.x[ghost]!
    b.ex.step(0)
    b.ex.step(10)
    expect(warn).not.toHaveBeenCalled()
    expect(b.C.Position.x[ghost]).toBeCloseTo(x + 400)
    // a clock set back between two ticks: no throw from the tick, the ghost does not move back
    b.ex.step(-0.2)
    b.ex.step(-0.2)
    expect(b.C.Position.x[ghost]).toBeCloseTo(x + 400)
    b.ex.step(50)
    b.ex.step(50)
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'colyseus-attention: border exchange of zone 1: step(dt) got dt = -0.2, a negative duration (a delta measured on a clock that was set back?); taken as 0. Warned once.',
      expect.stringMatching(/^colyseus-attention: border exchange of zone 1: step\(dt\) got dt = 50, but dt is in seconds \(tickMs \/ 1000\): 50 s per tick looks like milliseconds/),
    ])
  })

  it('should warn once, naming the zone, its channel and both layouts, when a neighbour has another grid or other field formats', () => {
    const clock = { t: 1000 }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const make = (bus: Bus, zone: number, g: ZoneGrid, formats: BorderFieldFormat[]): BorderExchange =>
      createBorderExchange({
        world: createWorld(), components: createAttentionComponents(16), presence: bus, grid: g, zone, margin: 30, now: () => clock.t,
        fields: formats.length, fieldFormats: formats, readFields: () => {},
      })
    // three pairs of neighbours, each on its own pub/sub: another grid, other formats, the same settings
    const [wide, two, same] = [createBus(), createBus(), createBus()]
    const pairs = [
      [make(wide, 0, grid, ['u8']), make(wide, 1, { ...grid, width: 400 }, ['u8'])],
      [make(two, 0, grid, ['u8']), make(two, 1, grid, ['u8', 'f16'])],
      [make(same, 0, grid, ['u8']), make(same, 1, grid, ['u8'])],
    ] as const
    for (let i = 0; i < 3; i++) {
      clock.t += 50
      for (const pair of pairs) for (const ex of pair) ex.step(0.05)
      for (const bus of [wide, two, same]) bus.flush()
    }
    // apply the last round
    for (const pair of pairs) for (const ex of pair) ex.step(0.05)
    const calls = warn.mock.calls.map((c) => String(c[0]))
    // each mismatched room warns once (three summaries each way), the matching pair never
    expect(calls).toHaveLength(4)
    expect(calls[0]).toMatch(/^colyseus-attention: border exchange of zone 0 drops the messages of zone 1 \(channel attention:zone:1\): its grid or its fieldFormats differ from this room's \(grid 2 x 1 zones over 200 x 100, fieldFormats \['u8'\]\)\. Create every zone room with the same grid and fieldFormats/)
    expect(calls[1]).toMatch(/^colyseus-attention: border exchange of zone 1 drops the messages of zone 0 \(channel attention:zone:0\): .*\(grid 2 x 1 zones over 400 x 100, fieldFormats \['u8'\]\)/)
    // other field counts are named too
    expect(calls[2]).toContain("(grid 2 x 1 zones over 200 x 100, fieldFormats ['u8']; it sends 2 fields per entity, this room 1)")
    expect(calls[3]).toContain("fieldFormats ['u8', 'f16']; it sends 1 field per entity, this room 2)")
    for (const pair of pairs.slice(0, 2)) for (const ex of pair) expect(ex.stats.dropReasons['layout mismatch']).toBe(3)
    expect(pairs[2][0].stats.dropped + pairs[2][1].stats.dropped).toBe(0)
  })

  it('should warn once when messages pile up but step was never called, and not when step runs', () => {
    const clock = { t: 1000 }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    // two pairs on their own pub/sub: zone 1 never steps in the first, steps every tick in the second
    const [quiet, live] = [createBus(), createBus()]
    const a = createZone(quiet, 0, clock)
    const idle = createZone(quiet, 1, clock)
    const b = createZone(live, 0, clock)
    const busy = createZone(live, 1, clock)
    spawn(a, 90, 50)
    spawn(b, 90, 50)
    // 300 summaries from each zone 0 (a tick of 50 ms each), delivered at once: the 257th, 12.85 s
    // after creation, finds idle's inbox full
    for (let i = 0; i < 300; i++) {
      clock.t += 50
      a.ex.step(0.05)
      b.ex.step(0.05)
      quiet.flush()
      live.flush()
      busy.ex.step(0.05)
    }
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/^colyseus-attention: border exchange of zone 1 has 256 messages waiting, but step\(dt\) was never called \(created 12850 ms ago\): nothing received is applied and nothing is published until it runs/)
    expect(idle.ex.stats.dropReasons['inbox overflow']).toBe(300 - 256)
    expect(busy.ex.stats.dropReasons['inbox overflow']).toBeUndefined()
    // a flood between two steps of a room that does step overflows too, but is no forgotten step
    for (let i = 0; i < 300; i++) live.publish('attention:zone:0', 'x')
    live.flush()
    // the 300 and busy's own last summary
    expect(busy.ex.stats.dropReasons['inbox overflow']).toBe(301 - 256)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(busy.ex.stats.ghosts).toBe(1)
  })

  it('should leave out only an entity with a value that is not finite, warn once naming it and the value, and keep the zone\'s other entities visible', () => {
    const cases: [string, (z: Zone, eid: number) => void, (z: Zone, eid: number) => void, RegExp][] = [
      ['position', (z, e) => { z.C.Position.x[e] = NaN }, (z, e) => { z.C.Position.x[e] = 90 }, /entity \d+ has a Position \(NaN, 60, 0\) that is not finite/],
      ['height', (z, e) => { z.C.Position.z[e] = -Infinity }, (z, e) => { z.C.Position.z[e] = 0 }, /entity \d+ has a Position \(90, 60, -Infinity\) that is not finite/],
      // (vy, vz: the test's simulation moves entities along x only, so the position stays finite)
      ['velocity', (z, e) => { z.C.Velocity.y[e] = NaN }, (z, e) => { z.C.Velocity.y[e] = 0 }, /entity \d+ has a Velocity \(0, NaN, 0\) that is not finite/],
      ['vertical velocity', (z, e) => { z.C.Velocity.z[e] = NaN }, (z, e) => { z.C.Velocity.z[e] = 0 }, /entity \d+ has a Velocity \(0, 0, NaN\) that is not finite/],
      ['field', (z, e) => { z.kind[e] = NaN }, (z, e) => { z.kind[e] = 7 }, /entity \d+ has a field 0 \(NaN, from readFields\) that is not finite/],
      ['salience', (z, e) => { z.C.Salience.nimbus[e] = Infinity }, (z, e) => { z.C.Salience.nimbus[e] = 20 }, /entity \d+ has a Salience \(weight 0.5, nimbus Infinity\) that is not finite/],
    ]
    for (const [name, spoil, mend, message] of cases) {
      vi.restoreAllMocks()
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const { bus, clock, a, b } = setup()
      const good = spawn(a, 90, 40)
      const bad = spawn(a, 90, 60)
      addSalience(a.world, a.C, bad, 0.5, 20)
      for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
      expect(b.ex.stats.ghosts, name).toBe(2)
      spoil(a, bad)
      // 20 ticks of 50 ms: well past the ghosts' 300 ms lifetime, so only summaries keep them
      for (let i = 0; i < 20; i++) tick([a, b], bus, clock)
      const ghosts = [...Array(256).keys()].filter((e) => b.ex.isGhost(e)).map((e) => b.ex.gidOf(e))
      expect(ghosts, name).toEqual([a.ex.gidOf(good)])
      // its ghost went at once (a Gone record), not by expiry; nothing was dropped
      expect(b.removed, name).toEqual([a.ex.gidOf(bad)])
      expect(b.ex.stats.dropped, name).toBe(0)
      expect(b.ex.stats.dropReasons, name).toEqual({})
      expect(warn, name).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]![0]), name).toMatch(/^colyseus-attention: border exchange of zone 0: entity \d+ has a /)
      expect(String(warn.mock.calls[0]![0]), name).toMatch(message)
      expect(String(warn.mock.calls[0]![0]), name).toContain(`entity ${bad} has`)
      // finite again: published again, and not warned again
      mend(a, bad)
      for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
      expect(b.ex.stats.ghosts, name).toBe(2)
      expect(warn, name).toHaveBeenCalledTimes(1)
    }
  })

  it('should not hand over an entity with a value that is not finite, and hand over the others of its batch', () => {
    const { bus, clock, a, b } = setup()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    // both already in zone 1: handed over together once zone 1 is heard
    const good = a.ex.gidOf(spawn(a, 105, 30))
    const bad = spawn(a, 106, 70)
    a.kind[bad] = NaN
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    expect(a.released).toEqual([good])
    expect(b.adopted).toEqual([good])
    expect(b.ex.stats.dropped).toBe(0)
    // it stays local in zone 0 (not released into nowhere)
    expect(a.ex.isGhost(bad)).toBe(false)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(new RegExp(`^colyseus-attention: border exchange of zone 0: entity ${bad} has a field 0 \\(NaN, from readFields\\) that is not finite`))
    a.kind[bad] = 7
    const gid = a.ex.gidOf(bad)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([good, gid])
    expect(a.released).toEqual([good, gid])
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('should reject at creation a presence without unsubscribe, components without Position or Velocity stores, and holes in fieldTolerance or fieldFormats', () => {
    const world = createWorld()
    const C = createAttentionComponents(16)
    const bus = createBus()
    const base = { world, components: C, presence: bus, grid, zone: 0, margin: 10 }
    const make = (extra: Record<string, unknown>) => () => createBorderExchange({ ...base, ...extra } as unknown as BorderExchangeOptions)
    // without unsubscribe, close() at room dispose would throw a TypeError
    const noUnsubscribe = { publish: bus.publish, subscribe: bus.subscribe }
    expect(make({ presence: noUnsubscribe })).toThrow(TypeError)
    expect(make({ presence: noUnsubscribe })).toThrow(/^colyseus-attention: presence must have publish, subscribe and unsubscribe functions \(pass the room's this.presence\); got an object whose unsubscribe is undefined$/)
    expect(make({ presence: { ...noUnsubscribe, publish: 'x' } })).toThrow(/; got an object whose publish is "x" \(a string\)$/)
    expect(make({ presence: null })).toThrow(/presence must have publish, subscribe and unsubscribe functions .*; got null$/)
    // without Position stores, step() would publish nothing, silently
    expect(make({ components: { ...C, Position: {} } })).toThrow(TypeError)
    expect(make({ components: { ...C, Position: {} } })).toThrow(/^colyseus-attention: components.Position.x must be a Float32Array or Float64Array of at least capacity \(16\) numbers \(components must be the object returned by createAttentionComponents\(capacity\)\); got undefined$/)
    expect(make({ components: { ...C, Position: { x: new Float32Array(16), y: [] } } })).toThrow(/components.Position.y must be .*; got an array$/)
    expect(make({ components: { ...C, Position: { x: new Float32Array(8), y: new Float32Array(8) } } })).toThrow(RangeError)
    expect(make({ components: { ...C, Position: { x: new Float32Array(8), y: new Float32Array(8) } } })).toThrow(/components.Position.x must be .* at least capacity \(16\) numbers .*; got a Float32Array of 8$/)
    expect(make({ components: { ...C, Velocity: undefined } })).toThrow(/^colyseus-attention: components.Velocity must be an object with x, y and z typed arrays .*; got undefined$/)
    expect(make({ components: { ...C, Velocity: { x: new Float32Array(16), y: new Float32Array(16) } } })).toThrow(/^colyseus-attention: components.Velocity.z must be a Float32Array or Float64Array .*; got undefined$/)
    expect(make({ components: { ...C, capacity: undefined } })).toThrow(/^colyseus-attention: components.capacity must be an integer >= 1 .*; got undefined$/)
    expect(make({ components: { ...C, Position: { x: new Float64Array(16), y: new Float64Array(16), z: new Float64Array(16) } } })).not.toThrow()
    // a hole is undefined, not skipped
    expect(make({ fields: 2, readFields: () => {}, fieldTolerance: [, 1] })).toThrow(/^colyseus-attention: fieldTolerance\[0\] must be a finite number in \[0, 1000000000\]; got undefined$/)
    expect(make({ fields: 2, readFields: () => {}, fieldFormats: [, 'u8'] })).toThrow(/^colyseus-attention: fieldFormats\[0\] must be one of 'f32', 'f16', 'u8', 'i8', 'u16', 'i16'; got undefined$/)
    expect(make({ fields: 2, readFields: () => {}, fieldTolerance: [0, 1], fieldFormats: ['f16', 'u8'] })).not.toThrow()
    // a misspelt grid key, named as createBorderExchange's
    expect(make({ grid: { colums: 2, rows: 1, width: 200, height: 100 } })).toThrow(/^colyseus-attention: createBorderExchange option grid has no key "colums" \(did you mean columns\?\); its keys are columns, rows, width, height$/)
    // the full presence: close() unsubscribes every topic
    const ex = createBorderExchange(base)
    expect(() => ex.close()).not.toThrow()
  })

  it('should reject in register an eid that is not an integer below the capacity, naming the range', () => {
    const ex = createBorderExchange({ world: createWorld(), components: createAttentionComponents(16), presence: createBus(), grid, zone: 0, margin: 10 })
    for (const bad of [16, 17, -1, 1.5, NaN, '3' as unknown as number]) {
      expect(() => ex.register(bad), String(bad)).toThrow(RangeError)
      expect(() => ex.register(bad), String(bad)).toThrow(/^colyseus-attention: register\(eid\): eid must be an integer in \[0, 15\]; got .* \(an entity id below the components' capacity, 16\)$/)
    }
    expect(ex.gidOf(16)).toBe(0)
    const gid = ex.register(15)
    expect(ex.gidOf(15)).toBe(gid)
    expect(ex.register(0) >>> 24).toBe(1)
  })
})

// A handover carries the entity's Hidden and TeamOnly flags, its team and its salience as they are
// when it crosses. The new owner often already holds a ghost of it, made from an older summary
// (which never carries Hidden or TeamOnly): adopting that ghost must give it exactly what the
// record says, as spawning a fresh entity from it would, or its observers select what they may not.
describe('border-exchange handover visibility', () => {
  /**
   * Zone 0 owns E (team 1, at x 95: in zone 1's margin) and zone 1 holds a ghost of it; zone 1 has
   * an observer of team 1 and one of team 2 next to it, and an attention system.
   */
  function ghosted(): { bus: Bus; clock: { t: number }; a: Zone; b: Zone; e: number; gid: number; ghost: number; sys: AttentionSystem; o1: number; o2: number } {
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(b.world, { components: b.C, hysteresis: false })
    const o1 = observer(b, 110, 1)
    const o2 = observer(b, 112, 2)
    const e = spawn(a, 95, 50)
    setTeam(a, e, 1)
    const gid = a.ex.gidOf(e)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const ghost = find(b, gid)
    expect(b.ex.isGhost(ghost)).toBe(true)
    expect(b.C.Team.id[ghost]).toBe(1)
    sys(b.world)
    // a visible ghost: both teams select it
    expect(sys.isMember(o1, ghost)).toBe(true)
    expect(sys.isMember(o2, ghost)).toBe(true)
    return { bus, clock, a, b, e, gid, ghost, sys, o1, o2 }
  }

  /** E crosses into zone 1 now (before zone 0's next summary); zone 1 adopts it. Returns zone 1's entity. */
  function cross(w: ReturnType<typeof ghosted>): number {
    const { bus, clock, a, b, e, gid, ghost } = w
    a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(a.released).toEqual([gid])
    expect(b.adopted).toEqual([gid])
    const mine = find(b, gid)
    // the ghost itself was adopted (not a fresh spawn)
    expect(mine).toBe(ghost)
    expect(b.ex.isGhost(mine)).toBe(false)
    return mine
  }

  it('should keep an entity hidden when it crosses hidden over a ghost of it: no observer of the new zone selects it', () => {
    const w = ghosted()
    addComponent(w.a.world, w.e, w.a.C.Hidden)
    const mine = cross(w)
    w.sys(w.b.world)
    for (const o of [w.o1, w.o2]) {
      expect(w.sys.isDenied(o, mine)).toBe(true)
      expect(w.sys.isMember(o, mine)).toBe(false)
    }
    expect(hasComponent(w.b.world, mine, w.b.C.Hidden)).toBe(true)
  })

  it('should keep an entity team-only when it crosses team-only over a ghost of it: only its team selects it', () => {
    const w = ghosted()
    addComponent(w.a.world, w.e, w.a.C.TeamOnly)
    const mine = cross(w)
    w.sys(w.b.world)
    expect(w.sys.isDenied(w.o2, mine)).toBe(true)
    expect(w.sys.isMember(w.o2, mine)).toBe(false)
    expect(w.sys.isDenied(w.o1, mine)).toBe(false)
    expect(w.sys.isMember(w.o1, mine)).toBe(true)
    expect(hasComponent(w.b.world, mine, w.b.C.TeamOnly)).toBe(true)
    expect(hasComponent(w.b.world, mine, w.b.C.Hidden)).toBe(false)
    expect(w.b.C.Team.id[mine]).toBe(1)
  })

  it('should give an adopted ghost the team the entity has when it crosses, not the one of the last summary', () => {
    // changed team: the old team's observers lose it
    const w = ghosted()
    addComponent(w.a.world, w.e, w.a.C.TeamOnly)
    setTeam(w.a, w.e, 2)
    const mine = cross(w)
    expect(hasComponent(w.b.world, mine, w.b.C.Team)).toBe(true)
    expect(w.b.C.Team.id[mine]).toBe(2)
    w.sys(w.b.world)
    expect(w.sys.isDenied(w.o1, mine)).toBe(true)
    expect(w.sys.isMember(w.o1, mine)).toBe(false)
    expect(w.sys.isMember(w.o2, mine)).toBe(true)
    // no team any more: a team-only entity without a team is no observer's
    const v = ghosted()
    addComponent(v.a.world, v.e, v.a.C.TeamOnly)
    setTeam(v.a, v.e, null)
    const theirs = cross(v)
    expect(hasComponent(v.b.world, theirs, v.b.C.Team)).toBe(false)
    expect(hasComponent(v.b.world, theirs, v.b.C.TeamOnly)).toBe(true)
    v.sys(v.b.world)
    for (const o of [v.o1, v.o2]) expect(v.sys.isDenied(o, theirs)).toBe(true)
  })

  it('should give an adopted ghost the salience the entity has when it crosses, added or removed', () => {
    const w = ghosted()
    addSalience(w.a.world, w.a.C, w.e, 0.75, 12)
    const mine = cross(w)
    expect(hasComponent(w.b.world, mine, w.b.C.Salience)).toBe(true)
    expect(w.b.C.Salience.weight[mine]).toBeCloseTo(0.75)
    expect(w.b.C.Salience.nimbus[mine]).toBeCloseTo(12)
    // a ghost made with salience, of an entity that lost it before crossing
    const { bus, clock, a, b } = setup()
    const e = spawn(a, 95, 50)
    addSalience(a.world, a.C, e, 0.5, 20)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const ghost = find(b, a.ex.gidOf(e))
    expect(hasComponent(b.world, ghost, b.C.Salience)).toBe(true)
    removeComponent(a.world, e, a.C.Salience)
    a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([a.ex.gidOf(e)])
    expect(b.ex.isGhost(ghost)).toBe(false)
    expect(hasComponent(b.world, ghost, b.C.Salience)).toBe(false)
  })

  it('should clear a stale Hidden when a ghost left hidden by its release is handed back visible', () => {
    // E crosses hidden into zone 1: zone 0 keeps it as a ghost of zone 1, Hidden still
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(a.world, { components: a.C, hysteresis: false })
    const o = observer(a, 90, 2)
    const e = spawn(a, 95, 50)
    const gid = a.ex.gidOf(e)
    addComponent(a.world, e, a.C.Hidden)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(a.released).toEqual([gid])
    expect(b.adopted).toEqual([gid])
    expect(a.ex.isGhost(e)).toBe(true)
    expect(hasComponent(a.world, e, a.C.Hidden)).toBe(true)
    // zone 1 makes it visible and it crosses back in the same tick (no summary lists it between)
    const there = find(b, gid)
    expect(hasComponent(b.world, there, b.C.Hidden)).toBe(true)
    removeComponent(b.world, there, b.C.Hidden)
    b.C.Position.x[there] = 98
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.released).toEqual([gid])
    expect(a.adopted).toEqual([gid])
    expect(find(a, gid)).toBe(e)
    expect(a.ex.isGhost(e)).toBe(false)
    expect(hasComponent(a.world, e, a.C.Hidden)).toBe(false)
    sys(a.world)
    expect(sys.isDenied(o, e)).toBe(false)
    expect(sys.isMember(o, e)).toBe(true)
  })

  it('should clear a stale Hidden or TeamOnly when the new owner\'s summary lists the ghost left by a release', () => {
    for (const tag of ['Hidden', 'TeamOnly'] as const) {
      const { bus, clock, a, b } = setup()
      const e = spawn(a, 95, 50)
      setTeam(a, e, 1)
      const gid = a.ex.gidOf(e)
      addComponent(a.world, e, a.C[tag])
      for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
      a.C.Position.x[e] = 101
      for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
      expect(a.ex.isGhost(e), tag).toBe(true)
      expect(hasComponent(a.world, e, a.C[tag]), tag).toBe(true)
      // visible again in zone 1, and in its border with zone 0: its summary lists it
      const there = find(b, gid)
      removeComponent(b.world, there, b.C[tag])
      for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
      expect(a.ex.isGhost(e), tag).toBe(true)
      expect(hasComponent(a.world, e, a.C[tag]), tag).toBe(false)
      expect(a.C.Team.id[e], tag).toBe(1)
    }
  })
})

// After a handover the old zone keeps a ghost of the entity, fed by the new owner's summaries. The
// new owner may stop publishing it at any moment (hidden, team-only, despawned, gone from the
// border), even before its first summary lists it: the old zone's ghost must go at the next
// summary, not linger (visible to the old zone's observers) until it expires.
describe('border-exchange ghost left by a release', () => {
  /**
   * Zone 0 owns E (team 1) at x 95 with an observer of team 1 at x 90, and an attention system;
   * zone 0 has heard zone 1, so E is handed over as soon as it crosses.
   */
  function owned(): { bus: Bus; clock: { t: number }; a: Zone; b: Zone; e: number; gid: number; sys: AttentionSystem; o: number } {
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(a.world, { components: a.C, hysteresis: false })
    const o = observer(a, 90, 1)
    const e = spawn(a, 95, 50)
    setTeam(a, e, 1)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    return { bus, clock, a, b, e, gid: a.ex.gidOf(e), sys, o }
  }

  /** E crosses into zone 1 and is released: zone 0 keeps it as a ghost, which its observer selects. */
  function release(w: ReturnType<typeof owned>): void {
    const { bus, clock, a, b, e, gid, sys, o } = w
    a.C.Position.x[e] = 101
    tick([a, b], bus, clock)
    expect(a.released).toEqual([gid])
    expect(a.ex.isGhost(e)).toBe(true)
    sys(a.world)
    expect(sys.isMember(o, e)).toBe(true)
  }

  const stops: [string, (z: Zone, eid: number) => void][] = [
    ['hidden', (z, eid) => addComponent(z.world, eid, z.C.Hidden)],
    ['team-only of another team', (z, eid) => {
      setTeam(z, eid, 2)
      addComponent(z.world, eid, z.C.TeamOnly)
    }],
    ['despawned', (z, eid) => {
      z.ex.forget(eid)
      removeEntity(z.world, eid)
    }],
    ['moved away from the border', (z, eid) => {
      z.C.Position.x[eid] = 190
    }],
  ]

  it('should remove it at the next summary when the new owner stops publishing the entity on arrival, before listing it', () => {
    for (const [name, stop] of stops) {
      const w = owned()
      const { bus, clock, a, b, gid, sys, o } = w
      b.onAdopted = (eid) => stop(b, eid)
      release(w)
      // zone 1 adopts it and publishes its summary; zone 0 applies that summary
      tick([a, b], bus, clock)
      expect(b.adopted, name).toEqual([gid])
      tick([a, b], bus, clock)
      // 100 ms after the release, well within the ghosts' 300 ms lifetime
      expect([...Array(256).keys()].filter((e) => a.ex.gidOf(e) === gid), name).toEqual([])
      expect(a.removed, name).toEqual([gid])
      sys(a.world)
      expect(sys.isMember(o, w.e), name).toBe(false)
    }
  })

  it('should remove it at the next summary when the new owner stops publishing the entity after listing it', () => {
    for (const [name, stop] of stops) {
      const w = owned()
      const { bus, clock, a, b, e, gid, sys, o } = w
      release(w)
      for (let i = 0; i < 6; i++) tick([a, b], bus, clock)
      // zone 1's summaries keep zone 0's ghost alive past its first lifetime
      expect(a.ex.isGhost(e), name).toBe(true)
      expect(a.removed, name).toEqual([])
      stop(b, find(b, gid))
      for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
      expect([...Array(256).keys()].filter((x) => a.ex.gidOf(x) === gid), name).toEqual([])
      expect(a.removed, name).toEqual([gid])
      sys(a.world)
      expect(sys.isMember(o, e), name).toBe(false)
    }
  })

  it('should remove a team-only entity\'s ghost at the new owner\'s first summary (team-only entities are not seen across a border)', () => {
    const w = owned()
    const { bus, clock, a, b, e, gid, sys, o } = w
    addComponent(a.world, e, a.C.TeamOnly)
    release(w)
    expect(hasComponent(a.world, e, a.C.TeamOnly)).toBe(true)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect([...Array(256).keys()].filter((x) => a.ex.gidOf(x) === gid)).toEqual([])
    sys(a.world)
    expect(sys.isMember(o, e)).toBe(false)
  })

  it('should remove it at the next summary when the new owner hands the entity on to a third zone on arrival', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // three zones in a row: zone 2 is no neighbour of zone 0, its summaries never reach it
    const row = { grid: { columns: 3, rows: 1, width: 300, height: 100 } }
    const a = createZone(bus, 0, clock, row)
    const b = createZone(bus, 1, clock, row)
    const c = createZone(bus, 2, clock, row)
    const e = spawn(a, 95, 50)
    const gid = a.ex.gidOf(e)
    for (let i = 0; i < 2; i++) tick([a, b, c], bus, clock)
    b.onAdopted = (eid) => {
      b.C.Position.x[eid] = 201
    }
    a.C.Position.x[e] = 101
    tick([a, b, c], bus, clock)
    expect(a.released).toEqual([gid])
    tick([a, b, c], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect(b.released).toEqual([gid])
    tick([a, b, c], bus, clock)
    expect(c.adopted).toEqual([gid])
    expect([...Array(256).keys()].filter((x) => a.ex.gidOf(x) === gid)).toEqual([])
    expect(a.removed).toEqual([gid])
  })

  it('should keep it when a Gone from the entity\'s earlier stay in its new zone arrives after the release (it went back and forth)', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // a summary every other tick: a zone's Gone of an entity it handed over can follow a tick later
    const a = createZone(bus, 0, clock, { intervalMs: 100 })
    const b = createZone(bus, 1, clock, { intervalMs: 100 })
    const e = spawn(b, 105, 50)
    const gid = b.ex.gidOf(e)
    let summaries = 0
    bus.subscribe('attention:zone:1', () => summaries++)
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    expect(a.added).toEqual([gid])
    // zone 1 just published: its next step will not
    if (summaries % 2 === 1) tick([a, b], bus, clock)
    const before = summaries
    tick([a, b], bus, clock)
    expect(summaries).toBe(before + 1)
    // zone 1 hands E to zone 0, which hands it straight back on arrival
    a.onAdopted = (eid) => {
      a.C.Position.x[eid] = 101
    }
    b.C.Position.x[e] = 99
    tick([a, b], bus, clock)
    expect(b.released).toEqual([gid])
    expect(summaries).toBe(before + 1)
    // zone 0 adopts and releases it; zone 1 publishes the Gone of its own release
    tick([a, b], bus, clock)
    expect(a.adopted).toEqual([gid])
    expect(a.released).toEqual([gid])
    expect(summaries).toBe(before + 2)
    // zone 0 applies that Gone (older than its ghost: kept); zone 1 adopts E and lists it
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect(a.removed).toEqual([])
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
  })

  it('should keep the ghost of an entity handed back to the zone it came from and on again before the other zone\'s next summary', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // a summary every other tick
    const a = createZone(bus, 0, clock, { intervalMs: 100 })
    const b = createZone(bus, 1, clock, { intervalMs: 100 })
    const e = spawn(a, 95, 50)
    const gid = a.ex.gidOf(e)
    let summaries = 0
    bus.subscribe('attention:zone:1', () => summaries++)
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    // align: zone 1 publishes on the next tick (T1), not on T2, again on T3
    let before = summaries
    tick([a, b], bus, clock)
    if (summaries > before) tick([a, b], bus, clock)
    // each zone hands E on once on arrival: zone 1 straight back to zone 0, zone 0 to zone 1 again
    let back = true
    b.onAdopted = (eid) => {
      if (back) b.C.Position.x[eid] = 99
      back = false
    }
    let on = true
    a.onAdopted = (eid) => {
      if (on) a.C.Position.x[eid] = 101
      on = false
    }
    // T1: zone 0 hands E to zone 1 (and keeps a ghost)
    before = summaries
    a.C.Position.x[e] = 101
    tick([a, b], bus, clock)
    expect(summaries).toBe(before + 1)
    expect(a.released).toEqual([gid])
    // T2: zone 1 adopts E and hands it straight back, publishing nothing
    tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect(b.released).toEqual([gid])
    expect(summaries).toBe(before + 1)
    // T3: zone 0 adopts E and hands it on again (a new ghost, no summary confirmed it yet); zone 1,
    // where E is still a ghost, publishes: a Gone for it, which must not drop zone 0's new ghost
    tick([a, b], bus, clock)
    expect(a.adopted).toEqual([gid])
    expect(a.released).toEqual([gid, gid])
    expect(summaries).toBe(before + 2)
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid, gid])
    expect(a.removed).toEqual([])
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
  })

  it('should remove the ghost the first zone keeps when the entity went on to a third zone, back and on again before the new owner\'s next summary', () => {
    const { a, b, c, e, step, summaries } = chainRow((a) => spawn(a, 95, 50))
    const gid = a.ex.gidOf(e)
    // zone 1 hands E on to zone 2 on each arrival; zone 2 hands it back once
    b.onAdopted = (eid) => {
      b.C.Position.x[eid] = 201
    }
    let back = true
    c.onAdopted = (eid) => {
      if (back) c.C.Position.x[eid] = 199
      back = false
    }
    a.C.Position.x[e] = 101
    // T1 zone 0 releases E; T2 zone 1 adopts it and hands it on; T3 zone 2 hands it back; T4 zone 1
    // adopts it again and hands it on again; T5 zone 2 keeps it, and zone 1 publishes
    for (let i = 0; i < 4; i++) step()
    expect(b.adopted).toEqual([gid, gid])
    expect(b.released).toEqual([gid, gid])
    expect(summaries()).toBe(0)
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
    step()
    expect(summaries()).toBe(1)
    // zone 1's Gone, flagged Adopted (E first came from zone 0), drops zone 0's ghost at once
    step()
    expect(a.removed).toEqual([gid])
  })

  it('should take a handover message once: delivered again (or late), it makes no second owner of its entities', () => {
    const { bus, clock, a, b } = setup()
    const sysB = createAttentionSystem(b.world, { components: b.C, hysteresis: false })
    const o = observer(b, 112, 2)
    const e = spawn(a, 95, 50)
    const gid = a.ex.gidOf(e)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    // zone 0 hands E to zone 1 (message H1), which hands it straight back; zone 0 then hides it
    let back = true
    b.onAdopted = (eid) => {
      if (back) b.C.Position.x[eid] = 99
      back = false
    }
    a.C.Position.x[e] = 101
    tick([a, b], bus, clock)
    const h1 = bus.log.find(([topic]) => topic === 'attention:zone:1:in')!
    expect(h1).toBeDefined()
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(a.adopted).toEqual([gid])
    const local = find(a, gid)
    expect(a.ex.isGhost(local)).toBe(false)
    addComponent(a.world, local, a.C.Hidden)
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    const copies = (): number => [...Array(256).keys()].filter((x) => b.ex.gidOf(x) === gid).length
    expect(copies()).toBe(0)
    // H1 delivered a second time: zone 1 takes nothing
    bus.inject(...h1)
    bus.flush()
    for (let i = 0; i < 4; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    expect(copies()).toBe(0)
    // the observer next to the border holds itself only
    sysB(b.world)
    expect(sysB.memberCount(o)).toBe(1)
    expect(sysB.memberAt(o, 0)).toBe(o)
    // and a handover delivered after the ghost lifetime (queued through an outage) neither
    const stale = JSON.parse(h1[1]) as unknown
    clock.t += 1000
    bus.inject(h1[0], JSON.stringify(stale))
    bus.flush()
    tick([a, b], bus, clock)
    expect(copies()).toBe(0)
  })

  it('should remove the ghost a zone keeps when the entity came through it from a third zone and went back there (C to B to A to B to C)', () => {
    const { a, b, c, e, step, summaries } = chainRow((_a, c) => spawn(c, 205, 50))
    const gid = c.ex.gidOf(e)
    // zone 1 hands E on to zone 0 the first time, back to zone 2 the second; zone 0 hands it back;
    // zone 2, its owner again, hides it
    let atB = 0
    b.onAdopted = (eid) => {
      b.C.Position.x[eid] = atB++ === 0 ? 99 : 201
    }
    a.onAdopted = (eid) => {
      a.C.Position.x[eid] = 101
    }
    c.onAdopted = (eid) => {
      addComponent(c.world, eid, c.C.Hidden)
    }
    c.C.Position.x[e] = 199
    // T1 zone 2 releases E; T2 zone 1 adopts and hands it to zone 0; T3 zone 0 hands it back; T4
    // zone 1 adopts it again and hands it to zone 2; T5 zone 2 keeps it, hidden, and zone 1 publishes
    for (let i = 0; i < 4; i++) step()
    expect(b.adopted).toEqual([gid, gid])
    expect(b.released).toEqual([gid, gid])
    expect(summaries()).toBe(0)
    expect(a.ex.isGhost(find(a, gid))).toBe(true)
    step()
    expect(c.adopted).toEqual([gid])
    expect(summaries()).toBe(1)
    // zone 1's Gone, flagged Adopted (zone 0 handed E to it and never had it back), drops zone 0's ghost
    step()
    expect(a.removed).toEqual([gid])
  })

  it('should keep on the ghost a handover leaves no relation records do not carry (Owner, AlwaysRelevant, Aim), and its own view (Observer, Facing)', () => {
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(a.world, { components: a.C, hysteresis: false })
    // an observer far from the border (it does not reach x 101) and one next to it, of team 2
    const far = addEntity(a.world)
    addComponent(a.world, far, a.C.Position)
    a.C.Position.x[far] = 10
    a.C.Position.y[far] = 50
    addObserver(a.world, a.C, far, { radius: 20, budget: 8, fov: 2 * Math.PI })
    const near = observer(a, 90, 2)
    // a player: observes, aims at the near observer, faces, is always relevant, team 1, salient
    const player = spawn(a, 95, 40)
    setTeam(a, player, 1)
    addSalience(a.world, a.C, player, 0.5, 5)
    addObserver(a.world, a.C, player, { radius: 30 })
    addComponent(a.world, player, a.C.AlwaysRelevant)
    addComponent(a.world, player, a.C.Aim)
    a.C.Aim.target[player] = near
    addComponent(a.world, player, a.C.Facing)
    a.C.Facing.x[player] = 1
    // a hidden pet the near observer owns
    const pet = spawn(a, 95, 60)
    addComponent(a.world, pet, a.C.Hidden)
    addComponent(a.world, pet, a.C.Owner)
    a.C.Owner.eid[pet] = near
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    sys(a.world)
    expect(sys.isMember(far, player)).toBe(true)
    expect(sys.isMember(near, pet)).toBe(true)
    a.C.Position.x[player] = 101
    a.C.Position.x[pet] = 101
    tick([a, b], bus, clock)
    expect(a.ex.isGhost(player) && a.ex.isGhost(pet)).toBe(true)
    const C = a.C
    for (const [name, c] of [['Owner', C.Owner], ['AlwaysRelevant', C.AlwaysRelevant], ['Aim', C.Aim]] as const) {
      expect(hasComponent(a.world, player, c), `player ${name}`).toBe(false)
      expect(hasComponent(a.world, pet, c), `pet ${name}`).toBe(false)
    }
    // the player's own view stays, for its client bound here until it moves to the new room
    expect(hasComponent(a.world, player, C.Observer)).toBe(true)
    expect(hasComponent(a.world, player, C.Facing)).toBe(true)
    // what records carry stays: position, velocity, team, salience, and the release's Hidden
    for (const c of [C.Position, C.Velocity, C.Team, C.Salience]) expect(hasComponent(a.world, player, c)).toBe(true)
    expect(C.Team.id[player]).toBe(1)
    expect(hasComponent(a.world, pet, C.Hidden)).toBe(true)
    sys(a.world)
    // no stale AlwaysRelevant, no stale ownership of a hidden ghost, and the player still sees
    // around it (its client here until it moves)
    expect(sys.isMember(far, player)).toBe(false)
    expect(sys.isMember(near, player)).toBe(true)
    expect(sys.isDenied(near, pet)).toBe(true)
    expect(sys.isMember(near, pet)).toBe(false)
    expect(sys.isMember(player, near)).toBe(true)
  })
})

describe('border-exchange team 0', () => {
  it('should send a team, flag or salience change in the next summary, not at the next keyframe', () => {
    const bus = createBus()
    const clock = { t: 1000 }
    // keyframes far apart: only deltas in this test
    const a = createZone(bus, 0, clock, { keyframeEvery: 1000 })
    const b = createZone(bus, 1, clock, { keyframeEvery: 1000 })
    const e = spawn(a, 95, 40)
    setTeam(a, e, 1)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const gid = a.ex.gidOf(e)
    const ghost = find(b, gid)
    expect(b.C.Team.id[ghost]).toBe(1)
    // its owner moves it to team 2 (it neither moves nor changes a field): the ghost follows at once
    a.C.Team.id[e] = 2
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.C.Team.id[ghost]).toBe(2)
    setTeam(a, e, null)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(hasComponent(b.world, ghost, b.C.Team)).toBe(false)
    addSalience(a.world, a.C, e, 0.5, 40)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(hasComponent(b.world, ghost, b.C.Salience)).toBe(true)
    expect(b.C.Salience.nimbus[ghost]).toBe(40)
  })

  it('should carry team 0 as a team in summaries: the ghost has Team 0, not no team', () => {
    const { bus, clock, a, b } = setup()
    const zero = spawn(a, 95, 40)
    setTeam(a, zero, 0)
    const none = spawn(a, 95, 60)
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const g0 = find(b, a.ex.gidOf(zero))
    const gn = find(b, a.ex.gidOf(none))
    expect(hasComponent(b.world, g0, b.C.Team)).toBe(true)
    expect(b.C.Team.id[g0]).toBe(0)
    expect(hasComponent(b.world, gn, b.C.Team)).toBe(false)
  })

  it('should hand over a team-only entity of team 0 visible to team 0 only', () => {
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(b.world, { components: b.C, hysteresis: false })
    const o0 = observer(b, 110, 0)
    const o1 = observer(b, 112, 1)
    const e = spawn(a, 95, 50)
    setTeam(a, e, 0)
    addComponent(a.world, e, a.C.TeamOnly)
    const gid = a.ex.gidOf(e)
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.adopted).toEqual([gid])
    const mine = find(b, gid)
    expect(b.ex.isGhost(mine)).toBe(false)
    expect(hasComponent(b.world, mine, b.C.Team)).toBe(true)
    expect(b.C.Team.id[mine]).toBe(0)
    sys(b.world)
    expect(sys.isDenied(o0, mine)).toBe(false)
    expect(sys.isMember(o0, mine)).toBe(true)
    expect(sys.isDenied(o1, mine)).toBe(true)
    expect(sys.isMember(o1, mine)).toBe(false)
  })
})

// A 3D game's entities have a height: a ghost at height 0 is scored at the wrong distance.
describe('border-exchange 3D', () => {
  it('should carry z and its velocity in summaries, so a ghost is scored at its true distance, and extrapolate it', () => {
    const { bus, clock, a, b } = setup()
    const sys = createAttentionSystem(b.world, { components: b.C, hysteresis: false })
    // an observer up at z 100 next to the border, seeing 60 units around it
    const o = observer(b, 110, 1)
    b.C.Position.z[o] = 100
    const e = spawn(a, 95, 50)
    a.C.Position.z[e] = 100.25
    a.C.Velocity.z[e] = -2
    for (let i = 0; i < 3; i++) tick([a, b], bus, clock)
    const ghost = find(b, a.ex.gidOf(e))
    expect(b.ex.isGhost(ghost)).toBe(true)
    // tick() moves a's entities in x only: a's z stays, the ghost's follows its velocity
    expect(b.C.Velocity.z[ghost]).toBe(-2)
    // (two steps of -2 units/s since the summary that made it)
    expect(Math.abs(b.C.Position.z[ghost]! - (100.25 - 2 * 2 * 0.05))).toBeLessThan(1e-3)
    sys(b.world)
    expect(sys.isMember(o, ghost)).toBe(true)
    // 15 units away across, 100 below: out of its reach
    a.C.Position.z[e] = 0
    a.C.Velocity.z[e] = 0
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    expect(b.C.Position.z[ghost]).toBe(0)
    expect(b.C.Velocity.z[ghost]).toBe(0)
    sys(b.world)
    expect(sys.isMember(o, ghost)).toBe(false)
  })

  it('should hand z and its velocity over exactly', () => {
    const { bus, clock, a, b } = setup()
    const e = spawn(a, 95, 50)
    a.C.Position.z[e] = 12.345678
    a.C.Velocity.z[e] = 0.3333
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    a.C.Position.x[e] = 101
    for (let i = 0; i < 2; i++) tick([a, b], bus, clock)
    const mine = find(b, a.ex.gidOf(e))
    expect(b.ex.isGhost(mine)).toBe(false)
    // (the ghost was extrapolated before the handover replaced it: exact again)
    expect(b.C.Position.z[mine]).toBe(Math.fround(12.345678))
    expect(b.C.Velocity.z[mine]).toBe(Math.fround(0.3333))
  })
})
