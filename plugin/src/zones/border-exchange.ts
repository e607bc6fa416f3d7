// Owns the entry point of attention across zone borders: creating a room's border exchange (its
// subscriptions on the room's presence) and running its stages once per tick: receive
// (border-receiver.ts), hand over and publish (border-publisher.ts). Visibility is enforced on the
// publishing side: Hidden and TeamOnly entities are never put in a summary; they cross only in a
// handover addressed to their new owner.
import { createBorderRecord, createBorderWriter } from './border-codec'
import { drainInbox, expireAndExtrapolate, updateLink } from './border-receiver'
import { handOver, publishSummary } from './border-publisher'
import { resolveExchangeOptions, type BorderExchangeOptions, type BorderStats, type ResolvedExchangeOptions } from './exchange-options'
import { createSentState, drop, type ExchangeState } from './exchange-state'
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
   * handovers, that the game should use as its replication key. Call it on spawn.
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
   * `intervalMs`). Call it once per tick after the simulation and before the attention system.
   */
  step(dt: number): void
  /** Unsubscribes; ghosts stay in the world until the game removes them. */
  close(): void
}

const INBOX_LIMIT = 256

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
 * // every tick: simulate, then this.border.step(dt), then attention(world)
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
    heardAt: new Float64Array(n).fill(-Infinity),
    lastSent: new Float64Array(n).fill(-Infinity),
    inbox: [],
    summary: createBorderWriter(o.layout, o.frames),
    handover: Array.from({ length: n }, () => createBorderWriter(o.layout, o.frames)),
    fields,
    rec: createBorderRecord(fields),
    seq: 0,
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
    stats: { published: 0, publishedBytes: 0, received: 0, receivedBytes: 0, dropped: 0, dropReasons: {}, stale: 0, ghosts: 0, handedOut: 0, handedIn: 0, linkUp: true, delayMs: 0 },
  }
  const handlers: [string, (data: unknown) => void][] = []
  const listen = (topic: string, channel: number, inbound: boolean): Promise<unknown> => {
    const cb = (data: unknown): void => {
      if (st.inbox.length >= INBOX_LIMIT) {
        st.inbox.shift()
        drop(st, 'inbox overflow')
      }
      st.inbox.push({ channel, inbound, data })
    }
    handlers.push([topic, cb])
    return Promise.resolve(o.presence.subscribe(topic, cb))
  }
  const subs: Promise<unknown>[] = [listen(`${o.channel}:${o.zone}`, o.zone, false), listen(`${o.channel}:${o.zone}:in`, o.zone, true)]
  for (const z of neighbours) subs.push(listen(`${o.channel}:${z}`, z, false))
  const ready = Promise.all(subs).then(() => undefined)

  return {
    components: s.Z,
    stats: st.stats,
    ready,
    register(eid) {
      const gid = (((o.zone + 1) << 24) | (++st.counter & 0xffffff)) >>> 0
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
      const t = o.now()
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

