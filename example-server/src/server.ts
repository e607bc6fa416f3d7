import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineRoom, defineServer, matchMaker, type Presence } from '@colyseus/core'
import { RedisDriver } from '@colyseus/redis-driver'
import { RedisPresence } from '@colyseus/redis-presence'
import { Redis } from 'ioredis'
import { Encoder } from '@colyseus/schema'
import { WebSocketTransport } from '@colyseus/ws-transport'
import express from 'express'
import { createEntityKeys, installWebSocketGlobal } from 'colyseus-attention'
import { WebSocket } from 'ws'
import { parseArenaOptions } from './arena-options'
import { ArenaRoom, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_ROOMS } from './arena-room'
import { DirectFrameTransport } from './direct-frames'
import { mountDebugRoutes } from './debug-routes'
import { zoneInbox } from './zone-border'

/** Options of {@link startServer}. */
export interface StartOptions {
  /** TCP port; 0 picks a free one. @defaultValue 2567 */
  port?: number
  /**
   * Interface to bind. @defaultValue '0.0.0.0', or '127.0.0.1' with `debug` (its routes are
   * unauthenticated GETs open to any origin and show what clients may not see: give a host to
   * serve them beyond this machine)
   */
  host?: string
  /** NPC bots per arena. @defaultValue 300 */
  bots?: number
  /** Mount the /debug/* routes (interest, world, explain, zones, spawn, despawn). @defaultValue false */
  debug?: boolean
  /** Arena PRNG seed. @defaultValue 1 */
  seed?: number
  /** false: baseline without interest management (every client gets everything). @defaultValue true */
  attention?: boolean
  /** Most entities entering a client's view per patch. @defaultValue 24 */
  entryBudget?: number
  /** Hard visibility bound per client (see `ArenaOptions.maxRange`). @defaultValue undefined (none) */
  maxRange?: number
  /** Bytes per second each client may receive (see `ArenaOptions.byteBudget`). @defaultValue 0 (count budget) */
  byteBudget?: number
  /** `learned`: rooms score with the shipped ONNX model instead of the built-in heads. @defaultValue 'heads' */
  scorer?: 'heads' | 'learned'
  /** Directory of the built browser client. @defaultValue example-client/dist */
  clientDir?: string
  /**
   * Redis URL (e.g. redis://127.0.0.1:6379): run as one of several processes sharing Colyseus'
   * RedisPresence and RedisDriver. Without it, one process with the in-memory default.
   */
  redisUrl?: string
  /** host:port clients of other processes reach this one at. @defaultValue 127.0.0.1:<port> */
  publicAddress?: string
  /**
   * Processes the cluster is started with: zone rooms are placed only once this many have
   * registered with the presence (or after 15 s), so that processes started together all get
   * zones. @defaultValue 1
   */
  processes?: number
  /** Zoned world: `columns` x `rows` zone rooms, created across the processes by the matchmaker. */
  zones?: { columns: number; rows: number }
  /**
   * Write each binary message to its socket as one frame with one write (direct-frames.ts); false:
   * the ws library's own send. Same bytes on the wire either way. @defaultValue true
   */
  directFrames?: boolean
  /**
   * Threads each room's attention engine scores observers on (the engine's `threads` option, 1 to
   * 8; more than 1 needs the built-in heads). Worth it only when a core is otherwise idle.
   * @defaultValue 1
   */
  engineThreads?: number
  /**
   * Pipeline the engine's threads (its `pipelined` option): the workers score the next tick while
   * the room's thread syncs and sends, and clients get the sets a tick later. Needs the built-in
   * heads; `engineThreads` then defaults to 2.
   * @defaultValue false
   */
  enginePipelined?: boolean
  /** Most players per arena room (1 to 2000): a full room takes no more joins. @defaultValue 500 */
  maxClients?: number
  /**
   * Most arena rooms this process holds (1 to 256; not counting a zoned world's rooms): once they
   * are all full, a `joinOrCreate` is refused with "the server is full" instead of creating another.
   * @defaultValue 4
   */
  maxRooms?: number
  /**
   * A zoned world's entity key secret: 16 lowercase hex digits (`openssl rand -hex 8`), the same in
   * every process, so that an entity keeps its key from zone to zone. Needed with `redisUrl` and
   * `zones`; with `zones` alone (every zone room in this process) one is made at start.
   */
  entityKeySecret?: string
}

/** A running example server. */
export interface RunningServer {
  port: number
  /** The address it listens on (e.g. '127.0.0.1', '0.0.0.0'). */
  host: string
  stop(): Promise<void>
}

/**
 * Checks that Redis answers at `url` before the server starts: with retries on (as Colyseus needs
 * them to ride out outages) an unreachable Redis would make `listen()` wait forever instead.
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false })
  // the socket's error (ECONNREFUSED, ENOTFOUND, ...) comes as an event; connect() then only says
  // "Connection is closed."
  let cause: unknown
  probe.on('error', (e: unknown) => {
    cause ??= e
  })
  try {
    await probe.connect()
    await probe.ping()
  } catch (e) {
    const err = cause ?? e
    const why = err instanceof Error ? err.message : String(err)
    throw new Error(`Redis is not reachable at ${url}: ${why.replace(/\.+$/, '')}. Start redis-server or fix REDIS_URL.`)
  } finally {
    probe.disconnect()
  }
}

/**
 * An ioredis client that rides out outages (commands wait instead of failing) and logs errors once
 * per outage; `onBack` runs when it is connected again after one.
 */
function redisClient(url: string, role: string, onBack?: () => void): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null })
  let down = false
  r.on('error', (e: Error) => {
    if (!down) console.warn(`[server] redis ${role} connection error (${url}): ${e.message}; retrying`)
    down = true
  })
  r.on('ready', () => {
    if (down) {
      console.warn(`[server] redis ${role} connection is back (${url})`)
      onBack?.()
    }
    down = false
  })
  return r
}

/**
 * How long after the presence's connection to Redis is back a zone check's answer is not trusted:
 * the rooms' subscriptions to their border channels come back on connections of their own, each on
 * its own retry schedule (ioredis: up to 2 s apart). Checks that had waited out the outage then
 * answered at once, before the subscriptions were back, saw live zones missing twice in a row, and
 * a second room was made for one of them (the cluster test's Redis outage, in a few CI runs:
 * its next test then killed the process that held both a zone and the duplicate of the other).
 */
const ZONE_RESUBSCRIBE_MS = 5000
/** A zone room's creation is one process's per window of this length (ensureZones). */
const ZONE_CREATE_WINDOW_MS = 5000

/**
 * Makes sure every zone has a room. A zone is live while something subscribes to its border inbox
 * channel (only its room does, and the subscription goes when its process dies). A zone missing at
 * two checks in a row, neither answered within {@link ZONE_RESUBSCRIBE_MS} of a Redis outage's end
 * (`settling`), gets a room: the processes race for a short per-zone lock in the presence and the
 * winner asks the matchmaker to create it, on the process {@link zoneAwareSelector} picks. One room
 * per pass.
 */
async function ensureZones(count: number, presence: Presence, missing: Uint8Array, settling: () => boolean): Promise<void> {
  const live = new Set(await presence.channels(zoneInbox('*')))
  // an answer that waited out an outage can come before the rooms resubscribed
  if (settling()) {
    missing.fill(0)
    return
  }
  let created = false
  for (let zone = 0; zone < count; zone++) {
    if (live.has(zoneInbox(zone))) {
      missing[zone] = 0
      continue
    }
    const seen = missing[zone]!
    missing[zone] = seen + 1
    if (seen === 0 || created) continue
    // one creator per zone and 5 s window: the first to count 1 in the window creates. (One counter
    // per zone for all time never came back to 1 while the zone stayed missing: every attempt
    // counted on and kept the hash alive, and a zone room lost within 5 s of its creation was never
    // created again.)
    if ((await presence.hincrbyex('arena:zone-create', `${zone}:${Math.floor(Date.now() / ZONE_CREATE_WINDOW_MS)}`, 1, 2 * ZONE_CREATE_WINDOW_MS / 1000)) !== 1) continue
    await matchMaker.createRoom('arena', { zone })
    missing[zone] = 0
    created = true
  }
}

/**
 * Where the matchmaker creates a room, over the live processes (those whose IPC channel `p:<id>` has
 * a subscriber: a dead process's goes with its Redis connection). A zone room goes to the process
 * at `zone mod N` in process-id order, so zones spread over the processes: the room counts other
 * processes publish lag by up to a second, and two processes placing zones at the same moment would
 * each see the other one empty and could both pick the same one. Any other room goes to the least
 * loaded live process, as Colyseus's default does.
 */
function zoneAwareSelector(presence: Presence): matchMaker.SelectProcessIdCallback {
  return async (_roomName, clientOptions) => {
    const live = new Set(await presence.channels('p:*'))
    const procs = (await matchMaker.stats.fetchAll())
      .filter((p) => p.processId === matchMaker.processId || live.has(`p:${p.processId}`))
      .sort((a, b) => (a.processId < b.processId ? -1 : a.processId > b.processId ? 1 : 0))
    if (procs.length === 0) return matchMaker.processId
    const zone = (clientOptions as { zone?: unknown } | undefined)?.zone
    if (typeof zone === 'number' && Number.isInteger(zone) && zone >= 0) return procs[zone % procs.length]!.processId
    return procs.reduce((a, b) => (b.roomCount < a.roomCount ? b : a)).processId
  }
}

/**
 * True once `expected` processes have registered with the presence (Colyseus keeps one entry per
 * process in its `roomcount` hash), or once `waitedMs` passed 15 s: the matchmaker places a zone on
 * the least loaded process it knows, and one that starts late would otherwise get none.
 */
async function clusterReady(presence: Presence, expected: number, waitedMs: number): Promise<boolean> {
  if (expected <= 1 || waitedMs > 15_000) return true
  const known = await presence.hgetall('roomcount')
  return Object.keys(known ?? {}).length >= expected
}

const here = dirname(fileURLToPath(import.meta.url))

// Colyseus 0.18 needs a global `WebSocket` to reconnect a client: Node 22 has it, Node 20 does not.
installWebSocketGlobal(WebSocket)

/** Finds a free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, host, () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => ok(port))
    })
  })
}

/**
 * Starts the example Colyseus server with the `arena` room and the browser client.
 * @example
 * const server = await startServer({ port: 0, host: '127.0.0.1', bots: 100, debug: true })
 * // ... connect clients to ws://127.0.0.1:${server.port}
 * await server.stop()
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  // the room checks these again at creation; checked here, a bad value fails at start, not at the first join
  const pipelined = options.enginePipelined === true
  const engineThreads = options.engineThreads ?? (pipelined ? 2 : 1)
  const refused = parseArenaOptions({ engineThreads, enginePipelined: options.enginePipelined, scorer: options.scorer, maxClients: options.maxClients, maxRooms: options.maxRooms })
  if (typeof refused === 'string') throw new RangeError(`startServer: ${refused}`)
  // a zoned world's rooms make an entity's key with one secret, so that it keeps its key from zone
  // to zone: given (the same in every process), or made here when every zone room is in this one
  if (options.entityKeySecret !== undefined) {
    try {
      createEntityKeys(options.entityKeySecret)
    } catch (err) {
      throw new RangeError(`startServer: entityKeySecret (ENTITY_KEY_SECRET): ${(err as Error).message.replace('createEntityKeys: ', '')}`)
    }
  }
  const keySecret = options.zones === undefined ? undefined : (options.entityKeySecret ?? (options.redisUrl === undefined ? createEntityKeys().secret : undefined))
  if (options.zones !== undefined && keySecret === undefined) {
    throw new RangeError(
      'startServer: a zoned world on several processes (redisUrl, REDIS_URL) needs entityKeySecret (ENTITY_KEY_SECRET): 16 lowercase hex digits, ' +
        'the same in every process, e.g. from `openssl rand -hex 8` (each process would make its own, and an entity would change its key at a border)',
    )
  }
  // debug routes answer anyone who can reach the port: by default, only this machine can
  const host = options.host ?? (options.debug === true ? '127.0.0.1' : '0.0.0.0')
  const port = options.port === 0 ? await freePort(host === '0.0.0.0' ? '127.0.0.1' : host) : (options.port ?? 2567)
  const clientDir = options.clientDir ?? resolve(here, '../../example-client/dist')
  // all views encode into one buffer; size it for a few hundred clients up front
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE, 4 * 1024 * 1024)
  const redisUrl = options.redisUrl
  if (redisUrl !== undefined) await checkRedis(redisUrl)
  // when Redis comes back, the zone rooms' subscriptions follow on connections of their own, a
  // moment later: until then a live zone looks missing (see ensureZones)
  let redisBackAt = -Infinity
  const presence = redisUrl === undefined ? undefined : new RedisPresence(redisClient(redisUrl, 'presence', () => (redisBackAt = performance.now())))
  const driver = redisUrl === undefined ? undefined : new RedisDriver(redisClient(redisUrl, 'driver'))
  const arena = defineRoom(ArenaRoom, {
    bots: options.bots ?? 300,
    seed: options.seed ?? 1,
    attention: options.attention !== false,
    entryBudget: options.entryBudget,
    zones: options.zones,
    debug: options.debug === true,
    maxRange: options.maxRange,
    byteBudget: options.byteBudget ?? 0,
    scorer: options.scorer,
    // always set, so that a join's options cannot choose them (a client's tickMs: 10 would make
    // the room tick at 100 Hz)
    tickMs: 50,
    engineThreads,
    enginePipelined: pipelined,
    maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
    maxRooms: options.maxRooms ?? DEFAULT_MAX_ROOMS,
    // (only zone rooms read it; and a room definition's options override a join's: no client chooses it)
    ...(keySecret === undefined ? {} : { keySecret }),
  })
  if (options.zones !== undefined) arena.filterBy(['zone'])
  // client frames are tiny (see MAX_FRAME_BYTES); anything above 1 KiB closes the socket (1009)
  const transport = options.directFrames === false ? new WebSocketTransport({ maxPayload: 1024 }) : new DirectFrameTransport({ maxPayload: 1024 })
  const server = defineServer({
    rooms: { arena },
    transport,
    greet: false,
    // the caller owns the process: main.ts stops on SIGINT/SIGTERM, tests call stop(). Colyseus's
    // own signal handlers would run a second shutdown next to the caller's, and the loser of the
    // race prints "error during shutdown: already_shutting_down".
    gracefullyShutdown: false,
    ...(presence === undefined
      ? {}
      : {
          presence,
          driver,
          publicAddress: options.publicAddress ?? `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
          selectProcessIdToCreateRoom: zoneAwareSelector(presence),
        }),
    express: (app) => {
      // whether the page may create the arena (joinOrCreate) or only join a zone room (see below)
      app.get('/arena-info', (_req, res) => {
        res.setHeader('Access-Control-Allow-Origin', '*')
        res.json({ zoned: options.zones !== undefined })
      })
      if (options.debug) mountDebugRoutes(app)
      if (existsSync(resolve(clientDir, 'index.html'))) app.use(express.static(clientDir))
      else {
        app.get('/', (_req, res) => {
          res.type('text/plain').send('The browser client is not built yet: run `npm run build -w example-client`, then reload.\n')
        })
      }
    },
  })
  // A zoned world's rooms are the server's to create (ensureZones), one per zone and never
  // disposed: a client's create (or a joinOrCreate that finds no room) would add rooms that simulate
  // bots for ever. Clients join (by criteria or id) and reconnect only. The controller is
  // process-wide: stop() (or a failed start) puts the previous list back.
  const exposed = matchMaker.controller.exposedMethods
  const joinOnly = ['join', 'joinById', 'reconnect']
  if (options.zones !== undefined) matchMaker.controller.exposedMethods = joinOnly
  // put back only what this server set (another server of the process may have set its own since)
  const restoreExposed = (): void => {
    if (matchMaker.controller.exposedMethods === joinOnly) matchMaker.controller.exposedMethods = exposed
  }
  // Colyseus's listen() settles on 'listening' only: a port in use or a host that does not resolve
  // would leave it pending for ever (and main.ts waiting, deaf to Ctrl-C). Fail with the reason.
  let listenError: ((e: Error) => void) | undefined
  const failed = new Promise<never>((_ok, fail) => transport.server!.once('error', (listenError = fail)))
  try {
    await Promise.race([server.listen(port, host), failed])
  } catch (e) {
    restoreExposed()
    throw e
  } finally {
    transport.server!.off('error', listenError!)
  }
  let zoning: NodeJS.Timeout | undefined
  if (options.zones !== undefined) {
    const count = options.zones.columns * options.zones.rows
    const p = presence ?? matchMaker.presence
    const missing = new Uint8Array(count)
    const expected = options.processes ?? 1
    const since = performance.now()
    const settling = (): boolean => performance.now() - redisBackAt < ZONE_RESUBSCRIBE_MS
    // one check at a time: during an outage a check waits for Redis, and checks piled up behind it
    // would all answer at once when it is back
    let checking = false
    const ensure = (): void => {
      if (checking) return
      checking = true
      clusterReady(p, expected, performance.now() - since)
        .then((ready) => (ready ? ensureZones(count, p, missing, settling) : undefined))
        .catch((e: unknown) => console.warn(`[server] could not check the zone rooms: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => (checking = false))
    }
    // the first pass waits a little, so processes started together all count for the placement
    zoning = setInterval(ensure, 1000)
    zoning.unref()
  }
  const bound = transport.server!.address()
  return {
    port,
    host: typeof bound === 'object' && bound !== null ? bound.address : host,
    stop: async () => {
      clearInterval(zoning)
      await server.gracefullyShutdown(false)
      restoreExposed()
    },
  }
}
