// Owns the entry point of attention across zone borders: creating a room's border exchange (its
// subscriptions on the room's presence) and running its stages once per tick: receive
// (border-receiver.ts), hand over and publish (border-publisher.ts). Visibility is enforced on the
// publishing side: Hidden and TeamOnly entities are never put in a summary; they cross only in a
// handover addressed to their new owner.
import { describeValue, integerMessage } from '../ecs/validate'
import { createBorderRecord, createBorderWriter } from './border-codec'
import { drainInbox, expireAndExtrapolate, updateLink } from './border-receiver'
import { handOver, publishSummary } from './border-publisher'
import { inboxChannel, resolveExchangeOptions, summaryChannel, type BorderExchangeOptions, type BorderStats, type ResolvedExchangeOptions } from './exchange-options'
import { createSentState, drop, warnPrefix, type ExchangeState } from './exchange-state'
import { clearGid, createGhostStore, setGid, unmarkGhost, type GhostStore, type ZoneComponents } from './ghost-store'
import { zoneBounds, zoneCount, zoneNeighbours } from './zone-grid'

/** The border exchange of one zone room. */
export interface BorderExchange {
  /** The Ghost marker component (query it, or use `isGhost`). */
  readonly components: ZoneComponents
  /** Counters since creation (published, received, dropped...) and the link state. */
  readonly stats: BorderStats
  /** Subscriptions are in place (await it in `onCreate` before the first step). */
  readonly ready: Promise<void>
  /**
   * Shares local entity `eid` with the neighbours: gives it a global id (gid), stable across
   * handovers, that the game should use as its replication key. Call it on spawn. A gid is 32
   * bits: this zone + 1 in the top 8 (so never 0, and never another zone's), a counter below.
   * Throws a RangeError unless `eid` is an integer in [0, capacity - 1] (the components' capacity).
   * @returns the gid.
   */
  register(eid: number): number
  /** Forgets local entity `eid` (call it when the game despawns it). */
  forget(eid: number): void
  /** Global id of `eid`, or 0 when it is not shared. */
  gidOf(eid: number): number
  /** True when `eid` is a ghost: read-only, owned by another zone, not to be simulated here. */
  isGhost(eid: number): boolean
  /**
   * Applies what the neighbours sent, expires silent ghosts, extrapolates ghosts by `dt`, hands
   * over entities that left the zone and publishes the border summary (at most once per
   * `intervalMs`). Call it once per tick after the simulation and before the attention system:
   * until it runs, nothing is received or published (a room that never calls it is warned once,
   * when its inbox overflows).
   * @param dt - the tick's duration in **seconds** (`tickMs / 1000`; Colyseus' `setTimestep`
   *   passes milliseconds), as velocities are per second. Not a finite number: it throws. Above
   *   10 s: warned once (milliseconds by mistake move every ghost a thousand times too far).
   *   Negative (a measured delta across a wall clock set back): taken as 0, warned once.
   */
  step(dt: number): void
  /** Unsubscribes; ghosts stay in the world until the game removes them. */
  close(): void
}

const INBOX_LIMIT = 256
/** A `step(dt)` longer than this (seconds) is warned about: most likely milliseconds. */
const MAX_PLAUSIBLE_DT = 10

/**
 * Creates the border exchange of zone room `zone`: its entities within `margin` of a neighbour are
 * published on the presence channel `${channel}:${zone}`, and its neighbours' summaries become
 * ghost entities in `world` that the attention system scores like local ones.
 * @experimental
 * @example
 * // in the zone room's onCreate
 * this.border = createBorderExchange({
 *   world, components: C, presence: this.presence, grid: { columns: 2, rows: 2, width: 1600, height: 1600 },
 *   zone: options.zone, margin: 200, fields: 2, readFields: (eid, out) => { out[0] = hp[eid]; out[1] = kind[eid] },
 *   events: { added: (eid, gid) => this.spawnInstance(eid, gid), removed: (eid) => this.dropInstance(eid) },
 * })
 * await this.border.ready
 * // every tick: simulate, then this.border.step(tickMs / 1000) (seconds), then attention(world)
 */
export function createBorderExchange(options: BorderExchangeOptions): BorderExchange {
  const o = resolveExchangeOptions(options)
  return buildExchange(o, createGhostStore(o.world, o.components))
}

function buildExchange(o: ResolvedExchangeOptions, s: GhostStore): BorderExchange {
  const n = zoneCount(o.grid)
  const neighbours = zoneNeighbours(o.grid, o.zone)
  const isNeighbour = new Uint8Array(n)
  for (const z of neighbours) isNeighbour[z] = 1
  const neighbourBit = new Uint8Array(n)
  neighbours.forEach((z, k) => (neighbourBit[z] = 1 << k))
  const now = o.now()
  const fields = new Float32Array(Math.max(1, o.fields))
  const st: ExchangeState = {
    instance: 1 + Math.floor(Math.random() * 0xfffffffe),
    o,
    s,
    own: zoneBounds(o.grid, o.zone),
    neighbours,
    nBounds: neighbours.map((z) => zoneBounds(o.grid, z)),
    isNeighbour,
    neighbourBit,
    heardAt: new Float64Array(n).fill(-Infinity),
    lastSent: new Float64Array(n).fill(-Infinity),
    takenInstance: new Float64Array(2 * n).fill(-1),
    takenSeq: new Float64Array(2 * n).fill(-1),
    sumInstance: new Uint32Array(n),
    prevInstance: new Uint32Array(n),
    sumSeq: new Float64Array(n),
    twinUntil: new Float64Array(n).fill(-Infinity),
    replacing: new Uint8Array(n),
    nextPart: new Float64Array(n).fill(-1),
    partStamp: new Uint32Array(n),
    inbox: [],
    summary: createBorderWriter(o.layout, o.frames),
    handover: Array.from({ length: n }, () => createBorderWriter(o.layout, o.frames)),
    fields,
    rec: createBorderRecord(fields),
    seq: 0,
    handSeq: 0,
    stamp: 0,
    // a room that replaces a dead one of the same zone must not reuse its gids
    counter: Math.floor(Math.random() * 0xffffff),
    lastPublish: -Infinity,
    summaries: 0,
    simMs: 0,
    sent: createSentState(o.components.capacity, o.fields),
    lastEcho: now,
    lastProbe: -Infinity,
    started: now,
    lastStep: now,
    steps: 0,
    warned: { dt: false, negativeDt: false, layout: false, noStep: false, nonFinite: false },
    stats: { published: 0, publishedBytes: 0, received: 0, receivedBytes: 0, dropped: 0, dropReasons: {}, stale: 0, ghosts: 0, handedOut: 0, handedIn: 0, linkUp: true, delayMs: 0 },
  }
  const handlers: [string, (data: unknown) => void][] = []
  const listen = (topic: string, channel: number, inbound: boolean): Promise<unknown> => {
    const cb = (data: unknown): void => {
      if (st.inbox.length >= INBOX_LIMIT) {
        st.inbox.shift()
        drop(st, 'inbox overflow')
        if (!st.warned.noStep) warnNoStep(st)
      }
      st.inbox.push({ channel, inbound, data })
    }
    handlers.push([topic, cb])
    return Promise.resolve(o.presence.subscribe(topic, cb))
  }
  const subs: Promise<unknown>[] = [listen(summaryChannel(o.zone, o.channel), o.zone, false), listen(inboxChannel(o.zone, o.channel), o.zone, true)]
  for (const z of neighbours) subs.push(listen(summaryChannel(z, o.channel), z, false))
  const ready = Promise.all(subs).then(() => undefined)

  return {
    components: s.Z,
    stats: st.stats,
    ready,
    register(eid) {
      const cap = o.components.capacity
      if (typeof eid !== 'number' || !Number.isInteger(eid) || eid < 0 || eid >= cap) {
        throw new RangeError(`${integerMessage('register(eid): eid', eid, 0, cap - 1)} (an entity id below the components' capacity, ${cap})`)
      }
      // the 24-bit counter comes round after 2^24 registrations: a gid still held here (a beacon that
      // lives for ever, a ghost) is skipped, or two entities would answer to it
      let gid = 0
      do gid = (((o.zone + 1) << 24) | (++st.counter & 0xffffff)) >>> 0
      while (s.byGid.has(gid) && s.byGid.get(gid) !== eid)
      setGid(s, eid, gid)
      return gid
    },
    forget(eid) {
      if (s.isGhost[eid] === 1) unmarkGhost(s, eid)
      clearGid(s, eid)
    },
    gidOf: (eid) => s.gid[eid] ?? 0,
    isGhost: (eid) => s.isGhost[eid] === 1,
    step(dt) {
      if (typeof dt !== 'number' || !Number.isFinite(dt)) {
        throw new RangeError(`colyseus-attention: border.step(dt): dt is the tick's duration in seconds and must be a finite number (a negative one, from a clock set back, is taken as 0 with a warning); got ${describeValue(dt)}`)
      }
      if (dt > MAX_PLAUSIBLE_DT || dt < 0) dt = checkDt(st, dt)
      const t = o.now()
      st.lastStep = t
      st.steps++
      st.simMs += dt * 1000
      drainInbox(st, t)
      expireAndExtrapolate(st, t, dt)
      updateLink(st, t)
      if (st.stats.linkUp && o.handover) handOver(st, t)
      if (t - st.lastPublish >= o.intervalMs) publishSummary(st, t)
      st.stats.ghosts = s.count
    },
    close() {
      for (const [topic, cb] of handlers) o.presence.unsubscribe(topic, cb)
      handlers.length = 0
    },
  }
}

/**
 * A dt out of the plausible range. Above it: most likely milliseconds, kept (a long pause is
 * possible). Negative: a delta measured on a wall clock that was set back (Colyseus' clock runs
 * on Date.now in Node); taken as 0 rather than thrown from the tick. Each warned once.
 */
function checkDt(st: ExchangeState, dt: number): number {
  if (dt < 0) {
    if (!st.warned.negativeDt) {
      st.warned.negativeDt = true
      console.warn(`${warnPrefix(st)}: step(dt) got dt = ${dt}, a negative duration (a delta measured on a clock that was set back?); taken as 0. Warned once.`)
    }
    return 0
  }
  if (!st.warned.dt) {
    st.warned.dt = true
    console.warn(`${warnPrefix(st)}: step(dt) got dt = ${dt}, but dt is in seconds (tickMs / 1000): ${dt} s per tick looks like milliseconds, and ghosts are extrapolated by dt seconds of their velocity. Warned once.`)
  }
  return dt
}

/**
 * The inbox overflowed: when `step` has not run for a ghost lifetime (or never), the room most
 * likely does not call it, and the exchange silently does nothing. Warned once.
 */
function warnNoStep(st: ExchangeState): void {
  const since = st.o.now() - st.lastStep
  if (since <= st.o.ttlMs) return
  st.warned.noStep = true
  const when = st.steps === 0 ? `step(dt) was never called (created ${Math.round(since)} ms ago)` : `step(dt) was last called ${Math.round(since)} ms ago`
  console.warn(
    `${warnPrefix(st)} has ${INBOX_LIMIT} messages waiting, but ${when}: nothing received is applied and nothing is published until it runs. ` +
      `Call border.step(dt) once per tick (dt in seconds), after the simulation and before the attention system. ` +
      `Older messages are dropped (stats.dropReasons['inbox overflow']). Warned once.`,
  )
}
