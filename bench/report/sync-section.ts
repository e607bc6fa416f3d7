import type { SyncBenchResult, TierResult } from '../../plugin/bench/sync.bench'
import { renderLineChart, type Series } from '../charts/line-chart'
import { int, num, table } from './markdown'
import type { Section } from './recall-section'

/**
 * Renders the sync section from `runSyncBench`'s results: a table and charts of bytes per client
 * and ms per tick against the number of clients, one line per policy.
 * @param rs - the sync benchmark's results.
 * @param command - the command that reruns it.
 * @param tiers - bytes per entity per second by band (update-rate tiers), if measured.
 */
export function syncSection(rs: readonly SyncBenchResult[], command: string, tiers: readonly TierResult[] = []): Section {
  const policies = [...new Set(rs.map((r) => r.policy))]
  const byPolicy = (y: (r: SyncBenchResult) => number): Series[] =>
    policies.map((p) => ({
      name:
        p === 'full'
          ? 'full state (no filter)'
          : p === 'radius'
            ? 'radius AOI (hand-written views)'
            : p === 'radius-indexed'
              ? 'radius AOI + per-view change lists'
              : 'attention plugin',
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
      'bands and view tags, and the per-view change lists it installs on the encoder), full state (no filter, encoded once), a ' +
      'hand-written radius AOI over StateViews encoded by Colyseus as it is (*radius*), and the same radius AOI with the plugin\'s ' +
      'per-view change lists installed (*radius-indexed*, to show how much of the difference is encoding), measured in the same run, ' +
      'every one after a throwaway attention system was created (the code a server with several rooms runs; see the engine section). ' +
      'Each policy runs 5 times on a fresh world (20 warm-up ticks, then the measured ticks), the policies taking turns after a full GC, ' +
      'and each row pools its 5 runs: the machine\'s speed drifts over seconds, and taking turns spreads every policy over the same ' +
      'stretch of time, so the ratios do not depend on which policy happened to run while the machine was slow.',
    '',
    table(
      ['policy', 'entities', 'clients', 'ms/tick (median)', 'p90', 'interest ms', 'encode ms', 'bytes/client/s', 'entities per client', 'views encoded'],
      rs.map((r) => [
        r.policy,
        String(r.entities),
        String(r.clients),
        num(r.msPerTick, 2),
        num(r.p90MsPerTick, 2),
        typeof r.interestMs === 'number' ? num(r.interestMs, 2) : '-',
        typeof r.encodeMs === 'number' ? num(r.encodeMs, 2) : '-',
        int(r.bytesPerClientPerSec),
        num(r.entitiesPerClient, 1),
        String(r.views),
      ]),
    ),
    '',
    '*interest ms* is the policy\'s own work (attention: engine + `AttentionPlugin.sync`; radius: the refresh loop), *encode ms* the ' +
      'Colyseus encoding of the shared part and every distinct view. Schema 5 encodes each view by walking every changed entity of the ' +
      'room; with per-view change lists (docs/sync.md) each view walks only the changed entities it holds, so encoding follows ' +
      'clients x members instead of clients x changed entities. Full state (one shared view) avoids per-view encoding altogether.',
    '',
    ...(tiers.length === 0
      ? []
      : [
          '**Update-rate tiers.** What one member costs its client per second, by the band it is held at (the example schema: ' +
            'a coarse position refreshed every 4th tick for every band, full-rate motion at Medium and High, detail at High):',
          '',
          table(
            ['band', 'bytes per entity per second'],
            tiers.map((t) => [t.band, num(t.bytesPerEntityPerSec, 1)]),
          ),
          '',
        ]),
    '![Sync bytes per client vs clients](images/sync-bytes-per-client.svg)',
    '',
    '![Sync ms per tick vs clients](images/sync-ms-per-tick.svg)',
    '',
  ].join('\n')
  return { markdown: md, images }
}
