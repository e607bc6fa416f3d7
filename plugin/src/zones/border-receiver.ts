// Owns the receiving side of the border exchange: validating what arrives on the channels (each
// message taken once), turning neighbours' summaries, whole or in parts, into ghosts (and dropping
// those they no longer list, or that a restarted zone's old room left), taking over handed
// entities, expiring silent sources' ghosts and watching the presence link through our own echo.
import { FIELD_FORMATS, HEADER_BYTES, MessageFlag, readMessage, readRecord, readSender, RecordFlag, type BorderMessage } from './border-codec'
import { inboxChannel, summaryChannel } from './exchange-options'
import { drop, removeGhost, warnPrefix, type ExchangeState } from './exchange-state'
import { noteAdopted } from './border-publisher'
import { applyRecord, markGhost, spawnShared, unmarkGhost } from './ghost-store'
import { distanceToBounds } from './zone-grid'

/** A ghost farther than margin x FAR from this zone is dropped (hysteresis against flicker). */
const FAR = 1.5

export function drainInbox(st: ExchangeState, t: number): void {
  const { o } = st
  for (let i = 0; i < st.inbox.length; i++) {
    const m = st.inbox[i]!
    const msg = readMessage(m.data, o.layout, o.frames, o.maxMessageBytes, st.rec)
    if (typeof msg === 'string') {
      drop(st, msg)
      if (msg === 'layout mismatch' && !st.warned.layout) warnLayoutMismatch(st, m.data as string, m.channel, m.inbound)
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
      const src = msg.source
      if (src >= st.isNeighbour.length || st.isNeighbour[src] !== 1) drop(st, 'wrong source')
      else if (t - msg.sentAt > o.ttlMs || !takeHandover(st, src, msg.instance, msg.seq)) {
        // delivered late (queued during an outage: its sender's ghost has expired, the entity may be
        // anything there now) or a second time: taking it would make a second owner of its entities
        st.stats.stale++
      } else adopt(st, msg)
      continue
    }
    if (msg.source !== m.channel) {
      drop(st, 'wrong source')
      continue
    }
    // a neighbour whose link is down probing for its echo: not a summary (MessageFlag.Probe)
    if ((msg.flags & MessageFlag.Probe) !== 0) continue
    if (staleSummary(st, msg, t)) {
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

/**
 * A message of our format made with another grid or other field formats: nothing crosses that
 * border until the processes agree, and the drop counter alone is easy to miss. Warned once.
 */
function warnLayoutMismatch(st: ExchangeState, data: string, channel: number, inbound: boolean): void {
  st.warned.layout = true
  const { o } = st
  // readMessage read the header before finding the mismatch: it is whole
  const { source, fields: theirFields } = readSender(data)
  const topic = inbound ? inboxChannel(channel, o.channel) : summaryChannel(channel, o.channel)
  const g = o.grid
  const formats = Array.from(o.layout.codes, (c) => `'${FIELD_FORMATS[c]}'`).join(', ')
  const count = theirFields === o.fields ? '' : `; it sends ${theirFields} field${theirFields === 1 ? '' : 's'} per entity, this room ${o.fields}`
  console.warn(
    `${warnPrefix(st)} drops the messages of zone ${source} (channel ${topic}): its grid or its fieldFormats differ from this room's ` +
      `(grid ${g.columns} x ${g.rows} zones over ${g.width} x ${g.height}, fieldFormats [${formats}]${count}). ` +
      `Create every zone room with the same grid and fieldFormats; until then nothing crosses this border. ` +
      `Counted in stats.dropReasons['layout mismatch']; warned once.`,
  )
}

/**
 * True when handover message `seq` of instance `instance` of zone `src` is new, and records it.
 * The last two instances each zone sent handovers from are remembered, with the last sequence
 * number taken from each: a room that replaced a dead one sends its own, and a message of the dead
 * one delivered again after them must still be refused. (A third instance in a row would forget
 * the first; a message is taken only within ttlMs of its sending, far less than two restarts.)
 */
function takeHandover(st: ExchangeState, src: number, instance: number, seq: number): boolean {
  const a = 2 * src
  const ti = st.takenInstance
  const ts = st.takenSeq
  if (instance === ti[a]) {
    if (!after(seq, ts[a]!)) return false
    ts[a] = seq
    return true
  }
  if (instance === ti[a + 1]) {
    // the instance before the last one: a late message of a room since replaced, or one of two
    // live rooms of the zone taking turns; either way one taken already is refused
    if (!after(seq, ts[a + 1]!)) return false
    ts[a + 1] = seq
    return true
  }
  ti[a + 1] = ti[a]!
  ts[a + 1] = ts[a]!
  ti[a] = instance
  ts[a] = seq
  return true
}

/**
 * True when summary `msg` is not to be applied: delayed past the ghost lifetime (queued during an
 * outage), older than one applied, or applied already (delivered twice: a Gone in it could remove
 * a ghost made since the first time).
 */
function staleSummary(st: ExchangeState, msg: BorderMessage, t: number): boolean {
  const src = msg.source
  if (t - msg.sentAt > st.o.ttlMs || msg.sentAt < st.lastSent[src]!) return true
  return (msg.instance || 1) === st.sumInstance[src] && !after(msg.seq, st.sumSeq[src]!)
}

/** True when 32-bit sequence number `seq` comes after `last` (they wrap: less than half the range ahead). */
function after(seq: number, last: number): boolean {
  const d = (seq - last) >>> 0
  return d !== 0 && d < 0x80000000
}

/**
 * Notes that a summary of zone `src` comes from `instance`. Returns true when it replaces the
 * instance heard before (that zone's room was restarted): the ghosts of other instances of `src`
 * that this summary does not list are then dropped, confirmed ones and those a handover to the old
 * room left alike, instead of lingering for ttlMs. Two live rooms of one zone publishing in turn
 * (a misconfiguration) replace nothing once the switch back is seen: each keeps its own ghosts.
 */
function switchInstance(st: ExchangeState, src: number, instance: number, t: number): boolean {
  const last = st.sumInstance[src]!
  if (last === instance) return false
  st.sumInstance[src] = instance
  if (last === 0) return false
  if (instance === st.prevInstance[src]) st.twinUntil[src] = t + st.o.ttlMs
  st.prevInstance[src] = last
  return t > st.twinUntil[src]!
}

/** Creates or refreshes the ghosts a neighbour's summary lists; removes its ghosts it no longer lists. */
function applySummary(st: ExchangeState, msg: BorderMessage, t: number): void {
  const { o, s, own } = st
  // (an instance 0 is read as 1: a ghost's instance 0 would match any ghost a handover left)
  const instance = msg.instance || 1
  const src = msg.source
  // the next part of a summary in parts (a part lost in between starts a new stamp: its keyframe
  // then sweeps what the parts before the loss listed, back at the next keyframe)
  const part = msg.seq === st.nextPart[src] && instance === st.sumInstance[src]
  const more = (msg.flags & MessageFlag.More) !== 0
  // a replacement sweeps the old room's ghosts once the summary is whole: a later part may list them
  const replaced = switchInstance(st, src, instance, t) || st.replacing[src] === 1
  st.replacing[src] = replaced && more ? 1 : 0
  // (wrapped as the Uint32Arrays it is compared with: 0 is no summary)
  const stamp = part ? st.partStamp[src]! : (st.stamp = (st.stamp + 1) >>> 0 || 1)
  st.partStamp[src] = stamp
  st.nextPart[src] = more ? (msg.seq + 1) >>> 0 : -1
  st.sumSeq[src] = msg.seq
  const v = msg.view
  const r = st.rec
  let at = HEADER_BYTES
  for (let i = 0; i < msg.count; i++) {
    // readMessage checked every record: none ends past the message
    at = readRecord(v, at, o.layout, o.frames, msg.source, r)
    const gid = r.gid
    const flags = r.flags
    // summaries never carry hidden or team-only entities; a message that does is not ours
    if ((flags & (RecordFlag.Hidden | RecordFlag.TeamOnly)) !== 0 || gid === 0) continue
    let eid = s.byGid.get(gid)
    if ((flags & RecordFlag.Gone) !== 0) {
      if (eid !== undefined && s.isGhost[eid] === 1 && s.Z.Ghost.source[eid] === msg.source && goneApplies(st, eid, instance, flags)) removeGhost(st, eid)
      continue
    }
    const far = distanceToBounds(own, r.x, r.y) > o.margin * (eid === undefined ? 1 : FAR)
    if (eid !== undefined && s.isGhost[eid] !== 1) continue // ours: a summary that crossed our handover
    if (far) {
      if (eid !== undefined) removeGhost(st, eid)
      continue
    }
    if (eid === undefined) {
      eid = spawnShared(s, gid, r.team, false, false, (flags & RecordFlag.Salience) !== 0)
      if (eid === -1) {
        drop(st, 'capacity')
        continue
      }
      markGhost(s, eid, msg.source, t + o.ttlMs, instance)
      writeKinematics(st, eid)
      o.events.added?.(eid, gid, st.fields)
    } else {
      markGhost(s, eid, msg.source, t + o.ttlMs, instance)
      // listed in a summary: visible (a ghost left by a release may still be Hidden or TeamOnly)
      applyRecord(s, eid, r.team, false, false, (flags & RecordFlag.Salience) !== 0)
      writeKinematics(st, eid)
      o.events.updated?.(eid, st.fields)
    }
    s.seen[eid] = stamp
  }
  // the source is alive: its ghosts live on; those a keyframe no longer lists left its border. A
  // ghost a handover left (instance 0) lives its own lifetime until a summary lists it. When this
  // instance replaced another, every ghost of the zone it does not list goes: what the old room
  // published, and what was handed to it (it may have died before adopting, or hidden it since)
  const keyframe = (msg.flags & MessageFlag.Keyframe) !== 0 && !more
  for (let i = s.count - 1; i >= 0; i--) {
    const eid = s.list[i]!
    if (s.Z.Ghost.source[eid] !== msg.source) continue
    if (s.instance[eid] !== instance) {
      if (replaced && !more) removeGhost(st, eid)
    } else if (keyframe && s.seen[eid] !== stamp) removeGhost(st, eid)
    else s.Z.Ghost.expires[eid] = t + o.ttlMs
  }
}

/**
 * True when a Gone from instance `instance` of ghost `eid`'s source zone removes it: the instance
 * that confirmed the ghost says so, or the ghost was left here by a handover no summary has
 * confirmed yet and the Gone is flagged Adopted (the zone that adopted it no longer publishes it;
 * a Gone without the flag may predate the handover: the entity went back and forth).
 */
function goneApplies(st: ExchangeState, eid: number, instance: number, flags: number): boolean {
  const s = st.s
  return s.instance[eid] === instance || (s.confirmed[eid] === 0 && (flags & RecordFlag.Adopted) !== 0)
}

/** Takes over the entities a neighbour handed to this zone. */
function adopt(st: ExchangeState, msg: BorderMessage): void {
  const { o, s } = st
  const v = msg.view
  const r = st.rec
  let at = HEADER_BYTES
  for (let i = 0; i < msg.count; i++) {
    at = readRecord(v, at, o.layout, o.frames, msg.source, r)
    const gid = r.gid
    const flags = r.flags
    if (gid === 0 || (flags & RecordFlag.Gone) !== 0) continue
    let eid = s.byGid.get(gid)
    if (eid !== undefined && s.isGhost[eid] !== 1) continue // already ours
    const teamOnly = (flags & RecordFlag.TeamOnly) !== 0
    const hidden = (flags & RecordFlag.Hidden) !== 0
    const salient = (flags & RecordFlag.Salience) !== 0
    if (eid === undefined) {
      eid = spawnShared(s, gid, r.team, teamOnly, hidden, salient)
      if (eid === -1) {
        drop(st, 'capacity')
        continue
      }
    } else {
      // our ghost of it holds what an older summary (never Hidden nor TeamOnly) or its release
      // left: it takes the handover's flags, team and salience, as a fresh spawn would
      applyRecord(s, eid, r.team, teamOnly, hidden, salient)
      unmarkGhost(s, eid)
    }
    writeKinematics(st, eid)
    // the zone that handed it over keeps a ghost of it: our next summary lists it or says it is gone
    noteAdopted(st, eid, msg.source)
    st.stats.handedIn++
    o.events.adopted?.(eid, gid, st.fields)
  }
}

/** Copies the record being applied into the entity's components (its fields are in `st.fields`). */
function writeKinematics(st: ExchangeState, eid: number): void {
  const C = st.o.components
  const r = st.rec
  C.Position.x[eid] = r.x
  C.Position.y[eid] = r.y
  C.Position.z[eid] = r.z
  C.Velocity.x[eid] = r.vx
  C.Velocity.y[eid] = r.vy
  C.Velocity.z[eid] = r.vz
  if ((r.flags & RecordFlag.Salience) !== 0) {
    C.Salience.weight[eid] = r.weight
    C.Salience.nimbus[eid] = r.nimbus
  }
}

export function expireAndExtrapolate(st: ExchangeState, t: number, dt: number): void {
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
    P.z[eid] = P.z[eid]! + V.z[eid]! * dt
  }
}

export function updateLink(st: ExchangeState, t: number): void {
  const up = t - st.lastEcho <= st.o.ttlMs
  if (up === st.stats.linkUp) return
  st.stats.linkUp = up
  st.o.onLinkChange?.(up)
}

