import type { BytesSeries } from '../stats/bytes-series'
import { formatRate } from './format-rate'
import { drawBytesChart, FULL_COLOR, YOU_COLOR } from './bytes-chart'

/** Numbers shown in the stats panel. */
export interface Stats {
  /** Entities in this client's view. */
  received: number
  /** Entities in the room (the state's `total`). */
  total: number
  bytesPerSecond: number
  patchesPerSecond: number
  /** Members of the interest set besides the avatar itself (rule members included). */
  interest: number
  /** The count budget. */
  budget: number
  /** The byte budget (bytes per second), 0 when the observer has none: then the count budget is only a cap. */
  byteBudget: number
  /** What the full state would cost this client (bytes per second), NaN when the server does not say. */
  fullBytesPerSecond: number
}

/**
 * The stats panel: one row per figure, updated in place a few times per second, and a chart of the
 * last minute's bytes per second against the full-state cost.
 */
export class StatsPanel {
  private readonly cells: Record<keyof Stats | 'ratio' | 'saving', HTMLElement>
  private readonly canvas: HTMLCanvasElement

  /** @param root - element the panel renders into */
  constructor(root: HTMLElement) {
    root.innerHTML = `
      <div class="row"><span>entities received</span><b data-k="received"></b></div>
      <div class="row"><span>entities in room</span><b data-k="total"></b></div>
      <div class="row"><span>share received</span><b data-k="ratio"></b></div>
      <div class="row"><span>bytes / s</span><b data-k="bytesPerSecond"></b></div>
      <div class="row"><span>patches / s</span><b data-k="patchesPerSecond"></b></div>
      <div class="row" title="rule members (owned, always-relevant) do not count against the budget"><span>interest set (budget)</span><b data-k="interest"></b></div>
      <canvas id="bytes-chart" width="226" height="64"></canvas>
      <div class="chart-legend">
        <span title="every byte this page received on its WebSocket"><i style="background:${YOU_COLOR}"></i>you</span>
        <span title="what this page would receive from the same room without the plugin (the server encodes it once per patch)"><i class="dashed" style="border-color:${FULL_COLOR}"></i>full state <b data-k="fullBytesPerSecond"></b></span>
        <b data-k="saving"></b>
      </div>`
    const cell = (k: string): HTMLElement => root.querySelector<HTMLElement>(`[data-k="${k}"]`)!
    this.canvas = root.querySelector<HTMLCanvasElement>('#bytes-chart')!
    this.cells = {
      received: cell('received'),
      total: cell('total'),
      ratio: cell('ratio'),
      bytesPerSecond: cell('bytesPerSecond'),
      patchesPerSecond: cell('patchesPerSecond'),
      interest: cell('interest'),
      budget: cell('interest'),
      byteBudget: cell('interest'),
      fullBytesPerSecond: cell('fullBytesPerSecond'),
      saving: cell('saving'),
    }
  }

  /** Shows new figures. */
  update(s: Stats): void {
    this.cells.received.textContent = String(s.received)
    this.cells.total.textContent = String(s.total)
    this.cells.ratio.textContent = s.total > 0 ? `${Math.round((100 * s.received) / s.total)} %` : '-'
    this.cells.bytesPerSecond.textContent = formatRate(s.bytesPerSecond)
    this.cells.patchesPerSecond.textContent = s.patchesPerSecond.toFixed(0)
    this.cells.interest.textContent = formatInterest(s)
    const full = s.fullBytesPerSecond
    this.cells.fullBytesPerSecond.textContent = Number.isNaN(full) ? '-' : formatRate(full)
    this.cells.saving.textContent = Number.isNaN(full) || full <= 0 ? '' : `you get ${formatShare(s.bytesPerSecond / full)}`
  }

  /** Redraws the bytes chart (once per new sample is enough). */
  chart(series: BytesSeries): void {
    drawBytesChart(this.canvas, series)
  }
}

/**
 * The interest-set row: the set's size and the budget that bounds it, the byte budget when the
 * observer has one (its count budget is then only a cap), else the count budget.
 * @returns e.g. '23 (24)', '41 (2.0 kB/s)'
 */
export function formatInterest(s: Pick<Stats, 'interest' | 'budget' | 'byteBudget'>): string {
  return s.byteBudget > 0 ? `${s.interest} (${formatRate(s.byteBudget)})` : `${s.interest} (${s.budget})`
}

/** A share as a percentage with sensible digits: '0.4 %', '7 %'. */
function formatShare(r: number): string {
  const p = 100 * r
  return p < 10 ? `${p.toFixed(1)} %` : `${Math.round(p)} %`
}
