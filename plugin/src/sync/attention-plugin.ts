import { ClientState, RoomPlugin, type Client, type Room } from '@colyseus/core'
import type { Encoder, Ref, StateView } from '@colyseus/schema'
import type { AttentionSystem } from '../ecs/types'
import { checkInteger } from '../ecs/validate'
import { createEntityRegistry, type EntityRegistry } from './entity-registry'
import { checkNotRetired, checkTrackable, claimSystem, findSharedInstance, releaseSystem, retireSystem, unreachableFields } from './misuse'
import { checkOptionKeys, checkRangeSource, mergeOptions, resolvePluginOptions, type AttentionPluginOptions, type ResolvedPluginOptions } from './options'
import { createSetReader } from './set-reader'
import { clearView, syncViews } from './sync-pass'
import { createSyncScratch, type SyncScratch } from './sync-scratch'
import { createViewRecord, LAPSED_BINDING, observerGone, recordAdd, recordRemoveAt, recordSlot, type ViewRecord } from './view-record'
import { addToView, noteStripped, removeFromView } from './view-sync'
import { deleteHiddenFields } from './schema-tags'
import { createManagedView } from './view-entries'
import { dropBarred, dropDead } from './view-bounds'
import { disposeViews } from '../view-encoding/dispose-views'
import { copyPendingRemovals, dropPending, hasPending, hookFullState, sameEntries, sharedWithJoined, type FullStateHandler } from './full-state'
import { installViewEncoding } from '../view-encoding/install-view-encoding'
import { bindViewToRoot, clientOf, roomCreating, roomEncoder, roomSerializer, viewIdOf } from '../view-encoding/schema-internals'
import { warnIfNoWebSocketGlobal } from './websocket-global'

/** Syncs in a row without an engine tick before the plugin warns that the system does not run. */
const STALE_SYNCS = 10
/** ...and for at least this long (ms): a game may tick far less often than it patches (docs/sync.md). */
const STALE_MS = 2000
/** Patches sent after a client's bind() with no sync() before the plugin says so. */
const UNSYNCED_PATCHES = 3
/** Syncs between two looks for joined clients that were never bound (two looks in a row warn). */
const UNBOUND_SYNCS = 20
/** Syncs between two looks for a tracked instance that another place of the state holds too (findSharedInstance). */
const SHARED_SYNCS = 32

/**
 * The Colyseus side of colyseus-attention: gives each client a `StateView` bound to its observer
 * entity and, before every patch, makes that view hold exactly the observer's interest set, with
 * each member's band choosing its view tag. Clients bound to the same observer share one view.
 *
 * @example
 * class ArenaRoom extends Room<{ state: ArenaState }> {
 *   plugins = definePlugins([new AttentionPlugin({ entryBudget: 24 })])
 *   onCreate() {
 *     this.attention = createAttentionSystem(this.world, { components: C })
 *     this.plugins.attention.use(this.attention)
 *   }
 *   keys = createEntityKeys()   // opaque state keys: an entity id would count the hidden spawns
 *   spawn(eid: number) {
 *     const e = new Entity(); this.state.entities.set(this.keys.next(), e); this.plugins.attention.track(eid, e)
 *   }
 *   onJoin(client: Client) { this.plugins.attention.bind(client, this.spawnPlayer()) }
 *   onBeforePatch() { this.plugins.attention.sync() }
 * }
 */
export class AttentionPlugin extends RoomPlugin<Room> {
  override readonly pluginName = 'attention' as const
  private opts: ResolvedPluginOptions
  private readonly given: AttentionPluginOptions
  private system: AttentionSystem | null = null
  private registry: EntityRegistry | null = null
  private scratch: SyncScratch | null = null
  /** Views by observer entity (shared), and by session. */
  private readonly byObserver = new Map<number, ViewRecord>()
  private readonly bySession = new Map<string, ViewRecord>()
  private readonly records: ViewRecord[] = []
  private readonly byView = new Map<StateView, ViewRecord>()
  /** Time (ms) of the last byte report to the engine (see reportSentBytes). */
  private lastReport = -1
  private hookedEncoder: Encoder | null = null
  /** The room serializer hooked for full states (full-state.ts); the room replaces it with its state. */
  private hookedSerializer: object | null = null
  private readonly fullStateHandler: FullStateHandler = {
    before: (client) => this.beforeFullState(client),
    after: (client, view) => this.afterFullState(client, view),
    // what the game changed after sync() (later in onBeforePatch, in the room clock's timers, which
    // Colyseus runs between onBeforePatch and the encoding, or in the refresh callback) is checked
    // once more: an entity denied or beyond maxRange now leaves the views before this patch
    beforePatch: () => {
      if (this.syncs > 0) this.dropBarredEverywhere()
    },
    afterPatch: () => {
      if (this.syncs === 0 && this.records.length > 0) this.patchedUnsynced()
      if (this.forks.size > 0) this.mergeForks()
      // option pipelined: the workers are done before the event loop runs message handlers
      this.system?.settle()
    },
  }
  /** Sessions that were sent a full state: a second one is a reconnection's. */
  private readonly hadFullState = new Set<string>()
  /** Forks of shared views, each to the record its client returns to (full-state.ts). */
  private readonly forks = new Map<ViewRecord, ViewRecord>()
  /** Syncs run, the engine tick seen at the last one, and how many syncs in a row saw that tick. */
  private syncs = 0
  private lastTick = -1
  private staleSyncs = 0
  /** When the system's tick last changed (performance.now(), read only once syncs went stale). */
  private lastTickAt = -1
  /** Patches sent while a view existed and sync() had never run. */
  private unsyncedPatches = 0
  private syncTimer: ReturnType<typeof setTimeout> | null = null
  /** Some record may be provisional (bound to an id that was no observer): checked at each sync (confirmBindings). */
  private provisional = false
  /** Joined clients found unbound at the last look (checkUnbound), and the sync of that look. */
  private readonly unbound = new Set<string>()
  private unboundLook = 0
  /** Entity classes whose view tags were checked against the bands (checkTags). */
  private readonly checkedClasses = new WeakSet<object>()
  /** Which entity id each tracked instance stands for: one instance replicates one entity. */
  private readonly trackedAs = new WeakMap<object, number>()
  /** Set when the room was disposed: the plugin's views and system are gone. */
  private disposed = false
  /**
   * A view holding nothing, registered with the room state's root for as long as the plugin runs:
   * with no view registered (before the first client's view got its first entity, or after the
   * last client left) schema sends `.stream()` collections' elements to every client.
   */
  private rootView: StateView | null = null
  private rootViewOf: unknown = undefined
  /** Warnings already given by this plugin (each is given once). */
  private readonly warned = new Set<string>()
  private readonly errors = new Set<string>()

  /**
   * @param options - band tags, entry budget, view sharing, maxRange; validated here (an unknown
   *   key is refused: a misspelt `maxrange` would leave the room without its bound).
   */
  constructor(options: AttentionPluginOptions = {}) {
    super()
    this.opts = resolvePluginOptions(options)
    this.given = options
  }

  /**
   * Connects the attention system whose interest sets drive the views. Call it once per room, in
   * `onCreate`: a second call throws (it would start over without the tracked entities and the
   * views), except the same system again without options, which does nothing. Options are set
   * here or in the constructor, once, not changed while the room runs.
   *
   * The system is the room's: using it from a second live room throws, and the plugin disposes it
   * (`system.dispose()`: its world listeners and its worker threads) when the room is disposed,
   * after the room's own `onDispose`. Calling `dispose()` yourself as well is harmless.
   * @param system - from `createAttentionSystem`, created by this room.
   * @param options - overrides of the constructor's options; an override left `undefined` keeps the
   *   constructor's value. Never pass the room's create options through: they come from the client
   *   that created the room. Pick the fields your server decides.
   * @returns the plugin, for chaining.
   * @example
   * override onCreate() {
   *   this.plugins.attention.use(this.attention, { maxRange: 200, positions: this.C.Position })
   * }
   */
  use(system: AttentionSystem, options?: AttentionPluginOptions): this {
    if (this.disposed) throw new Error(`colyseus-attention: use() after room ${this.roomLabel()} was disposed: a plugin serves one room, in its onCreate`)
    if (this.system !== null) {
      if (system === this.system && options === undefined) return this
      throw new Error(
        `colyseus-attention: use() is called once per room, in onCreate; this plugin already drives ${system === this.system ? 'this' : 'another'} attention system, ` +
          'and a second use() would start over without its tracked entities and its views. Options are set once: ' +
          'give them to new AttentionPlugin({ ... }) or to that first use(system, { ... }).',
      )
    }
    if (typeof system !== 'function' || typeof system.memberCount !== 'function') {
      throw new TypeError('colyseus-attention: use(system) needs the system returned by createAttentionSystem')
    }
    if (options !== undefined) checkOptionKeys('use(system, options)', options)
    const opts = options === undefined ? this.opts : resolvePluginOptions(mergeOptions(this.given, options))
    checkRangeSource(opts, system.capacity)
    checkNotRetired(system)
    // only rooms claim: tests and tools may drive several plugins from one system by hand
    if (this.inRoom()) claimSystem(system, this, this.roomLabel())
    this.opts = opts
    this.system = system
    this.registry = createEntityRegistry(system.capacity)
    this.scratch = createSyncScratch(system.capacity)
    this.scratch.refresh = opts.refresh
    this.scratch.maxRange2 = opts.maxRange2
    this.scratch.positions = opts.positions
    warnIfNoWebSocketGlobal()
    return this
  }

  /**
   * Declares `instance` (already in the room state's `.view()` collection) as the replicated form
   * of entity `eid`. Tracking an id again replaces the old instance (removing it from every view).
   * Throws, naming the entity, when the instance is not in the room's state or not behind a
   * `.view()` field (every client would receive it).
   */
  track(eid: number, instance: Ref): void {
    if (this.afterDispose('track')) return
    const reg = this.requireRegistry('track')
    this.checkEid(eid)
    const holder = checkTrackable(eid, instance, this.stateRoot())
    const other = this.trackedAs.get(instance as object)
    if (other !== undefined && other !== eid && reg.instances[other] === instance) {
      // its views would follow one entity's interest and rules while sending the other's state
      throw new Error(
        `colyseus-attention: track(${eid}, instance): this instance is tracked as entity ${other} already; an instance replicates one entity. ` +
          `Create an instance per entity, or untrack(${other}) first.`,
      )
    }
    this.checkTags(instance)
    this.holdRootView()
    if (reg.instances[eid] !== undefined) this.untrack(eid)
    // its holder now: a move to another collection is said (findSharedInstance)
    reg.set(eid, instance, this.system!.generationOf(eid), holder)
    this.trackedAs.set(instance as object, eid)
    this.scratch!.tracked = true
  }

  /**
   * Forgets entity `eid`'s instance and removes it from every view now. Call it when the entity
   * despawns, before or after deleting the instance from the state.
   * @param onSeen - called with the session id of every client whose view held the entity (so the
   *   game can tell those clients "destroyed" rather than "left your interest").
   */
  untrack(eid: number, onSeen?: (sessionId: string) => void): void {
    if (this.afterDispose('untrack')) return
    const reg = this.requireRegistry('untrack')
    this.checkEid(eid)
    const inst = reg.instances[eid]
    if (inst === undefined) return
    if (this.trackedAs.get(inst as object) === eid) this.trackedAs.delete(inst as object)
    const gen = reg.generation[eid]!
    for (const r of this.records) {
      const j = recordSlot(r, eid)
      if (j === -1 || r.gens[j] !== gen) continue
      removeFromView(r.view, inst, this.opts.bandTags[r.bands[j]!]!)
      recordRemoveAt(r, j)
      if (onSeen) for (const s of r.sessions) onSeen(s)
    }
    reg.delete(eid)
  }

  /**
   * Binds `client` to observer entity `observer`: the client gets a StateView (shared with other
   * clients bound to the same observer when `shareViews`) that will hold the observer's set.
   * Call it in the room's `onJoin`, or again to move a client to another observer (spectating, a
   * respawn): the client keeps a view of its own (its view retargeted, or a copy when others share
   * it), and the next sync removes from the client everything the new observer does not see, then
   * adds that observer's set. Colyseus sends no full state on a view change, so a fresh view would
   * leave the old entities on the client, never updated again. A moved client does not join another
   * client's shared view of its new observer (it encodes its own), and clients that bind to that
   * observer later do not join the moved client's view. Binding to the same observer again does nothing.
   *
   * A binding lasts while the observer keeps its Observer and Position: once it loses either (the
   * entity removed, its id perhaps taken by a new player, or respawned), the client's view empties,
   * said once, until `bind()` is called again. An entity that is no observer yet may be bound (the
   * Observer added after, in the same `onJoin`, awaits included): if it still is none at the first
   * sync after the client joined (or, for a client joined already, at the next sync), the binding
   * lapses, said once, until `bind()` is called again. Only the room's own joined clients get a
   * view. A `Client` kept from before the client reconnected may be passed: the session's client
   * now is bound.
   */
  bind(client: Client, observer: number): void {
    if (this.afterDispose('bind')) return
    this.requireRegistry('bind')
    this.checkEid(observer)
    // a Client object the game kept from before a reconnection is not the session's now: Colyseus
    // gave the reconnected session a new one (its view copied over), which the patches are encoded
    // for. The view goes to that one (on the old object, the client would keep the view it had).
    if (this.inRoom()) client = clientOf(this.room.clients, client.sessionId) ?? client
    const bound = this.bySession.get(client.sessionId)
    // a bound client may rebind while it is away (reconnection window): only a new binding must be
    // of a client of this room that has not left
    if (this.inRoom() && (bound === undefined || client.view !== bound.view) && !this.room.clients.includes(client)) {
      // another room's client would be sent this room's entities through its refIds, and a client
      // that left keeps a view nobody disposes: neither gets one
      const left = client.state === ClientState.LEAVING
      this.warnOnce(
        left ? 'bind-left' : 'bind-foreign',
        left
          ? `bind(client, ${observer}): client ${client.sessionId} already left room ${this.roomLabel()} (a Client kept and bound from a timer or callback after the room's onLeave for it?), so it gets no view. Bind in onJoin, or check client.state first.`
          : `bind(client, ${observer}): client ${client.sessionId} is not a client of room ${this.roomLabel()}, so it gets no view: a room's plugin binds the room's own clients (from onJoin).`,
      )
      return
    }
    if (!this.inRoom() && typeof (client as { send?: unknown }).send === 'function' && !this.warned.has('registered')) {
      this.warnOnce(
        'registered',
        `bind() was given a room's client, but this plugin is not registered on the room, so it never hears onLeave or onDispose: ` +
          'the views of clients that left are kept and synced forever. Declare it on the room: ' +
          'plugins = definePlugins([new AttentionPlugin({ ... })]) and use it as this.plugins.attention.',
      )
    }
    this.hookFullState()
    this.watchSync()
    this.holdRootView()
    const gen = this.system!.observerGenerationOf(observer)
    const old = bound
    if (old !== undefined && client.view === old.view) {
      // bound already: the client's decoder holds what its view sent, and Colyseus sends no new
      // full state for a new view, so it keeps a view that removes what the new observer may not see
      // (the same id bound again after it lost its Observer is a new observer too)
      if (old.observer !== observer || old.observerGen !== gen) this.rebind(client, old, observer)
      return
    }
    this.unbindSession(client.sessionId)
    let r = this.opts.shareViews ? this.byObserver.get(observer) : undefined
    // a shared view of an earlier observer on this id follows nobody now
    if (r !== undefined && r.observerGen !== gen) {
      this.byObserver.delete(observer)
      r = undefined
    }
    if (r === undefined) {
      r = createViewRecord(createManagedView(), observer, gen)
      // confirmed at a sync, not here: onJoin may bind first and add the Observer after
      r.provisional = this.isProvisional(observer)
      this.records.push(r)
      this.byView.set(r.view, r)
      if (this.opts.shareViews) this.byObserver.set(observer, r)
    }
    r.sessions.push(client.sessionId)
    this.bySession.set(client.sessionId, r)
    client.view = r.view
  }

  /**
   * Moves a bound client to another observer on a view that holds what its client already has:
   * its own view retargeted, or, when others share that view, a copy of it for this client alone.
   * The next sync reconciles it in full, so every entity the new observer may not see is removed
   * from the client (a fresh, empty view would leave those on the client, never updated again).
   */
  private rebind(client: Client, old: ViewRecord, observer: number): void {
    let r = old
    if (old.sessions.length > 1) {
      r = this.fork(client, old)
      // the shared view's queued removals (an entity untracked, a band lowered since the last patch)
      // are the moved client's too: it holds what the shared view sent it
      copyPendingRemovals(old.view, r.view)
    } else if (this.byObserver.get(old.observer) === old) {
      this.byObserver.delete(old.observer)
    }
    // a fork (full state's, or the one above) follows its parent's observer no more: it stays the
    // client's own view. Nor is it offered to clients that bind to `observer` later: until the next
    // sync it holds the previous observer's entities, which a joining client's full state would show
    this.forks.delete(r)
    r.observer = observer
    r.observerGen = this.system!.observerGenerationOf(observer)
    r.provisional = this.isProvisional(observer)
    r.synced = -1
  }

  /** True when `observer` is no observer yet: a binding to it waits for confirmBindings (noted for the next sync). */
  private isProvisional(observer: number): boolean {
    if (this.system!.isObserver(observer)) return false
    this.provisional = true
    return true
  }

  /**
   * Settles the bindings made while their id was no observer (onJoin may bind first and add the
   * Observer after, awaits between included). An id with neither Position nor Observer names no
   * entity the engine follows: removed and taken by a new player's entity, it would carry that
   * player's set, hidden and owned entities included, to this client. So a binding waits only
   * while none of its clients is joined (nothing is sent to a client before its full state): one
   * whose id is an observer by then follows that observer; one whose id is still none lapses (its
   * view stays empty, said once) until the game binds again. Runs at each sync while such a
   * binding exists, before the views are synced.
   */
  private confirmBindings(system: AttentionSystem): void {
    let waiting = false
    for (const r of this.records) {
      if (!r.provisional) continue
      if (system.isObserver(r.observer)) {
        // (an observer life that ended since the bind is caught by its generation, as for any binding)
        r.provisional = false
        continue
      }
      if (!this.anyJoined(r)) {
        waiting = true
        continue
      }
      r.provisional = false
      r.observerGen = LAPSED_BINDING
      if (this.byObserver.get(r.observer) === r) this.byObserver.delete(r.observer)
      if (r.sessions.length === 0) continue
      this.warnOnce(
        'bind',
        `bind(client, ${r.observer}): entity ${r.observer} is not an observer, so the client's view stays empty until bind() is called again: ` +
          `the binding lapsed when its client had joined and the entity still had no Observer (an id without one is no entity the plugin can follow; a new player could take it). ` +
          `Call addObserver(world, C, ${r.observer}, { radius, budget }) in onJoin (before or after bind()), or bind the client again once the entity has one.`,
      )
    }
    this.provisional = waiting
  }

  /** True when a client of `r` is joined (it is sent patches), or the plugin runs outside a room. */
  private anyJoined(r: ViewRecord): boolean {
    return this.joinedCount(r) !== 0
  }

  /** How many clients of `r` are joined (they are sent patches); -1 outside a room. */
  private joinedCount(r: ViewRecord): number {
    if (!this.inRoom()) return -1
    let n = 0
    for (const sid of r.sessions) if (clientOf(this.room.clients, sid)?.state === ClientState.JOINED) n++
    return n
  }

  /** Observer entity a client is bound to, or -1. */
  observerOf(sessionId: string): number {
    const r = this.bySession.get(sessionId)
    // a view whose observer lost Observer or Position follows nobody (the id may be another player's now)
    return r === undefined || this.system === null || observerGone(r, this.system) ? -1 : r.observer
  }

  /** Number of distinct StateViews (what Colyseus encodes per patch besides the shared part). */
  get viewCount(): number {
    return this.records.length
  }

  /**
   * Highest band at which any client's view holds `eid` after the last sync, or -1 when no view
   * holds it. A game can skip writing full-rate fields of entities nobody watches closely (below
   * `Band.Medium`), which saves encoding work for every view; pair it with the `refresh` option.
   */
  watchBand(eid: number): number {
    return this.scratch === null || eid < 0 || eid >= this.scratch.watch.length ? -1 : this.scratch.watch[eid]!
  }

  /** Entities that wait for the entry budget in `sessionId`'s view after the last sync. */
  pendingOf(sessionId: string): number {
    return this.bySession.get(sessionId)?.pending ?? 0
  }

  /**
   * True when `sessionId`'s view holds entity `eid` (the client has been sent it, and it is still
   * there). Allocates nothing: a room that tells a client about its interest set (a debug overlay)
   * lists only what this says the client holds, since the engine's set also names members the
   * plugin keeps back (entry budget, deny rules since the tick, `maxRange`).
   */
  holds(sessionId: string, eid: number): boolean {
    const r = this.bySession.get(sessionId)
    return r !== undefined && recordSlot(r, eid) !== -1
  }

  /**
   * Entity ids currently in `sessionId`'s view (what the client has been sent). Allocates: for
   * debugging and tests.
   */
  viewMembers(sessionId: string): number[] {
    const r = this.bySession.get(sessionId)
    return r === undefined ? [] : Array.from(r.eids.subarray(0, r.count))
  }

  /**
   * Applies every observer's interest set to its view. Call it from the room's `onBeforePatch`,
   * after the attention system ran for the tick.
   */
  sync(): void {
    if (this.afterDispose('sync')) return
    const system = this.system
    this.syncs++
    if (system === null) {
      // an async onCreate still awaiting before its use() (loading a model): Colyseus runs the
      // patch timer already, and nothing can be bound before use(), so there is nothing to sync
      if (this.inRoom() && roomCreating(this.room)) return
      // in the patch timer a throw would end the process: say it once, like any sync failure
      this.syncFailed(new Error('colyseus-attention: sync() before use(system): call plugins.attention.use(system) in onCreate'))
      return
    }
    try {
      this.hookEncoder()
      this.hookFullState()
      // a state replaced since the last sync: the views start over on it (holdRootView)
      if (this.rootViewOf !== undefined) this.holdRootView()
      if (this.provisional) this.confirmBindings(system)
      syncViews(this.records, system, this.registry!, this.opts.bandTags, this.opts.entryBudget, this.scratch!)
    } catch (err) {
      this.syncFailed(err)
      return
    }
    if (this.scratch!.refreshErrorEid !== -1) this.refreshFailed()
    this.checkTicking(system)
    if (!this.warned.has('unbound') && this.syncs - this.unboundLook >= UNBOUND_SYNCS) this.checkUnbound()
    // a tracked instance the game also put in another entity's field or a plain state field reaches
    // every client holding that place: only the game can take it back, so say it (once)
    if (this.syncs % SHARED_SYNCS === 0 && !this.warned.has('shared')) {
      try {
        const found = findSharedInstance(this.registry!, this.stateRoot())
        if (found !== null) this.warnOnce('shared', found.message)
      } catch (err) {
        // it reads schema internals: never a throw into the patch timer
        this.syncFailed(err)
      }
    }
    this.reportSentBytes(system)
    const s = this.scratch!
    if (s.orphanedObserver !== -1) this.orphaned(s.orphanedObserver)
    if (s.staleTracked !== -1) {
      if (!this.warned.has('stale')) {
        this.warnOnce(
          'stale',
          `entity ${s.staleTracked} lost Position after track() (a respawn, or its id removed and reused), so its tracked instance no longer stands for it and no client receives it. ` +
            `Call plugins.attention.track(${s.staleTracked}, instance) again once it has Position back (untrack it when it goes for good).`,
        )
      }
      s.staleTracked = -1
    }
    if (s.strippedEid !== -1) this.strippedWarning()
    // the message is built only once: a mistake that persists must not allocate every patch
    if (s.detached > 0 && !this.warned.has('detached')) {
      this.warnOnce(
        'detached',
        `entity ${s.detachedEid} is tracked but its instance is no longer in the room's state, so no client receives it. ` +
          `Call plugins.attention.untrack(${s.detachedEid}) when you delete it from the state (or track the new instance).`,
      )
    }
  }

  /**
   * A sync that threw (a bug, or state the plugin did not expect): logged (once per message),
   * never rethrown, since it runs in Colyseus' patch timer where it would end the process and every
   * room in it. Every view is reconciled from its whole set at the next sync.
   */
  private syncFailed(err: unknown): void {
    this.dropBarredEverywhere()
    for (const r of this.records) r.synced = -1
    const msg = err instanceof Error ? err.message : String(err)
    if (this.errors.has(msg) || this.errors.size >= 16) return
    this.errors.add(msg)
    console.error(`colyseus-attention: sync() failed in room ${this.roomLabel()}; the room goes on and the next sync retries:`, err)
  }

  /**
   * Every view drops what it may not hold now (denied, beyond `maxRange`), as a sync would; a view
   * where even that throws is emptied. Runs before every patch is encoded (the game may change the
   * world after sync()), and after a sync that stopped part-way (the views it did not reach still
   * hold the last sync's entries). Fails closed: a client may miss an entity for a patch, never
   * receive one it may not see. One deny-flag read (and one distance, with maxRange) per entry.
   */
  private dropBarredEverywhere(): void {
    const system = this.system
    const registry = this.registry
    if (system === null || registry === null) return
    const s = this.scratch!
    const tags = this.opts.bandTags
    for (const r of this.records) {
      try {
        if (s.reader === null || s.reader.system !== system) s.reader = createSetReader(system)
        dropBarred(r, s.reader, registry, tags, s)
      } catch {
        try {
          clearView(r, registry, tags)
        } catch {
          // schema refused to remove an entry: nothing more this view can do before the patch
        }
      }
    }
  }

  /** An entity went out with a child schema whose own tagged fields were held back (schema-tags.ts stripChildTags): said once. */
  private strippedWarning(): void {
    const s = this.scratch!
    const e = s.strippedEid
    s.strippedEid = -1
    if (this.warned.has('stripped')) return
    const inst = this.registry!.instances[e]
    const cls = (inst as object | undefined)?.constructor?.name || 'Entity'
    this.warnOnce(
      'stripped',
      `entity ${e}'s ${cls} holds a ${s.strippedClass} with fields tagged .view(tag) (a subclass in a field that declares another class, or an element of a collection), ` +
        `which track() could not see in the declared types. Bands set the view tags of the entity's own fields only, so the plugin never sends a child's own tagged fields, at any band. ` +
        `Leave ${s.strippedClass}'s fields untagged and tag the entity's field that holds it instead (.view(AttentionTags.Detail): the whole child then arrives and leaves with the band), or flatten it into the entity.`,
    )
  }

  /** The game's refresh callback threw during a sync (the sync went on): said once, with the first error. */
  private refreshFailed(): void {
    const s = this.scratch!
    if (!this.warned.has('refresh')) {
      this.warned.add('refresh')
      console.error(
        `colyseus-attention: the refresh callback threw for entity ${s.refreshErrorEid}; the sync went on and the entity was sent with the values it had. ` +
          'Reported once, for the first error:',
        s.refreshError,
      )
    }
    s.refreshError = undefined
    s.refreshErrorEid = -1
  }

  /** Warns once when the system did not tick across several syncs: every view then shows stale sets. */
  private checkTicking(system: AttentionSystem): void {
    if (system.tick !== this.lastTick) {
      this.lastTick = system.tick
      this.staleSyncs = 0
      this.lastTickAt = -1
      return
    }
    if (++this.staleSyncs < STALE_SYNCS || this.records.length === 0 || this.warned.has('tick')) return
    // many patches per tick are fine (a slow simulation step): only a tick that stays away is a mistake
    const now = performance.now()
    if (this.lastTickAt < 0) this.lastTickAt = now
    if (now - this.lastTickAt < STALE_MS) return
    this.warnOnce(
      'tick',
      `the attention system has not ticked for ${this.staleSyncs} patches over ${STALE_MS / 1000} s (tick ${system.tick}), so views show ${system.tick === 0 ? 'nothing' : 'stale sets'}. ` +
        'Call attention(world) every simulation step, e.g. this.setTimestep(() => this.attention(this.world), 50), before sync() runs in onBeforePatch.',
    )
  }

  /** Once per class: warns when a field's view tag is held by no band (the field would never be sent). */
  private checkTags(instance: Ref): void {
    const cls = (instance as object).constructor
    if (this.checkedClasses.has(cls)) return
    this.checkedClasses.add(cls)
    const fields = unreachableFields(instance, this.opts.bandTags)
    if (fields.length === 0) return
    this.warnOnce(
      `tags:${cls.name}`,
      `${cls.name} field${fields.length > 1 ? 's' : ''} ${fields.join(', ')} ${fields.length > 1 ? 'have tags' : 'has a tag'} that no band holds ` +
        `(bandTags [${this.opts.bandTags.join(', ')}]), so no client ever receives ${fields.length > 1 ? 'them' : 'it'}. ` +
        'Tag it with AttentionTags.Motion or AttentionTags.Detail, or add its tag to a band in the bandTags option.',
    )
  }

  /**
   * Every UNBOUND_SYNCS syncs until it has warned: warns once when a joined client was unbound at
   * two looks in a row (onJoin never called bind(): the client receives none of the entities).
   */
  private checkUnbound(): void {
    this.unboundLook = this.syncs
    if (!this.inRoom()) return
    const before = this.unbound.size > 0 ? new Set(this.unbound) : null
    this.unbound.clear()
    // an index loop: the array's iterator showed as kilobytes of garbage per look at 500 clients
    // (a sampling heap profile of npm run bench:load)
    const clients = this.room.clients
    for (let i = 0; i < clients.length; i++) {
      const c = clients[i]!
      if (c.state !== ClientState.JOINED || this.bySession.has(c.sessionId)) continue
      if (before !== null && before.has(c.sessionId)) {
        this.warnOnce(
          'unbound',
          `client ${c.sessionId} joined room ${this.roomLabel()} but is bound to no observer, so it receives none of the tracked entities ` +
            "(only the state's fields outside .view()). Call this.plugins.attention.bind(client, observerEntity) in onJoin.",
        )
        this.unbound.clear()
        return
      }
      this.unbound.add(c.sessionId)
    }
  }

  /** After the first bind: warns once if no sync() ran within a few patches (every view would stay empty). */
  private watchSync(): void {
    // with the serializer hooked, the patches themselves tell (afterPatch): a room may patch by hand, rarely
    if (this.syncs > 0 || this.syncTimer !== null || this.hookedSerializer !== null) return
    const rate = (this.room as { patchRate?: number | null } | undefined)?.patchRate
    const ms = Math.max(500, 10 * (typeof rate === 'number' && rate > 0 ? rate : 50))
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null
      if (this.syncs === 0 && this.records.length > 0) {
        this.warnOnce(
          'sync',
          `sync() was not called within ${ms} ms of a client's bind(), so every view stays empty. ` +
            'Call this.plugins.attention.sync() in the room\'s onBeforePatch().',
        )
      }
    }, ms)
    this.syncTimer.unref?.()
  }

  /** A patch went out to views while sync() had never run: warns once after a few. */
  private patchedUnsynced(): void {
    if (++this.unsyncedPatches < UNSYNCED_PATCHES) return
    this.warnOnce(
      'sync',
      `sync() was not called before the ${this.unsyncedPatches} patches sent since a client's bind(), so every view stays empty. ` +
        'Call this.plugins.attention.sync() in the room\'s onBeforePatch().',
    )
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    console.warn(`colyseus-attention: ${message}`)
  }

  private inRoom(): boolean {
    return typeof (this.room as { roomId?: unknown } | undefined)?.roomId === 'string'
  }

  /** The room's id for messages, or "(no room)" when the plugin is driven by hand. */
  private roomLabel(): string {
    return (this.room as { roomId?: string } | undefined)?.roomId ?? '(no room)'
  }

  /** The Root of the room's encoder, when the plugin runs in a room. */
  private stateRoot(): unknown {
    return (roomEncoder(this.room) as { root?: unknown } | undefined)?.root
  }

  /** Colyseus hook: detaches the leaving client from its view (disposed with `disposeViews` when no client shares it). */
  protected override onLeave(client: Client): void {
    // a room that awaits allowReconnection in its own onLeave (Colyseus runs the plugin's after it):
    // the client is back, on the same session and view
    if (client.state === ClientState.RECONNECTED) return
    this.hadFullState.delete(client.sessionId)
    this.unbindSession(client.sessionId)
  }

  /**
   * Colyseus hook, after the room's own `onDispose`: disposes every view, then the system given to
   * `use()` (its world listeners and worker threads would otherwise outlive the room).
   */
  protected override onDispose(): void {
    this.disposed = true
    const system = this.system
    releaseSystem(system, this)
    if (this.syncTimer !== null) clearTimeout(this.syncTimer)
    this.syncTimer = null
    // one walk of the state for every view, the root view's included
    const views = this.records.map((r) => r.view)
    if (this.rootView !== null) views.push(this.rootView)
    this.rootView = null
    disposeViews(views)
    this.records.length = 0
    this.forks.clear()
    this.byObserver.clear()
    this.byView.clear()
    this.bySession.clear()
    this.hadFullState.clear()
    if (system === null) return
    retireSystem(system, this.roomLabel())
    system.dispose()
  }

  /** Detaches a session from its view; disposes the view when nobody uses it any more. */
  private unbindSession(sessionId: string): void {
    const r = this.bySession.get(sessionId)
    if (r === undefined) return
    this.bySession.delete(sessionId)
    const k = r.sessions.indexOf(sessionId)
    if (k !== -1) r.sessions.splice(k, 1)
    if (r.sessions.length === 0) this.disposeRecord(r)
  }

  /** Disposes a record's view and forgets the record (its last client left it). */
  private disposeRecord(r: ViewRecord): void {
    disposeViews([r.view])
    const i = this.records.indexOf(r)
    if (i !== -1) this.records.splice(i, 1)
    this.byView.delete(r.view)
    this.forks.delete(r)
    if (this.byObserver.get(r.observer) === r) this.byObserver.delete(r.observer)
  }

  /**
   * Hooks the room's serializer (once per serializer) so a client's full state never leaves its
   * view's older pending changes queued for it (full-state.ts).
   */
  private hookFullState(): void {
    const ser = roomSerializer(this.room)
    if (ser === undefined || ser === this.hookedSerializer) return
    this.hookedSerializer = ser
    hookFullState(ser, this.fullStateHandler)
  }

  /**
   * Before `client`'s full state: drops from its view what the observer may not receive now (denied
   * or beyond `maxRange`, removed from the world or its id reused, since the last sync: a full state
   * between two patches must not show it).
   * Then, when the view has pending changes that other joined clients of the view still need, moves
   * the client to a fork of the view (its full state then comes from the fork, whose own pending
   * changes the full state delivers).
   */
  private beforeFullState(client: Client): void {
    const view = client.view
    if (view === undefined) return
    if (this.rootViewOf !== undefined) this.holdRootView()
    const r = this.byView.get(view)
    if (r === undefined || this.registry === null) return
    const s = this.scratch!
    if (s.reader === null || s.reader.system !== this.system) s.reader = createSetReader(this.system!)
    // an observer id that lost its Observer since the bind: the view follows it no more
    if (observerGone(r, s.reader)) clearView(r, this.registry, this.opts.bandTags)
    dropBarred(r, s.reader, this.registry, this.opts.bandTags, s)
    dropDead(r, s.reader, this.registry, this.opts.bandTags)
    // a reconnecting client needs removals of its own (afterFullState), a joining one only when the
    // shared view has changes pending that its other clients still need
    if (!(hasPending(view) || (r.count > 0 && this.hadFullState.has(client.sessionId))) || !sharedWithJoined(this.room.clients, client, view)) return
    this.forks.set(this.fork(client, r), r)
  }

  /**
   * After a client's full state: a view no other joined client uses drops the changes the full state
   * delivered. A reconnecting client also gets a DELETE of every tagged field its entities' bands no
   * longer show: the sdk's resync keeps the fields of every object the full state shows, so a field
   * its band stopped showing while it was away would otherwise stay on it, frozen.
   */
  private afterFullState(client: Client, view: StateView): void {
    const reconnecting = this.hadFullState.has(client.sessionId)
    this.hadFullState.add(client.sessionId)
    if (sharedWithJoined(this.room.clients, client, view)) return
    if (hasPending(view)) dropPending(view)
    const r = this.byView.get(view)
    const reg = this.registry
    if (!reconnecting || r === undefined || reg === null) return
    for (let j = 0; j < r.count; j++) {
      const e = r.eids[j]!
      const inst = reg.instances[e]
      if (inst !== undefined && reg.holds(e, r.gens[j]!)) deleteHiddenFields(view, inst, this.opts.bandTags[r.bands[j]!]!)
    }
  }

  /**
   * Moves `client` from `r` to a new view of its own holding the same entries (what the client
   * already has), with `r`'s sync state when the copy is exact (else the next sync reconciles it
   * in full). Returns the new record.
   */
  private fork(client: Client, r: ViewRecord): ViewRecord {
    const f = createViewRecord(createManagedView(), r.observer, r.observerGen)
    f.provisional = r.provisional
    const reg = this.registry!
    let exact = true
    for (let j = 0; j < r.count; j++) {
      const e = r.eids[j]!
      const inst = reg.instances[e]
      if (inst === undefined || !reg.holds(e, r.gens[j]!)) {
        exact = false
        continue
      }
      try {
        const stripped = addToView(f.view, inst, this.opts.bandTags[r.bands[j]!]!)
        if (stripped !== undefined) noteStripped(this.scratch!, e, stripped)
      } catch {
        // an instance deleted from the state without untrack: the parent view holds it in vain too
        exact = false
        continue
      }
      recordAdd(f, e, r.gens[j]!, r.bands[j]!)
    }
    // the same entries in the same order: the next sync moves both alike (else the fork is reconciled in full)
    f.synced = exact ? r.synced : -1
    f.members = r.members
    f.pending = r.pending
    f.held = r.held
    const k = r.sessions.indexOf(client.sessionId)
    if (k !== -1) r.sessions.splice(k, 1)
    f.sessions.push(client.sessionId)
    this.records.push(f)
    this.byView.set(f.view, f)
    this.bySession.set(client.sessionId, f)
    client.view = f.view
    return f
  }

  /**
   * After a patch: a fork whose view and parent's both have nothing pending and hold the same
   * entries gives its clients back to the parent (they see exactly what they saw) and is disposed.
   * A fork whose parent was disposed becomes an ordinary view of its observer.
   */
  private mergeForks(): void {
    for (const [f, p] of this.forks) {
      if (!this.records.includes(p)) {
        this.forks.delete(f)
        if (this.opts.shareViews && !this.byObserver.has(f.observer)) this.byObserver.set(f.observer, f)
        continue
      }
      if (hasPending(f.view) || hasPending(p.view) || f.observer !== p.observer || f.observerGen !== p.observerGen || !sameEntries(f, p)) continue
      // a view that never held anything is bound to no state yet: its clients' full state lacked the
      // entity collection the other may show them (its later adds would name a collection they never got)
      if (viewIdOf(f.view) < 0 || viewIdOf(p.view) < 0) continue
      // every client of the fork must be joined here (a dropped client's view is restored from its old client object)
      const clients: Client[] = []
      for (const s of f.sessions) {
        const c = this.room.clients.find((x) => x.sessionId === s && x.view === f.view && x.state === ClientState.JOINED)
        if (c !== undefined) clients.push(c)
      }
      if (clients.length !== f.sessions.length) continue
      for (const c of clients) {
        c.view = p.view
        p.sessions.push(c.sessionId)
        this.bySession.set(c.sessionId, p)
      }
      f.sessions.length = 0
      this.disposeRecord(f)
    }
  }

  /**
   * Closes the byte-budget loop about once a second: tells the engine what each view's clients
   * were actually sent (bytes per second), so its band costs follow the game's real schema.
   */
  private reportSentBytes(system: AttentionSystem): void {
    const now = performance.now()
    if (this.lastReport < 0) {
      this.lastReport = now
      for (const r of this.records) r.sentBytes = 0
      return
    }
    const seconds = (now - this.lastReport) / 1000
    if (seconds < 1) return
    this.lastReport = now
    for (const r of this.records) {
      // a fork reports nothing: its parent speaks for the observer
      if (r.synced !== -1 && system.isObserver(r.observer) && !observerGone(r, system) && !this.forks.has(r)) system.reportBytes(r.observer, r.sentBytes / seconds)
      r.sentBytes = 0
    }
  }

  /**
   * Installs the view-encoding hook on the room's encoder (once per encoder; the room may replace
   * its state). Always: clients sharing a view need its repeat fix; indexing per `fastViewEncoding`.
   */
  private hookEncoder(): void {
    const encoder = roomEncoder(this.room)
    if (encoder === undefined || encoder === this.hookedEncoder) return
    this.hookedEncoder = encoder
    installViewEncoding(encoder, {
      indexed: this.opts.fastViewEncoding,
      onViewBytes: (view, bytes) => {
        const r = this.byView.get(view)
        if (r !== undefined) r.sentBytes += bytes
      },
    })
  }

  /**
   * True (and said once) when the room was disposed: `method` then does nothing. A timer of the
   * game's own may still call it; a throw there would end the process.
   */
  private afterDispose(method: string): boolean {
    if (!this.disposed) return false
    this.warnOnce(
      'disposed',
      `${method}() after room ${this.roomLabel()} was disposed: ignored (its views and attention system are gone). Stop the room's own timers in onDispose.`,
    )
    return true
  }

  /**
   * A sync emptied the view of a client whose observer id `o` lost its Observer since the bind: said
   * once; the view is no longer offered to clients binding to `o` (it follows another observer).
   */
  private orphaned(o: number): void {
    this.scratch!.orphanedObserver = -1
    const r = this.byObserver.get(o)
    if (r !== undefined && observerGone(r, this.system!)) this.byObserver.delete(o)
    if (this.warned.has('orphaned')) return
    // a client that is leaving (the room removed its player in an async onLeave) needs no advice
    const joined = (r: ViewRecord): boolean =>
      r.observer === o && r.sessions.some((sid) => this.room.clients.some((c) => c.sessionId === sid && c.state === ClientState.JOINED))
    if (this.inRoom() && !this.records.some(joined)) return
    this.warnOnce(
      'orphaned',
      `the observer ${o} a client was bound to lost its Observer or its Position (the entity removed, its id perhaps reused by another player, or respawned), so that client's view is now empty. ` +
        `Bind the client again, to its new observer, with plugins.attention.bind(client, eid) (also after a respawn that removes Position or Observer).`,
    )
  }

  /**
   * Registers {@link rootView} with the room state's root (once per root: a room may replace its
   * state, `this.state = new State()`), and when the root changed, starts every view over on it.
   */
  private holdRootView(): void {
    const root = this.stateRoot()
    if (root === undefined || root === this.rootViewOf) return
    const replaced = this.rootViewOf !== undefined
    if (this.rootView !== null) disposeViews([this.rootView])
    const view = createManagedView()
    this.rootView = bindViewToRoot(view, root) ? view : null
    this.rootViewOf = root
    if (replaced) this.restartViews()
  }

  /**
   * The room's state was replaced: every view is bound to the old state's Root, and its id (its bit
   * in every object's bitmaps) means nothing on the new one, where a view bound since (a client
   * that joined) may have the same id: each would be sent what the other holds. Each view is
   * disposed from the old state and bound to the new one at once, empty, under an id of the new
   * state (a disposed view keeps its old bit until it is bound again: whatever a new view of that id
   * held would reach it, in an unreliable patch or a reconnection's full state); the next sync gives
   * it its observer's set in the new state. The clients keep their view objects. Colyseus sends clients joined before the replacement no new full state, so what they
   * decoded of the old state and the new one lacks stays on them: said once.
   */
  private restartViews(): void {
    let joined = 0
    const views: StateView[] = []
    for (const r of this.records) {
      views.push(r.view)
      joined += Math.max(0, this.joinedCount(r))
    }
    disposeViews(views)
    const root = this.stateRoot()
    for (const r of this.records) {
      // the old state's pending changes name its objects: nothing of them may reach the new one
      dropPending(r.view)
      bindViewToRoot(r.view, root)
      while (r.count > 0) recordRemoveAt(r, r.count - 1)
      r.pending = 0
      r.held = 0
      r.synced = -1
    }
    if (joined === 0) return
    this.warnOnce(
      'state-replaced',
      `the state of room ${this.roomLabel()} was replaced while ${joined} client${joined > 1 ? 's were' : ' was'} joined: each client's view starts over on the new state, ` +
        'but Colyseus sends those clients no new full state: what they decoded of the old state is not cleared (entities the new state lacks stay on them, never updated). ' +
        'Replace the state before clients join (in onCreate), or change its fields instead.',
    )
  }

  /** The registry of the system given to use(); throws naming `method` before that. */
  private requireRegistry(method: string): EntityRegistry {
    if (this.system === null) {
      throw new Error(`colyseus-attention: ${method}() before use(system): call this.plugins.attention.use(attention) in onCreate, before any ${method}()`)
    }
    return this.registry!
  }

  private checkEid(eid: number): void {
    checkInteger('entity id', eid, 0, this.registry!.capacity - 1)
  }
}

