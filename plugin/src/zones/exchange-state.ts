// Owns the state one border exchange threads through its stages (module functions over an explicit
// state object, in the manner of schema's encode context), and the small helpers they share.
import { quantize, RecordFlag, type BorderRecord, type BorderWriter } from './border-codec'
import type { ResolvedExchangeOptions, BorderStats } from './exchange-options'
import { has, destroyGhost, type GhostStore } from './ghost-store'
import type { ZoneBounds } from './zone-grid'

/** Per entity: the state last published, and the border membership of the last summary. */
export interface SentState {
  x: Float32Array
  y: Float32Array
  z: Float32Array
  vx: Float32Array
  vy: Float32Array
  vz: Float32Array
  at: Float64Array
  fields: Float32Array
  /**
   * The team (-1: none), record flags and salience last published: a change goes out in the next
   * summary, delta or not (a team decides what a TeamOnly entity's observers may see).
   */
  team: Int32Array
  flags: Uint8Array
  weight: Float32Array
  nimbus: Float32Array
  /** gid the entity had when last in the border set (0: not in it). */
  inBorder: Uint32Array
  /** Stamp of the last summary that found the entity in the border set. */
  stamp: Uint32Array
  /**
   * gid the entity had when this zone adopted it in a handover (0: none, or every zone it came from
   * has had it handed back since): its Gone record, when it stops being published, carries the
   * Adopted flag.
   */
  adopted: Uint32Array
  /**
   * While `adopted` is set: the neighbours (bits of `neighbourBit`) that handed the entity here and
   * may still hold the unconfirmed ghost their handover left; a hand-back to one clears its bit.
   */
  adoptedMask: Uint8Array
  counter: number
  /**
   * Border members of the last summary (entity ids and their gids then), and the entities adopted
   * since: every entity a neighbour may hold a ghost of, to which a Gone is owed when the next
   * summary leaves it out.
   */
  members: Int32Array
  gids: Uint32Array
  count: number
  nextMembers: Int32Array
  nextGids: Uint32Array
}

export function createSentState(capacity: number, fields: number): SentState {
  return {
    x: new Float32Array(capacity),
    y: new Float32Array(capacity),
    z: new Float32Array(capacity),
    vx: new Float32Array(capacity),
    vy: new Float32Array(capacity),
    vz: new Float32Array(capacity),
    at: new Float64Array(capacity),
    fields: new Float32Array(capacity * Math.max(1, fields)),
    team: new Int32Array(capacity),
    flags: new Uint8Array(capacity),
    weight: new Float32Array(capacity),
    nimbus: new Float32Array(capacity),
    inBorder: new Uint32Array(capacity),
    stamp: new Uint32Array(capacity),
    adopted: new Uint32Array(capacity),
    adoptedMask: new Uint8Array(capacity),
    counter: 0,
    members: new Int32Array(capacity),
    gids: new Uint32Array(capacity),
    count: 0,
    nextMembers: new Int32Array(capacity),
    nextGids: new Uint32Array(capacity),
  }
}

export interface ExchangeState {
  /** Random nonzero id of this exchange, in every message it sends. */
  instance: number
  o: ResolvedExchangeOptions
  s: GhostStore
  own: ZoneBounds
  neighbours: number[]
  nBounds: ZoneBounds[]
  /** Per zone index: 1 when a neighbour. */
  isNeighbour: Uint8Array
  /** Per zone index: a neighbour's bit (one of 8: a grid zone has at most 8 neighbours), else 0. */
  neighbourBit: Uint8Array
  /** Per zone index: last time a summary was heard from it, and its last sentAt. */
  heardAt: Float64Array
  lastSent: Float64Array
  /**
   * Per zone index, two slots each (`2 * zone`: the instance last taken from, `2 * zone + 1`: the
   * one before it): an instance and the sequence number of the last handover message taken from
   * it. A handover delivered twice, or late after an outage, would make a second owner of an
   * entity; two slots, because a room that replaced a dead one of its zone sends its own (a
   * message of the dead one delivered again after them is still refused).
   */
  takenInstance: Float64Array
  takenSeq: Float64Array
  /**
   * Per zone index: the instance of the last summary applied from it (0: none yet), and the one it
   * replaced. A summary from another instance means the zone's room was replaced (a restart): the
   * ghosts of the old one go at once.
   */
  sumInstance: Uint32Array
  prevInstance: Uint32Array
  /** Per zone index: the sequence number of the last summary applied from it (of `sumInstance`): a summary delivered twice is applied once. */
  sumSeq: Float64Array
  /**
   * Per zone index: until when two instances of it are known to publish in turn (two live rooms
   * of one zone, a misconfiguration): no instance replaces the other, each keeps its own ghosts,
   * which expire after ttlMs once their room stops.
   */
  twinUntil: Float64Array
  /**
   * Per zone index: 1 while a summary in parts from an instance that replaced another is coming:
   * the old instance's ghosts go once it is whole (a later part may list them).
   */
  replacing: Uint8Array
  /**
   * Per zone index: the sequence number of the next part of a summary of it whose parts came so
   * far (-1: none), and their stamp: the parts of one summary are applied as one.
   */
  nextPart: Float64Array
  partStamp: Uint32Array
  inbox: { channel: number; inbound: boolean; data: unknown }[]
  summary: BorderWriter
  handover: BorderWriter[]
  /** The fields of the entity being published, or of the record being applied (the events get it). */
  fields: Float32Array
  /** The record being applied (its fields are `fields`). */
  rec: BorderRecord
  seq: number
  /** Sequence number of the last handover message sent (its own count: summaries have `seq`). */
  handSeq: number
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
  /** Clock of the last `step` (of the creation until the first). */
  lastStep: number
  /** Steps so far. */
  steps: number
  /** Misuse already warned about (each once per exchange). */
  warned: { dt: boolean; negativeDt: boolean; layout: boolean; noStep: boolean; nonFinite: boolean }
  stats: BorderStats
}

/** Prefix of every warning of an exchange. */
export function warnPrefix(st: ExchangeState): string {
  return `colyseus-attention: border exchange of zone ${st.o.zone}`
}

export function drop(st: ExchangeState, reason: string): void {
  st.stats.dropped++
  st.stats.dropReasons[reason] = (st.stats.dropReasons[reason] ?? 0) + 1
}

export function send(st: ExchangeState, topic: string, text: string): void {
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

/** Reads entity `eid`'s fields into `st.fields`, as the neighbours will read them (quantized to their formats). */
export function fillFields(st: ExchangeState, eid: number): void {
  const n = st.o.fields
  if (n === 0) return
  st.o.readFields(eid, st.fields)
  const codes = st.o.layout.codes
  for (let k = 0; k < n; k++) st.fields[k] = quantize(codes[k]!, st.fields[k]!)
}

/** The Team id of `eid` as a record carries it: 0 is a team; -1 when it has no Team. */
export function teamOf(st: ExchangeState, eid: number): number {
  return has(st.s, eid, st.o.components.Team) ? st.o.components.Team.id[eid]! : -1
}

export function flagsOf(st: ExchangeState, eid: number, handover: boolean): number {
  const C = st.o.components
  let f = has(st.s, eid, C.Salience) ? RecordFlag.Salience : 0
  if (handover && has(st.s, eid, C.TeamOnly)) f |= RecordFlag.TeamOnly
  if (handover && has(st.s, eid, C.Hidden)) f |= RecordFlag.Hidden
  return f
}

/** Tells the game, then removes ghost `eid` from the world. */
export function removeGhost(st: ExchangeState, eid: number): void {
  st.o.events.removed?.(eid)
  destroyGhost(st.s, eid)
}
