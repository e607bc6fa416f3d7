import { randomBytes } from 'node:crypto'

/**
 * Owns the arena's replication keys: the public name of each entity (its key in the state's
 * `entities` map, in `destroyed` and `attention` messages and in handovers).
 *
 * A key must tell a client nothing it may not see. Entity ids, spawn serials and zone global ids
 * all count every spawn, hidden and team-only ones included: a client holding keys 40 and 43
 * knows two entities it was not sent spawned between them, and when. So a key is a unique id
 * (a spawn serial, or a zone world's global id) through a keyed 32-bit permutation, Speck32/64: a
 * block cipher, so distinct ids give distinct keys, and without the secret a key says nothing of
 * its id or of the order of spawns. The secret is per room, or shared by every zone room of a
 * zoned world (an entity keeps its key across zones): startServer's `entityKeySecret`, the same in
 * every process, or one made at start when every zone room is in one process.
 */

/** Rounds of Speck32/64. */
const ROUNDS = 22
/** Characters of a key: 6 of them hold 36 bits, enough for the 32-bit cipher output. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_'
/** Length of every key (fixed, so that its length says nothing either). */
export const KEY_LENGTH = 6
/** A key secret: 64 bits as 16 hex digits. */
const SECRET = /^[0-9a-f]{16}$/

const ror = (v: number, r: number): number => ((v >>> r) | (v << (16 - r))) & 0xffff
const rol = (v: number, r: number): number => ((v << r) | (v >>> (16 - r))) & 0xffff

/** Makes a fresh random key secret. */
export const newKeySecret = (): string => randomBytes(8).toString('hex')

/** Whether `v` is a key secret (16 lowercase hex digits). */
export const isKeySecret = (v: unknown): v is string => typeof v === 'string' && SECRET.test(v)

/**
 * Speck32/64's round keys for a 64-bit key given as its four 16-bit words, k0 (lowest) first.
 * @returns the 22 round keys.
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
 */
export function speckEncrypt(rk: Uint16Array, x: number, y: number): number {
  for (let i = 0; i < ROUNDS; i++) {
    x = ((ror(x, 7) + y) & 0xffff) ^ rk[i]!
    y = rol(y, 2) ^ x
  }
  return ((x << 16) | y) >>> 0
}

/**
 * Creates the key function of a secret: the same id and secret always give the same key, distinct
 * ids (taken as 32-bit unsigned) distinct keys.
 * @param secret - 16 hex digits (see {@link newKeySecret}).
 * @returns `(id) => key`, a string of {@link KEY_LENGTH} URL-safe characters.
 * @example
 * const keyOf = createEntityKeys(newKeySecret())
 * keyOf(1) // e.g. 'c3Fq-a'
 */
export function createEntityKeys(secret: string): (id: number) => string {
  if (!isKeySecret(secret)) throw new RangeError('entity key secret must be 16 lowercase hex digits')
  const word = (i: number): number => parseInt(secret.slice(12 - 4 * i, 16 - 4 * i), 16)
  const rk = speckRoundKeys(word(0), word(1), word(2), word(3))
  return (id) => {
    const u = id >>> 0
    let v = speckEncrypt(rk, u >>> 16, u & 0xffff)
    let key = ''
    for (let i = 0; i < KEY_LENGTH; i++) {
      key = ALPHABET[v & 63]! + key
      v = Math.floor(v / 64)
    }
    return key
  }
}
