import { num, table } from './markdown'

/** One layout of `npm run bench:cluster` (bench/cluster/run.ts), as it writes it. */
interface ClusterRun {
  processes: number
  redis: boolean
  bots: number
  clients: number
  seconds: number
  extraMs: { median: number; p99: number }
  extraTicksP99: number
  zones: { zone: number; msgsPerSecond: number; bytesPerSecond: number; clientBytesPerSecond: number; ratio: number }[]
  cpu: number[]
}

/**
 * The section for the zoned world on several processes (docs/scaling.md has the method). It is
 * read from `.bench-results/cluster.json` when `npm run bench:cluster` wrote one; `npm run bench`
 * does not run it (it starts redis-server and several processes).
 */
export function clusterSection(result: { at?: string; runs?: ClusterRun[] }): string {
  const runs = result.runs ?? []
  const rows = runs.map((r) => {
    const worst = r.zones.reduce((m, z) => Math.max(m, z.ratio), 0)
    const msgs = r.zones.reduce((s, z) => s + z.msgsPerSecond, 0) / Math.max(1, r.zones.length)
    return [
      `${r.processes} process${r.processes === 1 ? '' : 'es'}${r.redis ? ' + Redis' : ''}`,
      String(r.bots),
      String(r.clients),
      num(r.extraMs.median, 0),
      num(r.extraMs.p99, 0),
      num(r.extraTicksP99, 2),
      num(msgs, 1),
      `${num(worst * 100, 0)}%`,
      r.cpu.map((c) => `${num(c * 100, 0)}%`).join(', '),
    ]
  })
  return [
    '## Several processes: zones and borders',
    '',
    `Command: \`npm run bench:cluster\` (bench/cluster/run.ts; run ${result.at ?? 'at an unknown time'}, not part of \`npm run bench\`: it starts a redis-server and several server processes). A 2x2 zoned arena; the delay a border adds is the time from a probe bot's spawn until a client across the border sees it, minus the same for a client on its own side. Targets: visible across the border within 2 ticks at p99 on loopback; a zone's Redis traffic under 20% of the bytes its clients receive. Method and caveats: [scaling.md](scaling.md).`,
    '',
    table(
      ['layout', 'bots', 'clients', 'border delay ms (median)', 'p99', 'p99 in ticks', 'Redis msgs/s per zone', 'Redis bytes / client bytes (worst zone)', 'server CPU per process'],
      rows,
    ),
    '',
  ].join('\n')
}
