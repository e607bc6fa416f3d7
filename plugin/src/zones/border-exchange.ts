// Owns the Colyseus side of attention across zone borders: publishing a room's border entities
// through the room's presence (pub/sub), taking its neighbours' in as ghosts, handing entities
// over when they cross, expiring ghosts whose source went silent, and noticing when the presence
// link is lost. Visibility is enforced here, on the publishing side: Hidden and TeamOnly entities
// are never put in a summary; they cross only in a handover addressed to their new owner.
import { query } from 'bitecs'
import { has, markGhost, unmarkGhost, destroyGhost, spawnShared, setGid, clearGid, createGhostStore, type GhostStore, type ZoneComponents } from './ghost-store'
import { beginMessage, createBorderWriter, finishMessage, MessageFlag, readMessage, recordOffset, RecordFlag, writeRecord, type BorderMessage, type BorderWriter } from './border-codec'
import { checkZoneGrid, distanceToBounds, zoneAt, zoneBounds, zoneCount, zoneNeighbours, type ZoneBounds } from './zone-grid'
import { resolveExchangeOptions, type BorderExchangeOptions, type BorderStats, type ResolvedExchangeOptions } from './exchange-options'

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

/** What a border exchange needs: a Colyseus `Presence` (the room's `this.presence`) satisfies it. */
export interface BorderPresence {
  publish(topic: string, data: unknown): unknown
  subscribe(topic: string, callback: (...args: any[]) => void): unknown
  unsubscribe(topic: string, callback?: (...args: any[]) => void): unknown
}

const INBOX_LIMIT = 256
const FAR = 1.5

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
  checkZoneGrid(o.grid)
  return buildExchange(o, createGhostStore(o.world, o.components))
}

/** Per entity: the state last published, and the border membership of the last summary. */
interface SentState {
  x: Float32Array
  y: Float32Array
  vx: Float32Array
  vy: Float32Array
  at: Float64Array
  fields: Float32Array
  /** gid the entity had when last in the border set (0: not in it). */
  inBorder: Uint32Array
  /** Stamp of the last summary that found the entity in the border set. */
  stamp: Uint32Array
  counter: number
  /** Border members of the last summary: entity ids and their gids then. */
  members: Int32Array
  gids: Uint32Array
  count: number
  nextMembers: Int32Array
  nextGids: Uint32Array
}

function createSentState(capacity: number, fields: number): SentState {
  return {
    x: new Float32Array(capacity),
    y: new Float32Array(capacity),
    vx: new Float32Array(capacity),
    vy: new Float32Array(capacity),
    at: new Float64Array(capacity),
    fields: new Float32Array(capacity * Math.max(1, fields)),
    inBorder: new Uint32Array(capacity),
    stamp: new Uint32Array(capacity),
    counter: 0,
    members: new Int32Array(capacity),
    gids: new Uint32Array(capacity),
    count: 0,
    nextMembers: new Int32Array(capacity),
    nextGids: new Uint32Array(capacity),
  }
}

interface ExchangeState {
  o: ResolvedExchangeOptions
  s: GhostStore
  own: ZoneBounds
  neighbours: number[]
  nBounds: ZoneBounds[]
  /** Per zone index: 1 when a neighbour. */
  isNeighbour: Uint8Array
  /** Per zone index: last time a summary was heard from it, and its last sentAt. */
  heardAt: Float64Array
  lastSent: Float64Array
  inbox: { channel: number; inbound: boolean; data: unknown }[]
  summary: BorderWriter
  handover: BorderWriter[]
  fields: Float32Array
  seq: number
  stamp: number
  counter: number
  lastPublish: number
  summaries: number
  /** Simulation time (sum of step dt, ms): deltas extrapolate in it, as the neighbours' ghosts do, so a late tick is no drift. */
  simMs: number
  /** What the last summaries told the neighbours, per entity (deltas send only what changed). */
  sent: SentState
  lastEcho: number
  lastProbe: number
  started: number
  stats: BorderStats
}

function buildExchange(o: ResolvedExchangeOptions, s: GhostStore): BorderExchange {
  const n = zoneCount(o.grid)
  const neighbours = zoneNeighbours(o.grid, o.zone)
  const isNeighbour = new Uint8Array(n)
  for (const z of neighbours) isNeighbour[z] = 1
  const now = o.now()
  const st: ExchangeState = {
    o,
    s,
    own: zoneBounds(o.grid, o.zone),
    neighbours,
    nBounds: neighbours.map((z) => zoneBounds(o.grid, z)),
    isNeighbour,
    heardAt: new Float64Array(n).fill(-Infinity),
    lastSent: new Float64Array(n).fill(-Infinity),
    inbox: [],
    summary: createBorderWriter(o.fields),
    handover: Array.from({ length: n }, () => createBorderWriter(o.fields)),
    fields: new Float32Array(Math.max(1, o.fields)),
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

function drop(st: ExchangeState, reason: string): void {
  st.stats.dropped++
  st.stats.dropReasons[reason] = (st.stats.dropReasons[reason] ?? 0) + 1
}

function drainInbox(st: ExchangeState, t: number): void {
  const { o } = st
  for (let i = 0; i < st.inbox.length; i++) {
    const m = st.inbox[i]!
    const msg = readMessage(m.data, o.fields, o.maxMessageBytes)
    if (typeof msg === 'string') {
      drop(st, msg)
      continue
    }
    st.stats.received++
    st.stats.receivedBytes += typeof m.data === 'string' ? m.data.length : 0
    if (m.channel === o.zone && !m.inbound) {
      // our own summary came back: the presence link works
      if (msg.source === o.zone) st.lastEcho = t
      else drop(st, 'wrong source')
      continue
    }
    if (m.inbound) {
      if (msg.source >= st.isNeighbour.length || st.isNeighbour[msg.source] !== 1) drop(st, 'wrong source')
      else adopt(st, msg)
      continue
    }
    if (msg.source !== m.channel) {
      drop(st, 'wrong source')
      continue
    }
    // a summary delayed past the ghost lifetime (queued during an outage) or older than one applied
    if (t - msg.sentAt > o.ttlMs || msg.sentAt < st.lastSent[msg.source]!) {
      st.stats.stale++
      continue
    }
    st.lastSent[msg.source] = msg.sentAt
    st.heardAt[msg.source] = t
    st.stats.delayMs = t - msg.sentAt
    applySummary(st, msg, t)
  }
  st.inbox.length = 0
}

/** Creates or refreshes the ghosts a neighbour's summary lists; removes its ghosts it no longer lists. */
function applySummary(st: ExchangeState, msg: BorderMessage, t: number): void {
  const { o, s, own } = st
  const stamp = ++st.stamp
  const v = msg.view
  for (let i = 0; i < msg.count; i++) {
    const at = recordOffset(msg.fields, i)
    const gid = v.getUint32(at, true)
    const x = v.getFloat32(at + 8, true)
    const y = v.getFloat32(at + 12, true)
    const flags = v.getUint8(at + 6)
    // summaries never carry hidden or team-only entities; a message that does is not ours
    if ((flags & (RecordFlag.Hidden | RecordFlag.TeamOnly)) !== 0 || gid === 0) continue
    let eid = s.byGid.get(gid)
    if ((flags & RecordFlag.Gone) !== 0) {
      if (eid !== undefined && s.isGhost[eid] === 1 && s.Z.Ghost.source[eid] === msg.source) removeGhost(st, eid)
      continue
    }
    const far = distanceToBounds(own, x, y) > o.margin * (eid === undefined ? 1 : FAR)
    if (eid !== undefined && s.isGhost[eid] !== 1) continue // ours: a summary that crossed our handover
    if (far) {
      if (eid !== undefined) removeGhost(st, eid)
      continue
    }
    if (eid === undefined) {
      eid = spawnShared(s, gid, v.getUint16(at + 4, true), false, false, (flags & RecordFlag.Salience) !== 0)
      if (eid === -1) {
        drop(st, 'capacity')
        continue
      }
      markGhost(s, eid, msg.source, t + o.ttlMs, true)
      writeKinematics(st, eid, v, at)
      readRecordFields(st, v, at)
      o.events.added?.(eid, gid, st.fields)
    } else {
      markGhost(s, eid, msg.source, t + o.ttlMs, true)
      writeKinematics(st, eid, v, at)
      readRecordFields(st, v, at)
      o.events.updated?.(eid, st.fields)
    }
    s.seen[eid] = stamp
  }
  // the source is alive: its ghosts live on; those a keyframe no longer lists left its border
  const keyframe = (msg.flags & MessageFlag.Keyframe) !== 0
  for (let i = s.count - 1; i >= 0; i--) {
    const eid = s.list[i]!
    if (s.Z.Ghost.source[eid] !== msg.source || s.confirmed[eid] !== 1) continue
    if (keyframe && s.seen[eid] !== stamp) removeGhost(st, eid)
    else s.Z.Ghost.expires[eid] = t + o.ttlMs
  }
}

/** Takes over the entities a neighbour handed to this zone. */
function adopt(st: ExchangeState, msg: BorderMessage): void {
  const { o, s } = st
  const v = msg.view
  for (let i = 0; i < msg.count; i++) {
    const at = recordOffset(msg.fields, i)
    const gid = v.getUint32(at, true)
    if (gid === 0) continue
    const flags = v.getUint8(at + 6)
    let eid = s.byGid.get(gid)
    if (eid !== undefined && s.isGhost[eid] !== 1) continue // already ours
    if (eid === undefined) {
      eid = spawnShared(s, gid, v.getUint16(at + 4, true), (flags & RecordFlag.TeamOnly) !== 0, (flags & RecordFlag.Hidden) !== 0, (flags & RecordFlag.Salience) !== 0)
      if (eid === -1) {
        drop(st, 'capacity')
        continue
      }
    } else unmarkGhost(s, eid)
    writeKinematics(st, eid, v, at)
    readRecordFields(st, v, at)
    st.stats.handedIn++
    o.events.adopted?.(eid, gid, st.fields)
  }
}

function writeKinematics(st: ExchangeState, eid: number, v: DataView, at: number): void {
  const C = st.o.components
  C.Position.x[eid] = v.getFloat32(at + 8, true)
  C.Position.y[eid] = v.getFloat32(at + 12, true)
  C.Velocity.x[eid] = v.getFloat32(at + 16, true)
  C.Velocity.y[eid] = v.getFloat32(at + 20, true)
  if ((v.getUint8(at + 6) & RecordFlag.Salience) !== 0) {
    C.Salience.weight[eid] = v.getFloat32(at + 24, true)
    C.Salience.nimbus[eid] = v.getFloat32(at + 28, true)
  }
}

function readRecordFields(st: ExchangeState, v: DataView, at: number): void {
  const f = st.o.fields
  for (let k = 0; k < f; k++) st.fields[k] = v.getFloat32(at + 32 + 4 * k, true)
}

function removeGhost(st: ExchangeState, eid: number): void {
  st.o.events.removed?.(eid)
  destroyGhost(st.s, eid)
}

function expireAndExtrapolate(st: ExchangeState, t: number, dt: number): void {
  const { s } = st
  const P = st.o.components.Position
  const V = st.o.components.Velocity
  for (let i = s.count - 1; i >= 0; i--) {
    const eid = s.list[i]!
    if (s.Z.Ghost.expires[eid]! < t) {
      removeGhost(st, eid)
      continue
    }
    // between summaries a ghost moves on its last velocity, as its owner most likely moved it
    P.x[eid] = P.x[eid]! + V.x[eid]! * dt
    P.y[eid] = P.y[eid]! + V.y[eid]! * dt
  }
}

function updateLink(st: ExchangeState, t: number): void {
  const up = t - st.lastEcho <= st.o.ttlMs
  if (up === st.stats.linkUp) return
  st.stats.linkUp = up
  st.o.onLinkChange?.(up)
}

/** Hands every local shared entity that left the zone to the live neighbour it entered. */
function handOver(st: ExchangeState, t: number): void {
  const { o, s } = st
  const P = o.components.Position
  const V = o.components.Velocity
  const ents = query(o.world, [o.components.Position])
  let any = false
  for (let i = 0; i < ents.length; i++) {
    const eid = ents[i]!
    if (s.isGhost[eid] === 1 || s.gid[eid] === 0) continue
    const x = P.x[eid]!
    const y = P.y[eid]!
    const own = st.own
    if (x >= own.minX && x < own.maxX && y >= own.minY && y < own.maxY) continue
    const dest = zoneAt(o.grid, x, y)
    if (st.isNeighbour[dest] !== 1 || t - st.heardAt[dest]! > o.ttlMs) continue
    const w = st.handover[dest]!
    if (w.count === 0) beginMessage(w, o.zone, st.seq, t)
    fillFields(st, eid)
    writeRecord(w, s.gid[eid]!, teamOf(st, eid), flagsOf(st, eid, true), x, y, V.x[eid]!, V.y[eid]!, o.components.Salience.weight[eid]!, o.components.Salience.nimbus[eid]!, st.fields)
    // it stays here as a ghost of its new owner until the owner's summaries take over: no gap
    markGhost(s, eid, dest, t + o.ttlMs, false)
    st.stats.handedOut++
    o.events.released?.(eid, dest)
    any = true
  }
  if (!any) return
  for (let z = 0; z < st.handover.length; z++) {
    const w = st.handover[z]!
    if (w.count === 0) continue
    send(st, `${o.channel}:${z}:in`, finishMessage(w))
    w.count = 0
  }
}

function publishSummary(st: ExchangeState, t: number): void {
  const { o, s } = st
  if (!st.stats.linkUp) {
    // link down: one small probe per ghost lifetime, so the presence client's offline queue stays
    // short and our own echo tells us when the link is back
    if (t - st.lastProbe < o.ttlMs) return
    st.lastProbe = t
    beginMessage(st.summary, o.zone, ++st.seq, t)
    send(st, `${o.channel}:${o.zone}`, finishMessage(st.summary))
    st.lastPublish = t
    return
  }
  const P = o.components.Position
  const V = o.components.Velocity
  const S = o.components.Salience
  const F = o.fields
  const w = st.summary
  const sent = st.sent
  const keyframe = st.summaries++ % o.keyframeEvery === 0
  beginMessage(w, o.zone, ++st.seq, t, keyframe ? MessageFlag.Keyframe : 0)
  const stamp = ++sent.counter
  let n = 0
  const ents = query(o.world, [o.components.Position])
  for (let i = 0; i < ents.length && n < o.maxEntities; i++) {
    const eid = ents[i]!
    const gid = s.gid[eid]!
    if (s.isGhost[eid] === 1 || gid === 0) continue
    if (has(s, eid, o.components.Hidden) || has(s, eid, o.components.TeamOnly)) continue
    const x = P.x[eid]!
    const y = P.y[eid]!
    if (!nearNeighbour(st, x, y)) continue
    sent.stamp[eid] = stamp
    sent.nextMembers[n] = eid
    sent.nextGids[n++] = gid
    fillFields(st, eid)
    const vx = V.x[eid]!
    const vy = V.y[eid]!
    // a delta sends an entity only when it is new to the border, or the neighbours' extrapolation
    // from what they last got is off by more than the tolerance, or a field changed
    if (!keyframe && sent.inBorder[eid] === gid && (st.simMs - sent.at[eid]! < o.minResendMs || !drifted(st, eid, x, y, vx, vy))) continue
    sent.inBorder[eid] = gid
    sent.x[eid] = x
    sent.y[eid] = y
    sent.vx[eid] = vx
    sent.vy[eid] = vy
    sent.at[eid] = st.simMs
    for (let k = 0; k < F; k++) sent.fields[eid * F + k] = st.fields[k]!
    writeRecord(w, gid, teamOf(st, eid), flagsOf(st, eid, false), x, y, vx, vy, S.weight[eid]!, S.nimbus[eid]!, st.fields)
  }
  // members of the last summary that left the border or despawned (their id may be reused)
  for (let i = 0; i < sent.count; i++) {
    const eid = sent.members[i]!
    const gid = sent.gids[i]!
    if (sent.stamp[eid] === stamp && s.gid[eid] === gid) continue
    if (sent.inBorder[eid] === gid) sent.inBorder[eid] = 0
    writeRecord(w, gid, 0, RecordFlag.Gone, 0, 0, 0, 0, 0, 0, st.fields)
  }
  const members = sent.members
  const gids = sent.gids
  sent.members = sent.nextMembers
  sent.gids = sent.nextGids
  sent.nextMembers = members
  sent.nextGids = gids
  sent.count = n
  send(st, `${o.channel}:${o.zone}`, finishMessage(w))
  st.lastPublish = t
}

function drifted(st: ExchangeState, eid: number, x: number, y: number, vx: number, vy: number): boolean {
  const sent = st.sent
  const tol = st.o.tolerance
  if (Math.abs(vx - sent.vx[eid]!) > tol || Math.abs(vy - sent.vy[eid]!) > tol) return true
  const dt = (st.simMs - sent.at[eid]!) / 1000
  if (Math.abs(x - (sent.x[eid]! + sent.vx[eid]! * dt)) > tol || Math.abs(y - (sent.y[eid]! + sent.vy[eid]! * dt)) > tol) return true
  const F = st.o.fields
  const ft = st.o.fieldTolerance
  for (let k = 0; k < F; k++) if (Math.abs(st.fields[k]! - sent.fields[eid * F + k]!) > ft[k]!) return true
  return false
}

function nearNeighbour(st: ExchangeState, x: number, y: number): boolean {
  for (let k = 0; k < st.nBounds.length; k++) if (distanceToBounds(st.nBounds[k]!, x, y) <= st.o.margin) return true
  return false
}

function send(st: ExchangeState, topic: string, text: string): void {
  st.stats.published++
  st.stats.publishedBytes += text.length
  try {
    const r = st.o.presence.publish(topic, text) as { catch?: (f: (e: unknown) => void) => unknown } | undefined
    // a presence whose link is down may reject: the echo check reports the loss, not this
    if (r !== undefined && r !== null && typeof r.catch === 'function') r.catch(() => {})
  } catch {
    drop(st, 'publish failed')
  }
}

function fillFields(st: ExchangeState, eid: number): void {
  if (st.o.fields > 0) st.o.readFields(eid, st.fields)
}

function teamOf(st: ExchangeState, eid: number): number {
  return has(st.s, eid, st.o.components.Team) ? st.o.components.Team.id[eid]! : 0
}

function flagsOf(st: ExchangeState, eid: number, handover: boolean): number {
  const C = st.o.components
  let f = has(st.s, eid, C.Salience) ? RecordFlag.Salience : 0
  if (handover && has(st.s, eid, C.TeamOnly)) f |= RecordFlag.TeamOnly
  if (handover && has(st.s, eid, C.Hidden)) f |= RecordFlag.Hidden
  return f
}
