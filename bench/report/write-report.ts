import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { LoadBenchResult } from '../load/run'
import { REPO_ROOT } from '../lib/cli'
import type { MachineInfo } from '../lib/machine'
import type { RecallBenchResult } from '../recall/run'
import { autoChart, type AutoChartSpec } from './auto-chart'
import type { EngineBenchResult, ThreadsBenchResult } from '../../plugin/bench/engine.bench'
import type { GarbageResult, LeaveResult, SyncBenchResult, TierResult } from '../../plugin/bench/sync.bench'
import { engineSection } from './engine-section'
import { syncSection } from './sync-section'
import { genericSection } from './generic-section'
import { clusterSection } from './cluster-section'
import { loadSection, tickCpu } from './load-section'
import { int, pct, table, verdict } from './markdown'
import { recallSection, type Section } from './recall-section'
import { isHeldOut } from '../recall/families/index'

/** Everything `npm run bench` collected. */
export interface BenchResults {
  quick: boolean
  machine: MachineInfo
  engine: unknown
  /** Option threads at 10k x 1,000, measured with the engine part. */
  threads?: unknown
  sync: unknown
  /** Update-rate tiers (bytes per entity per second by band), measured with the sync part. */
  tiers?: unknown
  /** Garbage per tick of the sync step, measured with the sync part. */
  garbage?: unknown
  /** A client's leave (its view disposed) at 10,000 entities, measured with the sync part. */
  leave?: unknown
  recall: RecallBenchResult | null
  load: LoadBenchResult | null
  /** `npm run bench:cluster`'s last result, when there is one (not run by `npm run bench`). */
  cluster?: unknown
  /** Parts that failed, with their error (the report says so instead of hiding it). */
  errors: { part: string; error: string }[]
  wallSeconds: number
  /**
   * The machine's 1-minute load average when each part started and ended (`os.loadavg()`): timings
   * taken while other jobs ran are slower, by up to 2x in this project's runs (absent for runs
   * before it was recorded).
   */
  loadAverages?: { part: string; start: number; end: number }[]
}

/** Where the report goes: docs/benchmarks.md and docs/images/. */
export interface ReportPaths {
  markdown: string
  images: string[]
}

function summary(r: BenchResults): string {
  const out: string[] = ['## Summary', '']
  const rec = r.recall
  if (rec) {
    // the three relevance targets, per scenario family, on the sweep fixed in advance (byte budget), against both baselines
    const lines = (rec.families ?? []).map((f) => {
      const t = f.issue
      if (t === null) return `${f.scenario.family}: no attention sweep`
      const lod = f.issueLod ?? null
      const cheap = t.recall995 ? ` (99.5% at ${int(t.recall995.bytes)} B/client/s = ${pct(t.recall995.shareOfFull, 1)} of full)` : ''
      const held = isHeldOut(f.scenario.family) ? ', held out' : ''
      return (
        `${f.scenario.family} (${t.series.replace(/=$/, '')}${held}): half the misses ${verdict(t.halfTheMissesMet)} vs radius AOI, ${verdict(lod?.halfTheMissesMet)} vs radius AOI + LOD; ` +
        `coverage ${verdict(t.coverageMet)} vs radius AOI, ${verdict(lod?.coverageMet)} vs radius AOI + LOD; 99.5% within 5%${cheap} ${verdict(t.recall995Within5Met)}`
      )
    })
    out.push(
      `- **Relevance at equal bytes** (offline replay of ${rec.seedSet} seeds; targets at T = 500 ms and equal bytes against plain radius AOI, every member at full detail, ` +
        'and against radius AOI with distance level of detail, the far members at Low): ' +
        lines.join('; ') +
        '. Attention at a byte budget holds the surroundings at Low (a coarse position a few times a second) and spends full rate on the best-scored members; ' +
        'radius AOI + LOD holds the far ones at Low by distance, so against it level of detail alone does not decide. The relevance section also reports recall counting only Medium/High.',
    )
  }
  if (Array.isArray(r.sync)) {
    const all = r.sync as SyncBenchResult[]
    // the main rows (the most common entity count); the large room is reported on its own below
    const mainN = all[0]?.entities
    const rs = all.filter((x) => x.entities === mainN)
    const maxC = rs.some((x) => x.clients === 200) ? 200 : Math.max(...rs.map((x) => x.clients))
    const get = (p: SyncBenchResult['policy']) => rs.find((x) => x.policy === p && x.clients === maxC)
    const att = get('attention')
    const full = get('full')
    const rad = get('radius')
    const radIdx = get('radius-indexed')
    if (att && full && rad) {
      const bytes = att.bytesPerClientPerSec / full.bytesPerClientPerSec
      const cpu = att.msPerTick / rad.msPerTick
      out.push(
        `- **Sync layer** (${att.entities} entities, ${maxC} clients, \`npm run bench:sync\`): ${int(att.bytesPerClientPerSec)} B/client/s with the plugin = ${pct(bytes, 1)} of full state; ` +
          `target "at most 10%": ${verdict(bytes <= 0.1)}. Server ${att.msPerTick.toFixed(2)} ms per tick (engine + sync + encoding) vs ${rad.msPerTick.toFixed(2)} ms for the hand-written radius refresh = ${pct(cpu, 0)}; ` +
          `target "at most one third": ${verdict(cpu <= 1 / 3)}` +
          (radIdx ? ` (the radius refresh with the plugin's per-view change lists: ${radIdx.msPerTick.toFixed(2)} ms).` : '.'),
      )
    }
    // the large room (issue 16's 10,000 entities / 500 clients row): the plugin's whole cost against 12 ms
    const large = all.find((x) => x.policy === 'attention' && x.entities === 10_000 && x.clients === 500)
    if (large) {
      const threaded = all.find((x) => x.policy === 'attention-threads' && x.entities === 10_000 && x.clients === 500)
      const pipelined = all.find((x) => x.policy === 'attention-pipelined' && x.entities === 10_000 && x.clients === 500)
      out.push(
        `- **Large room** (10,000 entities, 500 clients): the plugin's whole cost ${large.msPerTick.toFixed(2)} ms per tick (engine + sync ${large.interestMs.toFixed(2)}, encoding ${large.encodeMs.toFixed(2)}); ` +
          `target "at most 12 ms": ${verdict(large.msPerTick <= 12)}` +
          (threaded ? `; with the engine's observers on two threads ${threaded.msPerTick.toFixed(2)} ms on the room's thread (${verdict(threaded.msPerTick <= 12)} with the option)` : '') +
          (pipelined ? `; pipelined (the sets a tick later) ${pipelined.msPerTick.toFixed(2)} ms on the room's thread (${verdict(pipelined.msPerTick <= 12)} with the option)` : '') +
          '.',
      )
    }
    // the fair baseline: radius AOI over a grid with the plugin's mean set size, encoded by Colyseus as it is
    const grid = all.filter((x) => x.policy === 'radius-grid')
    if (grid.length > 0) {
      const rows = grid.map((g) => {
        const a = all.find((x) => x.policy === 'attention' && x.entities === g.entities && x.clients === g.clients)
        return a === undefined ? '' : `${g.entities} entities / ${g.clients} clients: ${a.msPerTick.toFixed(2)} vs ${g.msPerTick.toFixed(2)} ms (${pct(a.msPerTick / g.msPerTick, 0)})`
      })
      out.push(
        '- **Against the fair baseline** (radius AOI over a spatial grid, its radius set so that its mean set size equals the plugin\'s, encoded by Colyseus as it is): ' +
          `the plugin's whole cost per tick (engine + sync + encoding) vs the baseline's, ${rows.filter((x) => x !== '').join('; ')}.`,
      )
    }
  }
  const load = r.load
  if (load && load.runs.length > 0) {
    // the largest client count where neither run dropped clients (a run with drops is not comparable)
    const clean = load.runs.filter(
      (x) => x.droppedClients === 0 && load.runs.some((y) => y.clients === x.clients && y.attention !== x.attention && y.droppedClients === 0),
    )
    const maxC = clean.length > 0 ? Math.max(...clean.map((x) => x.clients)) : Number.NaN
    const on = clean.find((x) => x.attention && x.clients === maxC)
    const off = clean.find((x) => !x.attention && x.clients === maxC)
    if (on && off) {
      out.push(
        `- **Fewer bytes** (real server, ${maxC} clients): ${int(on.bytesPerClientPerSec)} B/client/s with the plugin vs ${int(off.bytesPerClientPerSec)} without ` +
          `(${pct(on.bytesPerClientPerSec / off.bytesPerClientPerSec, 1)}).`,
        // the label follows the result: full state to everyone can cost less CPU than filtering
        `- **${tickCpu(on).median <= tickCpu(off).median ? 'Less' : 'More'} server CPU** (same runs): server tick median ${tickCpu(on).median.toFixed(2)} ms of CPU ` +
          `(p99 ${tickCpu(on).p99.toFixed(2)}) with the plugin vs ${tickCpu(off).median.toFixed(2)} ms (p99 ${tickCpu(off).p99.toFixed(2)}) without; ` +
          `server CPU ${on.cpuPercent.toFixed(0)}% vs ${off.cpuPercent.toFixed(0)}% of a core.`,
      )
    }
  }
  for (const e of r.errors) out.push(`- **${e.part} did not run**: ${e.error.split('\n')[0]}`)
  out.push('')
  return out.join('\n')
}

function machineSection(m: MachineInfo, r: BenchResults): string {
  return [
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', m.cpuModel],
        ['cores', String(m.cores)],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['Node', m.node],
        ...Object.entries(m.packages).map(([k, v]) => [k, v]),
        ['commit', m.commit],
        ['date', m.date],
        ['total bench time', Number.isFinite(r.wallSeconds) ? `${r.wallSeconds.toFixed(0)} s` : '-'],
        ...(r.loadAverages !== undefined && r.loadAverages.length > 0
          ? [['load average (1 min) at each part\'s start and end', r.loadAverages.map((l) => `${l.part} ${l.start.toFixed(2)} to ${l.end.toFixed(2)}`).join(', ')]]
          : []),
      ],
      ['l', 'l'],
    ),
    '',
  ].join('\n')
}

/** Another harness's section (its markdown or tables) plus a chart found in its rows, if any. */
function otherSection(title: string, command: string, result: unknown, image: string, spec: AutoChartSpec): Section {
  const svg = autoChart(result, spec)
  const md = genericSection(title, command, result)
  return svg === null ? { markdown: md, images: {} } : { markdown: `${md}\n![${spec.title}](images/${image})\n`, images: { [image]: svg } }
}

/**
 * Renders docs/benchmarks.md and its SVG charts (docs/images/*.svg) from the results of a run.
 * @param r - the results.
 * @param docsDir - output folder. @defaultValue `<repo>/docs`
 * @returns the paths written.
 */
export function writeReport(r: BenchResults, docsDir = resolve(REPO_ROOT, 'docs')): ReportPaths {
  const flag = r.quick ? ' -- --quick' : ''
  const sections: Section[] = []
  if (r.engine !== null) {
    sections.push(
      Array.isArray(r.engine)
        ? engineSection(r.engine as EngineBenchResult[], `npm run bench:engine${flag}`, Array.isArray(r.threads) ? (r.threads as ThreadsBenchResult[]) : [])
        : otherSection('Engine', `npm run bench:engine${flag}`, r.engine, 'engine-ms-per-tick.svg', {
            title: 'Engine: ms per tick vs entities',
            x: /entit/i,
            y: /ms/i,
            prefer: ['msPerTick'],
            xLabel: 'entities',
            yLabel: 'ms per tick',
            xLog: true,
          }),
    )
  }
  if (r.sync !== null) {
    sections.push(
      Array.isArray(r.sync)
        ? syncSection(r.sync as SyncBenchResult[], `npm run bench:sync${flag}`, Array.isArray(r.tiers) ? (r.tiers as TierResult[]) : [], (r.garbage ?? null) as GarbageResult | null, (r.leave ?? null) as LeaveResult | null)
        : otherSection('Sync (Colyseus StateViews)', `npm run bench:sync${flag}`, r.sync, 'sync-bytes-per-client.svg', {
            title: 'Sync: bytes per client vs clients',
            x: /client/i,
            y: /byte/i,
            xLabel: 'clients',
            yLabel: 'bytes per client',
          }),
    )
  }
  if (r.recall) sections.push(recallSection(r.recall))
  if (r.load) sections.push(loadSection(r.load))
  if (r.cluster) sections.push({ markdown: clusterSection(r.cluster as Parameters<typeof clusterSection>[0]), images: {} })
  const md = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench${flag}\` on ${r.machine.date} (commit ${r.machine.commit}). Do not edit by hand: every number, table and chart ` +
      'below comes from that command and is rewritten by it. ' +
      (r.quick ? '**This is a `--quick` run: small scenario, short runs; use the full run for real numbers.**' : ''),
    '',
    'Our claims are "fewer bytes, less CPU, nothing that matters missed". The four parts below test them: the engine alone, the ' +
      'Colyseus sync layer, relevance recall on a recorded scenario (offline, deterministic), and a real server under WebSocket clients.',
    '',
    summary(r),
    machineSection(r.machine, r),
    ...sections.map((s) => s.markdown),
    '## Reproduce',
    [
      '```sh',
      'npm ci',
      'npm run bench            # everything, writes this file (a few minutes)',
      'npm run bench -- --quick # the small version the test suite runs (under a minute)',
      'npm run bench:recall     # relevance recall only (deterministic)',
      'npm run bench:load       # real server only',
      '```',
    ].join('\n'),
    'Raw results of the last run are in `.bench-results/*.json` (not committed).',
    '',
  ]
    .filter((x) => x !== '')
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
  mkdirSync(resolve(docsDir, 'images'), { recursive: true })
  const images: string[] = []
  for (const s of sections) {
    for (const [name, svg] of Object.entries(s.images)) {
      const p = resolve(docsDir, 'images', name)
      writeFileSync(p, svg)
      images.push(p)
    }
  }
  const path = resolve(docsDir, 'benchmarks.md')
  writeFileSync(path, md)
  return { markdown: path, images }
}
