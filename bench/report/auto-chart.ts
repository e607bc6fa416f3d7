import { renderLineChart, type Series } from '../charts/line-chart'

/** What to look for in another harness's rows to chart them. */
export interface AutoChartSpec {
  title: string
  /** Pattern of the x column's name (e.g. /entit/i). */
  x: RegExp
  /** Pattern of the y columns' names (e.g. /ms/i); the first matching numeric column is used. */
  y: RegExp
  /** Optional preferred y column names, tried before the pattern. */
  prefer?: readonly string[]
  xLabel: string
  yLabel: string
  xLog?: boolean
  yLog?: boolean
}

type Row = Record<string, unknown>

/** Every array of flat objects inside `value` (depth-first, with its path). */
export function findRowArrays(value: unknown, path = ''): { path: string; rows: Row[] }[] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) return [{ path, rows: value as Row[] }]
    return []
  }
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value as Row).flatMap(([k, v]) => findRowArrays(v, path ? `${path}.${k}` : k))
}

/**
 * Charts another harness's result without knowing its type: finds rows with a numeric column
 * matching `spec.x` and one matching `spec.y`, one series per value of the rows' string columns
 * (e.g. a `variant` or `mode` column). Returns null when nothing matches.
 */
export function autoChart(result: unknown, spec: AutoChartSpec): string | null {
  for (const { rows } of findRowArrays(result)) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))]
    const numeric = (k: string): boolean => rows.every((r) => typeof r[k] === 'number' || r[k] === undefined)
    const xKey = keys.find((k) => spec.x.test(k) && numeric(k))
    const yKey = (spec.prefer ?? []).find((k) => keys.includes(k) && numeric(k)) ?? keys.find((k) => k !== xKey && spec.y.test(k) && numeric(k))
    if (xKey === undefined || yKey === undefined) continue
    const labelKeys = keys.filter((k) => rows.every((r) => typeof r[k] === 'string' || typeof r[k] === 'boolean'))
    const groups = new Map<string, Row[]>()
    for (const r of rows) {
      const name = labelKeys.map((k) => String(r[k])).join(' ') || yKey
      groups.set(name, [...(groups.get(name) ?? []), r])
    }
    const series: Series[] = [...groups.entries()].map(([name, rs]) => ({
      name,
      points: rs.map((r) => ({ x: r[xKey] as number, y: r[yKey] as number })),
    }))
    if (!series.some((s) => s.points.length > 1)) continue
    return renderLineChart({
      title: spec.title,
      xLabel: `${spec.xLabel} (${xKey})`,
      yLabel: `${spec.yLabel} (${yKey})`,
      xLog: spec.xLog,
      yLog: spec.yLog,
      yMin: spec.yLog ? undefined : 0,
      series,
    })
  }
  return null
}
