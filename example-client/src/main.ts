import { Client } from '@colyseus/sdk'
import type { Room } from '@colyseus/sdk'
import './style.css'
import { bindControls } from './input/controls'
import { FaceThrottle } from './input/face-throttle'
import { MoveSender } from './input/move-sender'
import type { MoveAxis } from './input/move-axis'
import { syncArena } from './net/arena-sync'
import { DebugWorldPoller } from './net/debug-world-poller'
import { resolveEndpoint, type Endpoint } from './net/endpoint'
import { fetchArenaInfo, joinArena } from './net/join-arena'
import type { SyncedState } from './net/synced-types'
import { tapTraffic, type TrafficTap } from './net/traffic-tap'
import { followHandovers } from './net/zone-follow'
import type { Camera, ScreenPoint } from './render/camera'
import { fitCamera, pick } from './render/camera'
import { drawWorld } from './render/draw-world'
import { BytesSeries } from './stats/bytes-series'
import { exposeHooks } from './test-hooks'
import { ExplainTooltip } from './ui/explain-tooltip'
import { StatsPanel } from './ui/stats-panel'
import { AttentionInfo } from './world/attention-info'
import { DebugWorld } from './world/debug-world'
import { EntityStore } from './world/entity-store'

const clock = (): number => performance.now()
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

async function main(): Promise<void> {
  const canvas = $<HTMLCanvasElement>('world')
  const status = $('status')
  const overlayBox = $<HTMLInputElement>('overlay')
  const worldBox = $<HTMLInputElement>('world-layer')
  const params = new URLSearchParams(location.search)
  if (params.get('overlay') === '0') overlayBox.checked = false
  if (params.get('world') === '0') worldBox.checked = false

  let endpoint: Endpoint
  let client: Client
  let room: Room<unknown, SyncedState>
  try {
    endpoint = resolveEndpoint(location)
    client = new Client(endpoint.ws)
    room = await joinArena(client, () => fetchArenaInfo(endpoint.http))
  } catch (err) {
    status.textContent = `cannot join: ${String(err)}`
    throw err
  }

  const store = new EntityStore()
  const attention = new AttentionInfo()
  let traffic: TrafficTap
  // the current room; in a zoned world it changes when the player crosses into another zone
  const attach = (r: Room<unknown, SyncedState>): void => {
    room = r
    status.textContent = `room ${r.roomId}`
    r.onLeave((code) => (status.textContent = `disconnected (${code})`))
    // ask for the attention overlay (the server sends it only to clients that ask: the rings, the
    // stats panel's set size, debug mode and the bands the interpolation follows all come from it),
    // and for what the full state would cost this page (the bytes chart's second line, carried by it).
    // Each room is asked anew: a zone handover joins another room.
    r.send('overlay')
    r.send('full-state')
    traffic = tapTraffic(r.connection, clock)
    syncArena(r, store, attention, clock)
  }
  attach(room)
  followHandovers(client, room, store, attach, clock)

  const moves = new MoveSender((axis: MoveAxis) => room.send('move', axis))
  const faces = new FaceThrottle((angle: number) => room.send('face', { angle }))
  let axis: MoveAxis = { dx: 0, dy: 0 }
  let selfAngle = 0
  let pointer: { x: number; y: number } | null = null
  bindControls(canvas, {
    onAxis: (a) => {
      axis = a
      moves.update(axis, clock())
    },
    onPointer: (angle, x, y) => {
      selfAngle = angle
      pointer = { x, y }
      faces.offer(angle, clock())
    },
    onPointerLeave: () => (pointer = null),
    onToggleOverlay: () => (overlayBox.checked = !overlayBox.checked),
    onToggleWorld: () => (worldBox.checked = !worldBox.checked),
  })

  // Debug mode is the server's to say (in the `attention` message): until it does, and with debug
  // off, the page asks no `/debug/*` route at all.
  const base = `${endpoint.http}/debug`
  // the current room (a zoned world hands the player to another room): read at each request
  const ids = (): string => `room=${encodeURIComponent(room.roomId)}&session=${encodeURIComponent(room.sessionId)}`
  // debug routes answer for the rooms of the process that serves this page; after a handover to a
  // room of another process there is nothing to ask here
  const pageHost = new URL(endpoint.http).host
  const servedHere = (): boolean => {
    const ws = (room.connection as unknown as { transport?: { ws?: { url?: string } } }).transport?.ws?.url
    if (ws === undefined) return true
    try {
      return new URL(ws).host === pageHost
    } catch {
      return true
    }
  }
  let tooltip: ExplainTooltip | null = null
  let poller: DebugWorldPoller | null = null
  const world = new DebugWorld()
  const enableDebug = (): void => {
    tooltip = new ExplainTooltip($('tooltip'), (key) => `${base}/explain?${ids()}&entity=${encodeURIComponent(key)}`)
    poller = new DebugWorldPoller(() => `${base}/world?${ids()}`, (s, at) => world.apply(s, at), clock)
    $('debug-help').hidden = false
    $('world-toggle').hidden = false
    $('legend-not-sent').hidden = false
  }

  const stats = new StatsPanel($('stats'))
  const series = new BytesSeries()
  let attentionSeenAt = -1
  let ghostsDrawn = 0
  let drawn: string[] = []
  let points: ScreenPoint[] = []
  let ghostPoints: ScreenPoint[] = []
  let positions: Record<string, [number, number]> = {}
  let frames = 0
  let statsAt = 0
  let lastCamera: Camera = fitCamera(0, 0, 60, 1, 1)
  exposeHooks({
    roomId: room.roomId,
    sessionId: room.sessionId,
    selfKey: () => attention.self,
    drawnKeys: () => drawn.slice(),
    frames: () => frames,
    overlay: () => overlayBox.checked,
    selfPosition: () => positions[attention.self]?.slice() as [number, number] | undefined ?? null,
    drawnPositions: () => ({ ...positions }),
    drawnKinds: () => Object.fromEntries(drawn.map((k) => [k, store.get(k)?.kind ?? ''])),
    radius: () => attention.radius,
    debug: () => attention.debug,
    worldLayer: () => worldBox.checked,
    worldSize: () => world.size,
    ghostsDrawn: () => ghostsDrawn,
    chartSamples: () => {
      const you: number[] = []
      const full: (number | null)[] = []
      for (let k = 0; k < series.length; k++) {
        const i = series.start(k)
        you.push(series.you[i]!)
        full.push(Number.isNaN(series.full[i]!) ? null : series.full[i]!)
      }
      return { you, full }
    },
    screenOf: (key) => {
      const p = points.find((q) => q.key === key)
      return p === undefined ? null : [p.sx, p.sy]
    },
  })

  const ctx = canvas.getContext('2d')!
  const frame = (): void => {
    const now = clock()
    moves.update(axis, now)
    faces.flush(now)
    store.prune(now)
    if (attention.receivedAt !== attentionSeenAt) {
      attentionSeenAt = attention.receivedAt
      if (!Number.isNaN(attention.fullBps)) series.noteFull(attention.fullBps)
      if (attention.debug && poller === null) enableDebug()
    }
    const worldOn = poller !== null && worldBox.checked && servedHere()
    if (worldOn) poller!.poll(now)
    else if (world.size > 0) world.clear()

    const dpr = window.devicePixelRatio || 1
    const w = canvas.clientWidth
    const h = canvas.clientHeight
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr)
      canvas.height = Math.round(h * dpr)
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)

    const self = store.get(attention.self)
    const centre = self !== undefined && self.motion.ready ? self.motion.at(now) : { x: lastCamera.cx, y: lastCamera.cy }
    // the debug world layer zooms out, so what attention left out around the focus is in the picture
    const viewRadius = attention.radius > 0 ? attention.radius * (worldOn ? 2.4 : 1.3) : 60
    lastCamera = fitCamera(centre.x, centre.y, viewRadius, w, h)
    const hoverKey = pointer === null ? null : pick(points, pointer.x, pointer.y) ?? pick(ghostPoints, pointer.x, pointer.y)
    const out = drawWorld(ctx, {
      store,
      attention,
      camera: lastCamera,
      selfKey: attention.self,
      selfAngle,
      overlay: overlayBox.checked,
      hoverKey,
      now,
      world: worldOn ? world : null,
    })
    drawn = out.drawn
    points = out.points
    positions = out.positions
    ghostPoints = out.ghosts?.points ?? []
    ghostsDrawn = out.ghosts === null ? 0 : out.ghosts.leftOut + out.ghosts.pending
    frames++
    if (tooltip !== null) tooltip.hover(hoverKey, pointer?.x ?? 0, pointer?.y ?? 0, now)

    if (now - statsAt >= 250) {
      statsAt = now
      let interest = 0
      for (const k of drawn) if (k !== attention.self) interest++
      stats.update({
        received: drawn.length,
        total: room.state.total ?? 0,
        bytesPerSecond: traffic.bytes.perSecond(now),
        patchesPerSecond: traffic.patches.perSecond(now),
        interest: attention.size > 0 ? attention.size - (attention.get(attention.self) ? 1 : 0) : interest,
        budget: attention.budget,
        byteBudget: attention.byteBudget,
        fullBytesPerSecond: attention.fullBps,
      })
    }
    if (series.tick(now, traffic.totalBytes())) stats.chart(series)
    requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
}

void main()
