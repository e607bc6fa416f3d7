import { table } from './markdown'

/**
 * Renders another harness's result (engine or sync bench) that this package does not type: its own
 * `markdown` when it provides one, else every array of flat objects as a table, else its JSON.
 * @param title - section heading.
 * @param command - the command that reruns it.
 * @param result - what the bench's run function returned.
 */
export function genericSection(title: string, command: string, result: unknown): string {
  const lines = [`## ${title}`, '', `Command: \`${command}\`.`, '']
  if (Array.isArray(result)) return genericSection(title, command, { results: result })
  if (result !== null && typeof result === 'object') {
    const md = (result as { markdown?: unknown }).markdown
    if (typeof md === 'string') {
      lines.push(md.trim(), '')
      return lines.join('\n')
    }
    const tables = Object.entries(result as Record<string, unknown>).filter(
      ([, v]) => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)),
    )
    for (const [name, rows] of tables) {
      const list = rows as Record<string, unknown>[]
      const cols = [...new Set(list.flatMap((r) => Object.keys(r).filter((k) => isScalar(r[k]))))]
      lines.push(`**${name}**`, '', table(cols, list.map((r) => cols.map((c) => fmt(r[c])))), '')
    }
    if (tables.length > 0) return lines.join('\n')
  }
  lines.push('```json', JSON.stringify(result, null, 2), '```', '')
  return lines.join('\n')
}

function isScalar(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null
}

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString()
  return v === undefined || v === null ? '-' : String(v)
}
