import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { summarize } from '../recall/metrics'
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
})
