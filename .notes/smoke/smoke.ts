import { createWorld, addEntity, addComponent, removeEntity } from 'bitecs'
import { createAttentionComponents, createAttentionSystem, addObserver, setFacingAngle } from '../../plugin/src/index'
const world = createWorld()
const C = createAttentionComponents(20000)
const sys = createAttentionSystem(world, { components: C, cellSize: Number(process.env.CELL ?? 25) })
const N = Number(process.argv[2] ?? 10000), O = Number(process.argv[3] ?? 1000)
// density: ~150 entities within radius 50 -> area per entity = pi*2500/150 ≈ 52 -> world side sqrt(N*52)
const side = Math.sqrt(N * Math.PI * 2500 / Number(process.env.DENS ?? 150))
let seed = 1; const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296)
const ents: number[] = []
for (let i = 0; i < N; i++) {
  const e = addEntity(world); ents.push(e)
  addComponent(world, e, C.Position); C.Position.x[e] = rnd() * side; C.Position.y[e] = rnd() * side
  addComponent(world, e, C.Velocity); C.Velocity.x[e] = (rnd() - 0.5) * 10; C.Velocity.y[e] = (rnd() - 0.5) * 10
  setFacingAngle(world, C, e, rnd() * 6.28)
  if (i < O) addObserver(world, C, e, { radius: 50, budget: 32 })
}
const step = () => { for (const e of ents) { C.Position.x[e] += C.Velocity.x[e]! * 0.05; C.Position.y[e] += C.Velocity.y[e]! * 0.05
  if (C.Position.x[e]! < 0 || C.Position.x[e]! > side) C.Velocity.x[e] = -C.Velocity.x[e]!
  if (C.Position.y[e]! < 0 || C.Position.y[e]! > side) C.Velocity.y[e] = -C.Velocity.y[e]! } }
for (let t = 0; t < 50; t++) { step(); sys(world) }
const times: number[] = []
for (let t = 0; t < 200; t++) { step(); const t0 = performance.now(); sys(world); times.push(performance.now() - t0) }
times.sort((a, b) => a - b)
const o = ents[0]!
console.log('median ms', times[100]!.toFixed(3), 'p90', times[180]!.toFixed(3), 'members', sys.memberCount(o), 'entered', sys.enteredCount(o), 'exited', sys.exitedCount(o))
let tot = 0; for (let i = 0; i < O; i++) tot += sys.memberCount(ents[i]!); console.log('avg set', tot / O)
const m = sys.memberAt(o, 1); console.log(sys.explain(o, m).summary, sys.weightAt(o,1), sys.bandAt(o,1))
removeEntity(world, m); const e2 = addEntity(world); console.log('recycled', e2 === m); sys(world); console.log('exited', sys.exitedCount(o), sys.isMember(o, m))
