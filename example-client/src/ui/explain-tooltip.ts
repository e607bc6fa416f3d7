/** The `/debug/explain` answer (the engine's Explanation as JSON; extra fields are ignored). */
export interface ExplainResponse {
  member: boolean
  rule: string | null
  heads: { name: string; feature: number; weight: number | null; contribution: number | null }[]
  score: number | null
  weight: number | null
  rank: number | null
  candidates: number
  budget: number
  band: number | null
  hysteresis: { enterScore: number; exitScore: number; outTicks: number; minOutTicks: number; swapMargin: number }
  summary: string
  /** A custom scorer's own score (the learned model's), when the server runs one. */
  scorer?: { score: number; source: string } | null
}

const BANDS = ['low', 'medium', 'high']

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits)
}

/**
 * Renders an explanation as the tooltip's HTML: summary, per-head contributions, rank (0-based, as the engine reports it), band and
 * hysteresis state. Every string from the server is escaped.
 * @param key - the hovered entity's key
 * @param x - the explanation
 * @returns an HTML fragment
 */
export function formatExplanation(key: string, x: ExplainResponse): string {
  const rows = x.heads
    .map(
      (h) =>
        `<tr><td>${esc(h.name)}</td><td>${num(h.feature, 2)}</td><td>${num(h.weight, 2)}</td><td>${num(h.contribution)}</td></tr>`,
    )
    .join('')
  const band = x.band === null ? '-' : (BANDS[x.band] ?? String(x.band))
  const h = x.hysteresis
  return `
    <div class="tt-title">${esc(key)} ${x.member ? '<span class="in">in set</span>' : '<span class="out">not in set</span>'}${
      x.rule !== null ? ` <span class="rule">${esc(x.rule)}</span>` : ''
    }</div>
    <div class="tt-summary">${esc(x.summary)}</div>
    ${rows === '' ? '' : `<table><tr><th>head</th><th>feature</th><th>weight</th><th>contrib.</th></tr>${rows}</table>`}
    <div>score ${num(x.score)} · weight ${num(x.weight)} · band ${esc(band)}</div>${
      x.scorer === null || x.scorer === undefined
        ? ''
        : x.scorer.source === 'model correction'
          ? `\n    <div>model correction ${x.scorer.score >= 0 ? '+' : ''}${num(x.scorer.score)} (the score above is the heads' contributions plus it; without it, the heads' alone)</div>`
          : `\n    <div>${esc(x.scorer.source)} score ${num(x.scorer.score)} (the heads' score above stands in when the model has none)</div>`
    }
    <div>rank ${x.rank === null ? '-' : x.rank} of ${x.candidates} candidates (0 = best) · budget ${x.budget}</div>
    <div>hysteresis: out ${h.outTicks}/${h.minOutTicks} ticks · ${
      // -Infinity: none in force (a byte budget's price stands in for them, or they are off)
      h.enterScore === -Infinity ? 'no enter or exit score' : `enter ≥ ${num(h.enterScore, 2)} · exit &lt; ${num(h.exitScore, 2)}`
    } · swap +${num(h.swapMargin, 2)}</div>`
}

/**
 * Hover explanations from the server's `/debug/explain` (debug mode only). At most one request is in
 * flight; a hovered entity is re-fetched every `refreshMs` so the numbers stay live.
 */
export class ExplainTooltip {
  private key: string | null = null
  private inFlight = false
  private fetchedAt = -Infinity
  private fetchedKey: string | null = null

  /**
   * @param el - the tooltip element (absolutely positioned)
   * @param url - builds the explain URL for an entity key
   * @param refreshMs - refresh interval while hovering @defaultValue 400
   */
  constructor(
    private readonly el: HTMLElement,
    private readonly url: (key: string) => string,
    private readonly refreshMs = 400,
  ) {}

  /**
   * Called on pointer move and each frame: shows, moves, refreshes or hides the tooltip.
   * @param key - hovered entity key, or null
   * @param px - pointer x in page pixels
   * @param py - pointer y in page pixels
   * @param now - current time (ms)
   */
  hover(key: string | null, px: number, py: number, now: number): void {
    this.key = key
    if (key === null) {
      this.el.hidden = true
      return
    }
    // keep the tooltip inside the window: flip to the pointer's other side near an edge
    const w = this.el.offsetWidth
    const h = this.el.offsetHeight
    this.el.style.left = `${px + 16 + w > window.innerWidth ? Math.max(0, px - 16 - w) : px + 16}px`
    this.el.style.top = `${py + 16 + h > window.innerHeight ? Math.max(0, py - 16 - h) : py + 16}px`
    if (this.inFlight || (key === this.fetchedKey && now - this.fetchedAt < this.refreshMs)) return
    this.inFlight = true
    this.fetchedAt = now
    void fetch(this.url(key))
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        // 204: the player just crossed into another zone; the next refresh asks the new room
        return res.status === 204 ? null : ((await res.json()) as ExplainResponse)
      })
      .then((x) => {
        if (x === null || this.key !== key) return
        this.el.innerHTML = formatExplanation(key, x)
        this.fetchedKey = key
        this.el.hidden = false
      })
      .catch((err: unknown) => {
        if (this.key !== key) return
        this.el.textContent = `explain failed: ${String(err)}`
        this.el.hidden = false
      })
      .finally(() => {
        this.inFlight = false
      })
  }
}
