// CPU profile of the engine's tick at 10k entities x 1,000 observers (node --cpu-prof): which
// phases a parallel split could take (run: node --import tsx --cpu-prof --cpu-prof-dir=DIR plugin/bench/profile-tick.mts)
import { createWorld } from 'bitecs'
import { createAttentionComponents, createAttentionSystem } from '../src/index'
import { buildWorld } from './engine.bench'
import { positionalInteger } from '../../bench/lib/cli'

createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
const w = buildWorld({ entities: 10_000, observers: 1_000 }, 12345)
const engine = createAttentionSystem(w.world, { components: w.C, maxObservers: 1024 })
const ticks = positionalInteger(2, 400, 'ticks')
const t0 = performance.now()
for (let i = 0; i < ticks; i++) {
  w.move()
  engine(w.world)
}
console.log(`${((performance.now() - t0) / ticks).toFixed(3)} ms per tick (move included)`)
engine.dispose()
