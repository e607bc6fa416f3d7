import { describe, expect, it } from 'vitest'
import { joinArena, NO_HANDLER, type ArenaInfo } from '../../src/net/join-arena'

type Fake = Parameters<typeof joinArena>[0]

/** A client whose joinOrCreate fails with `err` (or succeeds), recording the calls. */
function fake(err: unknown): { client: Fake; calls: string[] } {
  const calls: string[] = []
  const client = {
    joinOrCreate: async (name: string) => {
      calls.push(`joinOrCreate ${name}`)
      if (err !== null) throw err
      return 'created-or-joined'
    },
    join: async (name: string) => {
      calls.push(`join ${name}`)
      return 'joined'
    },
  } as unknown as Fake
  return { client, calls }
}

const says = (zoned: boolean) => async (): Promise<ArenaInfo> => ({ zoned })
const silent = async (): Promise<ArenaInfo> => {
  throw new Error('404')
}

describe('joinArena', () => {
  it('should joinOrCreate on a one-room server', async () => {
    const { client, calls } = fake(null)
    expect(await joinArena(client, says(false))).toBe('created-or-joined')
    expect(calls).toEqual(['joinOrCreate arena'])
  })
  it('should only join on a zoned server, which creates its rooms itself', async () => {
    const { client, calls } = fake(null)
    expect(await joinArena(client, says(true))).toBe('joined')
    expect(calls).toEqual(['join arena'])
  })
  it('should join when a server that did not say refuses joinOrCreate', async () => {
    const { client, calls } = fake(Object.assign(new Error('invalid method "joinOrCreate"'), { code: NO_HANDLER }))
    expect(await joinArena(client, silent)).toBe('joined')
    expect(calls).toEqual(['joinOrCreate arena', 'join arena'])
  })
  it('should pass on any other failure', async () => {
    const { client, calls } = fake(Object.assign(new Error('arena option zone must be an integer'), { code: 400 }))
    await expect(joinArena(client, says(false))).rejects.toThrow('arena option zone must be an integer')
    expect(calls).toEqual(['joinOrCreate arena'])
  })
})
