import type { Client, Room } from '@colyseus/sdk'
import type { SyncedState } from './synced-types'

/** Colyseus's matchmaking error for a method the server does not offer clients (ErrorCode.MATCHMAKE_NO_HANDLER). */
export const NO_HANDLER = 520

/** What the example server's `GET /arena-info` says. */
export interface ArenaInfo {
  /** A zoned world: its zone rooms are the server's to create, and clients may only join. */
  zoned: boolean
}

/**
 * Joins the arena as the page does at start. A one-room server gets `joinOrCreate` (the first
 * visitor creates the room). A zoned server offers clients no method that creates rooms (its zone
 * rooms are the server's, one per zone), so there the page joins any zone room. Which one it is,
 * the server says at `GET /arena-info` (asked first, so that the page makes no request the server
 * refuses); a server without that route is taken for a one-room one, and a refused `joinOrCreate`
 * (code 520) still ends in a join.
 * @param client - the SDK client
 * @param info - fetches the server's `/arena-info`
 */
export async function joinArena(client: Pick<Client, 'join' | 'joinOrCreate'>, info: () => Promise<ArenaInfo>): Promise<Room<unknown, SyncedState>> {
  let zoned = false
  try {
    zoned = (await info()).zoned === true
  } catch {
    // an older server, or one that does not say: try joinOrCreate
  }
  if (zoned) return await client.join<SyncedState>('arena')
  try {
    return await client.joinOrCreate<SyncedState>('arena')
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== NO_HANDLER) throw err
    return await client.join<SyncedState>('arena')
  }
}

/**
 * Fetches `GET <http>/arena-info` of the server at HTTP base `http`.
 * @param http - the server's HTTP base (see `resolveEndpoint`)
 */
export async function fetchArenaInfo(http: string): Promise<ArenaInfo> {
  const res = await fetch(`${http}/arena-info`)
  if (!res.ok) throw new Error(`${http}/arena-info: ${res.status}`)
  return (await res.json()) as ArenaInfo
}
