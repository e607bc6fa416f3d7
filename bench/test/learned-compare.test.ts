import { describe, expect, it } from 'vitest'
import type { RecallRow } from '../recall/metrics'
import { compareLearned, ratioText } from '../recall/policies/learned-policy'

/** A summary row with only what compareLearned reads set to something meaningful. */
const row = (family: RecallRow['family'], label: string, param: number, bytes: number, miss500: number): RecallRow =>
  ({ family, label, param, bytesPerClientPerSec: bytes, recall500: 1 - miss500, recall200: 1 - miss500 }) as RecallRow

describe('compareLearned', () => {
  // heads: a count-budget sweep far worse than their byte-budget sweep at the same bytes, as in the battle family
  const rows = [
    row('attention', 'attention K=1', 1, 400, 0.9),
    row('attention', 'attention K=4', 4, 1200, 0.6),
    row('attention', 'attention B=400 K<=256', 400, 400, 0.5),
    row('attention', 'attention B=1200 K<=256', 1200, 1200, 0.1),
    row('radius', 'radius 5', 5, 1000, 0.2),
    row('radius', 'radius 10', 10, 2000, 0),
    row('attention', 'attention (learned) K=2', 2, 800, 0.6),
    row('attention', 'attention (learned) B=800 K<=256', 800, 800, 0.15),
  ]

  it('should compare a count-budget row with the heads\' count-budget sweep and a byte-budget row with their byte-budget sweep, both with the heads\' best', () => {
    const [k, b] = compareLearned(rows, 0.5)
    // K=2 at 800 B/s: heads K sweep 0.75 there, their B sweep 0.3: the best is the B sweep
    expect(k).toMatchObject({ series: 'K', budget: 2, bytesPerClientPerSec: 800, learnedMiss: 0.6, radiusMiss: null })
    expect(k!.headsMiss).toBeCloseTo(0.75, 12)
    expect(k!.vsHeads).toBeCloseTo(0.8, 12)
    expect(k!.headsBestMiss).toBeCloseTo(0.3, 12)
    expect(k!.vsHeadsBest).toBeCloseTo(2, 12)
    expect(b).toMatchObject({ series: 'B', budget: 800 })
    expect(b!.learnedMiss).toBeCloseTo(0.15, 12)
    expect(b!.headsMiss).toBeCloseTo(0.3, 12)
    expect(b!.vsHeads).toBeCloseTo(0.5, 12)
    expect(b!.vsHeadsBest).toBeCloseTo(0.5, 12)
  })

  it('should say 0 when neither misses, Infinity when only the learned row does, and null outside the heads\' bytes', () => {
    const r = [row('attention', 'attention B=400 K<=256', 400, 400, 0), row('attention', 'attention B=1200 K<=256', 1200, 1200, 0)]
    const [none, some, outside] = compareLearned(
      [...r, row('attention', 'attention (learned) B=500 K<=256', 500, 500, 0), row('attention', 'attention (learned) B=600 K<=256', 600, 600, 0.01), row('attention', 'attention (learned) B=300 K<=256', 300, 300, 0.2)],
      0.5,
    )
    expect(none).toMatchObject({ vsHeads: 0, vsHeadsBest: 0 })
    expect(some).toMatchObject({ vsHeads: Infinity, vsHeadsBest: Infinity })
    expect(outside).toMatchObject({ headsMiss: null, vsHeads: null, headsBestMiss: null, vsHeadsBest: null })
  })

  it('should print a ratio as x0.80, 0 against 0 when neither misses (not x0.00), inf when only the learned row does, n/a outside the heads\' bytes', () => {
    const r = [row('attention', 'attention B=400 K<=256', 400, 400, 0), row('attention', 'attention B=1200 K<=256', 1200, 1200, 0)]
    const [none, some, outside] = compareLearned(
      [...r, row('attention', 'attention (learned) B=500 K<=256', 500, 500, 0), row('attention', 'attention (learned) B=600 K<=256', 600, 600, 0.01), row('attention', 'attention (learned) B=300 K<=256', 300, 300, 0.2)],
      0.5,
    )
    const text = (p: (typeof none)): string => ratioText(p!.learnedMiss, p!.headsMiss, p!.vsHeads)
    expect([text(none), text(some), text(outside)]).toEqual(['0 against 0', 'inf', 'n/a'])
    const [k] = compareLearned(rows, 0.5)
    expect(ratioText(k!.learnedMiss, k!.headsMiss, k!.vsHeads)).toBe('x0.80')
    // a learned row that misses nothing against heads that do: a real 0
    expect(ratioText(0, 0.25, 0)).toBe('x0.00')
  })
})

describe('compareFamily', () => {
  it('should key its cache by a fingerprint of the sources the cached rows depend on', async () => {
    const { cacheFingerprint, fingerprintSources } = await import('../train/compare')
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    expect(cacheFingerprint()).toMatch(/^[0-9a-f]{12}$/)
    const root = mkdtempSync(join(tmpdir(), 'fingerprint-'))
    try {
      mkdirSync(join(root, 'src/ecs'), { recursive: true })
      writeFileSync(join(root, 'src/ecs/a.ts'), 'export const rate = 0.25\n')
      const before = fingerprintSources(root, ['src'], 'sweeps')
      expect(fingerprintSources(root, ['src'], 'sweeps')).toBe(before)
      // a file that is no source does not count
      writeFileSync(join(root, 'src/notes.md'), 'text')
      expect(fingerprintSources(root, ['src'], 'sweeps')).toBe(before)
      // an engine change, a new nested source, or other sweeps do
      writeFileSync(join(root, 'src/ecs/a.ts'), 'export const rate = 0.02\n')
      const changed = fingerprintSources(root, ['src'], 'sweeps')
      expect(changed).not.toBe(before)
      writeFileSync(join(root, 'src/ecs/b.ts'), '')
      expect(fingerprintSources(root, ['src'], 'sweeps')).not.toBe(changed)
      expect(fingerprintSources(root, ['src'], 'other sweeps')).not.toBe(fingerprintSources(root, ['src'], 'sweeps'))
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('should refuse a seed count outside the family\'s seed set, naming the range, before replaying anything', async () => {
    const { compareFamily } = await import('../train/compare')
    const { FAMILIES } = await import('../recall/families/index')
    const hub = FAMILIES.find((f) => f.name === 'hub')!
    for (const bad of [0, 1.5, hub.trainSeeds.length + 1]) {
      await expect(compareFamily('hub', 'train', 'unused.onnx', '/tmp/unused-cache', [1], [], {}, bad)).rejects.toThrow(
        new RegExp(`seedCount must be an integer in \\[1, ${hub.trainSeeds.length}\\] \\(hub has ${hub.trainSeeds.length} train seeds\\); got ${bad}`),
      )
    }
  })

  it('should refuse an unknown flag on its command line before replaying anything', async () => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const { REPO_ROOT } = await import('../lib/cli')
    const err = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/train/compare.ts', '--model', 'unused.onnx', '--familly', 'hub'], { cwd: REPO_ROOT, timeout: 60_000 }).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect((err as { code: number }).code).toBe(1)
    expect((err as { stderr: string }).stderr).toContain('compare.ts: unknown flag --familly; known flags: --model <value>, --family <value>, --seeds <value>, --seed-count <value>')
  })

  it('should read --hysteresis as name=value pairs and refuse unknown names or values', async () => {
    const { parseHysteresis } = await import('../train/compare')
    expect(parseHysteresis(undefined)).toBeUndefined()
    expect(parseHysteresis('swapMargin=0.5,minOutTicks=10')).toEqual({ swapMargin: 0.5, minOutTicks: 10 })
    expect(() => parseHysteresis('swap=1')).toThrow(/--hysteresis takes name=value pairs of enterScore, exitScore, minOutTicks, swapMargin; got swap=1/)
    expect(() => parseHysteresis('swapMargin=x')).toThrow(/got swapMargin=x/)
  })
})
