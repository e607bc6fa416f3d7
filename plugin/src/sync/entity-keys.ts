/*
 * Owns: opaque replication keys, the public names a game gives its entities in the state's
 * `.view()` collection.
 *
 * A key goes to every client holding the entity, and keys that count (an entity id, a spawn
 * serial) tell a client what it may not see: holding keys 40 and 43, it knows that two entities
 * it was not sent, hidden or of another team, spawned in between, and when. Here a key is a 32-bit
 * id through a keyed permutation, Speck32/64 (a block cipher: distinct ids give distinct keys, and
 * without the secret a key says nothing of its id or of the order of spawns), written as 6
 * URL-safe characters, always 6.
 */

/** Rounds of Speck32/64. */
const ROUNDS = 22
/** The characters of a key: 6 of them hold 36 bits, room for the 32-bit cipher output. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_'
/** Length of every key (fixed, so that its length says nothing either). */
export const ENTITY_KEY_LENGTH = 6
/** A secret: 64 bits as 16 lowercase hex digits. */
const SECRET = /^[0-9a-f]{16}$/
/** Ids a key set gives out with {@link EntityKeys.next} before it refuses (the cipher's 32-bit block). */
const SERIALS = 2 ** 32

const ror = (v: number, r: number): number => ((v >>> r) | (v << (16 - r))) & 0xffff
const rol = (v: number, r: number): number => ((v << r) | (v >>> (16 - r))) & 0xffff

/**
 * Speck32/64's round keys for a 64-bit key given as its four 16-bit words, k0 (lowest) first.
 * @returns the 22 round keys.
 * @internal
 */
export function speckRoundKeys(k0: number, l0: number, l1: number, l2: number): Uint16Array {
  const rk = new Uint16Array(ROUNDS)
  const l = [l0, l1, l2]
  rk[0] = k0
  for (let i = 0; i < ROUNDS - 1; i++) {
    const next = ((rk[i]! + ror(l[i]!, 7)) & 0xffff) ^ i
    l.push(next)
    rk[i + 1] = rol(rk[i]!, 2) ^ next
  }
  return rk
}

/**
 * Encrypts the block (x, y) of two 16-bit words with Speck32/64.
 * @returns the cipher block as one 32-bit unsigned number, x in the high half.
 * @internal
 */
export function speckEncrypt(rk: Uint16Array, x: number, y: number): number {
  for (let i = 0; i < ROUNDS; i++) {
    x = ((ror(x, 7) + y) & 0xffff) ^ rk[i]!
    y = rol(y, 2) ^ x
  }
  return ((x << 16) | y) >>> 0
}

/** Opaque replication keys made with one secret (see {@link createEntityKeys}). */
export interface EntityKeys {
  /**
   * A key no call of `next()` on these keys gave before: the key of a new entity (a spawn). Keys
   * are never reused, so a client holding a stale one cannot mistake a new entity for it.
   * @throws after 2^32 keys.
   */
  next(): string
  /**
   * The key of a 32-bit id: the same id and secret always give the same key, distinct ids
   * distinct keys. For ids that already are unique and stable, such as the global ids of a zoned
   * world (`BorderExchange.gidOf`), where every zone room must give an entity the same key: give
   * those rooms one secret. Do not mix `of()` and `next()` on one set of keys: they share the ids.
   */
  of(id: number): string
  /** The secret, to give other rooms or processes that must make the same keys. */
  readonly secret: string
}

/**
 * Creates opaque replication keys: key the entities of the state's `.view()` collection with them,
 * not with their entity ids, whose gaps tell a client how many entities it was not sent spawned.
 * @param secret - 16 lowercase hex digits (e.g. `openssl rand -hex 8`); by default a random one.
 * Rooms that must give an entity the same key (the zone rooms of one world) share it.
 * @returns the keys.
 * @example
 * const keys = createEntityKeys()
 * const key = keys.next()            // e.g. '2fQ-a9' (6 characters): store it with the entity
 * this.state.entities.set(key, instance)
 */
export function createEntityKeys(secret?: string | undefined): EntityKeys {
  if (secret !== undefined && (typeof secret !== 'string' || !SECRET.test(secret))) {
    const got = typeof secret === 'string' ? `${secret.length} characters` : typeof secret
    throw new RangeError(`createEntityKeys: secret must be 16 lowercase hex digits (e.g. from \`openssl rand -hex 8\`); got ${got}`)
  }
  const s = secret ?? randomSecret()
  const word = (i: number): number => parseInt(s.slice(12 - 4 * i, 16 - 4 * i), 16)
  const rk = speckRoundKeys(word(0), word(1), word(2), word(3))
  const of = (id: number): string => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= SERIALS) {
      throw new RangeError(`EntityKeys.of(id): id must be an integer in [0, ${SERIALS - 1}]; got ${String(id)}`)
    }
    let v = speckEncrypt(rk, id >>> 16, id & 0xffff)
    let key = ''
    for (let i = 0; i < ENTITY_KEY_LENGTH; i++) {
      key = ALPHABET[v & 63]! + key
      v = Math.floor(v / 64)
    }
    return key
  }
  let serial = 0
  return {
    next() {
      if (serial === SERIALS) throw new RangeError('EntityKeys.next(): these keys gave out all 2^32 of theirs; create new keys (another secret)')
      return of(serial++)
    },
    of,
    secret: s,
  }
}

/** 16 random lowercase hex digits (Web Crypto: Node 20+ and browsers). */
function randomSecret(): string {
  const b = new Uint8Array(8)
  globalThis.crypto.getRandomValues(b)
  let s = ''
  for (let i = 0; i < 8; i++) s += b[i]!.toString(16).padStart(2, '0')
  return s
}
