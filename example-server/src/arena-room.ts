import { CloseCode, definePlugins, ErrorCode, matchMaker, Room, ServerError, type AuthContext, type Client } from '@colyseus/core'
import { StateView } from '@colyseus/schema'
import { addObserver, AttentionPlugin, AttentionTags, Band, createEntityKeys, type EntityKeys } from 'colyseus-attention'
import { zoneCount, type BorderExchange, type ZoneGrid } from 'colyseus-attention/zones'
import { createArenaWorld, Kind, type ArenaWorld } from './arena-world'
import type { OnnxScorer } from 'colyseus-attention/learned'
import { FullStateMeter } from './full-state-meter'
import { parseArenaOptions, type ArenaOptions } from './arena-options'
import { checkFrame } from './frame-check'
import { createClientGuard, createOnceLogger, parseFace, parseMove, parseSwitch, Verdict } from './messages'
import { ArenaState, Entity, PLAYER_REMOVED_CLOSE_CODE, type AttentionMessage } from './state'
import { createZoneBorder, zoneArea, zoneIsLive, type ZoneSettings } from './zone-border'
import { consumeHandoverToken, handoverTokenValid, isHandoverToken, issueHandoverToken, type HandoverMessage } from './handover'

export type { ArenaOptions } from './arena-options'

/** Join options of a zoned arena. */
export interface ArenaJoinOptions {
  /** The key of the player entity handed over from a neighbouring zone (sent in the `handover` message). */
  resume?: string
  /** With `resume`: the `handover` message's token (single use); the key alone is public and gets nothing. */
  resumeToken?: string
  /** Spawn position (honoured only with the `debug` room option: tests and tools). */
  x?: number
  y?: number
}

/** Edge of the arena world, in units. */
export const WORLD_SIZE = 1600
/** Observer focus radius (180) plus the largest nimbus (90), rounded up. */
export const ZONE_MARGIN = 280
/** How long a handed-over player waits for its client in the new zone. */
const RESUME_WAIT_MS = 10_000
/** How long a room waits for the client of a player it handed to another zone to claim it there, before it ends the client's seat. */
const HANDOVER_GIVE_UP_MS = RESUME_WAIT_MS + 2_000
/** Why a seat ends when its player was lost in a handover (the close frame's reason). */
const HANDOVER_LOST_REASON = 'arena: your player was lost crossing into another zone (removed there, or never claimed)'
/** How long the debug routes answer for a session this room handed to another zone. */
const HANDED_OVER_MS = 5_000

/** Rooms by id, for the debug endpoints. */
export const arenaRooms = new Map<string, ArenaRoom>()

/** Players per arena room unless the server says otherwise: the most the load benchmark measured in one room (docs/scaling.md). */
export const DEFAULT_MAX_CLIENTS = 500
/** Arena rooms (outside a zoned world) per process unless the server says otherwise. */
export const DEFAULT_MAX_ROOMS = 4
/**
 * The arena rooms of this process outside a zoned world, from the start of their creation to their
 * disposal: a room that finds {@link ArenaOptions.maxRooms} of them refuses to be created.
 */
const openArenas = new Set<ArenaRoom>()
/** Why a seat ends with its player (the close frame's reason). */
const PLAYER_REMOVED_REASON = 'arena: your player was removed from the game'

/** Status of a refused join or create (it becomes the matchmaking HTTP response's status). */
const BAD_REQUEST = 400
/** Status of a resume refused for its handover token. */
const FORBIDDEN = 403
/** Status of a create refused because its zone has a live room already. */
const CONFLICT = 409
/** Status of a create refused because the process holds maxRooms full arena rooms. */
const SERVICE_UNAVAILABLE = 503

/** Close codes of a socket that dropped rather than was closed: going away, none, abnormal, may-try-reconnect. */
const RECONNECTABLE: ReadonlySet<number> = new Set([CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RECEIVED, CloseCode.ABNORMAL_CLOSURE, CloseCode.MAY_TRY_RECONNECT])

/**
 * Each client that asked for the `attention` overlay message gets it every this many patches; a
 * fifth of them each patch, so that no patch sends one to everybody (with 500 clients that was a
 * 12 ms spike every fifth patch).
 */
const ATTENTION_EVERY = 5
/** How long the full-state meter outlives its last watcher (rebuilding it copies and encodes the whole state). */
const FULL_STATE_GRACE_MS = 10_000

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
  /** Sessions whose player was handed to another zone, until when the debug routes still know them. */
  private readonly handedOver = new Map<string, number>()
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
  /** When the last watcher of the full-state meter left (-1: watched, or no meter). */
  private fullStateIdleSince = -1
  /**
   * Sessions that asked for the `attention` overlay message (an `overlay` message): a debug view for
   * the demo page, not something a game pushes to every client, so nobody else gets it.
   */
  private readonly overlayWatchers = new Set<string>()
  /** The full-state meter's last reading (taken every ATTENTION_EVERY patches), for the overlay messages. */
  private fullBps: number | undefined = undefined
  /** Baseline mode: one view holding everything, shared by all clients. */
  private readonly everything = new StateView()
  private patches = 0
  private nextTeam = 1
  /** Last simulation + attention step, in ms (for the load benchmark). */
  readonly tickTimes: number[] = []
  /** Called after every patch's view sync (tests and tools observe what each view holds). */
  afterSync: ((room: ArenaRoom) => void) | null = null
  /** Zoned world only: the zone, and the border exchange with the neighbouring zone rooms. */
  zone: ZoneSettings | null = null
  border: BorderExchange | null = null
  /** Players handed over by a neighbour, waiting for their client (key -> entity, deadline). */
  private readonly awaiting = new Map<string, { eid: number; until: number }>()
  /**
   * Sessions whose player this room handed to zone `dest`: the player's key, the token the client
   * claims it with ('' until issued), and when the room gives up on the claim (giveUpHandovers).
   */
  private readonly handedAway = new Map<string, { key: string; dest: number; token: string; until: number }>()
  /** Players the room seats (maxClients): in a zone room, fresh joins only (handed-over players always get in). */
  private seats = DEFAULT_MAX_CLIENTS
  /** Bytes per second each client may receive (0: the count budget). */
  private byteBudget = 0
  /**
   * Makes the entities' public keys (the plugin's createEntityKeys: opaque, so that the keys a
   * client holds say nothing of the entities it is not sent): a secret of this room's, or the zoned
   * world's shared one (an entity keeps its key from zone to zone).
   */
  private keys: EntityKeys = createEntityKeys()
  /** keyOf's cache: per entity id, the key, and in a zoned world the global id it was made from. */
  private readonly keyIds: number[] = []
  private readonly keyStrings: string[] = []
  /** Live entities by key (debug routes, tests: see entityOf). */
  private readonly byKey = new Map<string, number>()
  /** Sessions whose player was removed while their client was away (reconnecting): their seat ends when it is back. */
  private readonly removedAway = new Map<string, string>()
  /** The member lists (by length) and rows the `attention` messages of a patch reuse (see attentionInfo). */
  private readonly overlayLists: AttentionMessage['members'][] = []
  private readonly overlayRows: AttentionMessage['members'] = []

  /**
   * Runs at matchmaking, before a seat is reserved: a join or create with bad options is refused
   * with the reason (the client's `joinOrCreate` rejects with it) and never reaches a room.
   */
  static override async onAuth(_token: string, options: unknown, _context: AuthContext): Promise<true> {
    const parsed = parseArenaOptions(options)
    if (typeof parsed === 'string') throw new ServerError(BAD_REQUEST, parsed)
    const join = parsed as ArenaJoinOptions
    if (join.resume !== undefined && !isHandoverToken(join.resumeToken)) {
      throw new ServerError(BAD_REQUEST, 'arena: resume needs the handover token (resumeToken: the token of the handover message)')
    }
    // a wrong token gets no seat (the room spends the right one in onJoin, before it gives the player)
    if (typeof join.resume === 'string' && !(await handoverTokenValid(matchMaker.presence, join.resume, join.resumeToken))) {
      throw new ServerError(FORBIDDEN, `arena: wrong, spent or expired handover token for player ${join.resume.slice(0, 20)}`)
    }
    return true
  }

  override async onCreate(raw: ArenaOptions = {}): Promise<void> {
    const options = parseArenaOptions(raw)
    if (typeof options === 'string') throw new ServerError(BAD_REQUEST, options)
    // a full room makes joinOrCreate create another one: without a bound, a crowd of joins would
    // make rooms (each simulating its bots) until the process gives out. Counted before any await,
    // so that concurrent creations cannot all pass; onDispose (which a failed creation runs too)
    // gives the place back.
    this.seats = options.maxClients ?? DEFAULT_MAX_CLIENTS
    // a zone room takes every player handed over to it (a full one would lose a player walking in:
    // its old room has let it go), so there the limit applies to fresh joins only (onJoin)
    this.maxClients = options.zones === undefined ? this.seats : Infinity
    if (options.zones === undefined) {
      const most = options.maxRooms ?? DEFAULT_MAX_ROOMS
      if (openArenas.size >= most) {
        throw new ServerError(SERVICE_UNAVAILABLE, `arena: the server is full (${most} rooms of ${this.seats} players: maxRooms, maxClients); try again later`)
      }
      openArenas.add(this)
    }
    // one room per zone, created by the server when the zone has none (server.ts, ensureZones): a
    // second one would simulate bots for ever (zone rooms are never disposed)
    if (options.zones !== undefined && typeof options.zone === 'number' && (await zoneIsLive(this.presence, options.zone))) {
      throw new ServerError(CONFLICT, `arena: zone ${options.zone} already has a live room`)
    }
    this.screenFrames()
    const tickMs = options.tickMs ?? 50
    this.attentionOn = options.attention !== false
    if (options.scorer === 'learned') {
      // loaded only when asked for: the learned subpath brings onnxruntime-web (in a worker thread)
      const { createOnnxScorer, defaultModelPath } = await import('colyseus-attention/learned')
      this.scorer = await createOnnxScorer({ model: defaultModelPath() })
      // checked again after the load (0.5-1.25 s): the server's per-zone creation lock lasts 5 s
      if (options.zones !== undefined && typeof options.zone === 'number' && (await zoneIsLive(this.presence, options.zone))) {
        await this.scorer.dispose()
        throw new ServerError(CONFLICT, `arena: zone ${options.zone} already has a live room`)
      }
    }
    this.debug = options.debug === true
    this.byteBudget = options.byteBudget ?? 0
    // every zone room makes the same key of an entity (it keeps its key across zones): the world's
    // secret, from the room definition (startServer); any other room has a secret of its own
    if (options.zones !== undefined) {
      if (options.keySecret === undefined) throw new ServerError(500, 'arena: a zone room needs its world\'s entity key secret (startServer\'s entityKeySecret)')
      this.keys = createEntityKeys(options.keySecret)
    }
    if (options.zones !== undefined) {
      const grid: ZoneGrid = { ...options.zones, width: WORLD_SIZE, height: WORLD_SIZE }
      const zone = options.zone
      if (typeof zone !== 'number' || !Number.isInteger(zone) || zone < 0 || zone >= zoneCount(grid)) {
        throw new Error(`arena: zone must be an integer in [0, ${zoneCount(grid) - 1}]; got ${String(zone)}`)
      }
      this.zone = { grid, zone, margin: ZONE_MARGIN }
      this.autoDispose = false
      await this.setMetadata({ zone })
    }
    const zones = this.zone === null ? 1 : zoneCount(this.zone.grid)
    this.arena = createArenaWorld(
      {
        bots: Math.round((options.bots ?? 300) / zones),
        seed: (options.seed ?? 1) + (this.zone?.zone ?? 0),
        size: WORLD_SIZE,
        dt: tickMs / 1000,
        area: this.zone === null ? undefined : zoneArea(this.zone),
        byteBudget: this.byteBudget,
        scorer: this.scorer ?? undefined,
        threads: options.engineThreads ?? 1,
        pipelined: options.enginePipelined ?? false,
      },
      {
        spawned: (eid) => this.onSpawned(eid),
        despawned: (eid) => this.onDespawned(eid),
        beforeAttention: () => this.border?.step(tickMs / 1000),
      },
    )
    if (this.zone !== null) this.border = this.connectBorder(this.zone)
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
    this.onMessage('full-state', (client, msg: unknown) => {
      if (!this.admit(client)) return
      const on = parseSwitch('full-state', msg)
      if (typeof on === 'string') return this.reject(client, on)
      if (!this.attentionOn) return
      if (!on) return this.forgetFullStateWatcher(client.sessionId)
      this.fullStateWatchers.add(client.sessionId)
      this.fullStateIdleSince = -1
      this.fullState ??= new FullStateMeter((eid, e) => this.writeDetail(eid, e), (eid) => this.arena.isPublic(eid), (eid) => this.keyOf(eid), this.instances, Date.now())
    })
    this.onMessage('overlay', (client, msg: unknown) => {
      if (!this.admit(client)) return
      const on = parseSwitch('overlay', msg)
      if (typeof on === 'string') return this.reject(client, on)
      if (on) this.overlayWatchers.add(client.sessionId)
      else this.overlayWatchers.delete(client.sessionId)
    })
    this.onMessage('*', (client, type) => {
      if (!this.admit(client)) return
      this.reject(client, `unknown: message type ${JSON.stringify(String(type)).slice(0, 40)}`)
    })
    arenaRooms.set(this.roomId, this)
    if (this.border !== null) await this.border.ready
  }

  override async onJoin(client: Client, options: ArenaJoinOptions = {}): Promise<void> {
    this.watchProtocolErrors(client)
    // the key is public (every client near the player holds it): only the client the old room sent
    // the handover message to has the token, spent here before the player is given to anyone. The
    // player first (its handover may come a moment after its client): a token is spent only on a
    // player this room holds, so the old room can tell a claim that failed (giveUpHandovers)
    let resumed = -1
    if (typeof options.resume === 'string') {
      const key = options.resume
      const none = `arena: no player ${key.slice(0, 20)} was handed over to this zone`
      if (!(await this.handedOverHere(key))) throw new Error(none)
      if (!(await consumeHandoverToken(this.presence, key, options.resumeToken))) throw new Error(`arena: wrong, spent or expired handover token for player ${key.slice(0, 20)}`)
      resumed = this.takeHandedOver(key)
      if (resumed === -1) throw new Error(none)
    }
    let eid = resumed
    if (eid === -1) {
      // (no await from here to the seat below: concurrent joins cannot all pass)
      if (this.zone !== null && this.playerOf.size >= this.seats) {
        throw new ServerError(SERVICE_UNAVAILABLE, `arena: zone ${this.zone.zone} is full (${this.seats} players: maxClients); try again later`)
      }
      eid = this.arena.spawnPlayer(this.nextTeam)
      this.nextTeam = this.nextTeam === 1 ? 2 : 1
      const C = this.arena.C
      if (this.debug && typeof options.x === 'number' && typeof options.y === 'number' && Number.isFinite(options.x + options.y)) {
        C.Position.x[eid] = options.x
        C.Position.y[eid] = options.y
        this.writeDetail(eid, this.instances.get(eid)!)
      }
    }
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
    // its player was removed while it was away: the seat ends once the reconnection is complete
    // (closed from here, the sdk would take it for a failed attempt and try again)
    const reason = this.removedAway.get(client.sessionId)
    if (reason !== undefined) {
      this.removedAway.delete(client.sessionId)
      setTimeout(() => client.leave(PLAYER_REMOVED_CLOSE_CODE, reason), 0)
      return
    }
    // its player crossed into another zone while it was away: the handover message it missed
    const h = this.handedAway.get(client.sessionId)
    if (h !== undefined && h.token !== '') client.send('handover', { zone: h.dest, key: h.key, token: h.token } satisfies HandoverMessage)
  }

  override onLeave(client: Client): void {
    const eid = this.playerOf.get(client.sessionId)
    this.playerOf.delete(client.sessionId)
    this.removedAway.delete(client.sessionId)
    this.handedAway.delete(client.sessionId)
    this.destroyedFor.delete(client.sessionId)
    this.rejected.forget(client.sessionId)
    this.guard.forget(client.sessionId)
    this.kicked.delete(client.sessionId)
    this.forgetFullStateWatcher(client.sessionId)
    this.overlayWatchers.delete(client.sessionId)
    // a player handed to another zone is a ghost here now: the border exchange owns it
    if (eid !== undefined && this.border?.isGhost(eid) !== true) this.arena.despawn(eid)
  }

  /**
   * Stops the full-state figure for `sessionId`. The meter goes FULL_STATE_GRACE_MS after nobody
   * watches it any more: building one copies and encodes the whole state, so a client toggling the
   * figure on and off cannot make the room rebuild it over and over.
   */
  private forgetFullStateWatcher(sessionId: string): void {
    this.fullStateWatchers.delete(sessionId)
    if (this.fullStateWatchers.size === 0 && this.fullStateIdleSince === -1) this.fullStateIdleSince = Date.now()
  }

  /** Disposes the full-state meter once nobody watched it for FULL_STATE_GRACE_MS. */
  private dropIdleFullState(): void {
    if (this.fullState === null || this.fullStateIdleSince === -1 || Date.now() - this.fullStateIdleSince < FULL_STATE_GRACE_MS) return
    this.fullState.dispose()
    this.fullState = null
    this.fullBps = undefined
    this.fullStateIdleSince = -1
  }

  override onDispose(): void {
    arenaRooms.delete(this.roomId)
    openArenas.delete(this)
    this.everything.dispose()
    void this.scorer?.dispose()
    this.fullState?.dispose()
    this.border?.close()
    // ends the engine's worker threads, if it has any
    if (this.arena !== undefined) this.arena.attention.dispose()
  }

  /**
   * The replication key of an entity (the plugin's createEntityKeys): opaque, so that the keys a client holds say
   * nothing of the entities it is not sent. Made from its spawn serial, or in a zoned world from its
   * global id (the same in every zone room).
   */
  keyOf(eid: number): string {
    if (this.border === null) return this.keyStrings[eid] ?? ''
    const id = this.border.gidOf(eid)
    // cached per entity id, with the id it was made from (a zone's gid changes when the eid is reused)
    if (this.keyIds[eid] === id) return this.keyStrings[eid]!
    const key = this.keys.of(id)
    this.keyIds[eid] = id
    this.keyStrings[eid] = key
    return key
  }

  /** The live entity a key names in this room, or -1 (debug routes and tests map keys back with it). */
  entityOf(key: string): number {
    return this.byKey.get(key) ?? -1
  }

  private connectBorder(zone: ZoneSettings): BorderExchange {
    return createZoneBorder(this.arena, this.presence, zone, {
      ghostAdded: (eid) => this.onSpawned(eid),
      ghostRemoved: (eid) => this.onDespawned(eid),
      adopted: (eid, _gid, kind) => {
        if (!this.instances.has(eid)) this.onSpawned(eid)
        if (kind === Kind.Player) {
          const byteBudget = this.byteBudget
          addObserver(this.arena.world, this.arena.C, eid, { radius: 180, budget: byteBudget > 0 ? 256 : 24, fov: (2 * Math.PI) / 3, byteBudget })
          const key = this.keyOf(eid)
          this.awaiting.set(key, { eid, until: Date.now() + RESUME_WAIT_MS })
          // back before its client claimed it next door (a knockback across the border): the player
          // goes back to that client, still seated here
          for (const [session, h] of this.handedAway) {
            const client = h.key === key ? this.clients.get(session) : undefined
            if (client === undefined) continue
            this.awaiting.delete(key)
            this.handedAway.delete(session)
            this.playerOf.set(session, eid)
            if (this.attentionOn) this.plugins.attention.bind(client, eid)
            break
          }
        }
      },
      released: (eid, dest) => {
        // a player handed on before its client claimed it here: no client can claim it here any more
        for (const [k, a] of this.awaiting) if (a.eid === eid) this.awaiting.delete(k)
        for (const [session, p] of this.playerOf) {
          if (p !== eid) continue
          // the client follows its player: it joins the zone's room with this key and token, then
          // leaves this one; until then its view here keeps following the player (now a ghost of
          // `dest`). The token goes to this client only, once it is in the presence for `dest`'s room.
          const key = this.keyOf(eid)
          const now = Date.now()
          const away = { key, dest, token: '', until: now + HANDOVER_GIVE_UP_MS }
          this.handedAway.set(session, away)
          void issueHandoverToken(this.presence, key).then(
            (token) => {
              away.token = token
              // (a client away now gets it when it is back: onReconnect)
              this.clients.get(session)?.send('handover', { zone: dest, key, token } satisfies HandoverMessage)
            },
            (e: unknown) => console.warn(`[arena zone ${zone.zone}] could not hand player ${key} over: ${e instanceof Error ? e.message : String(e)}`),
          )
          this.playerOf.delete(session)
          for (const [s, until] of this.handedOver) if (until < now) this.handedOver.delete(s)
          this.handedOver.set(session, now + HANDED_OVER_MS)
        }
      },
      linkChanged: (up) => {
        // a Redis that restarted empty forgot this room: list it again for the matchmaker
        if (up) void this.setMetadata({ zone: zone.zone }).catch(() => {})
        if (up) console.warn(`[arena zone ${zone.zone}] presence link is back: cross-border traffic resumes`)
        else console.warn(`[arena zone ${zone.zone}] presence link lost: serving this zone alone, cross-border traffic paused`)
      },
    })
  }

  /** Waits (briefly) for a player handed over under `key`; true once this room holds one. */
  private async handedOverHere(key: string): Promise<boolean> {
    const until = Date.now() + 3000
    while (Date.now() < until) {
      if (this.awaiting.has(key)) return true
      await new Promise((r) => setTimeout(r, 20))
    }
    return false
  }

  /** Takes the player handed over under `key`, or -1 when it is gone (removed, handed on). */
  private takeHandedOver(key: string): number {
    const a = this.awaiting.get(key)
    if (a === undefined) return -1
    this.awaiting.delete(key)
    return this.arena.live.has(a.eid) && this.border?.isGhost(a.eid) !== true ? a.eid : -1
  }

  override onBeforePatch(): void {
    // the patch timer may fire while an async onCreate still loads the model
    if (this.arena === undefined) return
    if (this.attentionOn) this.plugins.attention.sync()
    this.patches++
    this.dropIdleFullState()
    if (this.fullState !== null) {
      this.fullState.mirror(this.instances, this.state.total)
      this.fullState.patch()
    }
    this.afterSync?.(this)
    for (const [session, keys] of this.destroyedFor) {
      const client = this.clients.get(session)
      if (client !== undefined && keys.length > 0) client.send('destroyed', { keys })
    }
    this.destroyedFor.clear()
    if (this.attentionOn) {
      const phase = this.patches % ATTENTION_EVERY
      if (phase === 0) this.fullBps = this.fullState?.take(Date.now())
      if (this.overlayWatchers.size > 0) this.sendOverlays(phase)
    }
  }

  /**
   * Sends the `attention` overlay message to the clients of this patch's phase that asked for it. A
   * client's phase is its place in the room's list, so they spread over the patches whoever asked.
   */
  private sendOverlays(phase: number): void {
    for (let i = phase; i < this.clients.length; i += ATTENTION_EVERY) {
      const client = this.clients[i]!
      if (!this.overlayWatchers.has(client.sessionId)) continue
      // rows reused: send packs the message before it returns
      client.send('attention', this.attentionInfo(client.sessionId, this.fullBps, true))
    }
  }

  /**
   * True for a session whose player this room handed to another zone in the last few seconds: a
   * debug request in flight during the handover gets "nothing here any more", not "unknown".
   */
  wasHandedOver(sessionId: string): boolean {
    const until = this.handedOver.get(sessionId)
    if (until === undefined) return false
    if (until >= Date.now()) return true
    this.handedOver.delete(sessionId)
    return false
  }

  /** The observer entity of a session, or -1. */
  playerEntity(sessionId: string): number {
    return this.playerOf.get(sessionId) ?? -1
  }

  /**
   * What the overlay shows: this client's interest set with weights and bands, what the full state
   * would cost it (when it asked), and whether debug mode is on.
   * @param reuse - build the member list from rows the room reuses (up to 100 clients a patch at
   *   500 clients: fresh rows were a third of the server's garbage); valid until the next such call.
   */
  attentionInfo(sessionId: string, fullBps?: number, reuse = false): AttentionMessage {
    const o = this.playerOf.get(sessionId) ?? -1
    const sys = this.arena.attention
    const count = sys.memberCount(o)
    // only what the client was sent: the set also names members the plugin keeps back (entry
    // budget, hidden since the tick, maxRange), whose ids the client may not learn. Debug mode shows
    // the whole world anyway, and its page draws the members still waiting for the entry budget.
    const plugin = this.attentionOn && !this.debug ? this.plugins.attention : null
    // the weights are the softmax over the whole set: renormalised over what the client holds, so
    // that their sum does not tell it how much of the set it is not sent
    let n = 0
    let held = 0
    for (let i = 0; i < count; i++) {
      if (plugin !== null && !plugin.holds(sessionId, sys.memberAt(o, i))) continue
      n++
      held += sys.weightAt(o, i)
    }
    const scale = held > 0 ? 1 / held : 0
    // one reused list per length: emptying and refilling one list would reallocate its storage
    const members: AttentionMessage['members'] = reuse ? (this.overlayLists[n] ??= new Array(n)) : new Array(n)
    for (let i = 0, k = 0; i < count; i++) {
      const e = sys.memberAt(o, i)
      if (plugin !== null && !plugin.holds(sessionId, e)) continue
      const key = this.keyOf(e)
      const weight = Math.round(sys.weightAt(o, i) * scale * 1000) / 1000
      const band = sys.bandAt(o, i) as 0 | 1 | 2
      let row = reuse ? this.overlayRows[k] : undefined
      if (row === undefined) {
        row = [key, weight, band]
        if (reuse) this.overlayRows[k] = row
      } else {
        row[0] = key
        row[1] = weight
        row[2] = band
      }
      members[k++] = row
    }
    const C = this.arena.C
    const msg: AttentionMessage = { self: o === -1 ? '-1' : this.keyOf(o), radius: C.Observer.radius[o] ?? 0, fov: C.Observer.fov[o] ?? 0, budget: C.Observer.budget[o] ?? 0, members }
    const byteBudget = o === -1 ? 0 : (C.Observer.byteBudget[o] ?? 0)
    if (byteBudget > 0) msg.byteBudget = byteBudget
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
    if (this.awaiting.size > 0) this.dropUnclaimed()
    if (this.handedAway.size > 0) this.giveUpHandovers()
    this.arena.step()
    this.coarse = this.arena.tick % 4 === 0
    // forEach with a callback made once: a for...of over the map allocates an [eid, e] pair per entity
    this.instances.forEach(this.writeEntity)
    // what every client may see: a count with the hidden and team-only ones would tell a client
    // when one spawns or goes (an entity it is not entitled to know of)
    let total = 0
    for (const eid of this.arena.live) if (this.arena.isPublic(eid)) total++
    this.state.total = total
    this.tickTimes.push(performance.now() - t0)
    if (this.tickTimes.length > 2000) this.tickTimes.splice(0, 1000)
  }

  /** Whether this tick refreshes the coarse position (every 4th). */
  private coarse = false

  /** Writes one entity's fields for this tick (see update). */
  private readonly writeEntity = (e: Entity, eid: number): void => {
    // full-rate fields only for entities some client watches closely (Medium or High band): the
    // others change only their coarse position, so no view pays to encode them. The plugin calls
    // refresh() before a view starts receiving an entity's full-rate fields.
    if (!this.attentionOn || this.plugins.attention.watchBand(eid) >= Band.Medium) this.writeDetail(eid, e)
    // the coarse position is all a low-attention client pays for: refresh it every 4th tick
    if (this.coarse) {
      e.cx = Math.round(this.arena.C.Position.x[eid]!)
      e.cy = Math.round(this.arena.C.Position.y[eid]!)
    }
  }

  /**
   * Ends the seat of a client whose player entity was removed: the sdk's `room.onLeave` gets
   * PLAYER_REMOVED_CLOSE_CODE and the reason, and does not try to reconnect (a game that respawns
   * instead binds the client to its new entity). A client away (its reconnection window open) is
   * closed when it comes back.
   */
  private dismiss(sessionId: string, reason = PLAYER_REMOVED_REASON): void {
    const client = this.clients.get(sessionId)
    if (client === undefined) this.removedAway.set(sessionId, reason)
    else client.leave(PLAYER_REMOVED_CLOSE_CODE, reason)
  }

  /**
   * Ends the seats of clients whose player this room handed to another zone and never claimed it
   * there within HANDOVER_GIVE_UP_MS (removed there before its client came, or its client never
   * got the message): their token is still unspent. A spent one was claimed: that client plays in
   * the other room, and this old connection is its own to close.
   */
  private giveUpHandovers(): void {
    const now = Date.now()
    for (const [session, h] of this.handedAway) {
      if (h.until > now) continue
      this.handedAway.delete(session)
      if (this.playerOf.has(session)) continue
      if (h.token === '') {
        this.dismiss(session, HANDOVER_LOST_REASON)
        continue
      }
      void handoverTokenValid(this.presence, h.key, h.token).then(
        (unspent) => {
          if (unspent && !this.playerOf.has(session)) this.dismiss(session, HANDOVER_LOST_REASON)
        },
        () => {},
      )
    }
  }

  /** Despawns handed-over players whose client never came. */
  private dropUnclaimed(): void {
    const now = Date.now()
    for (const [key, a] of this.awaiting) {
      if (a.until > now) continue
      this.awaiting.delete(key)
      this.arena.despawn(a.eid)
    }
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
    if (this.border === null) {
      this.keyStrings[eid] = this.keys.next()
    } else if (this.border.gidOf(eid) === 0) this.border.register(eid)
    const key = this.keyOf(eid)
    this.byKey.set(key, eid)
    this.state.entities.set(key, e)
    if (this.attentionOn) this.plugins.attention.track(eid, e)
    this.fullState?.add(eid, e)
    if (!this.attentionOn) this.everything.add(e, AttentionTags.Motion | AttentionTags.Detail)
  }

  private onDespawned(eid: number): void {
    const e = this.instances.get(eid)
    if (e === undefined) return
    this.instances.delete(eid)
    if (e.kind === 'player') {
      // a player removed under its client (the debug despawn route, a game's own rules): bitECS gives
      // its id to the next entity at once, so no session may keep it (its moves would move that one,
      // its leaving despawn it), nor a wait for a handed-over player's client. The client is told:
      // its seat ends (see dismiss), rather than sitting in the room with nothing to play.
      for (const [session, p] of this.playerOf) {
        if (p !== eid) continue
        this.playerOf.delete(session)
        this.dismiss(session)
      }
      for (const [k, a] of this.awaiting) if (a.eid === eid) this.awaiting.delete(k)
    }
    const key = this.keyOf(eid)
    if (this.byKey.get(key) === eid) this.byKey.delete(key)
    if (this.border !== null && !this.border.isGhost(eid)) this.border.forget(eid)
    if (this.attentionOn && this.border?.isGhost(eid) === true) {
      // a ghost leaving is not a destruction: it left the border or its zone went silent
      this.plugins.attention.untrack(eid)
    } else if (this.attentionOn) {
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

