import { renderLineChart } from '../charts/line-chart'
import type { LoadBenchResult, LoadRun } from '../load/run'
import { int, num, pct, table } from './markdown'
import type { Section } from './recall-section'

const mode = (r: LoadRun): string => (r.attention ? 'on' : 'off')

/**
 * Renders the load section: per run tick time, CPU, memory and bytes per client, plugin on vs off,
 * with charts of bytes per client and tick time against the number of clients.
 * @param r - the load benchmark result.
 */
export function loadSection(r: LoadBenchResult): Section {
  const images: Record<string, string> = {}
  const off = r.runs.filter((x) => !x.attention)
  const on = r.runs.filter((x) => x.attention)
  const pts = (rs: LoadRun[], y: (x: LoadRun) => number): { x: number; y: number }[] => rs.map((x) => ({ x: x.clients, y: y(x) }))
  images['load-bytes-per-client.svg'] = renderLineChart({
    title: 'Bytes per client vs clients (real server)',
    xLabel: 'connected clients',
    yLabel: 'bytes received per client per second',
    yMin: 0,
    series: [
      { name: 'plugin on (attention)', points: pts(on, (x) => x.bytesPerClientPerSec) },
      { name: 'plugin off (full state)', points: pts(off, (x) => x.bytesPerClientPerSec), dashed: true },
    ],
  })
  images['load-tick-ms.svg'] = renderLineChart({
    title: 'Server tick time vs clients (real server)',
    xLabel: 'connected clients',
    yLabel: 'ms per tick (median; p99 dashed)',
    yMin: 0,
    series: [
      { name: 'plugin on, median', points: pts(on, (x) => x.tickMedianMs) },
      { name: 'plugin off, median', points: pts(off, (x) => x.tickMedianMs) },
      { name: 'plugin on, p99', points: pts(on, (x) => x.tickP99Ms), dashed: true },
      { name: 'plugin off, p99', points: pts(off, (x) => x.tickP99Ms), dashed: true },
    ],
  })
  const first = r.runs[0]
  const lines = [
    '## Load on a real server',
    '',
    `Command: \`npm run bench:load${r.quick ? ' -- --quick' : ''}\` (\`-- --clients 500\` for other counts). The example server runs as a child process on a free 127.0.0.1 port ` +
      `(with ${first?.bots ?? '?'} bots); real \`@colyseus/sdk\` clients connect over WebSocket from load-generator child processes of their own ` +
      '(at most 200 clients each, none of them the server) and move randomly ' +
      '(`move` every 100 ms, `face` now and then); each run warms up, measures for a fixed time, then stops by itself. ' +
      'Tick time is the server work per patch interval (simulation steps + `broadcastPatch`: interest, view updates, encoding, sending; 20 Hz), timed inside the ' +
      'server process by bench/load/server-entry.ts; CPU and RSS come from /proc/<pid> of the server process; bytes are WebSocket payload bytes ' +
      'received per client. Clients and server share this machine, so absolute CPU numbers include contention; compare on against off. ' +
      'Reconnection is off: a client whose connection closes counts as dropped. "Load generators" gives the number of client processes, their CPU together ' +
      'and that of the busiest one (each decodes every patch of its clients like a real client): a busiest process near 100% would mean the clients, ' +
      'not the server, were the bottleneck.',
    '',
    table(
      ['clients', 'plugin', 'tick median (ms)', 'tick p99 (ms)', 'tick vs off', 'patch median (ms)', 'server CPU (% of a core)', 'RSS (MiB)', 'bytes/client/s', 'bytes vs off', 'dropped clients', 'load generators (CPU, busiest)'],
      r.runs.map((x) => {
        const base = off.find((o) => o.clients === x.clients)
        return [
          String(x.clients),
          mode(x),
          num(x.tickMedianMs, 2),
          num(x.tickP99Ms, 2),
          base ? `${num(x.tickMedianMs / base.tickMedianMs, 2)}x` : '-',
          num(x.patchMedianMs, 2),
          num(x.cpuPercent, 0),
          num(x.rssMiB, 0),
          int(x.bytesPerClientPerSec),
          base ? pct(x.bytesPerClientPerSec / base.bytesPerClientPerSec, 1) : '-',
          String(x.droppedClients),
          // results of runs before the load generators had processes of their own lack the split
          x.clientProcesses === undefined ? `${num(x.clientCpuPercent, 0)}% (in the bench process)` : `${x.clientProcesses}: ${num(x.clientCpuPercent, 0)}%, ${num(x.clientProcessMaxCpuPercent, 0)}%`,
        ]
      }),
    ),
    '',
    ...r.runs
      .filter((x) => x.droppedClients > 0)
      .map(
        (x) =>
          `**Warning:** with ${x.clients} clients and the plugin ${mode(x)}, ${x.droppedClients} clients were dropped during the run ` +
          `(load generators at ${num(x.clientCpuPercent, 0)}% CPU): that row measured fewer clients than it says and is not comparable.\n`,
      ),
    '![Bytes per client vs clients](images/load-bytes-per-client.svg)',
    '',
    '![Tick time vs clients](images/load-tick-ms.svg)',
    '',
  ]
  return { markdown: lines.join('\n'), images }
}
