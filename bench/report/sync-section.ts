import type { GarbageResult, LeaveResult, SyncBenchResult, TierResult } from '../../plugin/bench/sync.bench'
import { renderLineChart, type Series } from '../charts/line-chart'
import { int, num, table } from './markdown'
import type { Section } from './recall-section'

/**
 * Renders the sync section from `runSyncBench`'s results: a table and charts of bytes per client
 * and ms per tick against the number of clients, one line per policy.
 * @param rs - the sync benchmark's results.
 * @param command - the command that reruns it.
 * @param tiers - bytes per entity per second by band (update-rate tiers), if measured.
 * @param garbage - heap allocated per tick by the sync step, if measured.
 * @param leave - what a client's leave (its view disposed) costs, if measured.
 */
export function syncSection(rs: readonly SyncBenchResult[], command: string, tiers: readonly TierResult[] = [], garbage: GarbageResult | null = null, leave: LeaveResult | null = null): Section {
  const policies = [...new Set(rs.map((r) => r.policy))]
  // the charts plot the main rows (the first entity count) against clients; larger rooms are table rows
  const mainN = rs[0]?.entities
  const byPolicy = (y: (r: SyncBenchResult) => number): Series[] =>
    policies.map((p) => ({
      name:
        p === 'full'
          ? 'full state (no filter)'
          : p === 'radius'
            ? 'radius AOI (hand-written views)'
            : p === 'radius-indexed'
              ? 'radius AOI + per-view change lists'
              : p === 'radius-grid'
                ? 'radius AOI over a grid, same set size'
                : p === 'attention-threads'
                  ? 'attention plugin, engine threads 2'
                  : p === 'attention-pipelined'
                    ? 'attention plugin, engine threads 2, pipelined'
                    : 'attention plugin',
      points: rs.filter((r) => r.policy === p && r.entities === mainN).map((r) => ({ x: r.clients, y: y(r) })),
      dashed: p !== 'attention' && p !== 'attention-threads' && p !== 'attention-pipelined',
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
      title: `Sync: server ms per tick vs clients (${mainN ?? '?'} entities)`,
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
      'hand-written radius AOI over StateViews encoded by Colyseus as it is (*radius*: every entity checked for every client), the same radius AOI with the plugin\'s ' +
      'per-view change lists installed (*radius-indexed*, to show how much of the difference is encoding), and the fair baseline *radius-grid*: ' +
      'radius AOI over a uniform spatial grid, each view\'s set diffed against its last one, its radius chosen (bisection on the initial world) so that its ' +
      'mean set size equals the plugin\'s mean interest-set size measured on a short run of the plugin, encoded by Colyseus as it is. ' +
      'The world keeps the density of 1,000 entities on 1600 x 1600; the 10,000-entity row (40 ticks per run) leaves out the two scan-everything radius rows ' +
      '(about a second per tick there) and adds *attention-threads*: the plugin with the engine\'s observers on two threads (option `threads: 2`, ' +
      'shared stores; its ms are the room\'s thread\'s, the worker runs beside it, so it helps only when a core is free) and *attention-pipelined*: the same ' +
      'two threads pipelined (option `pipelined`: the worker scores the next tick while the room\'s thread syncs and encodes, and the sets reach the views a tick later; ' +
      'its ms are the room\'s thread\'s, its wait for the worker at the end of the tick included). All are measured in the same run, ' +
      'every one after a throwaway attention system was created (the code a server with several rooms runs; see the engine section). ' +
      'Each policy runs 5 times on a fresh world (20 warm-up ticks, then the measured ticks), the policies taking turns after a full GC, ' +
      'and each row pools its 5 runs: the machine\'s speed drifts over seconds, and taking turns spreads every policy over the same ' +
      'stretch of time, so the ratios do not depend on which policy happened to run while the machine was slow.',
    '',
    table(
      ['policy', 'entities', 'clients', 'ms/tick (median)', 'p90', 'interest ms', 'encode ms', 'bytes/client/s', 'entities per client', 'mean set size', 'radius', 'views encoded'],
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
        typeof r.setSize === 'number' ? num(r.setSize, 1) : '-',
        typeof r.radius === 'number' ? num(r.radius, 0) : '-',
        String(r.views),
      ]),
    ),
    '',
    '*interest ms* is the policy\'s own work (attention: engine + `AttentionPlugin.sync`; radius: the refresh loop), *encode ms* the ' +
      'Colyseus encoding of the shared part and every distinct view. Schema 5 encodes each view by walking every changed entity of the ' +
      'room; with per-view change lists (docs/sync.md) each view walks only the changed entities it holds, so encoding follows ' +
      'clients x members instead of clients x changed entities. Full state (one shared view) avoids per-view encoding altogether.',
    '',
    ...(garbage === null
      ? []
      : [
          `**Garbage.** The sync step (\`AttentionPlugin.sync()\`, the view edits of a tick; not the engine, not encoding) leaves ` +
            `${num(garbage.kbPerTick, 1)} KB on the heap per tick at ${garbage.entities} entities and ${garbage.clients} clients (median of ${garbage.ticks} ticks; ` +
            'the growth of the used heap across the step, not a timed test). Band changes allocate nothing (schema-tags.ts writes the view tag bitmaps and ' +
            'queues shared entry maps), and entries and exits write into tables that keep their storage (docs/sync.md); what remains is nearly all the ' +
            'benchmark room\'s own `refresh` callback writing the fields of entities that enter at a higher band (schema boxes each number it stores).',
          '',
        ]),
    ...(leave === null
      ? []
      : [
          `**A client that leaves.** Disposing its view (schema's \`view.dispose()\` walks every object of the state, on the room's thread) at ` +
            `${leave.entities.toLocaleString('en-US')} entities and ${leave.clients} views of 25 members: ${num(leave.stockMs, 2)} ms with \`view.dispose()\`, ` +
            `${num(leave.pluginMs, 2)} ms with the plugin's \`disposeViews\` (median per view, the two taking turns on two copies of the room); ` +
            `a room that closes with ${leave.closeViews} views: ${num(leave.closeStockMs, 0)} ms against ${num(leave.closePluginMs, 1)} ms (one walk for all of them; docs/sync.md).`,
          '',
        ]),
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
