import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAll } from '../run-all'
import type { BenchResults, ReportPaths } from '../report/write-report'

// The whole harness in --quick mode, as `npm run bench -- --quick` runs it, into a temporary docs
// folder (never over docs/benchmarks.md): engine, sync, recall and a tiny load run on a real server.
describe('run-all --quick', () => {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-'))
  let results: BenchResults
  let paths: ReportPaths
  let md: string
  beforeAll(async () => {
    ;({ results, paths } = await runAll({ quick: true, docsDir: dir, resultsDir: join(dir, 'results') }))
    md = readFileSync(paths.markdown, 'utf8')
  }, 110_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('should run every part without errors', () => {
    expect(results.errors.map((e) => `${e.part}: ${e.error}`)).toEqual([])
    for (const part of ['engine', 'sync', 'recall', 'load'] as const) {
      expect(results[part]).not.toBeNull()
      expect(existsSync(join(dir, 'results', `${part}.json`))).toBe(true)
    }
  })

  it('should measure the real server with the plugin on and off', () => {
    const runs = results.load!.runs
    expect(runs.map((r) => r.attention).sort()).toEqual([false, true])
    for (const r of runs) {
      expect(r.silentClients).toBe(0)
      expect(r.droppedClients).toBe(0)
      expect(r.bytesPerClientPerSec).toBeGreaterThan(0)
      expect(r.ticks).toBeGreaterThan(10)
      expect(r.tickMedianMs).toBeGreaterThan(0)
      expect(r.tickP99Ms).toBeGreaterThanOrEqual(r.tickMedianMs)
      expect(r.tickCpuMedianMs).toBeGreaterThan(0)
      expect(r.tickCpuP99Ms).toBeGreaterThanOrEqual(r.tickCpuMedianMs)
      expect(r.decodingClients).toBeGreaterThan(0)
      expect(r.decodeErrors).toBe(0)
      expect(r.cpuPercent).toBeGreaterThan(0)
      expect(r.rssMiB).toBeGreaterThan(10)
    }
  })

  it('should measure a client\'s leave both ways with the sync part and report it', () => {
    const leave = results.leave as { stockMs: number; pluginMs: number; closeStockMs: number; closePluginMs: number; closeViews: number }
    for (const ms of [leave.stockMs, leave.pluginMs, leave.closeStockMs, leave.closePluginMs]) expect(ms).toBeGreaterThan(0)
    expect(leave.closeViews).toBeGreaterThan(0)
    expect(existsSync(join(dir, 'results', 'leave.json'))).toBe(true)
    expect(md).toContain('**A client that leaves.**')
  })

  it('should write a report with machine info, every section and charts that exist', () => {
    for (const h of ['## Summary', '## Machine', '## Engine', '## Sync', '## Relevance recall', '## Load on a real server', '## Reproduce']) {
      expect(md).toContain(h)
    }
    expect(md).toContain(results.machine.cpuModel)
    expect(md).toContain(process.version)
    expect(md).toContain('--quick')
    // each part's load average, so that a reader can tell a run on a busy machine
    expect(results.loadAverages!.map((l) => l.part)).toEqual(['engine', 'sync', 'recall', 'load'])
    for (const l of results.loadAverages!) {
      expect(l.start).toBeGreaterThanOrEqual(0)
      expect(l.end).toBeGreaterThanOrEqual(0)
    }
    expect(md).toMatch(/load average \(1 min\) at each part's start and end \| engine \d+\.\d\d to \d+\.\d\d, sync /)
    expect(md).not.toMatch(/\bNaN\b|undefined/)
    const images = [...md.matchAll(/\]\((images\/[^)]+\.svg)\)/g)].map((m) => m[1]!)
    expect(images.length).toBeGreaterThanOrEqual(5)
    for (const img of images) {
      const svg = readFileSync(join(dir, img), 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).not.toMatch(/NaN/)
    }
  })
})
