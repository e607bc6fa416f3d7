// CPU time per thread of option `threads` at 10k entities x 1,000 observers, read from
// /proc/self/task/<tid>/stat (Linux): on a machine busy with other work, wall time per tick says
// how long a tick waited for cores; CPU time per thread says how the work was split. With idle
// cores a tick would take about the larger of the threads' CPU times per tick.
//
//   node --expose-gc --import tsx plugin/bench/threads-cpu.mts [ticks] [blocks]
//
// Blocks of ticks alternate between a one-thread and a two-thread system on identical worlds
// (same seed, same moves). The worker is the thread, other than the room's, that used the most
// CPU in the block (V8's helper threads use far less).
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createWorld } from 'bitecs'
import { createAttentionComponents, createAttentionSystem } from '../src/index'
import { buildWorld } from './engine.bench'

const TICKS = Number(process.argv[2] ?? 150)
const BLOCKS = Number(process.argv[3] ?? 4)
const HZ = 100 // USER_HZ: /proc reports CPU time in 1/100 s

/** utime + stime of every thread of this process, in ms, by thread id. */
function threadCpu(): Map<number, number> {
  const m = new Map<number, number>()
  for (const t of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    m.set(Number(t), ((Number(f[11]) + Number(f[12])) * 1000) / HZ)
  }
  return m
}

createAttentionSystem(createWorld(), { components: createAttentionComponents(16) }).dispose()
const s = { entities: 10_000, observers: 1_000 }
const worlds = [buildWorld(s, 4242, true), buildWorld(s, 4242, true)]
const systems = [1, 2].map((n, i) => createAttentionSystem(worlds[i]!.world, { components: worlds[i]!.C, maxObservers: 1024, threads: n }))
while (systems[1]!.threadsRunning() < 2) await new Promise((r) => setTimeout(r, 20))
for (let t = 0; t < 30; t++) for (let i = 0; i < 2; i++) { worlds[i]!.move(); systems[i]!(worlds[i]!.world) }
const main = process.pid
console.log(`10k entities x 1,000 observers, ${TICKS} ticks per block, load average ${loadavg()[0]!.toFixed(1)}`)
const rows: string[] = []
for (let b = 0; b < BLOCKS; b++) {
  for (let k = 0; k < 2; k++) {
    const i = (b + k) % 2
    const before = threadCpu()
    const t0 = performance.now()
    for (let t = 0; t < TICKS; t++) {
      worlds[i]!.move()
      systems[i]!(worlds[i]!.world)
    }
    const wall = (performance.now() - t0) / TICKS
    const after = threadCpu()
    let mainMs = 0
    let other = 0
    for (const [tid, ms] of after) {
      const d = ms - (before.get(tid) ?? 0)
      if (tid === main) mainMs = d
      else if (d > other) other = d
    }
    rows.push(`  block ${b + 1}, threads ${i + 1}: wall ${wall.toFixed(2)} ms/tick (move included), room's thread CPU ${(mainMs / TICKS).toFixed(2)} ms/tick, busiest other thread ${(other / TICKS).toFixed(2)} ms/tick`)
  }
}
for (const r of rows) console.log(r)
for (const sys of systems) sys.dispose()
