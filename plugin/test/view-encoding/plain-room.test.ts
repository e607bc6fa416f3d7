import { Room, type Client as ServerClient } from '@colyseus/core'
import { Encoder, schema, StateView, t } from '@colyseus/schema'
import { Client, type Room as ClientRoom } from '@colyseus/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, until, type TestServer } from '../support/test-server'
import { installViewEncoding, roomEncoder, type ViewEncodingHook } from '../../src/view-encoding/index'

// The hook without the attention engine: a plain Colyseus room whose own code keeps StateViews
// (a lobby showing each team its own members), with the hook installed from the view-encoding
// subpath. Two clients of one team share one StateView, so patches with view changes and no
// state change (a member switching team) exercise the repeat fix as well as the indexed path.

const Member = schema({ name: t.string().default(''), hp: t.uint8().default(100) }, 'PlainRoomMember')
const State = schema({ members: t.map(Member).view(), round: t.uint16().default(0) }, 'PlainRoomState')

let room: TeamRoom | null = null

class TeamRoom extends Room<{ state: InstanceType<typeof State> }> {
  override state = new State()
  teams = [new StateView(), new StateView()]
  hook: ViewEncodingHook | null = null

  override onCreate(): void {
    for (let i = 0; i < 6; i++) {
      const m = new Member()
      m.name = `m${i}`
      this.state.members.set(`m${i}`, m)
      this.teams[i % 2]!.add(m)
    }
    this.patchRate = 20
    room = this
  }

  override onJoin(client: ServerClient, options: { team: number }): void {
    client.view = this.teams[options.team]!
  }

  override onBeforePatch(): void {
    // the room's encoder exists once the state is set; installing again returns the same hook
    this.hook = installViewEncoding(roomEncoder(this)!)
  }

  /** Moves member `key` to team `to` (a view change only). */
  move(key: string, to: number): void {
    const m = this.state.members.get(key)!
    this.teams[1 - to]!.remove(m)
    this.teams[to]!.add(m)
  }
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer('teams', TeamRoom)
})
afterAll(async () => {
  await server.stop()
})

const names = (r: ClientRoom): string[] => [...((r.state as { members?: Map<string, unknown> }).members?.keys() ?? [])].sort()
const hpOf = (r: ClientRoom, key: string): number | undefined => ((r.state as { members?: Map<string, { hp: number }> }).members?.get(key))?.hp

describe('view-encoding in a plain room', () => {
  it('should send each client its own view, shared views included, through state and view changes', async () => {
    const client = new Client(server.url)
    const a = await client.create('teams', { team: 0 })
    const b = await client.joinById(a.roomId, { team: 0 })
    const c = await client.joinById(a.roomId, { team: 1 })
    const r = room!
    await until(() => r.clients.length === 3 && r.hook !== null, 'three clients and the hook')
    // room._serializer.encoder is the room's schema Encoder (roomEncoder reads it)
    const enc = roomEncoder(r)
    expect(enc).toBeInstanceOf(Encoder)
    expect(enc!.state).toBe(r.state)
    await until(() => names(a).length === 3 && names(b).length === 3 && names(c).length === 3, 'each team to see its members')
    expect(names(a)).toEqual(['m0', 'm2', 'm4'])
    expect(names(b)).toEqual(['m0', 'm2', 'm4'])
    expect(names(c)).toEqual(['m1', 'm3', 'm5'])

    // a state change: only the team that sees the member gets it
    r.state.members.get('m2')!.hp = 42
    r.state.members.get('m3')!.hp = 43
    await until(() => hpOf(a, 'm2') === 42 && hpOf(b, 'm2') === 42 && hpOf(c, 'm3') === 43, 'the hp changes')
    // view changes only: both clients of the shared view follow
    r.move('m1', 0)
    r.move('m4', 1)
    const team0 = ['m0', 'm1', 'm2']
    const team1 = ['m3', 'm4', 'm5']
    await until(
      () => names(a).join() === team0.join() && names(b).join() === team0.join() && names(c).join() === team1.join(),
      `the moves (a: ${names(a)}, b: ${names(b)}, c: ${names(c)})`,
    )
    const hook = r.hook!
    expect(hook.indexed).toBe(true)
    expect(hook.indexedPatches).toBeGreaterThan(0)
    expect(hook.repeats).toBeGreaterThan(0)
    expect(hook.fallbacks).toBe(0)
    await Promise.all([a.leave(true), b.leave(true), c.leave(true)])
  })
})
