// Owns: the body of an observer thread (option `threads`, observer-threads.ts): rebuilds the
// system's structures over the shared memory it was given (the same factories, replaying the
// shared arrays in order), then waits for ticks: on each it takes the tick's scalars, claims
// chunks of the observer list and runs observer-pass.ts over them, and says it is done.
import { parentPort, workerData } from 'node:worker_threads'
import { createBroadphase } from './broadphase'
import type { DenseList } from './entity-tracker'
import { createRowWriter } from './features'
import { createInteractionStore } from './interactions'
import { createInterestSets } from './interest-sets'
import type { ObserverPass } from './observer-pass'
import { growRows } from './observer-pass'
import { claim, Control, type WorkerInit } from './observer-threads'
import type { OwnershipIndex } from './ownership'
import { createSelectionState } from './selection-state'
import { createReplayAlloc } from './shared-alloc'

const init = workerData as WorkerInit
const cfg = init.config
const c = init.components
const ctl = init.control
const replay = createReplayAlloc(init.replay)
// the order of the room's thread (attention-system.ts): sets, broadphase, interactions, hints
const sets = createInterestSets(cfg.maxObservers, cfg.stride, replay)
const bp = createBroadphase(cfg.capacity, cfg.cellSize, c, replay, cfg.threads)
const interactions = createInteractionStore(cfg.capacity, cfg.interactionSlots, replay)
const readOnly = (): never => {
  throw new Error('colyseus-attention: an observer thread never edits this list')
}
const positioned: DenseList = { ids: init.positionedIds, count: 0, add: readOnly, remove: readOnly }
const alwaysRelevant: DenseList = { ids: init.alwaysIds, count: 0, add: readOnly, remove: readOnly }
const ownership: OwnershipIndex = { head: init.ownHead, next: init.ownNext, sync: readOnly, unlink: readOnly, added: readOnly, ownerGone: readOnly }
const st = createSelectionState(
  {
    c,
    flags: init.flags,
    generation: init.generation,
    sets,
    ownership,
    alwaysRelevant,
    hysteresis: cfg.hysteresis,
    bands: cfg.bands,
    byteCosts: cfg.byteCosts,
    byteScale: init.byteScale,
    estBytes: init.estBytes,
    selfStill: init.selfStill,
    stillCharge: init.stillCharge,
    floorBytes: init.floorBytes,
    price: init.price,
    priceBudget: init.priceBudget,
    priceAge: init.priceAge,
    dt: cfg.dt,
    detailBytes: init.detailBytes,
    rowEid: new Uint32Array(1024),
    rowRule: new Uint8Array(1024),
    scores: new Float32Array(1024),
  },
  replay,
)
const pass: ObserverPass = {
  c,
  flags: init.flags,
  positioned,
  bp,
  writer: createRowWriter(c, init.flags, init.generation, interactions, cfg.params, cfg.rowWeights, bp.cols),
  st,
  sets,
  slotOf: init.slotOf,
  every: cfg.every,
  scoredTick: init.scoredTick,
  doneTick: init.doneTick,
  grow: (need) => growRows(st.inp, need),
  noFeatures: new Float32Array(0),
  control: ctl,
  tick: 0,
}
// this thread's extras go after the room's thread's region and the regions of the workers before it
const extraBase = (init.index + 1) * cfg.capacity
const at = Control.WorkerBase + 3 * (init.index - 1)
const obs = init.observerIds

/** One tick: the room's thread's scalars, then chunks of the observer list until none is left. */
function runTick(): void {
  pass.tick = ctl[Control.Tick]!
  positioned.count = ctl[Control.PositionedCount]!
  alwaysRelevant.count = ctl[Control.AlwaysCount]!
  bp.gridEnd = ctl[Control.GridEnd]!
  bp.exemptEnd = ctl[Control.ExemptEnd]!
  bp.packedEnd = ctl[Control.PackedEnd]!
  bp.wideN = ctl[Control.WideCount]!
  bp.stamp = ctl[Control.Stamp]!
  bp.extraBase = extraBase
  const obsN = ctl[Control.ObserverCount]!
  const fault = Atomics.exchange(ctl, Control.Fault, 0)
  if (fault === 1) throw new Error('fault injected by a test')
  // a hang: no answer until the threads are stopped
  if (fault === 2) while (Atomics.load(ctl, Control.Stop) === 0) Atomics.wait(ctl, Control.Stop, 0, 50)
  Atomics.add(ctl, Control.WorkerObservers, claim(pass, obs, obsN))
}

Atomics.store(ctl, at + 2, 1)
let seen = 0
for (;;) {
  Atomics.wait(ctl, at, seen)
  if (Atomics.load(ctl, Control.Stop) === 1) break
  const go = Atomics.load(ctl, at)
  seen = go
  try {
    runTick()
  } catch (e) {
    Atomics.store(ctl, Control.Failed, init.index)
    parentPort?.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  }
  Atomics.store(ctl, at + 1, go)
  Atomics.notify(ctl, at + 1)
}
