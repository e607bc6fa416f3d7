import type { StateView } from '@colyseus/schema'
import type { Room } from './differential-room'
import { Boss, BOSS_ONLY, ENTITY_FIELDS, FIELD_TYPES, GHOST_ONLY, Ghost, KINDS, Leaf, NO_TAG, Unit, valueOf, type Entity, type Kind, type State } from './differential-schema'
import { LIST_MAX, type Op, type Target } from './differential-script'

/*
 * Owns: the script's edits of a room's state and views in the view-encoding differential test
 * (differential.test.ts), each applied the same way to the hooked room and the reference one.
 */

/** A new entity of class `kind`; the bits of `fill` say which children and collections start filled. */
function newEntity(kind: Kind, key: number, fill: number): Entity {
  const e = new KINDS[kind]() as Entity
  e.id = key
  e.name = `e${key}`
  if (fill & 1) e.part = Object.assign(new Leaf(), { v: fill })
  if (fill & 2) e.gear = Object.assign(new Leaf(), { w: fill })
  if (fill & 4) e.stats.set('a', fill)
  if (fill & 8) e.bag.push(newUnit(fill))
  if (fill & 16) e.notes.push(`n${fill}`)
  if (kind === 1 && fill & 1) (e as InstanceType<typeof Boss>).crest = new Leaf()
  return e
}

/** A new array element, with its child. */
function newUnit(v: number): Unit {
  const u = new Unit()
  u.n = v
  u.leaf = Object.assign(new Leaf(), { v })
  return u
}

const kindOf = (e: Entity): Kind => (e instanceof Boss ? 1 : e instanceof Ghost ? 2 : 0)
/** True when `e`'s class has the field the script names (the subclasses' own fields included). */
const hasField = (e: Entity, field: string): boolean =>
  field in ENTITY_FIELDS || (field in BOSS_ONLY && kindOf(e) === 1) || (field in GHOST_ONLY && kindOf(e) === 2)

/** The object a view operation names in this room, or undefined when there is none now. */
function resolve(room: Room, target: Target): object | undefined {
  const s = room.state
  switch (target.t) {
    case 'entity':
      return s.entities.get(String(target.key))
    case 'part':
    case 'gear':
      return s.entities.get(String(target.key))?.[target.t] ?? undefined
    case 'stats':
    case 'bag':
      return s.entities.get(String(target.key))?.[target.t]
    case 'bagItem': {
      const bag = s.entities.get(String(target.key))?.bag
      return bag === undefined || bag.length === 0 ? undefined : bag[target.at % bag.length]
    }
    case 'unit':
      return s.list.length === 0 ? undefined : s.list[target.at % s.list.length]
    case 'list':
      return s.list
    case 'entities':
      return s.entities
    case 'open':
      return s.open.get(String(target.key))
    case 'root':
      return s
    case 'gone':
      return room.gone
    case 'crowd':
      return s.crowd
    case 'vip':
      return s.vip ?? undefined
    case 'crowdItem': {
      const items = s.crowd.toArray()
      return items.length === 0 ? undefined : items[target.at % items.length]
    }
    case 'flags':
      return s.entities.get(String(target.key))?.flags
  }
}

/** view.add / view.remove with the tag, or without one (NO_TAG). */
export const callAdd = (view: StateView, obj: object, tag: number): unknown => (tag === NO_TAG ? view.add(obj as never) : view.add(obj as never, tag))
const callRemove = (view: StateView, obj: object, tag: number): unknown => (tag === NO_TAG ? view.remove(obj as never) : view.remove(obj as never, tag))

/**
 * Applies one state or view operation. Returns false when it does not apply to the room as it is
 * (the same on both sides: their states are equal).
 */
export function applyEdit(room: Room, op: Op): boolean {
  const s = room.state
  switch (op.k) {
    case 'spawn': {
      if (s.entities.has(String(op.key))) return false
      s.entities.set(String(op.key), newEntity(op.kind, op.key, op.fill))
      return true
    }
    case 'despawn':
      room.gone = s.entities.get(String(op.key)) ?? room.gone
      return s.entities.delete(String(op.key))
    case 'replace': {
      if (!s.entities.has(String(op.key))) return false
      room.gone = s.entities.get(String(op.key))
      if (op.viaDelete) s.entities.delete(String(op.key))
      s.entities.set(String(op.key), newEntity(op.kind, op.key, op.fill))
      return true
    }
    case 'move': {
      const e = s.entities.get(String(op.key))
      // to the same key: out of the map and back in, one instance
      if (e === undefined || (op.key !== op.to && s.entities.has(String(op.to)))) return false
      s.entities.delete(String(op.key))
      s.entities.set(String(op.to), e)
      return true
    }
    case 'set': {
      const e = s.entities.get(String(op.key))
      if (e === undefined || !hasField(e, op.field)) return false
      ;(e as unknown as Record<string, unknown>)[op.field] = valueOf(FIELD_TYPES[op.field]!, op.value)
      return true
    }
    case 'nested':
      return applyNested(s, op)
    case 'list':
      return applyList(s, op)
    case 'open': {
      const key = String(op.key)
      if (op.what === 'spawn') {
        if (s.open.has(key)) return false
        s.open.set(key, newUnit(op.value))
        return true
      }
      if (op.what === 'despawn') return s.open.delete(key)
      const u = s.open.get(key)
      if (u === undefined) return false
      u.x = op.value
      u.s = `o${op.value % 3}`
      return true
    }
    case 'root':
      if (op.field === 'tick') s.tick = op.value
      else if (op.field === 'motd') s.motd = `m${op.value % 4}`
      else if (op.field === 'hidden') s.hidden = op.value % 256
      else if (op.field === 'vip.new') s.vip = newUnit(op.value % 256)
      else if (op.field === 'vip.drop') {
        if (s.vip === undefined || s.vip === null) return false
        ;(s as unknown as Record<string, unknown>).vip = undefined
      } else {
        if (s.vip === undefined || s.vip === null) return false
        s.vip.x = op.value
      }
      return true
    case 'adopt': {
      const bag = s.entities.get(String(op.key))?.bag
      if (bag === undefined || bag.length === 0 || s.list.length >= LIST_MAX) return false
      const u = bag[op.at % bag.length]!
      if (s.list.includes(u)) return false
      s.list.push(u)
      return true
    }
    case 'crowd': {
      const c = s.crowd
      const items = c.toArray()
      if (op.what === 'add') {
        if (c.size >= 4) return false
        c.add(newUnit(op.value))
        return true
      }
      if (items.length === 0) return false
      const u = items[op.at % items.length]!
      if (op.what === 'delete') c.delete(u)
      else if (op.what === 'x') u.x = op.value
      else c.clear()
      return true
    }
    case 'add':
    case 'remove': {
      const view = room.views[op.slot]
      const obj = resolve(room, op.target)
      if (view === undefined || obj === undefined) return false
      if (op.k === 'add') callAdd(view, obj, op.tag)
      else callRemove(view, obj, op.tag)
      return true
    }
    case 'subscribe': {
      const view = room.views[op.slot]
      const obj = resolve(room, op.target)
      if (view === undefined || obj === undefined) return false
      if (op.on) view.subscribe(obj as never)
      else view.unsubscribe(obj as never)
      return true
    }
    case 'clear': {
      const view = room.views[op.slot]
      if (view === undefined || !view.iterable) return false
      view.clear()
      return true
    }
    case 'flip': {
      const view = room.views[op.slot]
      const e = s.entities.get(String(op.key))
      if (view === undefined || e === undefined) return false
      if (op.addFirst) {
        callAdd(view, e, op.tagA)
        callRemove(view, e, op.tagB)
      } else {
        callRemove(view, e, op.tagB)
        callAdd(view, e, op.tagA)
      }
      return true
    }
    default:
      throw new Error(`not an edit: ${op.k}`)
  }
}

function applyNested(s: State, op: Extract<Op, { k: 'nested' }>): boolean {
  const e = s.entities.get(String(op.key))
  if (e === undefined) return false
  const v = op.value
  switch (op.what) {
    case 'part.v':
    case 'part.w':
    case 'gear.v':
    case 'gear.w': {
      const field = op.what.startsWith('part') ? 'part' : 'gear'
      let leaf = e[field] as Leaf | undefined
      if (leaf === undefined || leaf === null) leaf = e[field] = new Leaf()
      if (op.what.endsWith('.v')) leaf.v = v
      else leaf.w = v
      return true
    }
    case 'part.new':
      e.part = Object.assign(new Leaf(), { v })
      return true
    case 'gear.new':
      e.gear = Object.assign(new Leaf(), { w: v })
      return true
    case 'part.drop':
    case 'gear.drop': {
      const field = op.what === 'part.drop' ? 'part' : 'gear'
      if (e[field] === undefined || e[field] === null) return false
      ;(e as unknown as Record<string, unknown>)[field] = undefined
      return true
    }
    case 'crest.v':
    case 'crest.new': {
      if (kindOf(e) !== 1) return false
      const b = e as InstanceType<typeof Boss>
      if (op.what === 'crest.new' || b.crest === undefined || b.crest === null) b.crest = new Leaf()
      b.crest.v = v
      return true
    }
    case 'stats.set':
      e.stats.set(`k${v % 4}`, v)
      return true
    case 'stats.delete':
      return e.stats.delete(`k${v % 4}`)
    case 'stats.clear':
      if (e.stats.size === 0) return false
      e.stats.clear()
      return true
    case 'bag.push':
      if (e.bag.length >= 5) return false
      e.bag.push(newUnit(v))
      return true
    case 'bag.splice':
      if (e.bag.length === 0) return false
      e.bag.splice(op.at % e.bag.length, 1)
      return true
    case 'bag.x':
    case 'bag.leaf': {
      if (e.bag.length === 0) return false
      const u = e.bag[op.at % e.bag.length]!
      if (op.what === 'bag.x') u.x = v
      else u.leaf.v = v
      return true
    }
    case 'bag.replace':
      if (e.bag.length === 0) return false
      e.bag[op.at % e.bag.length] = newUnit(v)
      return true
    case 'bag.clear':
      if (e.bag.length === 0) return false
      e.bag.clear()
      return true
    case 'notes.push':
      if (e.notes.length >= 5) return false
      e.notes.push(`n${v % 7}`)
      return true
    case 'notes.pop':
      if (e.notes.length === 0) return false
      e.notes.pop()
      return true
    case 'notes.set':
      if (e.notes.length === 0) return false
      e.notes[op.at % e.notes.length] = `n${v % 7}`
      return true
    case 'flags.add':
      if (e.flags.has(`f${v % 3}`)) return false
      e.flags.add(`f${v % 3}`)
      return true
    case 'flags.delete':
      return e.flags.delete(`f${v % 3}`)
  }
}

function applyList(s: State, op: Extract<Op, { k: 'list' }>): boolean {
  const l = s.list
  const v = op.value
  const at = l.length === 0 ? 0 : op.at % l.length
  switch (op.what) {
    case 'push':
    case 'unshift':
      if (l.length >= LIST_MAX) return false
      if (op.what === 'push') l.push(newUnit(v))
      else l.unshift(newUnit(v))
      return true
    case 'splice':
      if (l.length === 0) return false
      l.splice(at, 1 + (v % 2))
      return true
    case 'pop':
    case 'shift':
      if (l.length === 0) return false
      if (op.what === 'pop') l.pop()
      else l.shift()
      return true
    case 'replace':
      if (l.length === 0) return false
      l[at] = newUnit(v)
      return true
    case 'n':
    case 'x':
    case 's':
    case 'leaf': {
      if (l.length === 0) return false
      const u = l[at]!
      if (op.what === 'n') u.n = v
      else if (op.what === 'x') u.x = v
      else if (op.what === 's') u.s = `u${v % 3}`
      else u.leaf.v = v
      return true
    }
    case 'clear':
      if (l.length === 0) return false
      l.clear()
      return true
  }
}
