// Owns the publishing side of the border exchange: handing entities that left the zone to the
// neighbour they entered (leaving a ghost that holds only what records carry), and the border
// summary (keyframes and deltas, and a Gone for every entity a neighbour may hold a ghost of and
// this summary leaves out, adopted ones included). Visibility is enforced here: Hidden and
// TeamOnly entities never go into a summary.
import { query } from 'bitecs'
import { beginMessage, finishMessage, fits, GONE_BYTES, maxRecordBytes, MessageFlag, RecordFlag, writeGone, writeRecord, type BorderWriter } from './border-codec'
import { inboxChannel, summaryChannel } from './exchange-options'
import { fillFields, flagsOf, send, teamOf, warnPrefix, type ExchangeState, type SentState } from './exchange-state'
import { has, markGhost, stripUncarried } from './ghost-store'
import { distanceToBounds, zoneAt } from './zone-grid'

/** Hands every local shared entity that left the zone to the live neighbour it entered. */
export function handOver(st: ExchangeState, t: number): void {
  const { o, s } = st
  const P = o.components.Position
  const V = o.components.Velocity
  const S = o.components.Salience
  const ents = query(o.world, [o.components.Position])
  const maxRecord = maxRecordBytes(o.layout)
  let any = false
  for (let i = 0; i < ents.length; i++) {
    const eid = ents[i]!
    if (s.isGhost[eid] === 1 || s.gid[eid] === 0) continue
    const x = P.x[eid]!
    const y = P.y[eid]!
    const own = st.own
    if (x >= own.minX && x < own.maxX && y >= own.minY && y < own.maxY) continue
    // (a position that is not finite is in no zone: -1, no neighbour; the summary reports it)
    const dest = zoneAt(o.grid, x, y)
    if (st.isNeighbour[dest] !== 1 || t - st.heardAt[dest]! > o.ttlMs) continue
    fillFields(st, eid)
    const vx = V.x[eid]!
    const vy = V.y[eid]!
    const flags = flagsOf(st, eid, true)
    // a value that is not finite would make the new owner drop the whole message (every entity
    // in it released here, adopted nowhere): the entity stays local until it is finite
    if (!finiteRecord(st, eid, x, y, vx, vy, flags)) continue
    const w = st.handover[dest]!
    // a batch too large for one message goes in several, each taken on its own (a message larger
    // than maxMessageBytes would be dropped whole: its entities released here, adopted nowhere)
    if (w.count > 0 && !fits(w, maxRecord, o.maxMessageBytes)) {
      send(st, inboxChannel(dest, o.channel), finishMessage(w))
      w.count = 0
    }
    if (w.count === 0) beginMessage(w, o.zone, st.instance, ++st.handSeq, t)
    // exact position and velocity: the new owner simulates from them
    writeRecord(w, s.gid[eid]!, teamOf(st, eid), flags, x, y, P.z[eid]!, vx, vy, V.z[eid]!, S.weight[eid]!, S.nimbus[eid]!, st.fields, true)
    // it stays here as a ghost of its new owner until the owner's summaries take over: no gap.
    // Relations records do not carry (its owner, AlwaysRelevant, its aim) would go on acting here
    // on stale information: the ghost drops them (it keeps its own Observer, ghost-store.ts)
    stripUncarried(s, eid)
    markGhost(s, eid, dest, t + o.ttlMs, 0)
    // handed back to a zone it came from: that zone owns it again, and any ghost of it there later
    // on is newer than a Gone of it from here. Once every zone it came from has it back, the Gone
    // goes unflagged (a zone it came from and was not handed back to keeps the stale ghost its
    // handover left: the Gone, flagged Adopted, drops it)
    const sent = st.sent
    sent.adoptedMask[eid] = sent.adoptedMask[eid]! & ~st.neighbourBit[dest]!
    if (sent.adoptedMask[eid] === 0) sent.adopted[eid] = 0
    st.stats.handedOut++
    o.events.released?.(eid, dest)
    any = true
  }
  if (!any) return
  for (let z = 0; z < st.handover.length; z++) {
    const w = st.handover[z]!
    if (w.count === 0) continue
    send(st, inboxChannel(z, o.channel), finishMessage(w))
    w.count = 0
  }
}

/**
 * Local entity `eid` was just adopted from zone `from`, which keeps a ghost of it (not yet confirmed
 * by any summary of ours): it joins the border members, so that the next summary either lists it
 * in full (confirming that ghost) or sends a Gone for it, flagged Adopted (that zone drops its
 * ghost at once) when it is not published, whatever the reason: hidden, team-only, despawned, off
 * the border, handed on. Without this, that ghost stayed, visible, until `ttlMs`.
 */
export function noteAdopted(st: ExchangeState, eid: number, from: number): void {
  const sent = st.sent
  const gid = st.s.gid[eid]!
  // a member already when the last summary listed it under this gid (it was handed away and back
  // since), or when adopted since under this gid
  const member = (sent.stamp[eid] === sent.counter && sent.inBorder[eid] === gid) || sent.adopted[eid] === gid
  // every zone it came from since it was last published or handed back to all of them keeps a ghost
  // no summary of ours confirmed (A to B to C to B, or C to B to A to B, within one interval): the
  // Gone must drop each, and only a hand-back to a zone clears its bit
  if (sent.adopted[eid] !== gid) sent.adoptedMask[eid] = 0
  sent.adoptedMask[eid] = sent.adoptedMask[eid]! | st.neighbourBit[from]!
  sent.adopted[eid] = gid
  // new to the border: the next summary sends it whole, whatever it sent of it before
  sent.inBorder[eid] = 0
  if (member) return
  // the list holds the last summary's members and every adoption since: more than the capacity
  // when entities despawned and others were adopted in their ids within one interval. Skipping
  // one would leave it no Gone, and its ghost next door up to ttlMs (grown by doubling, rarely)
  if (sent.count === sent.members.length) growMembers(sent)
  sent.members[sent.count] = eid
  sent.gids[sent.count++] = gid
}

/** Doubles the room of the member list (the last summary's members and the adoptions since). */
function growMembers(sent: SentState): void {
  const members = new Int32Array(sent.members.length * 2)
  const gids = new Uint32Array(members.length)
  members.set(sent.members)
  gids.set(sent.gids)
  sent.members = members
  sent.gids = gids
}

export function publishSummary(st: ExchangeState, t: number): void {
  const { o, s } = st
  if (!st.stats.linkUp) {
    // link down: one small probe per ghost lifetime, so the presence client's offline queue stays
    // short and our own echo tells us when the link is back
    if (t - st.lastProbe < o.ttlMs) return
    st.lastProbe = t
    beginMessage(st.summary, o.zone, st.instance, ++st.seq, t, MessageFlag.Probe)
    send(st, summaryChannel(o.zone, o.channel), finishMessage(st.summary))
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
  const flags = keyframe ? MessageFlag.Keyframe : 0
  beginMessage(w, o.zone, st.instance, ++st.seq, t, flags)
  const maxRecord = maxRecordBytes(o.layout)
  // (wrapped as the Uint32Array it is compared with: 0 is no summary)
  const stamp = (sent.counter = (sent.counter + 1) >>> 0 || 1)
  let n = 0
  const ents = query(o.world, [o.components.Position])
  for (let i = 0; i < ents.length && n < o.maxEntities; i++) {
    const eid = ents[i]!
    const gid = s.gid[eid]!
    if (s.isGhost[eid] === 1 || gid === 0) continue
    if (has(s, eid, o.components.Hidden) || has(s, eid, o.components.TeamOnly)) continue
    const x = P.x[eid]!
    const y = P.y[eid]!
    // an entity with a value that is not finite is left out (reported once): in the summary it
    // would make the neighbours drop the whole message, every other border entity with it. Left
    // out, it is no member: if it was one, a Gone record removes its ghost.
    if (!finite(x) || !finite(y) || !finite(P.z[eid]!)) {
      reportNonFinite(st, eid)
      continue
    }
    if (!nearNeighbour(st, x, y)) continue
    fillFields(st, eid)
    const vx = V.x[eid]!
    const vy = V.y[eid]!
    const recordFlags = flagsOf(st, eid, false)
    if (!finiteRecord(st, eid, x, y, vx, vy, recordFlags)) continue
    sent.stamp[eid] = stamp
    sent.nextMembers[n] = eid
    sent.nextGids[n++] = gid
    // a delta sends an entity only when it is new to the border, or the neighbours' extrapolation
    // from what they last got is off by more than the tolerance, or a field changed; and at once
    // when its team, flags or salience changed (its team decides what its ghost, an observer there,
    // may see)
    const team = teamOf(st, eid)
    const weight = Math.fround(S.weight[eid]!)
    const nimbus = Math.fround(S.nimbus[eid]!)
    const same = sent.team[eid] === team && sent.flags[eid] === recordFlags && sent.weight[eid] === weight && sent.nimbus[eid] === nimbus
    if (!keyframe && sent.inBorder[eid] === gid && same && (st.simMs - sent.at[eid]! < o.minResendMs || !drifted(st, eid, x, y, vx, vy))) continue
    sent.inBorder[eid] = gid
    sent.at[eid] = st.simMs
    sent.team[eid] = team
    sent.flags[eid] = recordFlags
    sent.weight[eid] = weight
    sent.nimbus[eid] = nimbus
    for (let k = 0; k < F; k++) sent.fields[eid * F + k] = st.fields[k]!
    if (!fits(w, maxRecord, o.maxMessageBytes)) nextPart(st, w, t, flags)
    writeRecord(w, gid, team, recordFlags, x, y, P.z[eid]!, vx, vy, V.z[eid]!, S.weight[eid]!, S.nimbus[eid]!, st.fields)
    // positions and velocities travel rounded (u16 frame, half floats): extrapolate from what the
    // neighbours read
    sent.x[eid] = w.sentX
    sent.y[eid] = w.sentY
    sent.z[eid] = w.sentZ
    sent.vx[eid] = w.sentVx
    sent.vy[eid] = w.sentVy
    sent.vz[eid] = w.sentVz
  }
  // members of the last summary (and entities adopted since) that are not in this one: left the
  // border, despawned (their id may be reused), turned hidden or team-only, handed on...
  for (let i = 0; i < sent.count; i++) {
    const eid = sent.members[i]!
    const gid = sent.gids[i]!
    if (sent.stamp[eid] === stamp && s.gid[eid] === gid) continue
    if (sent.inBorder[eid] === gid) sent.inBorder[eid] = 0
    const adopted = sent.adopted[eid] === gid
    if (adopted) sent.adopted[eid] = 0
    // listed under another id: handed away, its ghost here removed and its id reused, then adopted
    // again in a new id. A Gone after its record would remove the ghost that record just made
    // (a Map lookup, for departures only)
    const now = s.byGid.get(gid)
    if (now !== undefined && sent.stamp[now] === stamp && s.gid[now] === gid) continue
    if (!fits(w, GONE_BYTES, o.maxMessageBytes)) nextPart(st, w, t, flags)
    writeGone(w, gid, adopted)
  }
  const members = sent.members
  const gids = sent.gids
  sent.members = sent.nextMembers
  sent.gids = sent.nextGids
  sent.nextMembers = members
  sent.nextGids = gids
  sent.count = n
  send(st, summaryChannel(o.zone, o.channel), finishMessage(w))
  st.lastPublish = t
}

/**
 * The summary in `w` is full (maxMessageBytes, or 65,535 records): sends it as a part flagged More
 * and begins the next part, with the next sequence number and the same time and flags. Its
 * neighbours apply the parts as one summary (a keyframe sweeps once its last part is in).
 */
function nextPart(st: ExchangeState, w: BorderWriter, t: number, flags: number): void {
  send(st, summaryChannel(st.o.zone, st.o.channel), finishMessage(w, true))
  beginMessage(w, st.o.zone, st.instance, ++st.seq, t, flags)
}

/** True when the neighbours' extrapolation of `eid` (x, y and z) is off by more than the tolerance, or a field changed by more than its own. */
function drifted(st: ExchangeState, eid: number, x: number, y: number, vx: number, vy: number): boolean {
  const sent = st.sent
  const tol = st.o.tolerance
  const z = st.o.components.Position.z[eid]!
  const vz = st.o.components.Velocity.z[eid]!
  if (Math.abs(vx - sent.vx[eid]!) > tol || Math.abs(vy - sent.vy[eid]!) > tol || Math.abs(vz - sent.vz[eid]!) > tol) return true
  const dt = (st.simMs - sent.at[eid]!) / 1000
  if (Math.abs(x - (sent.x[eid]! + sent.vx[eid]! * dt)) > tol || Math.abs(y - (sent.y[eid]! + sent.vy[eid]! * dt)) > tol) return true
  if (Math.abs(z - (sent.z[eid]! + sent.vz[eid]! * dt)) > tol) return true
  const F = st.o.fields
  const ft = st.o.fieldTolerance
  for (let k = 0; k < F; k++) if (Math.abs(st.fields[k]! - sent.fields[eid * F + k]!) > ft[k]!) return true
  return false
}

function nearNeighbour(st: ExchangeState, x: number, y: number): boolean {
  for (let k = 0; k < st.nBounds.length; k++) if (distanceToBounds(st.nBounds[k]!, x, y) <= st.o.margin) return true
  return false
}

/** True when `v` travels as a finite number (a record carries it as a 32-bit float at most). */
function finite(v: number): boolean {
  return Number.isFinite(Math.fround(v))
}

/**
 * True when every number of the record about to be written for `eid` is finite: position,
 * velocity (z and its velocity included), salience (when `flags` carries it) and the fields
 * (already in `st.fields`, as the neighbours will read them). The receiver drops a whole message
 * with one that is not, so such an entity is left out, reported once.
 */
function finiteRecord(st: ExchangeState, eid: number, x: number, y: number, vx: number, vy: number, flags: number): boolean {
  const C = st.o.components
  let ok = finite(x) && finite(y) && finite(vx) && finite(vy) && finite(C.Position.z[eid]!) && finite(C.Velocity.z[eid]!)
  if (ok && (flags & RecordFlag.Salience) !== 0) {
    const S = st.o.components.Salience
    ok = finite(S.weight[eid]!) && finite(S.nimbus[eid]!)
  }
  for (let k = 0; ok && k < st.o.fields; k++) ok = Number.isFinite(st.fields[k]!)
  if (!ok) reportNonFinite(st, eid)
  return ok
}

/**
 * Local entity `eid` has a number that is not finite (a NaN the game wrote: a zero vector
 * normalised, say): warned once per exchange, naming the entity and its values, never per tick.
 */
function reportNonFinite(st: ExchangeState, eid: number): void {
  if (st.warned.nonFinite) return
  st.warned.nonFinite = true
  const C = st.o.components
  const parts: string[] = []
  const x = C.Position.x[eid]!
  const y = C.Position.y[eid]!
  const z = C.Position.z[eid]!
  if (!finite(x) || !finite(y) || !finite(z)) parts.push(`Position (${x}, ${y}, ${z})`)
  const vx = C.Velocity.x[eid]!
  const vy = C.Velocity.y[eid]!
  const vz = C.Velocity.z[eid]!
  if (!finite(vx) || !finite(vy) || !finite(vz)) parts.push(`Velocity (${vx}, ${vy}, ${vz})`)
  if ((flagsOf(st, eid, false) & RecordFlag.Salience) !== 0) {
    const w = C.Salience.weight[eid]!
    const nimbus = C.Salience.nimbus[eid]!
    if (!finite(w) || !finite(nimbus)) parts.push(`Salience (weight ${w}, nimbus ${nimbus})`)
  }
  fillFields(st, eid)
  for (let k = 0; k < st.o.fields; k++) if (!Number.isFinite(st.fields[k]!)) parts.push(`field ${k} (${st.fields[k]}, from readFields)`)
  console.warn(
    `${warnPrefix(st)}: entity ${eid} has a ${parts.join(' and a ')} that is not finite. It is left out of the border summaries and handovers ` +
      '(the zone\'s other entities still go: one number that is not finite would make the neighbours drop the whole message) until it is finite again. ' +
      'Reported once, for the first entity found.',
  )
}
