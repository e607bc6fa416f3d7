import type { SyncBenchResult } from '../../plugin/bench/sync.bench'
import { renderLineChart, type Series } from '../charts/line-chart'
import { int, num, table } from './markdown'
import type { Section } from './recall-section'

/**
 * Renders the sync section from `runSyncBench`'s results: a table and charts of bytes per client
 * and ms per tick against the number of clients, one line per policy.
 * @param rs - the sync benchmark's results.
 * @param command - the command that reruns it.
 */
export function syncSection(rs: readonly SyncBenchResult[], command: string): Section {
  const policies = [...new Set(rs.map((r) => r.policy))]
  const byPolicy = (y: (r: SyncBenchResult) => number): Series[] =>
    policies.map((p) => ({
      name: p === 'full' ? 'full state (no filter)' : p === 'radius' ? 'radius AOI (hand-written views)' : 'attention plugin',
      points: rs.filter((r) => r.policy === p).map((r) => ({ x: r.clients, y: y(r) })),
      dashed: p !== 'attention',
    }))
  const images = {
    'sync-bytes-per-client.svg': renderLineChart({
      title: 'Sync: bytes per client vs clients',
      xLabel: 'clients',
      yLabel: 'bytes per client per second (log scale)',
      yLog: true,
      series: byPolicy((r) => r.bytesPerClientPerSec),
    }),
    'sync-ms-per-tick.svg': renderLineChart({
      title: 'Sync: server ms per tick vs clients',
      xLabel: 'clients',
      yLabel: 'ms per tick, median',
      yMin: 0,
      series: byPolicy((r) => r.msPerTick),
    }),
  }
  const md = [
    '## Sync (Colyseus StateViews)',
    '',
    `Command: \`${command}\` (plugin/bench/sync.bench.ts). One room of moving entities; per tick the server cost of interest + view sync + ` +
      'encoding (not the simulation) and the bytes each client receives, for the attention plugin (engine + `AttentionPlugin.sync`, shared views, ' +
      'bands and view tags), full state (no filter, encoded once) and a hand-written radius AOI over StateViews, measured in the same run.',
    '',
    table(
      ['policy', 'entities', 'clients', 'ms/tick (median)', 'p90', 'bytes/client/s', 'entities per client', 'views encoded'],
      rs.map((r) => [
        r.policy,
        String(r.entities),
        String(r.clients),
        num(r.msPerTick, 2),
        num(r.p90MsPerTick, 2),
        int(r.bytesPerClientPerSec),
        num(r.entitiesPerClient, 1),
        String(r.views),
      ]),
    ),
    '',
    '![Sync bytes per client vs clients](images/sync-bytes-per-client.svg)',
    '',
    '![Sync ms per tick vs clients](images/sync-ms-per-tick.svg)',
    '',
  ].join('\n')
  return { markdown: md, images }
}
