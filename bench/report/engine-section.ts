import type { EngineBenchResult, ThreadsBenchResult } from '../../plugin/bench/engine.bench'
import { renderLineChart, type Series } from '../charts/line-chart'
import { num, table } from './markdown'
import type { Section } from './recall-section'

/**
 * Renders the engine section from `runEngineBench`'s results: a table and a chart of ms per tick
 * against entities, engine and brute-force oracle, one line per observer count.
 * @param rs - the engine benchmark's results.
 * @param command - the command that reruns it.
 * @param threads - option threads measured in the same run (none: no threads table).
 */
export function engineSection(rs: readonly EngineBenchResult[], command: string, threads: readonly ThreadsBenchResult[] = []): Section {
  const observerCounts = [...new Set(rs.map((r) => r.observers))].sort((a, b) => a - b)
  const series: Series[] = []
  for (const o of observerCounts) {
    const mine = rs.filter((r) => r.observers === o)
    series.push({ name: `engine, ${o} observers`, points: mine.map((r) => ({ x: r.entities, y: r.msPerTick })) })
  }
  for (const o of observerCounts) {
    const mine = rs.filter((r) => r.observers === o && r.bruteForceMsPerTick !== null)
    if (mine.length > 0) {
      series.push({
        name: `brute force, ${o} observers`,
        points: mine.map((r) => ({ x: r.entities, y: r.bruteForceMsPerTick! })),
        dashed: true,
      })
    }
  }
  const svg = renderLineChart({
    title: 'Engine: ms per tick vs entities',
    xLabel: 'entities (log scale)',
    yLabel: 'ms per tick, median (log scale)',
    xLog: true,
    yLog: true,
    series,
  })
  const first = rs[0]
  const md = [
    '## Engine',
    '',
    `Command: \`${command}\` (plugin/bench/engine.bench.ts). The attention system alone on a random-walk world sized so that about ` +
      `${first?.meanInRadius ?? '?'} entities lie within each observer's radius (${first?.radius ?? '?'}), budget K = ${first?.k ?? '?'}, default options, ` +
      'against the brute-force oracle (every observer x every entity) on the same world in the same run. ' +
      'A throwaway system is created before the first scenario: V8 optimises the engine for its only instance while there is one, ' +
      'up to about 1.1x faster than the code a server with several rooms runs (plugin/src/ecs/PERFORMANCE.md, "Kernels at module level"), and these numbers are that code\'s.',
    '',
    table(
      ['scenario', 'world side', 'in radius', 'engine ms/tick (median)', 'p90', 'brute force ms/tick', 'speedup', 'mean set'],
      rs.map((r) => [
        r.name,
        String(r.worldSide),
        String(r.meanInRadius),
        num(r.msPerTick, 3),
        num(r.p90MsPerTick, 3),
        r.bruteForceMsPerTick === null ? 'skipped (too slow)' : num(r.bruteForceMsPerTick, 1),
        r.speedup === null ? '-' : `${r.speedup}x`,
        String(r.meanSetSize),
      ]),
    ),
    '',
    '![Engine ms per tick vs entities](images/engine-ms-per-tick.svg)',
    '',
    ...threadsTable(threads),
  ].join('\n')
  return { markdown: md, images: { 'engine-ms-per-tick.svg': svg } }
}

/** The option-threads rows (10k x 1,000, one round), or nothing. */
function threadsTable(ts: readonly ThreadsBenchResult[]): string[] {
  if (ts.length === 0) return []
  return [
    '### Observer threads (option `threads`, experimental)',
    '',
    'The same run, 10k entities x 1,000 observers: one world per configuration, built from one seed and moved alike, the systems ticking in turn; ' +
      'the ratio is the median over ticks of each tick against the default engine\'s (one thread, stores on the heap) on the same tick. ' +
      `The machine's load average was ${ts[0]!.loadAverage} when the round started: the second thread helps only when a core is free ` +
      '(plugin/src/ecs/PERFORMANCE.md, "Observers on worker threads"; `npm run bench:engine -- --threads 1,2 --rounds 3` for more rounds).',
    '',
    table(
      ['threads', 'stores', 'ms/tick (median)', 'p90', 'of one thread\'s time', 'brute force / this', 'observers passed by workers'],
      ts.map((t) => [
        String(t.threads),
        t.sharedStores ? 'shared' : 'heap',
        num(t.msPerTick, 2),
        num(t.p90MsPerTick, 2),
        num(t.ratioToOneThread, 3),
        t.speedup === null ? '-' : `${t.speedup}x`,
        `${(t.workerShare * 100).toFixed(0)}%`,
      ]),
    ),
    '',
  ]
}
