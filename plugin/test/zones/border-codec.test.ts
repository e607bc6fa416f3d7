import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  beginMessage,
  BORDER_VERSION,
  createBorderRecord,
  createBorderWriter,
  FIELD_FORMATS,
  fieldLayout,
  finishMessage,
  fromHalfBits,
  HEADER_BYTES,
  MessageFlag,
  positionFrames,
  quantize,
  readMessage,
  readRecord,
  RecordFlag,
  roundToHalf,
  toHalfBits,
  writeGone,
  writeRecord,
} from '../../src/zones/border-codec'

// Reference value of a half's bits, from the definition (not from the codec's arithmetic).
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 31
  const m = h & 1023
  if (e === 0) return sign * (m / 1024) * Math.pow(2, -14)
  if (e === 31) return m === 0 ? sign * Infinity : NaN
  return sign * (1 + m / 1024) * Math.pow(2, e - 15)
}

describe('border-codec', () => {
  it('should decode every half-precision bit pattern to its value, and encode each finite one back to the same bits', () => {
    const wrong: string[] = []
    for (let h = 0; h < 0x10000; h++) {
      const v = halfValue(h)
      const got = fromHalfBits(h)
      if (Number.isNaN(v) ? !Number.isNaN(got) : !Object.is(got, v)) wrong.push(`decode ${h}: ${got}`)
      else if (Number.isFinite(v) && toHalfBits(v) !== h) wrong.push(`encode ${v}: ${toHalfBits(v)}`)
    }
    expect(wrong).toEqual([])
  })

  it('should round a float to the nearest half (ties to even) and clamp beyond the range', () => {
    // every representable half, ordered, to find the true nearest by search
    const finite: number[] = []
    for (let h = 0; h < 0x7c00; h++) finite.push(halfValue(h))
    const wrong: string[] = []
    let seed = 12345
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    for (let i = 0; i < 20_000; i++) {
      // magnitudes from subnormals to past the largest half
      const v = Math.fround(Math.pow(2, -26 + rand() * 43) * (rand() < 0.5 ? -1 : 1))
      const got = roundToHalf(v)
      const a = Math.abs(v)
      if (a >= 65504) {
        expect(got).toBe(Math.sign(v) * 65504)
        continue
      }
      // binary search for the neighbours of |v|
      let lo = 0
      let hi = finite.length - 1
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1
        if (finite[mid]! <= a) lo = mid
        else hi = mid
      }
      const below = finite[lo]!
      const above = finite[hi]!
      const dl = a - below
      const du = above - a
      const want = dl < du ? below : du < dl ? above : lo % 2 === 0 ? below : above
      const signOk = got === 0 ? Object.is(got, v < 0 ? -0 : 0) : Math.sign(got) === Math.sign(v)
      if (Math.abs(got) !== want || !signOk) wrong.push(`${v}: ${got}, want ${want}`)
    }
    expect(wrong).toEqual([])
    // ties go to the even mantissa, normal and subnormal
    expect(roundToHalf(1 + 2 ** -11)).toBe(1)
    expect(roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9)
    expect(roundToHalf(2 ** -25)).toBe(0)
    expect(roundToHalf(3 * 2 ** -25)).toBe(2 ** -23)
    expect(roundToHalf(1e9)).toBe(65504)
    expect(roundToHalf(-1e9)).toBe(-65504)
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00)
  })

  it('should round integer formats to the nearest integer and clamp them to their range', () => {
    const code = (f: (typeof FIELD_FORMATS)[number]): number => FIELD_FORMATS.indexOf(f)
    expect([-3, 0.4, 0.6, 254.5, 300].map((v) => quantize(code('u8'), v))).toEqual([0, 0, 1, 255, 255])
    expect([-200, -1.6, 127.4, 128].map((v) => quantize(code('i8'), v))).toEqual([-128, -2, 127, 127])
    expect([-1, 65535.2, 70000].map((v) => quantize(code('u16'), v))).toEqual([0, 65535, 65535])
    expect([-40000, 12.5, 40000].map((v) => quantize(code('i16'), v))).toEqual([-32768, 13, 32767])
    expect(quantize(code('u8'), NaN)).toBe(0)
    expect(quantize(code('f32'), 0.1)).toBe(Math.fround(0.1))
  })

  it('should carry team 0 as a team, apart from no team, and a Gone with or without the Adopted flag', () => {
    const grid = { columns: 2, rows: 1, width: 200, height: 100 }
    const layout = fieldLayout(['u8'], grid)
    const frames = positionFrames(grid, 1)
    const w = createBorderWriter(layout, frames)
    beginMessage(w, 0, 9, 1, 1000)
    const fields = new Float32Array(1)
    const sizes: number[] = []
    for (const team of [0, -1, 7]) {
      const at = w.offset
      writeRecord(w, 100 + team, team, RecordFlag.TeamOnly, 90, 50, 0, 0, 0, 0, 0, 0, fields)
      sizes.push(w.offset - at)
    }
    writeGone(w, 200)
    writeGone(w, 201, true)
    // gid and flags 5, team 2, position and velocity 8, the u8 field 1
    expect(sizes).toEqual([16, 14, 16])
    const r = createBorderRecord(new Float32Array(1))
    const msg = readMessage(finishMessage(w), layout, frames, 1 << 20, r)
    if (typeof msg === 'string') throw new Error(msg)
    const got: [number, number, number][] = []
    let at = HEADER_BYTES
    for (let i = 0; i < msg.count; i++) {
      at = readRecord(msg.view, at, layout, frames, 0, r)
      got.push([r.gid, r.flags & (RecordFlag.Team | RecordFlag.Gone | RecordFlag.Adopted), (r.flags & RecordFlag.Gone) !== 0 ? 0 : r.team])
    }
    expect(got).toEqual([
      [100, RecordFlag.Team, 0],
      [99, 0, -1],
      [107, RecordFlag.Team, 7],
      [200, RecordFlag.Gone, 0],
      [201, RecordFlag.Gone | RecordFlag.Adopted, 0],
    ])
  })

  it('should add a Height block only for an entity off the ground or moving up or down: 6 bytes, 8 when wide', () => {
    const grid = { columns: 2, rows: 1, width: 200, height: 100 }
    const layout = fieldLayout([], grid)
    const w = createBorderWriter(layout, positionFrames(grid, 1))
    beginMessage(w, 0, 9, 1, 1000)
    const none = new Float32Array(0)
    const sizes: number[] = []
    for (const [z, vz, exact] of [[0, 0, false], [5, 0, false], [0, -1, false], [0, 0, true], [5, 2, true]] as const) {
      const at = w.offset
      writeRecord(w, 1, -1, 0, 90, 50, z, 0, 0, vz, 0, 0, none, exact)
      sizes.push(w.offset - at)
    }
    // gid and flags 5, position and velocity 8 (16 wide), z 4 and vz 2 (4 wide)
    expect(sizes).toEqual([13, 19, 19, 21, 29])
    expect(w.sentZ).toBe(5)
    expect(w.sentVz).toBe(2)
  })

  it('should refuse a message of another version (a room not yet upgraded): it would misread the records', () => {
    const grid = { columns: 2, rows: 1, width: 200, height: 100 }
    const layout = fieldLayout([], grid)
    const frames = positionFrames(grid, 1)
    const w = createBorderWriter(layout, frames)
    beginMessage(w, 0, 9, 1, 1000)
    writeRecord(w, 1, -1, 0, 90, 50, 5, 0, 0, 0, 0, 0, new Float32Array(0))
    const bytes = Buffer.from(finishMessage(w), 'base64')
    const r = createBorderRecord(new Float32Array(0))
    expect(typeof readMessage(bytes.toString('base64'), layout, frames, 1 << 20, r)).toBe('object')
    for (const version of [BORDER_VERSION - 1, BORDER_VERSION + 1]) {
      bytes[1] = version
      expect(readMessage(bytes.toString('base64'), layout, frames, 1 << 20, r)).toBe('bad magic or version')
    }
  })

  it('should give layouts of different formats different hashes, and their sizes', () => {
    const a = fieldLayout(['u8', 'f16'])
    const b = fieldLayout(['f16', 'u8'])
    const c = fieldLayout(['u8', 'f16', 'f32'])
    expect(a.bytes).toBe(3)
    expect(c.bytes).toBe(7)
    expect(new Set([a.hash, b.hash, c.hash, fieldLayout([]).hash]).size).toBe(4)
  })
})

describe('border-codec round trip', () => {
  const formatArb = fc.constantFrom(...FIELD_FORMATS)
  const grid = { columns: 3, rows: 2, width: 900, height: 400 }
  const recordArb = fc.record({
    gid: fc.integer({ min: 1, max: 0xffffffff }),
    // -1: no Team; 0 is a team
    team: fc.integer({ min: -1, max: 65535 }),
    flags: fc.constantFrom(0, RecordFlag.Salience, RecordFlag.TeamOnly | RecordFlag.Hidden, RecordFlag.Salience | RecordFlag.Hidden),
    // inside the world, just outside it (wide) and far outside (wide)
    x: fc.oneof(fc.double({ min: 0, max: 900, noNaN: true }), fc.double({ min: -5000, max: 5000, noNaN: true })),
    y: fc.oneof(fc.double({ min: 0, max: 400, noNaN: true }), fc.double({ min: -5000, max: 5000, noNaN: true })),
    // 0 in about half the records: a 2D entity has no Height block
    z: fc.oneof(fc.constant(0), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    vx: fc.double({ min: -1e5, max: 1e5, noNaN: true }),
    vy: fc.double({ min: -300, max: 300, noNaN: true }),
    vz: fc.oneof(fc.constant(0), fc.double({ min: -1e5, max: 1e5, noNaN: true })),
    weight: fc.double({ min: 0, max: 10, noNaN: true }),
    nimbus: fc.double({ min: 0, max: 500, noNaN: true }),
    fields: fc.array(fc.double({ min: -70000, max: 70000, noNaN: true }), { minLength: 4, maxLength: 4 }),
    gone: fc.boolean(),
    exact: fc.boolean(),
  })

  it('should read back every record as the writer says the neighbours read it, whatever the formats, flags and positions', () => {
    fc.assert(
      fc.property(
        fc.array(formatArb, { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(0, 0.5, 3),
        fc.array(recordArb, { maxLength: 40 }),
        (formats, source, tolerance, records) => {
          const layout = fieldLayout(formats, grid)
          const frames = positionFrames(grid, tolerance)
          const w = createBorderWriter(layout, frames)
          beginMessage(w, source, 77, 5, 1234.5, MessageFlag.Keyframe)
          const fields = new Float32Array(4)
          const sent: { gid: number; gone: boolean; flags: number; team: number; height: boolean; x: number; y: number; z: number; vx: number; vy: number; vz: number; f: number[] }[] = []
          for (const r of records) {
            if (r.gone) {
              // (the flags arbitrary: draw the Adopted mark from them)
              const adopted = (r.flags & RecordFlag.Hidden) !== 0
              writeGone(w, r.gid, adopted)
              sent.push({ gid: r.gid, gone: true, flags: adopted ? RecordFlag.Adopted : 0, team: 0, height: false, x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, f: [] })
              continue
            }
            for (let k = 0; k < 4; k++) fields[k] = quantize(layout.codes[k]!, r.fields[k]!)
            writeRecord(w, r.gid, r.team, r.flags, r.x, r.y, r.z, r.vx, r.vy, r.vz, r.weight, r.nimbus, fields, r.exact)
            // z is a float32 always, its velocity a half float unless exact (or wide); without a
            // Height block both read 0
            const height = r.z !== 0 || r.vz !== 0
            sent.push({ gid: r.gid, gone: false, flags: r.flags, team: r.team, height, x: w.sentX, y: w.sentY, z: w.sentZ, vx: w.sentVx, vy: w.sentVy, vz: w.sentVz, f: [...fields] })
            expect(w.sentZ).toBe(height ? Math.fround(r.z) : 0)
            // a rounded position is within half a step of the truth; an exact one is the float32
            if (r.exact || tolerance === 0) expect([w.sentX, w.sentVx, w.sentVz]).toEqual([Math.fround(r.x), Math.fround(r.vx), height ? Math.fround(r.vz) : 0])
            else {
              expect(Math.abs(w.sentX - r.x)).toBeLessThanOrEqual(frames.sx / 2 + 1e-3)
              expect(Math.abs(w.sentY - r.y)).toBeLessThanOrEqual(frames.sy / 2 + 1e-3)
            }
          }
          const scratch = createBorderRecord(new Float32Array(4))
          const msg = readMessage(finishMessage(w), layout, frames, 1 << 20, scratch)
          if (typeof msg === 'string') throw new Error(msg)
          expect([msg.source, msg.count, msg.instance, msg.sentAt, msg.flags]).toEqual([source, records.length, 77, 1234.5, MessageFlag.Keyframe])
          const r = createBorderRecord(new Float32Array(4))
          let at = HEADER_BYTES
          for (const s of sent) {
            at = readRecord(msg.view, at, layout, frames, source, r)
            expect(at).toBeGreaterThan(0)
            expect(r.gid).toBe(s.gid)
            if (s.gone) {
              expect(r.flags).toBe(RecordFlag.Gone | s.flags)
              continue
            }
            expect(r.flags & ~(RecordFlag.Team | RecordFlag.Wide | RecordFlag.Height)).toBe(s.flags)
            expect((r.flags & RecordFlag.Team) !== 0).toBe(s.team >= 0)
            // only an entity off the ground, or moving up or down, pays for its height
            expect((r.flags & RecordFlag.Height) !== 0).toBe(s.height)
            expect([r.team, r.x, r.y, r.z, r.vx, r.vy, r.vz, [...r.fields]]).toEqual([s.team, s.x, s.y, s.z, s.vx, s.vy, s.vz, s.f])
          }
          expect(at).toBe(msg.view.byteLength)
          // any shorter message is refused, never read past its end
          const bytes = Buffer.from(finishMessage(w), 'base64')
          if (records.length > 0) expect(readMessage(bytes.subarray(0, bytes.length - 1).toString('base64'), layout, frames, 1 << 20, scratch)).toBe('length mismatch')
        },
      ),
      { numRuns: 300 },
    )
  })
})
