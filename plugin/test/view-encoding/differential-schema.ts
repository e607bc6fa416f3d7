import { schema, t } from '@colyseus/schema'
import { AttentionTags } from '../../src/sync/options'

/*
 * Owns: the state schema of the view-encoding differential test (differential.test.ts): every
 * kind of field and collection the hook tells apart, and the tables the script sets fields by.
 */

/** The attention plugin's tags, and a custom one of the game's own. */
export const MOTION = AttentionTags.Motion
export const DETAIL = AttentionTags.Detail
export const CUSTOM = 4
/**
 * The tag of the subclasses' own tagged fields: a bit the base class does not use. schema 5.0.34
 * shares the base class's per-tag field lists (`$fieldIndexesByViewTag`) with a subclass made by
 * `.extend()`, so a subclass field tagged with a bit the base class uses lands in the base
 * class's list too: `view.add(baseInstance, thatTag)` then queues a field the base class does not
 * have, and schema's own `encodeView` throws on it. Not the hook's to fix; kept out of the script.
 */
export const SUB = 8
/** No tag argument: view.add(obj) / view.remove(obj). */
export const NO_TAG = -1

/** A small class (at most 8 fields: packed ops), with a tagged field inside a child. */
export const Leaf = schema({ v: t.uint8().default(0), w: t.uint8().default(0).view(DETAIL) }, 'VeDiffLeaf')
/** An array element. */
export const Unit = schema(
  {
    n: t.uint8().default(0),
    x: t.int16().default(0).view(MOTION),
    s: t.string().default('').view(CUSTOM),
    leaf: Leaf,
  },
  'VeDiffUnit',
)
/** The entity: more than 8 fields (an ops array). */
export const Entity = schema(
  {
    id: t.uint16().default(0),
    name: t.string().default(''),
    x: t.float32().default(0).view(MOTION),
    y: t.float32().default(0).view(MOTION),
    hp: t.uint8().default(100).view(DETAIL),
    mana: t.uint8().default(0).view(CUSTOM),
    combo: t.uint8().default(0).view(MOTION | CUSTOM),
    secret: t.uint8().default(0).view(),
    vel: t.float32().default(0).unreliable(),
    aim: t.float32().default(0).view(MOTION).unreliable(),
    part: Leaf,
    gear: t.ref(Leaf).view(DETAIL),
    stats: t.map('uint8'),
    bag: t.array(Unit),
    notes: t.array('string'),
    flags: t.set('string'),
  },
  'VeDiffEntity',
)
const BOSS_FIELDS = 20
/** b0..b19, every third one tagged SUB. */
const bossFields = (): Record<string, ReturnType<typeof t.uint8>> => {
  const out: Record<string, ReturnType<typeof t.uint8>> = {}
  for (let i = 0; i < BOSS_FIELDS; i++) {
    const f = t.uint8().default(0)
    out[`b${i}`] = i % 3 === 1 ? f.view(SUB) : f
  }
  return out
}
/** A subclass past 32 fields (the high dirty word). */
export const Boss = Entity.extend({ ...bossFields(), crest: t.ref(Leaf).view(SUB) }, 'VeDiffBoss')
/** A subclass with full-state-only and patch-only fields (not a plain tree for the direct pass). */
export const Ghost = Entity.extend(
  {
    lore: t.string().default('').fullStateOnly(),
    ping: t.uint8().default(0).patchOnly().view(SUB),
    echo: t.uint8().default(0).view(SUB),
  },
  'VeDiffGhost',
)
/** The room's state: tagged root fields, filtered map, array, collection and child, and an unfiltered map. */
export const State = schema(
  {
    tick: t.uint16().default(0),
    motd: t.string().default('').view(),
    hidden: t.uint8().default(0).view(DETAIL),
    entities: t.map(Entity).view(),
    list: t.array(Unit).view(),
    // unfiltered: its elements' tagged fields go only to views that add an element
    open: t.map(Unit),
    crowd: t.collection(Unit).view(),
    vip: t.ref(Unit).view(),
  },
  'VeDiffState',
)
export type State = InstanceType<typeof State>
export type Entity = InstanceType<typeof Entity>
export type Leaf = InstanceType<typeof Leaf>
export type Unit = InstanceType<typeof Unit>

/** An entity's class: Entity, Boss or Ghost. */
export type Kind = 0 | 1 | 2
export const KINDS = [Entity, Boss, Ghost] as const

/** The primitive fields the script sets by name, and how a drawn number becomes a value of each. */
export type FieldType = 'u8' | 'u16' | 'f32' | 'str'
export const ENTITY_FIELDS: Record<string, FieldType> = {
  id: 'u16',
  name: 'str',
  x: 'f32',
  y: 'f32',
  hp: 'u8',
  mana: 'u8',
  combo: 'u8',
  secret: 'u8',
  vel: 'f32',
  aim: 'f32',
}
export const BOSS_ONLY: Record<string, FieldType> = Object.fromEntries([...Array(BOSS_FIELDS).keys()].map((i) => [`b${i}`, 'u8' as FieldType]))
export const GHOST_ONLY: Record<string, FieldType> = { lore: 'str', ping: 'u8', echo: 'u8' }
export const FIELD_TYPES: Record<string, FieldType> = { ...ENTITY_FIELDS, ...BOSS_ONLY, ...GHOST_ONLY }
export const FIELD_NAMES = Object.keys(FIELD_TYPES)
export const ENTITY_NAMES = Object.keys(ENTITY_FIELDS)

export const valueOf = (type: FieldType, v: number): number | string =>
  type === 'str' ? `s${v % 5}` : type === 'f32' ? (v % 512) / 4 : type === 'u16' ? v % 65536 : v % 256
