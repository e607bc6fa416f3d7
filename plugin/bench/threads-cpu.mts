// CPU time per thread of option `threads` at 10k entities x 1,000 observers, read from
// /proc/self/task/<tid>/stat (Linux): on a machine busy with other work, wall time per tick says
// how long a tick waited for cores; CPU time per thread says how the work was split. With idle
// cores a tick would take about the larger of the threads' CPU times per tick.
//
//   node --expose-gc --import tsx plugin/bench/threads-cpu.mts [ticks] [blocks]
//
// Blocks of ticks alternate between a one-thread and a two-thread system on identical worlds
// (same seed, same moves). The worker is the thread, other than the room's, that used the most
// CPU over 30 two-thread ticks (V8's helper threads use far less). After every fifth two-thread
// tick the script also reads which CPU each of the two last ran on: the same one means that they
// took turns on one core.
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createWorld } from 'bitecs'
import { createAttentionComponents, createAttentionSystem } from '../src/index'
import { buildWorld } from './engine.bench'
import { positionalInteger } from '../../bench/lib/cli'

const TICKS = positionalInteger(2, 150, 'ticks')
const BLOCKS = positionalInteger(3, 4, 'blocks')
const HZ = 100 // USER_HZ: /proc reports CPU time in 1/100 s

/** The CPU thread `tid` last ran on (field 39 of its stat). */
function lastCpu(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36])
}

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
// the worker's thread id: the busiest thread other than the room's over a few ticks of the two-thread system
let worker = -1
{
  const before = threadCpu()
  for (let t = 0; t < 30; t++) { worlds[1]!.move(); systems[1]!(worlds[1]!.world) }
  let most = -1
  for (const [tid, ms] of threadCpu()) if (tid !== process.pid && ms - (before.get(tid) ?? 0) > most) { most = ms - (before.get(tid) ?? 0); worker = tid }
}
let sameCpu = 0
let sampled = 0
for (let b = 0; b < BLOCKS; b++) {
  for (let k = 0; k < 2; k++) {
    const i = (b + k) % 2
    const before = threadCpu()
    const t0 = performance.now()
    for (let t = 0; t < TICKS; t++) {
      worlds[i]!.move()
      systems[i]!(worlds[i]!.world)
      // right after a two-thread tick: did the worker last run on the CPU the room's thread is on?
      if (i === 1 && t % 5 === 0) {
        sameCpu += Number(lastCpu(worker) === lastCpu(process.pid))
        sampled++
      }
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
console.log(`  after ${sampled} sampled two-thread ticks, the worker had last run on the room's thread's CPU ${sameCpu} times`)
for (const sys of systems) sys.dispose()
