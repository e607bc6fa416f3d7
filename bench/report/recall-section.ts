import { renderLineChart, type Series } from '../charts/line-chart'
import type { RecallRow } from '../recall/metrics'
import { INTERACTION_NAMES, KIND_NAMES } from '../recall/recording'
import type { RecallBenchResult } from '../recall/run'
import { BEHAVIOUR } from '../recall/scenario'
import type { TargetReport } from '../recall/targets'
import { HEAD_NAMES } from '../../plugin/src/index'
import { int, num, pct, table, verdict } from './markdown'

/** A report section: markdown plus the SVG files it references (name -> SVG text). */
export interface Section {
  markdown: string
  images: Record<string, string>
}

const isMainAttention = (r: RecallRow): boolean => r.family === 'attention' && r.label.startsWith('attention K=') && !r.label.includes(' R=')

/** Groups rows into chart series: one per policy family and attention variant. */
function seriesOf(rows: readonly RecallRow[], y: (r: RecallRow) => number): Series[] {
  const groups = new Map<string, RecallRow[]>()
  for (const r of rows) {
    const key = r.family === 'attention' ? r.label.replace(/ K=\d+/, '') : r.family
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const name = (k: string): string =>
    k === 'radius' ? 'radius AOI' : k === 'nearest' ? 'nearest-K' : k === 'full' ? 'full state' : k === 'attention' ? 'attention (default)' : k
  const order = ['attention', 'radius', 'nearest', 'full']
  return [...groups.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 9) - (order.indexOf(b) + 1 || 9))
    .map(([k, rs]) => ({
      name: name(k),
      points: rs.map((r) => ({ x: r.bytesPerClientPerSec, y: y(r) })),
      dashed: k !== 'attention' && k.startsWith('attention'),
      markerOnly: k === 'full',
    }))
}

function paramName(r: RecallRow): string {
  if (r.family === 'full') return '-'
  const radius = / R=([\d.]+)/.exec(r.label)
  if (r.family === 'attention') return `K=${r.param}${radius ? `, R=${radius[1]}` : ''}`
  return r.family === 'radius' ? `R=${r.param}` : `K=${r.param}`
}

function policyName(r: RecallRow): string {
  if (r.family === 'attention') {
    const v = /\(([^)]+)\)/.exec(r.label)
    return v ? `attention (${v[1]})` : r.label.includes(' R=') ? 'attention (R=25)' : 'attention'
  }
  return r.family === 'radius' ? 'radius AOI' : r.family === 'nearest' ? 'nearest-K' : 'full state'
}

function targetsTable(t: TargetReport): string {
  return table(
    ['attention budget', 'bytes/client/s', 'attention misses', 'radius AOI misses (interpolated)', 'avoidable: attention / radius', 'at most half?'],
    t.equalBytes.map((p) => [
      `K=${p.budget}`,
      int(p.bytesPerClientPerSec),
      pct(p.attentionMiss),
      pct(p.radiusMiss),
      `${pct(p.attentionAvoidable)} / ${pct(p.radiusAvoidable)}`,
      p.met ? 'yes' : 'no',
    ]),
  )
}

/** Pairs each main attention configuration with the radius configuration closest in bytes. */
function pairs(rows: readonly RecallRow[]): [RecallRow, RecallRow][] {
  const radius = rows.filter((r) => r.family === 'radius')
  const out: [RecallRow, RecallRow][] = []
  for (const a of rows.filter(isMainAttention)) {
    const best = [...radius].sort(
      (p, q) => Math.abs(Math.log(p.bytesPerClientPerSec / a.bytesPerClientPerSec)) - Math.abs(Math.log(q.bytesPerClientPerSec / a.bytesPerClientPerSec)),
    )[0]
    if (best && a.missed200 > 0) out.push([a, best])
  }
  return out.slice(0, 4)
}

/** Rows of the pairs, each once, in order. */
function pairRows(ps: [RecallRow, RecallRow][]): RecallRow[] {
  const out: RecallRow[] = []
  for (const [a, b] of ps) for (const x of [a, b]) if (!out.includes(x)) out.push(x)
  return out
}

/**
 * Renders the relevance-recall section: scenario, curves (SVG), the full table, the equal-bytes
 * comparison against radius AOI, target verdicts and a breakdown of the attention policy's misses.
 * @param r - the recall benchmark result.
 */
export function recallSection(r: RecallBenchResult): Section {
  const images: Record<string, string> = {}
  const fullRow = r.rows.find((x) => x.family === 'full')
  const fullBytes = fullRow?.bytesPerClientPerSec ?? Number.NaN
  const floor = fullRow?.recall200 ?? 1
  const chartRows = r.rows
  images['recall-vs-bytes-200ms.svg'] = renderLineChart({
    title: 'Recall at T = 200 ms vs bytes per client',
    xLabel: 'bytes per client per second (log scale)',
    yLabel: 'recall (interactions seen 200 ms ahead)',
    xLog: true,
    yMin: Math.max(0, Math.floor(Math.min(...chartRows.map((x) => x.recall200)) * 10) / 10),
    yMax: 1,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    hLines: [{ y: 0.995, label: '99.5%' }],
    series: seriesOf(chartRows, (x) => x.recall200),
  })
  images['recall-vs-bytes-500ms.svg'] = renderLineChart({
    title: 'Recall at T = 500 ms vs bytes per client',
    xLabel: 'bytes per client per second (log scale)',
    yLabel: 'recall (interactions seen 500 ms ahead)',
    xLog: true,
    yMin: Math.max(0, Math.floor(Math.min(...chartRows.map((x) => x.recall500)) * 10) / 10),
    yMax: 1,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    series: seriesOf(chartRows, (x) => x.recall500),
  })
  const missFloor = 1e-4
  images['missed-vs-bytes-200ms.svg'] = renderLineChart({
    title: 'Missed interactions (T = 200 ms) vs bytes per client',
    xLabel: 'bytes per client per second (log scale)',
    yLabel: 'missed interactions (log scale)',
    xLog: true,
    yLog: true,
    yMin: missFloor,
    yMax: 1,
    yFormat: (v) => `${Number((v * 100).toPrecision(2))}%`,
    hLines: [{ y: 1 - floor, label: 'unavoidable (full state misses)' }],
    series: seriesOf(chartRows, (x) => Math.max(missFloor, 1 - x.recall200)),
  })

  const s = r.scenario
  const t2 = r.targets200
  const t5 = r.targets500
  const att995 = t2.recall995.find((x) => x.family === 'attention')
  const lines: string[] = []
  lines.push('## Relevance recall', '')
  lines.push(
    `Command: \`npm run bench:recall${r.quick ? ' -- --quick' : ''}\` (deterministic: same numbers on every run; only the ms columns vary).`,
    '',
    `**Scenario** (bench/recall/scenario.ts, seed ${s.seed}): a ${s.worldSize} x ${s.worldSize} arena for ${s.seconds} s at ${s.tickRate} ticks/s, ` +
      `${s.entities} entities: ${s.players} scripted players (wander with a facing, look around, now and then walk up to another player and trade), ` +
      `${s.wanderers} wanderers, ${s.chasers} chasers (chase the nearest player within 40 units, hit it, back off, come again), ` +
      `${s.groups} groups of ${s.groupSize} travelling in formation, ${s.projectiles} fast projectiles (50 units/s, fired at a player from 120-180 units). ` +
      `Interactions recorded: ${Object.entries(s.interactions)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}. ` +
      'Each interaction counts once per player party (a trade between two players counts for both). ' +
      `Behaviour constants (units, seconds): ${Object.entries(BEHAVIOUR)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    '',
    '**Policies**, replayed offline over the same recording: *attention* = this plugin\'s engine (`createAttentionSystem`, default heads, weights, hysteresis, radius 50; ' +
      'interactions are fed to `recordInteraction` only after the tick they happen in); *radius AOI* = everything within R; ' +
      '*nearest-K* = the K closest entities; *full state* = everything. Every client also sees its own avatar.',
    '',
    '**Metrics**: recall at T = the share of interactions whose other party had been in the player\'s set (continuously, as sent on the ticks before) for at least T; ' +
      'time-to-visibility = how long before the interaction it entered the set (0 when it was not in the set); ' +
      'bytes = the patches a Colyseus room would send, encoded through real `@colyseus/schema` StateViews (one per client; x, y, angle as float32, kind as uint8; ' +
      'shared + view bytes, 20 patches/s, WebSocket framing not included); churn = enters + exits per client per second. ' +
      'The first 2 s (sets filling up) are not measured.',
    '',
  )
  lines.push(
    '![Recall at 200 ms vs bytes](images/recall-vs-bytes-200ms.svg)',
    '',
    '![Missed interactions at 200 ms vs bytes](images/missed-vs-bytes-200ms.svg)',
    '',
    '![Recall at 500 ms vs bytes](images/recall-vs-bytes-500ms.svg)',
    '',
  )
  lines.push('### Targets', '')
  lines.push(
    `- *At equal bytes, attention misses at most half as many interactions as radius AOI* (T = 200 ms): ${verdict(t2.halfTheMissesMet)}; ` +
      `at T = 500 ms: ${verdict(t5.halfTheMissesMet)}. Misses that even full state makes (a projectile fired less than T before it hits) ` +
      `are unavoidable and not held against either policy: ${pct(1 - floor)} at 200 ms, ${pct(1 - (fullRow?.recall500 ?? 1))} at 500 ms.`,
    `- *99.5% recall at T = 200 ms with at most 15% of full-state bytes*: ${verdict(t2.recall995Within15Met)}` +
      (att995 ? ` (attention K=${att995.param}: ${int(att995.bytes)} B/client/s = ${pct(att995.shareOfFull, 1)} of full state's ${int(fullBytes)}).` : ' (no attention budget reached 99.5%).'),
    `- Cheapest configuration reaching 99.5% at 200 ms, per policy: ${t2.recall995
      .map((x) => `${x.family} ${x.family === 'radius' ? 'R' : 'K'}=${x.param}: ${int(x.bytes)} B/client/s (${pct(x.shareOfFull, 1)} of full)`)
      .join('; ')}.`,
    '',
    'Attention against radius AOI at the same bytes, T = 200 ms:',
    '',
    targetsTable(t2),
    '',
    'Same at T = 500 ms:',
    '',
    targetsTable(t5),
    '',
  )
  lines.push('### Every configuration', '')
  lines.push(
    table(
      ['policy', 'param', 'recall@200ms', 'recall@500ms', 'TTV median (s)', 'TTV p5 (s)', 'bytes/client/s', '% of full', 'churn/client/s', 'mean set', 'max set', 'policy ms/tick'],
      r.rows.map((x) => [
        policyName(x),
        paramName(x),
        pct(x.recall200),
        pct(x.recall500),
        num(x.ttvMedian, 2),
        num(x.ttvP5, 2),
        int(x.bytesPerClientPerSec),
        pct(x.bytesPerClientPerSec / fullBytes, 1),
        num(x.churnPerClientPerSec, 2),
        num(x.meanSetSize, 1),
        String(x.maxSetSize),
        num(x.policyMsPerTick, 2),
      ]),
    ),
    '',
    `(${r.rows[0]?.interactions ?? 0} player-side interactions per policy; policy ms/tick is the time to compute all ${s.players} sets, on this machine.)`,
    '',
  )

  const ps = pairs(r.rows)
  if (ps.length > 0) {
    lines.push('### Where the attention policy misses', '')
    lines.push(
      'Recall at 200 ms by interaction kind, attention next to the radius AOI configuration closest in bytes:',
      '',
      table(
        ['configuration', 'bytes/client/s', ...INTERACTION_NAMES.map((k) => `${k} (n=${r.rows[0]?.byInteraction[k]?.n ?? 0})`), 'misses'],
        pairRows(ps).map((x) => [
            `${policyName(x)} ${paramName(x)}`,
            int(x.bytesPerClientPerSec),
            ...INTERACTION_NAMES.map((k) => pct(x.byInteraction[k]?.recall200 ?? Number.NaN, 1)),
            String(x.missed200),
          ]),
      ),
      '',
      'Misses at 200 ms by the kind of the other party:',
      '',
      table(
        ['configuration', ...KIND_NAMES],
        pairRows(ps).map((x) => [
            `${policyName(x)} ${paramName(x)}`,
            ...KIND_NAMES.map((k) => {
              const c = x.byOther[k]
              return c && c.n > 0 ? `${Math.round(c.n * (1 - c.recall200))} of ${c.n}` : '-'
            }),
          ]),
      ),
      '',
      "Why, from the engine's own `explain()` at the tick before each missed interaction (cause, and the mean per-head score contribution of the missed entity " +
        'next to the weakest member that held its place):',
      '',
      table(
        ['configuration', 'misses', 'causes', ...HEAD_NAMES.map((h) => `${h}: missed / weakest member`)],
        ps.map(([a]) => [
          `attention ${paramName(a)}`,
          String(a.missed200),
          Object.entries(a.missCategories)
            .sort((p, q) => q[1] - p[1])
            .map(([k, v]) => `${v} ${k}`)
            .join(', '),
          ...HEAD_NAMES.map((_, h) => `${num(a.missContributions?.[h] ?? Number.NaN, 2)} / ${num(a.rivalContributions?.[h] ?? Number.NaN, 2)}`),
        ]),
        ['l', 'r', 'l'],
      ),
      '',
      ...reading(r.rows, ps),
    )
  }
  return { markdown: lines.join('\n'), images }
}

/** Plain-language reading of the miss data, computed from it (no fixed claims). */
function reading(rows: readonly RecallRow[], ps: [RecallRow, RecallRow][]): string[] {
  const out: string[] = []
  const melee = INTERACTION_NAMES.filter((k) => k !== 'hit')
  const radius = rows.filter((x) => x.family === 'radius').sort((a, b) => a.param - b.param)
  const allMelee = radius.find((x) => melee.every((k) => (x.byInteraction[k]?.recall200 ?? 0) === 1))
  if (allMelee) {
    out.push(
      `- Radius AOI sees every ${melee.join(', ')} at least 200 ms ahead from R=${allMelee.param} on: those parties close in at walking or running speed, ` +
        'so any radius gives them seconds of warning. Only the fast projectiles separate the radii.',
    )
  }
  const first = ps[0]?.[0]
  if (first && first.missContributions && first.rivalContributions) {
    const diffs = HEAD_NAMES.map((h, i) => ({ h, d: first.missContributions![i]! - first.rivalContributions![i]! }))
    const lost = diffs.filter((x) => x.d < -0.05).sort((a, b) => a.d - b.d)
    const won = diffs.filter((x) => x.d > 0.05).sort((a, b) => b.d - a.d)
    const worst = Object.entries(first.byOther)
      .map(([k, c]) => ({ k, m: Math.round(c.n * (1 - c.recall200)) }))
      .sort((a, b) => b.m - a.m)[0]
    out.push(
      `- Attention ${paramName(first)} misses ${first.missed200} of ${first.interactions}` +
        (worst ? `, ${worst.m} of them with a ${worst.k}` : '') +
        '. At the tick before a miss, the missed entity scored higher than the weakest member of the set on ' +
        (won.map((x) => `${x.h} (+${x.d.toFixed(2)})`).join(', ') || 'no head') +
        ' and lower on ' +
        (lost.map((x) => `${x.h} (${x.d.toFixed(2)})`).join(', ') || 'no head') +
        (won.some((x) => x.h === 'distance') && lost.length > 0
          ? `: with the default weights, ${lost.map((x) => x.h).join(' and ')} keep a farther entity in the set ahead of a closer one that is about to reach the player.`
          : '.'),
    )
  }
  const off = rows.filter((x) => x.label.startsWith('attention (no hysteresis)'))
  const r25 = rows.filter((x) => x.family === 'attention' && x.label.includes(' R='))
  const main = rows.filter(isMainAttention)
  const at = (rs: RecallRow[], k: number): RecallRow | undefined => rs.find((x) => x.param === k)
  const k = 4
  if (at(main, k) && at(off, k) && at(r25, k)) {
    out.push(
      `- Ablations at K=${k}: default ${pct(at(main, k)!.recall200)} recall at 200 ms; without hysteresis ${pct(at(off, k)!.recall200)} ` +
        `(churn ${num(at(main, k)!.churnPerClientPerSec, 2)} -> ${num(at(off, k)!.churnPerClientPerSec, 2)} per client per second); ` +
        `with focus radius 25 instead of 50 ${pct(at(r25, k)!.recall200)} at ${int(at(r25, k)!.bytesPerClientPerSec)} B/client/s. ` +
        'These are diagnostics, not the configuration judged against the targets.',
    )
  }
  out.push('')
  return out
}
