import { definePlugins, Room, type Client } from '@colyseus/core'
import { StateView } from '@colyseus/schema'
import { AttentionPlugin, AttentionTags, Band } from 'colyseus-attention'
import type { OnnxScorer } from 'colyseus-attention/learned'
import { createArenaWorld, type ArenaWorld } from './arena-world'
import { FullStateMeter } from './full-state-meter'
import { createFloodGate, createOnceLogger, parseFace, parseMove } from './messages'
import { ArenaState, Entity, type AttentionMessage } from './state'

/** Options of the `arena` room (from `defineRoom(ArenaRoom, {...})` or the join). */
export interface ArenaOptions {
  bots?: number
  seed?: number
  /** false: no interest management, every client gets every entity (the baseline). */
  attention?: boolean
  /** Simulation and patch interval in ms. */
  tickMs?: number
  /** Most entities entering a client's view per patch. */
  entryBudget?: number
  /** Debug mode (ATTENTION_DEBUG=1): the `attention` message says so, and the page may ask `/debug/*`. */
  debug?: boolean
  /**
   * Hard visibility bound (fog of war, anti-cheat): no client ever receives an entity farther than
   * this from its player, whatever the attention engine selects. Unset: no bound.
   */
  maxRange?: number
  /** `learned`: score with the shipped ONNX model (colyseus-attention/learned) instead of the built-in heads. */
  scorer?: 'heads' | 'learned'
}

/** Rooms by id, for the debug endpoints. */
export const arenaRooms = new Map<string, ArenaRoom>()

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
  /** The learned scorer, when the room runs on it. */
  scorer: OnnxScorer | null = null
  /** Entity instance per entity id. */
  private readonly instances = new Map<number, Entity>()
  private readonly playerOf = new Map<string, number>()
  private readonly destroyedFor = new Map<string, string[]>()
  private readonly gate = createFloodGate(30, 60)
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

  override async onCreate(options: ArenaOptions = {}): Promise<void> {
    const tickMs = options.tickMs ?? 50
    this.attentionOn = options.attention !== false
    if (options.scorer === 'learned') {
      // loaded only when asked for: the learned subpath brings onnxruntime-web (in a worker thread)
      const { createOnnxScorer, defaultModelPath } = await import('colyseus-attention/learned')
      this.scorer = await createOnnxScorer({ model: defaultModelPath() })
    }
    this.debug = options.debug === true
    this.arena = createArenaWorld(
      { bots: options.bots ?? 300, seed: options.seed ?? 1, size: 1600, dt: tickMs / 1000, scorer: this.scorer ?? undefined },
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
      if (typeof m === 'string') return this.rejected.warn(client.sessionId, m)
      const eid = this.playerOf.get(client.sessionId)
      if (eid !== undefined) this.arena.setInput(eid, m.dx, m.dy)
    })
    this.onMessage('face', (client, msg: unknown) => {
      if (!this.admit(client)) return
      const m = parseFace(msg)
      if (typeof m === 'string') return this.rejected.warn(client.sessionId, m)
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
      this.rejected.warn(client.sessionId, `unknown: message type ${JSON.stringify(String(type)).slice(0, 40)}`)
    })
    arenaRooms.set(this.roomId, this)
  }

  override onJoin(client: Client): void {
    const eid = this.arena.spawnPlayer(this.nextTeam)
    this.nextTeam = this.nextTeam === 1 ? 2 : 1
    this.playerOf.set(client.sessionId, eid)
    if (this.attentionOn) this.plugins.attention.bind(client, eid)
    else client.view = this.everything
  }

  override async onDrop(client: Client): Promise<void> {
    // keep the player (and its view) for a short while: a reconnecting client gets its full set back
    await this.allowReconnection(client, 20)
  }

  override onLeave(client: Client): void {
    const eid = this.playerOf.get(client.sessionId)
    this.playerOf.delete(client.sessionId)
    this.destroyedFor.delete(client.sessionId)
    this.rejected.forget(client.sessionId)
    this.gate.forget(client.sessionId)
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
    void this.scorer?.dispose()
    this.fullState?.dispose()
  }

  override onBeforePatch(): void {
    // the patch timer may fire while an async onCreate still loads the model
    if (this.arena === undefined) return
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
    if (this.gate.allow(client.sessionId, Date.now())) return true
    this.rejected.warn(client.sessionId, 'flood: more than 30 messages per second')
    return false
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

