import { Encoder, schema, StateView, t, type Decoder } from '@colyseus/schema'
import { Protocol } from '@colyseus/shared-types'
import type { Recording } from './recording'

/** The replicated entity: what a client of the arena needs to draw and predict it. */
export const BenchEntity = schema(
  {
    x: t.float32().default(0),
    y: t.float32().default(0),
    angle: t.float32().default(0),
    kind: t.uint8().default(0),
  },
  'BenchEntity',
)
/** An instance of {@link BenchEntity}. */
export type BenchEntity = InstanceType<typeof BenchEntity>

/** The room state: every entity, filtered per client by its StateView. */
export const BenchState = schema({ entities: t.map(BenchEntity).view() }, 'BenchState')
/** An instance of {@link BenchState}. */
export type BenchState = InstanceType<typeof BenchState>

/** Measures the bytes a replay costs by encoding it through real @colyseus/schema StateViews. */
export interface ByteMeter {
  /** Makes entity `e` visible to view `v` (sent in full on the next patch). */
  add(v: number, e: number): void
  /** Hides entity `e` from view `v` (a DELETE on the next patch). */
  remove(v: number, e: number): void
  /**
   * Writes tick `t`'s entity state into the schema, encodes the shared patch and every view's patch
   * as a Colyseus room does, and adds each view's patch length to `bytes[v]` when `count` is true.
   */
  encodeTick(t: number, count: boolean): void
  /** Bytes counted per view so far (shared + view part, as sent to that client). */
  readonly bytes: Float64Array
  /** Patches counted per view so far (ticks where the view had something to send). */
  readonly patches: Float64Array
  /** Optional: called with each view's encoded patch (for tests that decode it). */
  onPatch: ((v: number, bytes: Uint8Array) => void) | null
  /** The encoder (tests decode full states with it). */
  readonly encoder: Encoder
  readonly state: BenchState
  readonly views: readonly StateView[]
  /** Releases the views. */
  dispose(): void
}

/** Type of a decoder for {@link BenchState}, for tests. */
export type BenchDecoder = Decoder<BenchState>

/**
 * Creates a byte meter for `viewCount` clients over a recording's entities: one schema entity per
 * recorded entity, one StateView per client. The Colyseus room patch protocol byte (ROOM_STATE_PATCH)
 * is counted like the room sends it; WebSocket framing is not.
 * @param rec - the recording (entity count, kinds, per-tick state).
 * @param viewCount - number of StateViews (clients).
 */
export function createByteMeter(rec: Recording, viewCount: number): ByteMeter {
  // every view encodes into one buffer after the shared part (like SchemaSerializer)
  if (Encoder.BUFFER_SIZE < 1024 * 1024) Encoder.BUFFER_SIZE = 1024 * 1024
  const n = rec.entityCount
  const state = new BenchState()
  const ents: BenchEntity[] = []
  for (let i = 0; i < n; i++) {
    const e = new BenchEntity()
    e.kind = rec.kind[i]!
    e.x = rec.x[i]!
    e.y = rec.y[i]!
    e.angle = rec.angle[i]!
    state.entities.set(String(i), e)
    ents.push(e)
  }
  const encoder = new Encoder(state)
  const views: StateView[] = []
  for (let v = 0; v < viewCount; v++) views.push(new StateView())
  const bytes = new Float64Array(viewCount)
  const patches = new Float64Array(viewCount)
  const lastX = new Float32Array(n)
  const lastY = new Float32Array(n)
  const lastA = new Float32Array(n)
  lastX.set(rec.x.subarray(0, n))
  lastY.set(rec.y.subarray(0, n))
  lastA.set(rec.angle.subarray(0, n))
  // clients joined before tick 0: the initial full state is empty for every view
  encoder.discardChanges()

  const meter: ByteMeter = {
    bytes,
    patches,
    onPatch: null,
    encoder,
    state,
    views,
    add: (v, e) => {
      views[v]!.add(ents[e]!)
    },
    remove: (v, e) => {
      views[v]!.remove(ents[e]!)
    },
    encodeTick(tk, count) {
      const base = tk * n
      for (let i = 0; i < n; i++) {
        const e = ents[i]!
        // assign only real changes, as a game that writes each field when it moves
        const x = rec.x[base + i]!
        const y = rec.y[base + i]!
        const a = rec.angle[base + i]!
        if (x !== lastX[i]) {
          e.x = x
          lastX[i] = x
        }
        if (y !== lastY[i]) {
          e.y = y
          lastY[i] = y
        }
        if (a !== lastA[i]) {
          e.angle = a
          lastA[i] = a
        }
      }
      const it = { offset: 1 }
      encoder.sharedBuffer[0] = Protocol.ROOM_STATE_PATCH
      encoder.encode(it)
      const sharedOffset = it.offset
      for (let v = 0; v < viewCount; v++) {
        const view = views[v]!
        const out = encoder.encodeView(view, sharedOffset, it)
        // a patch with nothing beyond the protocol byte is not sent by the room
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
