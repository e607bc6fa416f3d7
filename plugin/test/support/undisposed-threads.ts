// A process that creates an attention system with observer threads, ticks it and ends without
// dispose(): the observer-threads test checks that it exits by itself. Usage (from plugin/):
//   node --import tsx test/support/undisposed-threads.ts ready       the worker took part in the ticks
//   node --import tsx test/support/undisposed-threads.ts starting    ticked at once, the worker still starting
//   node --import tsx test/support/undisposed-threads.ts pipelined   option pipelined, a pass in flight at the end
// Prints 'ticked <threads running>' after the last tick.
import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem } from '../../src/index'

const mode = process.argv[2] ?? 'ready'
const world = createWorld()
const C = createAttentionComponents(64, { shared: true })
for (let i = 0; i < 40; i++) {
  const e = addEntity(world)
  addComponent(world, e, C.Position)
  C.Position.x[e] = (i % 8) * 6
  C.Position.y[e] = Math.floor(i / 8) * 6
  if (i < 10) addObserver(world, C, e, { radius: 50, budget: 4 })
}
const attention = createAttentionSystem(world, { components: C, threads: 2, pipelined: mode === 'pipelined' })
if (mode !== 'starting') {
  // the worker starts in the background: poll until it takes part (a timer keeps this await alive)
  const t0 = Date.now()
  while (attention.threadsRunning() < 2 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10))
  if (attention.threadsRunning() < 2) throw new Error('the worker never started')
}
for (let t = 0; t < 5; t++) attention(world)
console.log(`ticked ${attention.threadsRunning()}`)
