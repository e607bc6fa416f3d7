import { randomBytes } from 'node:crypto'
import type { Presence } from '@colyseus/core'

/**
 * Server -> client `handover` message (zoned world): the player crossed into zone `zone`; join that
 * zone's room with `{ zone, resume: key, resumeToken: token }`, then leave this one.
 *
 * `key` is the player's replication key: public, every client near the player holds it. `token` is
 * what makes the new room give the player to the joining client: random, sent to this client only,
 * valid once and for {@link HANDOVER_TOKEN_TTL_S} seconds.
 */
export interface HandoverMessage {
  zone: number
  key: string
  token: string
}

/** How long a handover token stays valid, in seconds (the new room waits 10 s for its player's client). */
export const HANDOVER_TOKEN_TTL_S = 30

/** 16 random bytes in hex. */
const TOKEN = /^[0-9a-f]{32}$/

/** Where the presence keeps the token of the player with replication key `key`. */
const tokenKey = (key: string): string => `arena:handover:${key}`

/** True for a string shaped like a handover token (which says nothing about whether it is valid). */
export const isHandoverToken = (v: unknown): v is string => typeof v === 'string' && TOKEN.test(v)

/**
 * Makes the handover token of the player with replication key `key` (its old room calls it when
 * it hands the player over) and keeps it in the presence, shared by every process (Redis) or local
 * to the one. A token made earlier for the same key is void from then on.
 *
 * The token is the one field of a hash that expires as a whole: the local presence expires a hash
 * only through `hincrbyex`, and `hdel` lets {@link consumeHandoverToken} check and spend it in one
 * atomic step.
 */
export async function issueHandoverToken(presence: Presence, key: string): Promise<string> {
  const token = randomBytes(16).toString('hex')
  const where = tokenKey(key)
  await presence.del(where)
  await presence.hincrbyex(where, token, 1, HANDOVER_TOKEN_TTL_S)
  return token
}

/**
 * True while `token` is the valid, unspent handover token of the player with key `key` (checked at
 * matchmaking, so that a wrong token gets no seat; the room spends it with
 * {@link consumeHandoverToken}).
 */
export async function handoverTokenValid(presence: Presence, key: string, token: unknown): Promise<boolean> {
  if (!isHandoverToken(token)) return false
  const held = await presence.hget(tokenKey(key), token)
  return held !== null && held !== undefined
}

/**
 * Spends the handover token of the player with key `key`: true only for the token its old room made
 * last, not expired and not spent yet (so at most once); false for anything else, a missing or
 * malformed token included. A wrong token leaves the right one valid.
 */
export async function consumeHandoverToken(presence: Presence, key: string, token: unknown): Promise<boolean> {
  if (!isHandoverToken(token)) return false
  return await presence.hdel(tokenKey(key), token)
}
