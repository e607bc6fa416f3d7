import { Encoder, StateView, type Decoder } from '@colyseus/schema'
import { Protocol } from '@colyseus/shared-types'
import { ArenaState, Entity } from '../../example-server/src/state'
import { applyTag, removeFromView } from '../../plugin/src/sync/view-sync'
import { AttentionTags, Band, createEntityKeys } from '../../plugin/src/index'
import type { Recording } from './recording'
import { exampleKindName, isCoarseTick, playerHp } from './write-schedule'

/**
 * The state key of recorded entity `i`: opaque keys of 6 characters, as the docs' rooms and the
 * example server make them (createEntityKeys), so that every policy pays what a game pays for its
 * keys (an entity id as key is 1 to 5 characters). A fixed secret: the same bytes every run.
 */
const KEYS = createEntityKeys('5eed0f0a77e471d0')
export const meterKey = (i: number): string => KEYS.of(i)

/**
 * Owns: the bytes a replay costs, encoded through real @colyseus/schema StateViews with the example
 * server's schema (`Entity`: untagged kind/team/cx/cy, Motion x/y/angle, Detail hp/mood) and its
 * write schedule (write-schedule.ts). Each member is in its client's view with the tag of its band,
 * as the plugin adds it (plugin/src/sync/view-sync.ts).
 */

/** Schema view tag per band, the plugin's default `bandTags` (plugin/src/sync/options.ts). */
export const BAND_TAGS = [0, AttentionTags.Motion, AttentionTags.Motion | AttentionTags.Detail] as const

/** The room state the meter encodes (the example server's). */
export const MeterState = ArenaState
/** An instance of {@link MeterState}. */
export type MeterState = InstanceType<typeof ArenaState>

/** Measures the bytes a replay costs by encoding it through real @colyseus/schema StateViews. */
export interface ByteMeter {
  /** Makes entity `e` visible to view `v` at `band` (sent on the next patch). @defaultValue Band.High */
  add(v: number, e: number, band?: number): void
  /** Hides entity `e` from view `v` (a DELETE on the next patch). */
  remove(v: number, e: number): void
  /** Moves entity `e`, held by view `v`, to `band` (re-tags the view like the plugin). */
  setBand(v: number, e: number, band: number): void
  /** Band at which view `v` holds entity `e`, or -1. */
  bandOf(v: number, e: number): number
  /**
   * Writes tick `t`'s entity state into the schema on the example room's schedule, encodes the
   * shared patch and every view's patch as a Colyseus room does, and adds each view's patch length
   * to `bytes[v]` when `count` is true.
   */
  encodeTick(t: number, count: boolean): void
  /** Bytes counted per view so far (shared + view part, as sent to that client). */
  readonly bytes: Float64Array
  /** Patches counted per view so far (ticks where the view had something to send). */
  readonly patches: Float64Array
  /** Bytes of each view's patch on the last encoded tick, counted or not (0: nothing sent). */
  readonly sent: Float64Array
  /** Optional: called with each view's encoded patch (for tests that decode it). */
  onPatch: ((v: number, bytes: Uint8Array) => void) | null
  /** The encoder (tests decode full states with it). */
  readonly encoder: Encoder
  readonly state: MeterState
  readonly views: readonly StateView[]
  /** Releases the views. */
  dispose(): void
}

/** Type of a decoder for {@link MeterState}, for tests. */
export type MeterDecoder = Decoder<MeterState>

/**
 * Creates a byte meter for `viewCount` clients over a recording's entities: one schema entity per
 * recorded entity (key: its index), one StateView per client. The Colyseus room patch protocol byte
 * (ROOM_STATE_PATCH) is counted like the room sends it; WebSocket framing is not.
 * @param rec - the recording (entity count, kinds, per-tick state, declared teams).
 * @param viewCount - number of StateViews (clients).
 */
export function createByteMeter(rec: Recording, viewCount: number): ByteMeter {
  // every view encodes into one buffer after the shared part (like SchemaSerializer)
  if (Encoder.BUFFER_SIZE < 4 * 1024 * 1024) Encoder.BUFFER_SIZE = 4 * 1024 * 1024
  const n = rec.entityCount
  const state = new ArenaState()
  const team = rec.declared?.team
  const hp = playerHp(rec)
  const ents: Entity[] = []
  for (let i = 0; i < n; i++) {
    const e = new Entity()
    e.kind = exampleKindName(rec.kind[i]!)
    e.team = team?.[i] ?? 0
    e.x = rec.x[i]!
    e.y = rec.y[i]!
    e.angle = rec.angle[i]!
    e.cx = Math.round(rec.x[i]!)
    e.cy = Math.round(rec.y[i]!)
    e.mood = e.kind === 'player' ? 'playing' : 'idle'
    state.entities.set(meterKey(i), e)
    ents.push(e)
  }
  state.total = n
  const encoder = new Encoder(state)
  const views: StateView[] = []
  for (let v = 0; v < viewCount; v++) views.push(new StateView())
  const bytes = new Float64Array(viewCount)
  const patches = new Float64Array(viewCount)
  const sent = new Float64Array(viewCount)
  // band each view holds each entity at (-1: not held), and how many views hold it at Medium or up
  const held = new Int8Array(viewCount * n).fill(-1)
  const watchers = new Int32Array(n)
  // what the schema holds, to assign only real changes (as a game writing each field when it moves)
  const lastX = Float32Array.from(rec.x.subarray(0, n))
  const lastY = Float32Array.from(rec.y.subarray(0, n))
  const lastA = Float32Array.from(rec.angle.subarray(0, n))
  const lastHp = new Uint8Array(n).fill(100)
  let tick = 0
  // clients joined before tick 0: the initial full state is empty for every view
  encoder.discardChanges()

  const writeDetail = (i: number): void => {
    const e = ents[i]!
    const k = tick * n + i
    const x = rec.x[k]!
    const y = rec.y[k]!
    const a = rec.angle[k]!
    if (x !== lastX[i]) e.x = lastX[i] = x
    if (y !== lastY[i]) e.y = lastY[i] = y
    if (a !== lastA[i]) e.angle = lastA[i] = a
    const h = hp[k]!
    if (h !== lastHp[i]) e.hp = lastHp[i] = h
  }
  // encodeTick writes every watched entity before encoding: that is also the plugin's refresh of an
  // entity a view starts to receive at Medium or up
  const watch = (e: number, from: number, to: number): void => {
    const was = from >= Band.Medium ? 1 : 0
    const now = to >= Band.Medium ? 1 : 0
    watchers[e] = watchers[e]! + now - was
  }

  const meter: ByteMeter = {
    bytes,
    patches,
    sent,
    onPatch: null,
    encoder,
    state,
    views,
    add(v, e, band = Band.High) {
      watch(e, -1, band)
      held[v * n + e] = band
      const tag = BAND_TAGS[band]!
      if (tag === 0) views[v]!.add(ents[e]!)
      else views[v]!.add(ents[e]!, tag)
    },
    remove(v, e) {
      const band = held[v * n + e]!
      watch(e, band, -1)
      held[v * n + e] = -1
      removeFromView(views[v]!, ents[e]!, BAND_TAGS[band]!)
    },
    setBand(v, e, band) {
      const old = held[v * n + e]!
      if (old === band) return
      watch(e, old, band)
      held[v * n + e] = band
      applyTag(views[v]!, ents[e]!, BAND_TAGS[old]!, BAND_TAGS[band]!)
    },
    bandOf: (v, e) => held[v * n + e]!,
    encodeTick(tk, count) {
      tick = tk
      const coarse = isCoarseTick(tk)
      const base = tk * n
      for (let i = 0; i < n; i++) {
        if (watchers[i]! > 0) writeDetail(i)
        if (coarse) {
          const e = ents[i]!
          // schema skips assignments of an unchanged value
          e.cx = Math.round(rec.x[base + i]!)
          e.cy = Math.round(rec.y[base + i]!)
        }
      }
      const it = { offset: 1 }
      encoder.sharedBuffer[0] = Protocol.ROOM_STATE_PATCH
      encoder.encode(it)
      const sharedOffset = it.offset
      for (let v = 0; v < viewCount; v++) {
        const out = encoder.encodeView(views[v]!, sharedOffset, it)
        // a patch with nothing beyond the protocol byte is not sent by the room
        sent[v] = out.length <= 1 ? 0 : out.length
        if (out.length <= 1) continue
        if (count) {
          bytes[v] = bytes[v]! + out.length
          patches[v] = patches[v]! + 1
        }
        meter.onPatch?.(v, out)
      }
      encoder.discardChanges()
    },
    dispose() {
      for (const v of views) v.dispose()
    },
  }
  return meter
}
