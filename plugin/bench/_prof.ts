import { addComponent, addEntity, createWorld } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, setFacingAngle, createHeadScorer, DEFAULT_WEIGHTS } from '../src/index'
import { writeModelInputs, INPUT_WIDTH } from '../src/learned/index'
const world = createWorld(); const N = 10000; const C = createAttentionComponents(N + 1)
const side = Math.sqrt((N * Math.PI * 2500) / 150)
let seed = 7; const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
for (let i = 0; i < N; i++) { const e = addEntity(world); C.Position.x[e] = rnd() * side; C.Position.y[e] = rnd() * side; addComponent(world, e, C.Position); C.Velocity.x[e] = rnd() - .5; addComponent(world, e, C.Velocity); setFacingAngle(world, C, e, rnd() * 6); if (i % 10 === 0) addObserver(world, C, e, { radius: 50, budget: 32 }) }
const heads = createHeadScorer({ ...DEFAULT_WEIGHTS })
let x = new Float32Array(1)
let mode = 0
const sc = { score: heads.score, scoreBatch(b: any, out: Float32Array) { heads.score(b.features, b.rows, out); if (mode >= 1) { if (x.length < b.rows * INPUT_WIDTH) x = new Float32Array(b.rows * INPUT_WIDTH * 2); writeModelInputs(b, x) } } }
for (const [name, opts] of [['fused', {}], ['batch', { scorer: sc }], ['batch+inputs', { scorer: sc }]] as const) {
  mode = name === 'batch+inputs' ? 1 : 0
  const sys = createAttentionSystem(world, { components: C, maxObservers: 1024, ...opts })
  const ts: number[] = []
  for (let i = 0; i < 30; i++) { const t0 = performance.now(); sys(world); ts.push(performance.now() - t0) }
  ts.sort((a, b) => a - b); console.log(name, ts[15]!.toFixed(2)); sys.dispose()
}
