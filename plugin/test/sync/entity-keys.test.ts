import { describe, expect, it } from 'vitest'
import { createEntityKeys, ENTITY_KEY_LENGTH } from '../../src/index'
import { speckEncrypt, speckRoundKeys } from '../../src/sync/entity-keys'

const KEY = new RegExp(`^[0-9A-Za-z_-]{${ENTITY_KEY_LENGTH}}$`)
/** Share of neighbours in `list` in increasing order: about 0.5 for keys in no order, 1 for keys that follow their ids. */
const rising = (list: string[]): number => {
  let up = 0
  for (let i = 1; i < list.length; i++) if (list[i - 1]! < list[i]!) up++
  return up / (list.length - 1)
}

describe('createEntityKeys', () => {
  it('should encrypt the published Speck32/64 test vector', () => {
    // key 1918 1110 0908 0100, plaintext 6574 694c, ciphertext a868 42f2 (the Speck paper)
    const rk = speckRoundKeys(0x0100, 0x0908, 0x1110, 0x1918)
    expect(speckEncrypt(rk, 0x6574, 0x694c).toString(16)).toBe('a86842f2')
  })

  it('should give out fresh fixed-length keys in no order, never one twice', () => {
    const keys = createEntityKeys()
    const given: string[] = []
    for (let i = 0; i < 100_000; i++) given.push(keys.next())
    expect(new Set(given).size).toBe(given.length)
    expect(given.every((k) => KEY.test(k))).toBe(true)
    // spawns in a row give keys in no order: as many rises as falls, and no number among them
    expect(rising(given)).toBeGreaterThan(0.48)
    expect(rising(given)).toBeLessThan(0.52)
    // next() walks the ids from 0: the key of a spawn is the key of its serial
    expect(keys.of(6)).toBe(given[6])
  })

  it('should make the same keys from the same secret, and others from another', () => {
    const a = createEntityKeys('0123456789abcdef')
    const b = createEntityKeys('0123456789abcdef')
    const c = createEntityKeys()
    expect(a.secret).toBe('0123456789abcdef')
    expect(c.secret).toMatch(/^[0-9a-f]{16}$/)
    expect(createEntityKeys(c.secret).of(77)).toBe(c.of(77))
    const ids = Array.from({ length: 1000 }, (_, i) => i * 7919 + 3)
    expect(ids.map((id) => a.of(id))).toEqual(ids.map((id) => b.of(id)))
    expect(ids.filter((id) => a.of(id) === c.of(id)).length).toBeLessThan(2)
    // the whole 32-bit range: a zoned world's global ids reach its top
    expect(a.of(2 ** 32 - 1)).toMatch(KEY)
    expect(a.of(2 ** 32 - 1)).not.toBe(a.of(0))
  })

  it('should refuse a malformed secret or id, naming what it got', () => {
    expect(() => createEntityKeys('not a secret')).toThrow('createEntityKeys: secret must be 16 lowercase hex digits (e.g. from `openssl rand -hex 8`); got 12 characters')
    expect(() => createEntityKeys('0123456789ABCDEF')).toThrow(/16 lowercase hex digits/)
    expect(() => createEntityKeys(42 as unknown as string)).toThrow(/got number/)
    const keys = createEntityKeys()
    expect(() => keys.of(-1)).toThrow('EntityKeys.of(id): id must be an integer in [0, 4294967295]; got -1')
    expect(() => keys.of(2 ** 32)).toThrow(/got 4294967296/)
    expect(() => keys.of(1.5)).toThrow(/got 1.5/)
  })
})
