import { Decoder, Encoder, StateView, type Iterator } from '@colyseus/schema'
import { disposeViews } from '../../src/view-encoding/dispose-views'
import { installViewEncoding, type ViewEncodingHook } from '../../src/view-encoding/install-view-encoding'
import { bindViewToRoot } from '../../src/view-encoding/schema-internals'
import { callAdd } from './differential-edits'
import { State, type Entity } from './differential-schema'
import { ITERABLE_SLOT, MAX_CLIENTS, NO_VIEW, SLOTS, type Op } from './differential-script'

/*
 * Owns: one room of the view-encoding differential test (differential.test.ts): a state, its
 * encoder (with the hook or schema's own), its views and clients, and what Colyseus'
 * SchemaSerializer does with them (applyPatches, getFullState, applyUnreliablePatches), clients
 * joining and leaving included. The script's edits of the state and views: differential-edits.ts.
 */

/** Protocol bytes Colyseus writes first (the decoders start after them). */
const ROOM_STATE = 14
const ROOM_STATE_PATCH = 15

/** One client: its view, its decoder, and whether it is in. */
export interface Client {
  /** Undefined for a client without a view (it receives the shared part only). */
  view: StateView | undefined
  /** The view's slot, or NO_VIEW. */
  slot: number
  /** Colyseus' JOINED: sent its full state; patches skip a client still joining. */
  joined: boolean
  decoder: Decoder
}

/** One message of a patch: to a client (-1: the shared part, encoded once), and its bytes. */
export interface Sent {
  client: number
  bytes: Uint8Array
  /**
   * Index of the earlier message of this patch whose bytes this client is sent (a view encoded
   * before for another client, or for a client without a view the shared part), or -1.
   */
  repeatOf: number
}

/** The console output of an operation (decoders log a `"refId" not found` instead of throwing). */
export type Logged = string[]

/** One room: the state, its encoder, views and clients, and Colyseus' serializer state. */
export interface Room {
  state: State
  encoder: Encoder<State>
  hook: ViewEncodingHook | null
  views: (StateView | undefined)[]
  /** Views with no client (Setup.idleViews). */
  idle: StateView[]
  /** The entity last taken out of the state. */
  gone: Entity | undefined
  /** Views disposed so far (some may still be used by clients: 'orphan'). */
  disposed: Set<StateView>
  /** Views disposed while clients still use them, and their bits while {@link blindOrphans} is on. */
  orphans: StateView[]
  orphanBits: Map<StateView, number>
  clients: Client[]
  /** Colyseus' SchemaSerializer state for getFullState. */
  needFullEncode: boolean
  fullEncodeBuffer: Uint8Array
  fullEncodeCache: Uint8Array
  sharedOffsetCache: Iterator
  unreliableSeq: number
}

/** The hook's configuration: the direct pass (default), schema's pass over the per-view lists, the repeat fix alone. */
export type Mode = 'direct' | 'lists' | 'repeat-only'

/** A seed's room set-up, besides its script. */
export interface Setup {
  mode: Mode
  /**
   * Views bound to the state before the clients' (no client, never encoded): the clients' views
   * get ids past them, in the second and third words of schema's visibility bitmaps.
   */
  idleViews: number
  /** `Encoder.BUFFER_SIZE` while the rooms are built: small ones make every kind of pass overflow its buffer. */
  bufferSize: number
}

/** The set-up of a seed: every configuration, id offset and buffer size in turn. */
export const setupOf = (seed: number): Setup => ({
  mode: (['direct', 'direct', 'lists', 'direct', 'repeat-only'] as const)[seed % 5]!,
  idleViews: [0, 30, 62][seed % 3]!,
  bufferSize: [16 * 1024, 16 * 1024, 1024, 64][seed % 4]!,
})

/** A room as `setup` says, with the hook on its encoder (`hooked`) or schema's own encoder. */
export function createRoom(hooked: boolean, setup: Setup): Room {
  const state = new State()
  const encoder = new Encoder(state)
  const mode = setup.mode
  const hook = hooked ? installViewEncoding(encoder, { direct: mode === 'direct', indexed: mode !== 'repeat-only' }) : null
  if (hooked && hook === null) throw new Error('the hook did not install')
  // kept referenced: a collected view frees its id at a time of the garbage collector's choosing
  const idle: StateView[] = []
  for (let i = 0; i < setup.idleViews; i++) {
    const v = new StateView()
    if (!bindViewToRoot(v, encoder.root)) throw new Error('no StateView._bindRoot')
    idle.push(v)
  }
  return {
    idle,
    state,
    encoder,
    hook,
    views: new Array<StateView | undefined>(SLOTS).fill(undefined),
    clients: [],
    needFullEncode: true,
    fullEncodeBuffer: new Uint8Array(Encoder.BUFFER_SIZE),
    fullEncodeCache: new Uint8Array(0),
    gone: undefined,
    disposed: new Set(),
    orphans: [],
    orphanBits: new Map(),
    sharedOffsetCache: { offset: 0 },
    unreliableSeq: 0,
  }
}

/** Colyseus' SchemaSerializer.getFullState. */
export function fullState(room: Room, view: StateView | undefined): Uint8Array {
  const enc = room.encoder
  if (room.needFullEncode || enc.root.changes.next !== undefined) {
    room.sharedOffsetCache = { offset: 1 }
    room.fullEncodeBuffer[0] = ROOM_STATE
    room.fullEncodeCache = enc.encodeAll(room.sharedOffsetCache, room.fullEncodeBuffer).slice()
    room.needFullEncode = false
  }
  if (view === undefined) return room.fullEncodeCache
  return enc.encodeAllView(view, room.sharedOffsetCache.offset, { ...room.sharedOffsetCache }, room.fullEncodeBuffer)
}

/**
 * Colyseus' SchemaSerializer.applyPatches (clients still joining skipped). Returns what each client
 * is sent, the shared part first (client -1) when the state changed.
 */
export function applyPatches(room: Room): Sent[] {
  const enc = room.encoder
  const clients = room.clients
  const out: Sent[] = []
  if (clients.length === 0) {
    if (enc.hasChanges) room.needFullEncode = true
    enc.discardChanges()
    return out
  }
  if (!enc.hasChanges) {
    // only views changed: encodeView per client (not per view), no shared encode, no discard
    const changed = clients.filter((c) => c.joined && c.view !== undefined && c.view.changes.size > 0)
    if (changed.length === 0) return out
    const it: Iterator = { offset: 1 }
    enc.sharedBuffer[0] = ROOM_STATE_PATCH
    for (const c of changed) {
      const bytes = enc.encodeView(c.view!, 1, it)
      out.push({ client: clients.indexOf(c), bytes: bytes.slice(), repeatOf: out.findIndex((s) => clients[s.client]!.view === c.view) })
    }
    return out
  }
  room.needFullEncode = true
  const it: Iterator = { offset: 1 }
  enc.sharedBuffer[0] = ROOM_STATE_PATCH
  const shared = enc.encode(it).slice()
  out.push({ client: -1, bytes: shared, repeatOf: -1 })
  const sharedOffset = it.offset
  encodePerView(clients, out, (view) => enc.encodeView(view, sharedOffset, it))
  enc.discardChanges()
  return out
}

/**
 * The serializer's loop after the shared encode, last client first: a joined client without a
 * view repeats the shared bytes (`out[0]`), a view already encoded this patch is repeated, any
 * other view is encoded once with `encode`.
 */
function encodePerView(clients: Room['clients'], out: Sent[], encode: (view: StateView) => Uint8Array): void {
  const encoded = new Map<StateView, number>()
  for (let n = clients.length; n--; ) {
    if (!clients[n]!.joined) continue
    const view = clients[n]!.view
    const first = view === undefined ? 0 : encoded.get(view)
    if (first !== undefined) out.push({ client: n, bytes: out[first]!.bytes, repeatOf: first })
    else {
      encoded.set(view!, out.length)
      out.push({ client: n, bytes: encode(view!).slice(), repeatOf: -1 })
    }
  }
}

/** Colyseus' SchemaSerializer.applyUnreliablePatches, every joined client able to receive them. */
export function applyUnreliablePatches(room: Room): Sent[] {
  const enc = room.encoder
  if (!enc.hasUnreliableChanges) return []
  room.needFullEncode = true
  if (!room.clients.some((c) => c.joined)) {
    enc.discardUnreliableChanges()
    return []
  }
  room.unreliableSeq = (room.unreliableSeq + 1) & 0xffff
  const it: Iterator = { offset: 3 }
  enc.sharedBuffer[0] = ROOM_STATE_PATCH | 64
  enc.sharedBuffer[1] = room.unreliableSeq & 255
  enc.sharedBuffer[2] = room.unreliableSeq >> 8
  const out: Sent[] = [{ client: -1, bytes: enc.encodeUnreliable(it).slice(), repeatOf: -1 }]
  const sharedOffset = it.offset
  encodePerView(room.clients, out, (view) => enc.encodeUnreliableView(view, sharedOffset, it))
  enc.discardUnreliableChanges()
  return out
}

/** A client joins: the Colyseus flow (onJoin fills the view, then the full state is sent). */
export function join(room: Room, op: Extract<Op, { k: 'join' }>, log: Logged): Uint8Array | null {
  if (room.clients.length >= MAX_CLIENTS) return null
  if (op.slot === NO_VIEW) {
    room.clients.push({ view: undefined, slot: NO_VIEW, decoder: new Decoder(new State()), joined: op.later !== true })
    return op.later === true ? new Uint8Array(0) : fullState(room, undefined)
  }
  let view = room.views[op.slot]
  if (view === undefined) {
    view = room.views[op.slot] = new StateView(op.slot === ITERABLE_SLOT)
    for (const a of op.adds) {
      const e = room.state.entities.get(String(a.key))
      try {
        if (e !== undefined) callAdd(view, e, a.tag)
      } catch (err) {
        // schema refuses some adds (a child it holds detached): the same on both sides
        log.push(`view.add threw ${(err as Error).message}`)
      }
    }
  }
  const decoder = new Decoder(new State())
  room.clients.push({ view, slot: op.slot, decoder, joined: op.later !== true })
  // a client confirming its join later gets its full state then (op 'confirm')
  return op.later === true ? new Uint8Array(0) : fullState(room, view)
}

/** Clients leave; views nobody uses any more are disposed together (disposeViews on the hooked side). */
export function leave(room: Room, op: Extract<Op, { k: 'leave' }>, hooked: boolean): boolean {
  if (room.clients.length === 0) return false
  const going = new Set(op.clients.map((c) => room.clients[c % room.clients.length]!))
  room.clients = room.clients.filter((c) => !going.has(c))
  const disposed: StateView[] = []
  for (const c of going) {
    const v = c.view
    if (v === undefined || room.disposed.has(v) || disposed.includes(v) || room.clients.some((o) => o.view === v)) continue
    disposed.push(v)
    if (room.views[c.slot] === v) room.views[c.slot] = undefined
  }
  dispose(room, disposed, hooked)
  return true
}

/** Disposes views: disposeViews on the hooked side (the hook's own), view.dispose() on schema's. */
export function dispose(room: Room, views: StateView[], hooked: boolean): void {
  for (const v of views) room.disposed.add(v)
  if (hooked) disposeViews(views)
  else for (const v of views) v.dispose()
}

/** The room disposes a view its clients still use (they stay on it: a misuse, see {@link blindOrphans}). */
export function orphan(room: Room, op: Extract<Op, { k: 'orphan' }>, hooked: boolean): boolean {
  const v = room.views[op.slot]
  if (v === undefined) return false
  room.views[op.slot] = undefined
  dispose(room, [v], hooked)
  room.orphans.push(v)
  return true
}

/**
 * schema's `dispose()` gives a view's id back but leaves the view its old bit: schema's own view
 * pass then sends the clients still on it the objects of whichever view takes the id next (an
 * entitlement leak; docs/view-encoding.md). The hook's indexed path sends them only what was
 * pending on the view. For a reliable patch the reference room's disposed views lose their bit
 * (`on`) and get it back after (`!on`): the reference is then schema's pass without that leak, which
 * the hook must match byte for byte. (The unreliable channel, a full state, and the
 * repeat-fix-only configuration are schema's own on both sides: there the reference is schema as it is.)
 */
export function blindOrphans(room: Room, on: boolean): void {
  for (const v of room.orphans) {
    const view = v as unknown as { _bit: number }
    if (on) {
      room.orphanBits.set(v, view._bit)
      view._bit = 0
    } else view._bit = room.orphanBits.get(v)!
  }
}
