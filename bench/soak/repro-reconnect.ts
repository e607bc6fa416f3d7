// A minimal reproduction, without colyseus-attention, of the defect behind the soak's decode errors
// (issue 12): with plain Colyseus 0.18 + @colyseus/schema 5, a client whose StateView uses a tag
// (`view.add(obj, tag)` with a `.view(tag)` field) and changes while the client is disconnected gets a
// "refId not found" decode error after the sdk reconnects (it then skips part of a patch). Cause: the
// reconnection's full state (`encodeAllView`) leaves the view's pending changes queued, and the next
// patch sends them; a tagged remove among them is a DELETE to an object the client's resync of the
// full state just dropped. Untagged views do not (their removes address the collection). Run:
//   node --import tsx bench/soak/repro-reconnect.ts swap   # the view changes during each drop
//   node --import tsx bench/soak/repro-reconnect.ts none   # it does not: no error
//   node --import tsx bench/soak/repro-reconnect.ts clear  # swap, but the pending changes are
//                                                          # dropped at the reconnection: no error
// Prints the client's decode errors after each of 10 drop/reconnect rounds (bounded, 127.0.0.1 only).
import { defineRoom, defineServer, Room, type Client as ServerClient } from '@colyseus/core'
import { schema, t, StateView, type SchemaType } from '@colyseus/schema'
import { WebSocketTransport } from '@colyseus/ws-transport'
import { Client } from '@colyseus/sdk'
import { WebSocket } from 'ws'
;(globalThis as any).WebSocket ??= WebSocket
const Item = schema({ x: t.float32().default(0), y: t.float32().default(0).view(1) }, 'Item')
type Item = SchemaType<typeof Item>
const State = schema({ items: t.map(Item).view() }, 'State')
const mode = process.argv[2] ?? 'swap'
let theRoom!: StockRoom
let lastView: StateView | undefined
class StockRoom extends Room<{ state: InstanceType<typeof State> }> {
  override state = new State()
  all: Item[] = []
  offset = 0
  override onCreate() {
    theRoom = this
    for (let i = 0; i < 200; i++) { const it = new Item(); this.all.push(it); this.state.items.set(String(i), it) }
    this.patchRate = 50
    this.setTimestep(() => { for (const it of this.all) { it.x += 1; it.y += 1 } }, 50)
  }
  override onJoin(client: ServerClient) { client.view = new StateView(); lastView = client.view; this.show(client.view, 0) }
  show(view: StateView, offset: number) {
    for (let i = 0; i < 20; i++) view.remove(this.all[(this.offset + i) % 200]!, 1)
    this.offset = offset
    for (let i = 0; i < 20; i++) view.add(this.all[(offset + i) % 200]!, 1)
  }
  override async onDrop(client: ServerClient) { await this.allowReconnection(client, 20) }
  // the full state, sent after this, shows the view as it is: its queued changes are delivered
  override onReconnect(client: ServerClient) { if (mode === 'clear') client.view!.changes.clear() }
}
const server = defineServer({ rooms: { stock: defineRoom(StockRoom) }, transport: new WebSocketTransport(), greet: false })
await server.listen(0 as any, '127.0.0.1')
const port = ((server as any).transport.server.address() as any).port
let decodeErrors = 0
console.error = (...a: unknown[]) => { if (String(a[0]).includes('refId')) decodeErrors++ }
console.warn = () => {}
console.info = () => {}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const room = await new Client(`http://127.0.0.1:${port}`).joinOrCreate('stock')
room.reconnection.minUptime = 0
room.reconnection.delay = 1000
await sleep(500)
for (let i = 0; i < 10; i++) {
  const back = new Promise<void>((ok) => room.onReconnect(() => ok()))
  room.connection.close(4010, 'drop')
  await sleep(100)
  if (mode !== 'none') theRoom.show(lastView!, ((i + 1) * 40) % 200)
  await back
  await sleep(800)
  const keys = [...((room.state as any).items as Map<string, unknown>).keys()]
  console.log(`round ${i}: client holds ${keys.length}, decode errors so far ${decodeErrors}`)
}
process.exit(0)
