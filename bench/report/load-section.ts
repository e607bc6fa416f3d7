import { renderLineChart } from '../charts/line-chart'
import type { LoadBenchResult, LoadRun } from '../load/run'
import { int, num, pct, table } from './markdown'
import type { Section } from './recall-section'

const mode = (r: LoadRun): string => (r.attention ? 'on' : 'off')

/** A run's tick in server CPU time (median, p99; NaN for results recorded before it was measured). */
export function tickCpu(r: LoadRun): { median: number; p99: number } {
  return { median: r.tickCpuMedianMs ?? Number.NaN, p99: r.tickCpuP99Ms ?? Number.NaN }
}

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
    yLabel: 'ms of server CPU per tick (median; p99 dashed)',
    yMin: 0,
    series: [
      { name: 'plugin on, median', points: pts(on, (x) => tickCpu(x).median) },
      { name: 'plugin off, median', points: pts(off, (x) => tickCpu(x).median) },
      { name: 'plugin on, p99', points: pts(on, (x) => tickCpu(x).p99), dashed: true },
      { name: 'plugin off, p99', points: pts(off, (x) => tickCpu(x).p99), dashed: true },
    ],
  })
  const first = r.runs[0]
  const decodeEvery = first?.decodeEvery
  const lines = [
    '## Load on a real server',
    '',
    `Command: \`npm run bench:load${r.quick ? ' -- --quick' : ''}\` (\`-- --clients 500\` for other counts). The example server runs as a child process on a free 127.0.0.1 port ` +
      `(with ${first?.bots ?? '?'} bots); real \`@colyseus/sdk\` clients connect over WebSocket from load-generator child processes of their own ` +
      `(at most 200 clients each, none of them the server${first?.clientNice ? `, at nice ${first.clientNice} so that the server gets a core first, as on a machine of its own` : ''}) and move randomly ` +
      '(`move` every 100 ms, `face` now and then) and, like a game\'s clients, never ask for the example room\'s debug overlay (the `attention` message goes only to clients that send `overlay`); each run warms up, measures for a fixed time, then stops by itself. ' +
      (decodeEvery !== undefined && decodeEvery > 1
        ? `One client in ${decodeEvery} decodes its patches into a schema state like a game client (decode errors are counted); the others count bytes without decoding: ` +
          'the server does the same work either way, and the load generators leave the cores to the server. '
        : 'Every client decodes its patches like a game client. ') +
      'Tick is the server work per patch interval (simulation steps + `broadcastPatch`; 20 Hz), timed inside the server process by bench/load/server-entry.ts in two ways: ' +
      'process CPU time (the server\'s own cost, including GC helper threads) and wall clock (which also counts the time the server sat runnable while another process had the core: ' +
      'on this shared 2-core machine it depends on what else runs). "vs off" compares CPU medians. Step is the room\'s update (game logic and the attention engine); sync is `onBeforePatch` ' +
      '(the plugin\'s view sync and the room\'s own messages); encode+send is the serializer\'s `applyPatches`. Server CPU and RSS come from /proc/<pid> of the server process; ' +
      'bytes are WebSocket payload bytes received per client. Reconnection is off: a client whose connection closes counts as dropped. ' +
      `The server ${first?.directFrames === false ? 'sends through the ws library\'s own \`send\`' : 'writes each binary message of up to 4 KiB as one WebSocket frame with one socket write (example-server/src/direct-frames.ts; larger ones, such as full-state patches, go through ws)'} ` +
      `and runs with node flags ${first?.serverFlags === undefined || first.serverFlags.length === 0 ? 'none' : first.serverFlags.map((f) => `\`${f}\``).join(' ')} (docs/scaling.md). ` +
      '"Load generators" gives the number of client processes, their CPU together and that of the busiest one.',
    '',
    table(
      [
        'clients',
        'plugin',
        'tick CPU median (ms)',
        'tick CPU p99 (ms)',
        'vs off',
        'tick wall median / p99 (ms)',
        'step / sync / encode+send CPU (ms)',
        'server CPU (% of a core)',
        'GC (ms/s)',
        'RSS (MiB)',
        'bytes/client/s',
        'bytes vs off',
        'dropped clients',
        'load generators (CPU, busiest)',
      ],
      r.runs.map((x) => {
        const base = off.find((o) => o.clients === x.clients)
        return [
          String(x.clients),
          mode(x),
          num(tickCpu(x).median, 2),
          num(tickCpu(x).p99, 2),
          base ? `${num(tickCpu(x).median / tickCpu(base).median, 2)}x` : '-',
          `${num(x.tickMedianMs, 2)} / ${num(x.tickP99Ms, 2)}`,
          `${num(x.stepCpuMedianMs ?? Number.NaN, 2)} / ${num(x.syncCpuMedianMs ?? Number.NaN, 2)} / ${num(x.encodeCpuMedianMs ?? Number.NaN, 2)}`,
          num(x.cpuPercent, 0),
          num(x.gcMsPerSec ?? Number.NaN, 1),
          num(x.rssMiB, 0),
          int(x.bytesPerClientPerSec),
          base ? pct(x.bytesPerClientPerSec / base.bytesPerClientPerSec, 1) : '-',
          x.decodeErrors ? `${x.droppedClients} (${x.decodeErrors} decode errors)` : String(x.droppedClients),
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
          `(close codes ${JSON.stringify(x.dropCodes ?? {})}; load generators at ${num(x.clientCpuPercent, 0)}% CPU): that row measured fewer clients than it says and is not comparable.\n`,
      ),
    '![Bytes per client vs clients](images/load-bytes-per-client.svg)',
    '',
    '![Tick time vs clients](images/load-tick-ms.svg)',
    '',
  ]
  return { markdown: lines.join('\n'), images }
}
