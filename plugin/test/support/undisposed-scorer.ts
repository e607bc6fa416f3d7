// A process that creates a learned scorer, scores with it and ends without dispose(): the
// onnx-scorer test checks that it exits by itself. Usage (from plugin/):
//   node --import tsx test/support/undisposed-scorer.ts default   the shipped model, the package's worker
//   node --import tsx test/support/undisposed-scorer.ts restart   the fault worker, hung once and replaced
// Prints 'scored' once the model scored rows (with `restart`: rows of the replacement worker).
import { addComponent, addEntity, createWorld } from 'bitecs'
import { BroadcastChannel } from 'node:worker_threads'
import { addObserver, createAttentionComponents, createAttentionSystem } from '../../src/index'
import { createOnnxScorer, defaultModelPath, INPUT_WIDTH } from '../../src/learned/index'
import { tinyModel } from './tiny-onnx'

const restart = process.argv[2] === 'restart'
let hung = false
const scorer = restart
  ? await createOnnxScorer({ model: tinyModel(INPUT_WIDTH), workerUrl: new URL('./fault-worker.mjs', import.meta.url), hangTimeoutMs: 200, onEvent: (e) => (hung ||= e.kind === 'hang') })
  : await createOnnxScorer({ model: defaultModelPath() })
const world = createWorld()
const C = createAttentionComponents(16)
for (let i = 0; i < 6; i++) {
  const e = addEntity(world)
  addComponent(world, e, C.Position)
  addComponent(world, e, C.Velocity)
  C.Position.x[e] = i * 3
  if (i === 0) addObserver(world, C, e, { radius: 50, budget: 3 })
}
const attention = createAttentionSystem(world, { components: C, scorer })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Ticks until the model's answer scored rows (or gives up after `ticks`). */
async function untilScored(ticks: number): Promise<void> {
  for (let i = 0; i < ticks && scorer.stats().modelRows === 0; i++) {
    attention(world)
    await scorer.settle(100)
    await sleep(5)
  }
  if (scorer.stats().modelRows === 0) throw new Error('the model never scored')
}
await untilScored(200)
if (restart) {
  const faults = new BroadcastChannel('learned-fault')
  faults.postMessage('hang')
  faults.close()
  // the next request hangs; the watchdog replaces the worker
  for (let i = 0; i < 400 && !hung; i++) {
    attention(world)
    await sleep(10)
  }
  if (!hung) throw new Error('the worker was never replaced')
  // the replacement is serving when this process ends
  await untilScored(400)
}
console.log('scored')
