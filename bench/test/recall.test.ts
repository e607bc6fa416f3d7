import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RecallRow } from '../recall/metrics'
import { countByKind, INTERACTION_NAMES } from '../recall/recording'
import { engineHasByteBudget } from '../recall/policies/attention-policy'
import { runRecallBench, SWEEPS, type RecallBenchResult } from '../recall/run'
import { writeRecording } from '../recall/recording-file'
import { QUICK_SCENARIO, recordScenario } from '../recall/scenario'

describe('recall bench (--quick)', () => {
  let r: RecallBenchResult
  beforeAll(async () => {
    r = await runRecallBench({ quick: true, families: ['arena'] })
  })
  const family = (f: RecallRow['family']): RecallRow[] => r.rows.filter((x) => x.family === f && !x.label.includes('('))

  it('should record a deterministic scenario with every kind of interaction', () => {
    const a = recordScenario(QUICK_SCENARIO)
    const b = recordScenario(QUICK_SCENARIO)
    expect(a.x).toEqual(b.x)
    expect(a.interactions.tick).toEqual(b.interactions.tick)
    expect(a.interactions.a).toEqual(b.interactions.a)
    const counts = countByKind(a.interactions)
    // the arena's own kinds (attack, touch, trade, hit); the other kinds belong to other families
    INTERACTION_NAMES.slice(0, 4).forEach((_, k) => expect(counts[k]).toBeGreaterThan(0))
    expect(r.scenario.entities).toBe(a.entityCount)
  })

  it('should report well-formed rows for every configuration of the sweep', () => {
    const s = SWEEPS.quick
    const bytes = engineHasByteBudget() ? s.byteBudget.length : 0
    expect(r.rows.length).toBe(1 + s.radius.length + s.radiusLod.length + s.nearest.length + s.attention.length + bytes)
    for (const x of r.rows) {
      expect(x.interactions).toBeGreaterThan(0)
      expect(x.interactions).toBe(r.rows[0]!.interactions)
      for (const v of [x.recall200, x.recall500]) {
        expect(v).toBeGreaterThanOrEqual(0)
        expect(v).toBeLessThanOrEqual(1)
      }
      expect(x.recall500).toBeLessThanOrEqual(x.recall200)
      expect(x.ttvP5).toBeLessThanOrEqual(x.ttvMedian)
      expect(Number.isFinite(x.bytesPerClientPerSec) && x.bytesPerClientPerSec > 0).toBe(true)
      expect(x.churnPerClientPerSec).toBeGreaterThanOrEqual(0)
      expect(x.maxSetSize).toBeLessThanOrEqual(x.setSizeBound)
    }
  })

  it('should give full state the best recall and the most bytes', () => {
    const full = family('full')[0]!
    for (const x of r.rows) {
      expect(full.recall200).toBeGreaterThanOrEqual(x.recall200)
      expect(full.recall500).toBeGreaterThanOrEqual(x.recall500)
      if (x !== full) expect(full.bytesPerClientPerSec).toBeGreaterThan(x.bytesPerClientPerSec)
    }
    expect(full.meanSetSize).toBe(r.scenario.entities)
    expect(full.churnPerClientPerSec).toBe(0)
  })

  it('should make radius AOI recall and bytes grow with the radius (nested sets)', () => {
    const rad = family('radius').sort((a, b) => a.param - b.param)
    for (let i = 1; i < rad.length; i++) {
      expect(rad[i]!.recall200).toBeGreaterThanOrEqual(rad[i - 1]!.recall200)
      expect(rad[i]!.recall500).toBeGreaterThanOrEqual(rad[i - 1]!.recall500)
      expect(rad[i]!.bytesPerClientPerSec).toBeGreaterThan(rad[i - 1]!.bytesPerClientPerSec)
    }
    expect(rad[rad.length - 1]!.recall500).toBeGreaterThan(rad[0]!.recall500)
  })

  it('should make nearest-K recall grow with K and keep sets at K + self', () => {
    const nk = family('nearest').sort((a, b) => a.param - b.param)
    for (let i = 1; i < nk.length; i++) expect(nk[i]!.recall200).toBeGreaterThanOrEqual(nk[i - 1]!.recall200)
    for (const x of nk) expect(x.maxSetSize).toBe(x.param + 1)
  })

  it('should keep attention sets within budget + self, and fill them in a crowd', () => {
    for (const x of family('attention').filter((a) => a.label.startsWith('attention K='))) {
      expect(x.setSizeBound).toBe(x.param + 1)
      expect(x.maxSetSize).toBeLessThanOrEqual(x.param + 1)
      expect(x.meanSetSize).toBeGreaterThan(1)
    }
    const att = family('attention').filter((a) => a.label.startsWith('attention K=')).sort((a, b) => a.param - b.param)
    expect(att[att.length - 1]!.recall200).toBeGreaterThan(att[0]!.recall200)
    expect(att[att.length - 1]!.bytesPerClientPerSec).toBeGreaterThan(att[0]!.bytesPerClientPerSec)
  })

  it('should be reproducible: the same run gives the same recall and bytes', async () => {
    const again = await runRecallBench({ quick: true, families: ['arena'] })
    expect(again.rows.map((x) => [x.label, x.recall200, x.recall500, x.bytesPerClientPerSec, x.churnPerClientPerSec])).toEqual(
      r.rows.map((x) => [x.label, x.recall200, x.recall500, x.bytesPerClientPerSec, x.churnPerClientPerSec]),
    )
  })

  it('should report the recording it loaded instead of a seed set, and the seed set otherwise', async () => {
    expect(r.seedSet).toBe('test')
    expect(r.recordings).toBeUndefined()
    const dir = mkdtempSync(join(tmpdir(), 'recall-load-'))
    try {
      const path = join(dir, 'session.bin')
      writeRecording(path, recordScenario({ ...QUICK_SCENARIO, seconds: 3 }))
      const loaded = await runRecallBench({ quick: true, recordingPath: path })
      expect(loaded.seedSet).toBeNull()
      expect(loaded.recordings).toEqual([path])
      expect(loaded.families.map((f) => f.scenario.description)).toEqual([`recording ${path}`])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('should evaluate the targets against the same rows', () => {
    for (const t of [r.targets200, r.targets500]) {
      expect(t.fullStateBytes).toBe(family('full')[0]!.bytesPerClientPerSec)
      for (const p of t.equalBytes) expect(p.met).toBe(p.attentionAvoidable <= p.radiusAvoidable / 2 + 1e-12)
      expect(t.halfTheMissesMet).toBe(t.equalBytes.length === 0 ? null : t.equalBytes.every((p) => p.met))
    }
    // issue 11's targets: on the sweep fixed in advance, against plain radius AOI and against radius-lod
    const f = r.families[0]!
    const series = engineHasByteBudget() ? 'attention B=' : 'attention K='
    expect([f.issue?.series, f.issue?.baseline]).toEqual([series, 'radius'])
    expect([f.issueLod?.series, f.issueLod?.baseline]).toEqual([series, 'radius-lod'])
  })
})
