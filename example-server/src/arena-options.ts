/**
 * Validation of the `arena` room's options. They come from `defineRoom(ArenaRoom, {...})` and from
 * the client's `joinOrCreate('arena', options)`: the client part is untrusted (a wrong type, a huge
 * number or a `"NaN"` string must not reach the simulation), so every option is checked once, at
 * matchmaking and again at creation, with an error naming the option, the value and the range.
 */

/** Options of the `arena` room (from `defineRoom(ArenaRoom, {...})` or the join). */
export interface ArenaOptions {
  bots?: number
  seed?: number
  /** false: no interest management, every client gets every entity (the baseline). */
  attention?: boolean
  /** Simulation and patch interval in ms. */
  tickMs?: number
  /** Most entities entering a client's view per patch. */
  entryBudget?: number
  /** Debug mode (ATTENTION_DEBUG=1, set by the server; a join cannot turn it on): the `attention` message says so, and the page may ask `/debug/*`. */
  debug?: boolean
  /**
   * Hard visibility bound (fog of war, anti-cheat): no client ever receives an entity farther than
   * this from its player, whatever the attention engine selects. Unset: no bound.
   */
  maxRange?: number
  /** Bytes per second each client may receive (the attention engine's byte budget); 0 or unset: a count budget of 24. */
  byteBudget?: number
  /** `learned`: score with the shipped ONNX model (colyseus-attention/learned) instead of the built-in heads. */
  scorer?: 'heads' | 'learned'
  /**
   * Threads the attention engine scores observers on (its `threads` option; set by the server from
   * ENGINE_THREADS). 1: the room's thread only. More than 1 needs the built-in heads.
   */
  engineThreads?: number
  /**
   * The engine's `pipelined` option (set by the server from PIPELINED): the workers score the next
   * tick while the room's thread syncs and sends; the sets reach the clients a tick later. Needs
   * `engineThreads` of 2 or more.
   */
  enginePipelined?: boolean
  /** Most players in the room (set by the server; a join cannot raise it): a full room takes no more joins. @defaultValue 500 */
  maxClients?: number
  /**
   * Most arena rooms this process holds outside a zoned world (set by the server): with every room
   * full, a join that would create another is refused. @defaultValue 4
   */
  maxRooms?: number
  /** A zoned world's entity key secret (set by the server; the plugin's createEntityKeys): every zone room makes an entity's key with it. */
  keySecret?: string
  /** Zoned world (set by the server): the grid of zones; the room simulates zone `zone`. */
  zones?: { columns: number; rows: number }
  zone?: number
}

/** Integer options and their allowed ranges. */
const INTEGER_RANGES = {
  bots: [0, 20000],
  seed: [0, 2 ** 31],
  tickMs: [10, 1000],
  entryBudget: [1, 65535],
  byteBudget: [0, 10_000_000],
  zone: [0, 255],
  engineThreads: [1, 8],
  maxClients: [1, 2000],
  maxRooms: [1, 256],
} as const

/** Most option keys a join may carry (the arena reads five; the rest is ignored). */
const MAX_KEYS = 32
/** Longest string value an option may have. */
const MAX_STRING = 256

/** Shows a bad value in an error: strings quoted, long ones cut. */
const show = (v: unknown): string => {
  let s: string
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))
  } catch {
    s = Object.prototype.toString.call(v)
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

/**
 * Checks room options; returns them typed, or the reason they are refused.
 * `undefined` and `null` mean "no options". Keys the arena does not read are allowed (a game client
 * may send its own): at most {@link MAX_KEYS}, each a number, a boolean or a string of at most
 * {@link MAX_STRING} characters, so a join cannot park megabytes in its seat reservation.
 * @param raw - the options as received.
 * @returns the options, or a message such as `arena option tickMs must be an integer in [10, 1000]; got "NaN"`.
 */
export function parseArenaOptions(raw: unknown): ArenaOptions | string {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) return `arena options must be an object; got ${show(raw)}`
  const o = raw as Record<string, unknown>
  const keys = Object.keys(o)
  if (keys.length > MAX_KEYS) return `arena options may have at most ${MAX_KEYS} keys; got ${keys.length}`
  for (const k of keys) {
    const v = o[k]
    // the zone grid comes from the server's room definition: a small object, checked below
    if (k === 'zones') continue
    const ok = v === undefined || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= MAX_STRING)
    if (!ok) return `arena option ${k.slice(0, 40)} must be a number, a boolean or a string of at most ${MAX_STRING} characters; got ${show(v)}`
  }
  for (const name of Object.keys(INTEGER_RANGES) as (keyof typeof INTEGER_RANGES)[]) {
    const v = o[name]
    if (v === undefined) continue
    const [min, max] = INTEGER_RANGES[name]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return `arena option ${name} must be an integer in [${min}, ${max}]; got ${show(v)}`
    }
  }
  if (o.attention !== undefined && typeof o.attention !== 'boolean') {
    return `arena option attention must be a boolean; got ${show(o.attention)}`
  }
  if (o.zones !== undefined) {
    const z = o.zones as { columns?: unknown; rows?: unknown } | null
    const dim = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16
    if (typeof z !== 'object' || z === null || Array.isArray(z) || Object.keys(z).length !== 2 || !dim(z.columns) || !dim(z.rows)) {
      return `arena option zones must be { columns, rows } with each an integer in [1, 16]; got ${show(o.zones)}`
    }
  }
  if (o.scorer !== undefined && o.scorer !== 'heads' && o.scorer !== 'learned') return `arena option scorer must be "heads" or "learned"; got ${show(o.scorer)}`
  if (o.scorer === 'learned' && typeof o.engineThreads === 'number' && o.engineThreads > 1) {
    return `arena option engineThreads must be 1 with scorer "learned" (the engine's threads need the built-in heads); got ${o.engineThreads}`
  }
  if (o.enginePipelined !== undefined && typeof o.enginePipelined !== 'boolean') return `arena option enginePipelined must be a boolean; got ${show(o.enginePipelined)}`
  if (o.enginePipelined === true && !(typeof o.engineThreads === 'number' && o.engineThreads >= 2)) {
    return `arena option enginePipelined needs engineThreads of 2 or more; got engineThreads ${show(o.engineThreads ?? 1)}`
  }
  if (o.debug !== undefined && typeof o.debug !== 'boolean') return `arena option debug must be a boolean; got ${show(o.debug)}`
  if (o.maxRange !== undefined && !(typeof o.maxRange === 'number' && o.maxRange > 0 && o.maxRange < Infinity)) {
    return `arena option maxRange must be a finite number > 0; got ${show(o.maxRange)}`
  }
  return o as ArenaOptions
}
