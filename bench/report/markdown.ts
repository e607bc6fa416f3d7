/** A GitHub-flavoured markdown table; `align` per column: 'l' or 'r' (default 'r' except the first). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const al = header.map((_, i) => align?.[i] ?? (i === 0 ? 'l' : 'r'))
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(header), line(al.map((a) => (a === 'l' ? ':---' : '---:'))), ...rows.map(line)].join('\n')
}

/** Percentage with `digits` decimals; `-` for NaN. */
export function pct(v: number, digits = 2): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '-'
}

/** Fixed-point number; `-` for NaN / Infinity. */
export function num(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-'
}

/** Thousands-separated integer. */
export function int(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-'
}

/** "yes" / "no" / "n/a" for a verdict. */
export function verdict(v: boolean | null | undefined): string {
  return v === true ? '**met**' : v === false ? '**not met**' : 'n/a'
}
