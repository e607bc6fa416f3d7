import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { battleFamily, hubFamily, rangedFamily } from '../recall/families/index'
import { summarize } from '../recall/metrics'
import { attentionPolicy } from '../recall/policies/attention-policy'
import { radiusPolicy } from '../recall/policies/radius-policy'
import { readRecording, writeRecording } from '../recall/recording-file'
import { replay } from '../recall/replay'
import { QUICK_SCENARIO, recordScenario } from '../recall/scenario'

describe('recording-file', () => {
  it('should round-trip a recording and replay it to the same numbers', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'rec-'))
    try {
      const rec = recordScenario({ ...QUICK_SCENARIO, seconds: 6 })
      const path = join(dir, 'r.bin')
      writeRecording(path, rec)
      const back = readRecording(path)
      expect(back).toEqual(rec)
      const a = summarize(replay(rec, radiusPolicy(15)))
      const b = summarize(replay(back, radiusPolicy(15)))
      expect(b.bytesPerClientPerSec).toBe(a.bytesPerClientPerSec)
      expect(b.recall200).toBe(a.recall200)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('should refuse a file that is not a recording (a model given to --load), saying what it checked', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'rec-'))
    try {
      const path = join(dir, 'model.onnx')
      writeFileSync(path, Buffer.from([0x08, 0x08, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f, 0x72, 0x63, 0x68]))
      expect(() => readRecording(path)).toThrow(`${path} is not a recording written by writeRecording (its first bytes are not ATTNREC1)`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('should load a file written before the optional sections existed, and replay it', () => {
    const old = readRecording(fileURLToPath(new URL('./fixtures/old-recording.bin', import.meta.url)))
    expect(old.declared).toBeUndefined()
    expect(old.viewRadius).toBeUndefined()
    expect(old.family).toBeUndefined()
    expect(old.entityCount).toBe(12)
    expect(old.x.length).toBe(old.ticks * old.entityCount)
    const r = summarize(replay(old, attentionPolicy(4), { warmupSeconds: 0.5 }))
    expect(r.interactions).toBeGreaterThan(0)
    expect(r.bytesPerClientPerSec).toBeGreaterThan(0)
  })

  it('should round-trip declared traits, the view radius and the family', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'rec-'))
    try {
      for (const f of [rangedFamily, hubFamily, battleFamily]) {
        const rec = f.record(f.testSeeds[0]!, true)
        const path = join(dir, `${f.name}.bin`)
        writeRecording(path, rec)
        const back = readRecording(path)
        expect(back.family).toBe(f.name)
        expect(back.viewRadius).toBe(rec.viewRadius)
        expect(Object.keys(back.declared!).sort()).toEqual(Object.keys(rec.declared!).sort())
        for (const [k, v] of Object.entries(rec.declared!)) {
          const w = (back.declared as Record<string, ArrayBufferView>)[k]!
          expect(w.constructor).toBe(v.constructor)
          expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true)
        }
      }
      // a partial declaration keeps exactly what was declared
      const rec = recordScenario({ ...QUICK_SCENARIO, seconds: 3 })
      rec.declared = { salience: new Float32Array(rec.entityCount).fill(0.5) }
      writeRecording(join(dir, 'partial.bin'), rec)
      const back = readRecording(join(dir, 'partial.bin'))
      expect(Object.keys(back.declared!)).toEqual(['salience'])
      expect(back.declared!.salience![3]).toBe(0.5)
      expect(back.viewRadius).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
