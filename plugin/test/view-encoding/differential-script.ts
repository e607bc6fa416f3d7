import { CUSTOM, DETAIL, ENTITY_NAMES, FIELD_NAMES, MOTION, NO_TAG, SUB, type Kind } from './differential-schema'

/*
 * Owns: the script of the view-encoding differential test (differential.test.ts): its operations,
 * as plain data so that a script replays and shrinks, and the seeded generator that draws them.
 */

/** An edit inside an entity: its children, nested map, arrays and set. */
type Nested =
  | 'part.v' | 'part.w' | 'part.new' | 'part.drop'
  | 'gear.v' | 'gear.w' | 'gear.new' | 'gear.drop'
  | 'crest.v' | 'crest.new'
  | 'stats.set' | 'stats.delete' | 'stats.clear'
  | 'bag.push' | 'bag.splice' | 'bag.x' | 'bag.leaf' | 'bag.replace' | 'bag.clear'
  | 'notes.push' | 'notes.pop' | 'notes.set'
  | 'flags.add' | 'flags.delete'
// Not drawn: one child instance held by two entities (`a.part = b.part`). With schema 5.0.34, once
// the holders move or go (b moved to another key, a removed), schema's own full state for a view
// throws (a TypeError in StateView.isChangeTreeVisible: the child's parent is gone) and view.add
// of the remaining holder throws "Cannot add a detached instance": a room would crash in schema,
// with or without the hook. (A Unit held by an entity's bag and the list at once, 'adopt', is drawn.)
const NESTED: Nested[] = [
  'part.v', 'part.w', 'part.new', 'part.drop',
  'gear.v', 'gear.w', 'gear.new', 'gear.drop',
  'crest.v', 'crest.new',
  'stats.set', 'stats.delete', 'stats.clear',
  'bag.push', 'bag.splice', 'bag.x', 'bag.leaf', 'bag.replace', 'bag.clear',
  'notes.push', 'notes.pop', 'notes.set',
  'flags.add', 'flags.delete',
]
/** An edit of the root's `.view()` array: of its elements, or of an element's fields ('n', 'x', 's', 'leaf'). */
type ListOp = 'push' | 'unshift' | 'splice' | 'pop' | 'shift' | 'replace' | 'n' | 'x' | 's' | 'leaf' | 'clear'
/** Drawn list edits ('clear' is drawn on its own, rarely). */
const LIST_OPS: ListOp[] = ['push', 'unshift', 'splice', 'pop', 'shift', 'replace', 'n', 'x', 's', 'leaf']

/** What a view operation names, resolved against the room when it runs (skipped when absent). */
export type Target =
  | { t: 'entity' | 'part' | 'gear' | 'stats' | 'bag' | 'open'; key: number }
  | { t: 'bagItem'; key: number; at: number }
  | { t: 'unit'; at: number }
  | { t: 'list' | 'entities' | 'root' | 'crowd' | 'vip' }
  | { t: 'crowdItem'; at: number }
  | { t: 'flags'; key: number }
  /** The entity last taken out of the state (view.add throws on it, view.remove queues a detached ref). */
  | { t: 'gone' }

/** One operation of a script: an edit of the state, of a view, of the room's clients, or a patch. */
export type Op =
  | { k: 'spawn'; key: number; kind: Kind; fill: number }
  | { k: 'despawn'; key: number }
  | { k: 'replace'; key: number; kind: Kind; fill: number; viaDelete: boolean }
  | { k: 'move'; key: number; to: number }
  | { k: 'set'; key: number; field: string; value: number }
  | { k: 'nested'; key: number; what: Nested; at: number; value: number }
  | { k: 'list'; what: ListOp; at: number; value: number }
  /** Element `at` of entity `key`'s bag pushed into the list too: one instance, two parents. */
  | { k: 'adopt'; key: number; at: number }
  | { k: 'open'; what: 'spawn' | 'despawn' | 'set'; key: number; value: number }
  | { k: 'root'; field: 'tick' | 'motd' | 'hidden' | 'vip.new' | 'vip.x' | 'vip.drop'; value: number }
  /** The `.view()` CollectionSchema of the root. */
  | { k: 'crowd'; what: 'add' | 'delete' | 'x' | 'clear'; at: number; value: number }
  | { k: 'add'; slot: number; target: Target; tag: number }
  | { k: 'remove'; slot: number; target: Target; tag: number }
  /** view.add then view.remove of one entity (or the other way round), in one patch. */
  | { k: 'flip'; slot: number; key: number; tagA: number; tagB: number; addFirst: boolean }
  /**
   * A client joins on view `slot` (a new view, filled with `adds`, or the slot's view, shared; slot
   * NO_VIEW: no view) and gets the full state, or with `later` when it confirms (op 'confirm').
   */
  | { k: 'join'; slot: number; adds: { key: number; tag: number }[]; later?: boolean }
  /**
   * The first client still joining gets its full state and is in (Colyseus sends the full state
   * when the client confirms its join; the patches before skip it, its view's changes pending).
   */
  | { k: 'confirm' }
  /** A client's decoder starts again from a full state (a reconnection). */
  | { k: 'reconnect'; client: number }
  /** view.subscribe / view.unsubscribe of a collection (its new elements become visible to the view). */
  | { k: 'subscribe'; slot: number; target: Target; on: boolean }
  /** view.clear() of an iterable view (views of slot ITERABLE_SLOT). */
  | { k: 'clear'; slot: number }
  /**
   * The room disposes the view of `slot` while clients still use it (a misuse the docs warn about:
   * its clients keep being encoded with it); the slot gets a new view at the next join.
   */
  | { k: 'orphan'; slot: number }
  /** Clients leave together; a view no client uses any more is disposed. */
  | { k: 'leave'; clients: number[] }
  | { k: 'patch' }
  | { k: 'unreliable' }

/** Entity keys, view slots and list length the script draws from. */
export const KEYS = 8
export const SLOTS = 4
export const LIST_MAX = 12
/** The slot whose views are iterable (`new StateView(true)`: `items`, `clear()`). */
export const ITERABLE_SLOT = 3
/** Clients in a room at most (a join past it is skipped): a few share each view. */
export const MAX_CLIENTS = 10
/** The join slot of a client without a view. */
export const NO_VIEW = SLOTS
const ADD_TAGS = [NO_TAG, NO_TAG, MOTION, DETAIL, CUSTOM, SUB, MOTION | DETAIL, MOTION | CUSTOM, MOTION | DETAIL | CUSTOM, DETAIL | SUB]
const REMOVE_TAGS = [NO_TAG, NO_TAG, MOTION, DETAIL, CUSTOM, SUB, MOTION | DETAIL]

/** mulberry32: a small seeded generator, so that a seed names its script. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

/** A seed's script of `n` operations (patches among them). */
export function generate(seed: number, n: number): Op[] {
  const rnd = createRandom(seed)
  const int = (m: number): number => Math.floor(rnd() * m)
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!
  const target = (): Target => {
    const r = int(20)
    if (r < 10) return { t: 'entity', key: int(KEYS) }
    if (r < 13) return { t: 'unit', at: int(LIST_MAX) }
    if (r === 13) return { t: 'part', key: int(KEYS) }
    if (r === 14) return { t: 'gear', key: int(KEYS) }
    if (r === 15) return { t: 'stats', key: int(KEYS) }
    if (r === 16) return { t: 'bag', key: int(KEYS) }
    if (r === 17) return { t: 'bagItem', key: int(KEYS), at: int(4) }
    if (r === 18) return pick<Target>([{ t: 'list' }, { t: 'open', key: int(KEYS) }, { t: 'crowd' }, { t: 'crowdItem', at: int(4) }, { t: 'crowdItem', at: int(4) }, { t: 'vip' }, { t: 'flags', key: int(KEYS) }])
    const r2 = rnd()
    return r2 < 0.2 ? { t: 'root' } : r2 < 0.3 ? { t: 'gone' } : { t: 'entity', key: int(KEYS) }
  }
  // weights: a script is mostly state and view edits, a patch every ~6 operations; each entry is
  // also a state edit (S), a view edit (V), a client coming or going (C) or a patch (P), which the
  // script's phases weigh up or down
  const table: [number, 'S' | 'V' | 'C' | 'P', () => Op][] = [
    [6, 'S', () => ({ k: 'spawn', key: int(KEYS), kind: pick([0, 0, 0, 1, 2] as Kind[]), fill: int(32) })],
    [3, 'S', () => ({ k: 'despawn', key: int(KEYS) })],
    [2, 'S', () => ({ k: 'replace', key: int(KEYS), kind: pick([0, 0, 1, 2] as Kind[]), fill: int(32), viaDelete: rnd() < 0.5 })],
    [1, 'S', () => ({ k: 'move', key: int(KEYS), to: int(KEYS) })],
    [14, 'S', () => ({ k: 'set', key: int(KEYS), field: rnd() < 0.8 ? pick(ENTITY_NAMES) : pick(FIELD_NAMES), value: int(1000) })],
    [12, 'S', () => ({ k: 'nested', key: int(KEYS), what: pick(NESTED), at: int(4), value: int(256) })],
    [6, 'S', () => ({ k: 'list', what: rnd() < 0.03 ? 'clear' : pick(LIST_OPS), at: int(LIST_MAX), value: int(256) })],
    [0.5, 'S', () => ({ k: 'adopt', key: int(KEYS), at: int(4) })],
    [3, 'S', () => ({ k: 'open', what: pick(['spawn', 'spawn', 'despawn', 'set'] as const), key: int(4), value: int(256) })],
    [2, 'S', () => ({ k: 'root', field: pick(['tick', 'motd', 'hidden', 'vip.new', 'vip.x', 'vip.x', 'vip.drop'] as const), value: int(1000) })],
    [2, 'S', () => ({ k: 'crowd', what: pick(['add', 'add', 'delete', 'x', 'x', 'clear'] as const), at: int(4), value: int(256) })],
    [12, 'V', () => ({ k: 'add', slot: int(SLOTS), target: target(), tag: pick(ADD_TAGS) })],
    [6, 'V', () => ({ k: 'remove', slot: int(SLOTS), target: target(), tag: pick(REMOVE_TAGS) })],
    [2, 'V', () => ({ k: 'flip', slot: int(SLOTS), key: int(KEYS), tagA: pick(ADD_TAGS), tagB: pick(REMOVE_TAGS), addFirst: rnd() < 0.7 })],
    [3, 'C', () => ({ k: 'join', slot: int(SLOTS + 1), adds: [...Array(int(4)).keys()].map(() => ({ key: int(KEYS), tag: pick(ADD_TAGS) })), later: rnd() < 0.3 })],
    [1, 'C', () => ({ k: 'confirm' })],
    [1, 'V', () => ({ k: 'subscribe', slot: int(SLOTS), target: pick([{ t: 'list' }, { t: 'bag', key: int(KEYS) }, { t: 'entities' }, { t: 'crowd' }] as Target[]), on: rnd() < 0.7 })],
    [0.5, 'V', () => ({ k: 'clear', slot: ITERABLE_SLOT })],
    [1, 'C', () => ({ k: 'reconnect', client: int(8) })],
    [0.3, 'C', () => ({ k: 'orphan', slot: int(SLOTS) })],
    [2, 'C', () => ({ k: 'leave', clients: rnd() < 0.8 ? [int(8)] : [int(8), int(8), int(8)] })],
    [12, 'P', () => ({ k: 'patch' })],
    [1, 'P', () => ({ k: 'unreliable' })],
  ]
  // phases of 20 to 80 operations: everything; views only (patches with view changes alone); churn
  // (entities and clients come and go); patches after nearly every edit
  const phases: Record<string, number>[] = [
    { S: 1, V: 1, C: 1, P: 1 },
    { S: 0, V: 2, C: 0.3, P: 1.5 },
    { S: 2, V: 1, C: 2, P: 1 },
    { S: 1, V: 1, C: 1, P: 5 },
  ]
  const ops: Op[] = []
  // every script starts with clients in the room
  ops.push({ k: 'join', slot: 0, adds: [] }, { k: 'join', slot: 1, adds: [] })
  while (ops.length < n) {
    const phase = ops.length < 20 ? phases[0]! : pick(phases)
    const total = table.reduce((s, [w, c]) => s + w * phase[c]!, 0)
    for (let end = ops.length + 20 + int(60); ops.length < Math.min(end, n); ) {
      let r = rnd() * total
      for (const [w, c, make] of table) {
        r -= w * phase[c]!
        if (r < 0) {
          ops.push(make())
          break
        }
      }
    }
  }
  ops.push({ k: 'patch' })
  return ops
}
