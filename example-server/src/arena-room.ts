import { CloseCode, definePlugins, ErrorCode, Room, ServerError, type AuthContext, type Client } from '@colyseus/core'
import { StateView } from '@colyseus/schema'
import { AttentionPlugin, AttentionTags, Band } from 'colyseus-attention'
import { createArenaWorld, type ArenaWorld } from './arena-world'
import { FullStateMeter } from './full-state-meter'
import { parseArenaOptions, type ArenaOptions } from './arena-options'
import { checkFrame } from './frame-check'
import { createClientGuard, createOnceLogger, parseFace, parseMove, Verdict } from './messages'
import { ArenaState, Entity, type AttentionMessage } from './state'

export type { ArenaOptions } from './arena-options'

/** Rooms by id, for the debug endpoints. */
export const arenaRooms = new Map<string, ArenaRoom>()

/** Status of a refused join or create (it becomes the matchmaking HTTP response's status). */
const BAD_REQUEST = 400

/** Close codes of a socket that dropped rather than was closed: going away, none, abnormal, may-try-reconnect. */
const RECONNECTABLE: ReadonlySet<number> = new Set([CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RECEIVED, CloseCode.ABNORMAL_CLOSURE, CloseCode.MAY_TRY_RECONNECT])

/** Send the `attention` overlay message every this many patches. */
const ATTENTION_EVERY = 5

/**
 * The example arena: NPC bots that wander, chase and attack players, and players driven by `move`
 * and `face` messages. Each client sees only its interest set, through the AttentionPlugin.
 */
export class ArenaRoom extends Room<{ state: ArenaState }> {
  override plugins = definePlugins([
    new AttentionPlugin({
      entryBudget: 24,
      refresh: (eid) => {
        const e = this.instances.get(eid)
        if (e !== undefined) this.writeDetail(eid, e)
      },
    }),
  ])
  override state = new ArenaState()
  arena!: ArenaWorld
  /** Entity instance per entity id. */
  private readonly instances = new Map<number, Entity>()
  private readonly playerOf = new Map<string, number>()
  private readonly destroyedFor = new Map<string, string[]>()
  /** 30 messages per second (bursts of 60) are handled; 500 in a second or 50 bad ones in 10 s drop the client. */
  private readonly guard = createClientGuard({ rate: 30, burst: 60, kickRate: 500, maxStrikes: 50 })
  /** Sessions the room dropped for misbehaving: no reconnection for them. */
  private readonly kicked = new Set<string>()
  readonly rejected = createOnceLogger((line) => console.warn(line))
  private attentionOn = true
  private debug = false
  /**
   * What a client would receive without the plugin, for the page's bytes chart: it runs only while
   * some client asked for it (a `full-state` message), so rooms nobody charts pay nothing for it.
   */
  private fullState: FullStateMeter | null = null
  private readonly fullStateWatchers = new Set<string>()
  /** Baseline mode: one view holding everything, shared by all clients. */
  private readonly everything = new StateView()
  private patches = 0
  private nextTeam = 1
  /** Last simulation + attention step, in ms (for the load benchmark). */
  readonly tickTimes: number[] = []
  /** Called after every patch's view sync (tests and tools observe what each view holds). */
  afterSync: ((room: ArenaRoom) => void) | null = null

  /**
   * Runs at matchmaking, before a seat is reserved: a join or create with bad options is refused
   * with the reason (the client's `joinOrCreate` rejects with it) and never reaches a room.
   */
  static override async onAuth(_token: string, options: unknown, _context: AuthContext): Promise<true> {
    const parsed = parseArenaOptions(options)
    if (typeof parsed === 'string') throw new ServerError(BAD_REQUEST, parsed)
    return true
  }

  override onCreate(raw: ArenaOptions = {}): void {
    const options = parseArenaOptions(raw)
    if (typeof options === 'string') throw new ServerError(BAD_REQUEST, options)
    this.screenFrames()
    const tickMs = options.tickMs ?? 50
    this.attentionOn = options.attention !== false
    this.debug = options.debug === true
    this.arena = createArenaWorld(
      { bots: options.bots ?? 300, seed: options.seed ?? 1, size: 1600, dt: tickMs / 1000, byteBudget: options.byteBudget ?? 0 },
      {
        spawned: (eid) => this.onSpawned(eid),
        despawned: (eid) => this.onDespawned(eid),
      },
    )
    this.plugins.attention.use(this.arena.attention, {
      ...(options.entryBudget === undefined ? {} : { entryBudget: options.entryBudget }),
      ...(options.maxRange === undefined ? {} : { maxRange: options.maxRange, positions: this.arena.C.Position }),
    })
    for (const eid of this.arena.live) this.onSpawned(eid)
    this.patchRate = tickMs
    this.setTimestep(() => this.update(), tickMs)
    this.onMessage('move', (client, msg: unknown) => {
      if (!this.admit(client)) return
      const m = parseMove(msg)
      if (typeof m === 'string') return this.reject(client, m)
      const eid = this.playerOf.get(client.sessionId)
      if (eid !== undefined) this.arena.setInput(eid, m.dx, m.dy)
    })
    this.onMessage('face', (client, msg: unknown) => {
      if (!this.admit(client)) return
      const m = parseFace(msg)
      if (typeof m === 'string') return this.reject(client, m)
      const eid = this.playerOf.get(client.sessionId)
      if (eid !== undefined) this.arena.setFacing(eid, m.angle)
    })
    this.onMessage('full-state', (client) => {
      if (!this.admit(client) || !this.attentionOn) return
      this.fullStateWatchers.add(client.sessionId)
      this.fullState ??= new FullStateMeter((eid, e) => this.writeDetail(eid, e), this.instances, Date.now())
    })
    this.onMessage('*', (client, type) => {
      if (!this.admit(client)) return
      this.reject(client, `unknown: message type ${JSON.stringify(String(type)).slice(0, 40)}`)
    })
    arenaRooms.set(this.roomId, this)
  }

  override onJoin(client: Client): void {
    this.watchProtocolErrors(client)
    const eid = this.arena.spawnPlayer(this.nextTeam)
    this.nextTeam = this.nextTeam === 1 ? 2 : 1
    this.playerOf.set(client.sessionId, eid)
    if (this.attentionOn) this.plugins.attention.bind(client, eid)
    else client.view = this.everything
  }

  override async onDrop(client: Client, code?: number): Promise<void> {
    // only a network-level drop (the codes on which the sdk reconnects) keeps the seat; a socket the
    // room or the transport closed for cause (1009 message too big, 4002 dropped) does not
    if (this.kicked.has(client.sessionId) || code === undefined || !RECONNECTABLE.has(code)) return
    // keep the player (and its view) for a short while: a reconnecting client gets its full set back
    await this.allowReconnection(client, 20)
  }

  override onReconnect(client: Client): void {
    this.watchProtocolErrors(client)
  }

  override onLeave(client: Client): void {
    const eid = this.playerOf.get(client.sessionId)
    this.playerOf.delete(client.sessionId)
    this.destroyedFor.delete(client.sessionId)
    this.rejected.forget(client.sessionId)
    this.guard.forget(client.sessionId)
    this.kicked.delete(client.sessionId)
    this.fullStateWatchers.delete(client.sessionId)
    if (this.fullStateWatchers.size === 0 && this.fullState !== null) {
      this.fullState.dispose()
      this.fullState = null
    }
    if (eid !== undefined) this.arena.despawn(eid)
  }

  override onDispose(): void {
    arenaRooms.delete(this.roomId)
    this.everything.dispose()
    this.fullState?.dispose()
  }

  override onBeforePatch(): void {
    if (this.attentionOn) this.plugins.attention.sync()
    this.patches++
    if (this.fullState !== null) {
      this.fullState.mirror(this.instances, this.state.total)
      this.fullState.patch()
    }
    this.afterSync?.(this)
    for (const [session, keys] of this.destroyedFor) {
      const client = this.clients.getById(session)
      if (client !== undefined && keys.length > 0) client.send('destroyed', { keys })
    }
    this.destroyedFor.clear()
    if (this.attentionOn && this.patches % ATTENTION_EVERY === 0) {
      const fullBps = this.fullState?.take(Date.now())
      for (const client of this.clients) client.send('attention', this.attentionInfo(client.sessionId, fullBps))
    }
  }

  /** The observer entity of a session, or -1. */
  playerEntity(sessionId: string): number {
    return this.playerOf.get(sessionId) ?? -1
  }

  /**
   * What the overlay shows: this client's interest set with weights and bands, what the full state
   * would cost it (when it asked), and whether debug mode is on.
   */
  attentionInfo(sessionId: string, fullBps?: number): AttentionMessage {
    const o = this.playerOf.get(sessionId) ?? -1
    const sys = this.arena.attention
    const members: AttentionMessage['members'] = []
    for (let i = 0; i < sys.memberCount(o); i++) {
      members.push([String(sys.memberAt(o, i)), Math.round(sys.weightAt(o, i) * 1000) / 1000, sys.bandAt(o, i) as 0 | 1 | 2])
    }
    const C = this.arena.C
    const msg: AttentionMessage = { self: String(o), radius: C.Observer.radius[o] ?? 0, fov: C.Observer.fov[o] ?? 0, budget: C.Observer.budget[o] ?? 0, members }
    if (fullBps !== undefined && this.fullStateWatchers.has(sessionId)) msg.fullBps = fullBps
    if (this.debug) msg.debug = true
    return msg
  }

  private admit(client: Client): boolean {
    const v = this.guard.admit(client.sessionId, Date.now())
    if (v === Verdict.Handle) return true
    if (v === Verdict.Kick) this.kick(client, 'flood: more than 500 messages in one second')
    else this.rejected.warn(client.sessionId, 'flood: more than 30 messages per second')
    return false
  }

  /** Logs a rejected message; drops the client once it has sent too many. */
  private reject(client: Client, reason: string): void {
    this.rejected.warn(client.sessionId, reason)
    if (this.guard.strike(client.sessionId, Date.now())) this.kick(client, `too many rejected messages (last: ${reason})`)
  }

  /**
   * Drops a misbehaving client, saying why twice: an ERROR message (the sdk's `room.onError`) and
   * the close frame's reason. The close code (4002, WITH_ERROR) tells the sdk not to reconnect, and
   * the room grants no reconnection either.
   */
  kick(client: Client, reason: string): void {
    if (this.kicked.has(client.sessionId)) return
    this.kicked.add(client.sessionId)
    this.rejected.warn(client.sessionId, `dropped: ${reason}`)
    const why = reason.slice(0, 120)
    client.error(ErrorCode.INVALID_PAYLOAD, why)
    client.leave(CloseCode.WITH_ERROR, why)
  }

  /**
   * The transport closes a socket that breaks the WebSocket protocol (a message above maxPayload, a
   * bad frame) as if it had dropped (1006): remember it, so that it gets no reconnection either.
   * (`ws` emits `error` only for such protocol violations, not for a reset connection.)
   */
  private watchProtocolErrors(client: Client): void {
    const socket = client.ref as { once?: (event: 'error', fn: () => void) => void } | undefined
    socket?.once?.('error', () => this.kicked.add(client.sessionId))
  }

  /**
   * Checks every raw frame (see `checkFrame`) before Colyseus decodes it, and drops a client that
   * sends one no real client sends. Colyseus 0.18 has no public hook for this: it binds
   * `this._onMessage` to each client's socket when the client joins, so the room wraps that method
   * once (covered by test/fuzz.test.ts).
   */
  private screenFrames(): void {
    const self = this as unknown as { _onMessage: (client: Client, frame: Uint8Array) => void }
    const decode = self._onMessage
    self._onMessage = (client, frame) => {
      if (this.kicked.has(client.sessionId)) return
      const bad = frame instanceof Uint8Array ? checkFrame(frame) : 'protocol: not a binary frame'
      if (bad !== null) return this.kick(client, bad)
      decode.call(this, client, frame)
    }
  }

  private update(): void {
    const t0 = performance.now()
    this.arena.step()
    const coarse = this.arena.tick % 4 === 0
    const plugin = this.plugins.attention
    for (const [eid, e] of this.instances) {
      // full-rate fields only for entities some client watches closely (Medium or High band): the
      // others change only their coarse position, so no view pays to encode them. The plugin calls
      // refresh() before a view starts receiving an entity's full-rate fields.
      if (!this.attentionOn || plugin.watchBand(eid) >= Band.Medium) this.writeDetail(eid, e)
      // the coarse position is all a low-attention client pays for: refresh it every 4th tick
      if (coarse) {
        e.cx = Math.round(this.arena.C.Position.x[eid]!)
        e.cy = Math.round(this.arena.C.Position.y[eid]!)
      }
    }
    this.state.total = this.arena.live.size
    this.tickTimes.push(performance.now() - t0)
    if (this.tickTimes.length > 2000) this.tickTimes.splice(0, 1000)
  }

  /** Copies an entity's full-rate (motion) and detail fields from the ECS into its instance. */
  private writeDetail(eid: number, e: Entity): void {
    const C = this.arena.C
    e.x = C.Position.x[eid]!
    e.y = C.Position.y[eid]!
    e.angle = Math.atan2(C.Facing.y[eid]!, C.Facing.x[eid]!)
    e.hp = this.arena.hp[eid]!
    e.mood = this.arena.mood[eid]!
  }

  private onSpawned(eid: number): void {
    if (this.instances.has(eid) || this.arena === undefined) return
    const C = this.arena.C
    const e = new Entity()
    e.kind = this.arena.kindOf(eid)
    e.team = C.Team.id[eid] ?? 0
    e.x = C.Position.x[eid]!
    e.y = C.Position.y[eid]!
    e.cx = Math.round(e.x)
    e.cy = Math.round(e.y)
    e.mood = this.arena.mood[eid]!
    this.instances.set(eid, e)
    this.state.entities.set(String(eid), e)
    if (this.attentionOn) this.plugins.attention.track(eid, e)
    this.fullState?.add(eid, e)
    if (!this.attentionOn) this.everything.add(e, AttentionTags.Motion | AttentionTags.Detail)
  }

  private onDespawned(eid: number): void {
    const e = this.instances.get(eid)
    if (e === undefined) return
    this.instances.delete(eid)
    const key = String(eid)
    if (this.attentionOn) {
      this.plugins.attention.untrack(eid, (session) => {
        let keys = this.destroyedFor.get(session)
        if (keys === undefined) this.destroyedFor.set(session, (keys = []))
        keys.push(key)
      })
    } else this.everything.remove(e)
    this.fullState?.remove(eid)
    this.state.entities.delete(key)
  }
}

