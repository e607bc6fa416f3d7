import { afterEach, describe, expect, it } from 'vitest'
import { addComponent, addEntity, createWorld, removeComponent, removeEntity } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, setFacingAngle, type AttentionComponents, type AttentionSystem } from '../../src/index'

// Option pipelined hands readers at tick t + 1 the sets the workers computed from tick t,
// re-checked for entitlement at the hand-over.

const systems: AttentionSystem[] = []
afterEach(() => {
  for (const s of systems.splice(0)) s.dispose()
})

const N = 400
const OBSERVERS = 20

/** A world of N moving entities, the first OBSERVERS observers; deterministic for `seed`. */
function build(seed: number, pipelined: boolean) {
  let r = seed
  const rnd = (): number => ((r = (r * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const world = createWorld()
  const C: AttentionComponents = createAttentionComponents(N + 1, { shared: pipelined })
  for (let i = 0; i < N; i++) {
    const e = addEntity(world)
    C.Position.x[e] = rnd() * 300
    C.Position.y[e] = rnd() * 300
    C.Velocity.x[e] = (rnd() - 0.5) * 8
    C.Velocity.y[e] = (rnd() - 0.5) * 8
    addComponent(world, e, C.Position)
    addComponent(world, e, C.Velocity)
    setFacingAngle(world, C, e, rnd() * 2 * Math.PI)
    if (i < OBSERVERS) addObserver(world, C, e, { radius: 50, budget: 8 })
  }
  const sys = createAttentionSystem(world, { components: C, threads: pipelined ? 2 : 1, pipelined })
  systems.push(sys)
  const move = (): void => {
    for (let e = 1; e <= N; e++) {
      C.Position.x[e] = C.Position.x[e]! + C.Velocity.x[e]! * 0.05
      C.Position.y[e] = C.Position.y[e]! + C.Velocity.y[e]! * 0.05
    }
  }
  return { world, C, sys, move }
}

/** What a reader sees of every observer: members with bands, and the three change lists. */
function snapshot(sys: AttentionSystem): string[] {
  const out: string[] = []
  for (let o = 1; o <= OBSERVERS; o++) {
    const m: string[] = []
    for (let i = 0; i < sys.memberCount(o); i++) m.push(`${sys.memberAt(o, i)}:${sys.bandAt(o, i)}`)
    const list = (n: number, at: (i: number) => number): string => Array.from({ length: n }, (_, i) => at(i)).sort((a, b) => a - b).join(',')
    out.push(
      `${o} [${m.join(' ')}] +${list(sys.enteredCount(o), (i) => sys.enteredAt(o, i))} -${list(sys.exitedCount(o), (i) => sys.exitedAt(o, i))} ~${list(sys.bandChangedCount(o), (i) => sys.bandChangedAt(o, i))}`,
    )
  }
  return out
}

describe('option pipelined', () => {
  it('should show at tick t + 1 what the synchronous engine shows at tick t, when entitlement does not change', async () => {
    const a = build(7, false)
    const b = build(7, true)
    const t0 = Date.now()
    while (b.sys.threadsRunning() < 2 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10))
    expect(b.sys.threadsRunning()).toBe(2)
    let previous: string[] | null = null
    for (let t = 0; t < 60; t++) {
      a.move()
      b.move()
      a.sys(a.world)
      b.sys(b.world)
      // the workers read the stores: let them finish before the world moves (a room's next tick
      // comes 50 ms later; this test's at once)
      b.sys.settle()
      if (previous !== null) expect(snapshot(b.sys)).toEqual(previous)
      previous = snapshot(a.sys)
    }
  })

  it('should never hand a reader a member hidden while the workers ran, and report its exit', () => {
    const b = build(11, true)
    for (let t = 0; t < 5; t++) {
      b.move()
      b.sys(b.world)
    }
    b.sys(b.world)
    // an entity some observer holds now (not an observer itself)
    let target = -1
    for (let o = 1; o <= OBSERVERS && target === -1; o++) {
      for (let i = 0; i < b.sys.memberCount(o); i++) if (b.sys.memberAt(o, i) > OBSERVERS) target = b.sys.memberAt(o, i)
    }
    expect(target).toBeGreaterThan(0)
    // the pass in flight computed the sets with it visible; hidden now
    addComponent(b.world, target, b.C.Hidden)
    b.sys(b.world)
    let exits = 0
    for (let o = 1; o <= OBSERVERS; o++) {
      for (let i = 0; i < b.sys.memberCount(o); i++) expect(b.sys.memberAt(o, i)).not.toBe(target)
      for (let i = 0; i < b.sys.exitedCount(o); i++) if (b.sys.exitedAt(o, i) === target) exits++
    }
    expect(exits).toBeGreaterThan(0)
    // and no later hand-over brings it back or exits it again
    for (let t = 0; t < 3; t++) {
      b.sys(b.world)
      for (let o = 1; o <= OBSERVERS; o++) {
        for (let i = 0; i < b.sys.memberCount(o); i++) expect(b.sys.memberAt(o, i)).not.toBe(target)
        for (let i = 0; i < b.sys.exitedCount(o); i++) expect(b.sys.exitedAt(o, i)).not.toBe(target)
      }
    }
    removeComponent(b.world, target, b.C.Hidden)
  })

  // the synchronous engine first: it holds the reader below to the engine's own contract
  it.each([false, true])('should report an id recycled while the workers ran as an exit and an entry (pipelined %s)', async (pipelined) => {
    const b = build(13, pipelined)
    const t0 = Date.now()
    while (pipelined && b.sys.threadsRunning() < 2 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10))
    expect(b.sys.threadsRunning()).toBe(pipelined ? 2 : 1)
    // a reader that applies each hand-over's lists, as the plugin's incremental sync does: per
    // observer, the generation of every member it holds
    const held = new Map<number, Map<number, number>>()
    const apply = (): void => {
      for (let o = 1; o <= OBSERVERS; o++) {
        const h = held.get(o) ?? new Map<number, number>()
        held.set(o, h)
        for (let i = 0; i < b.sys.exitedCount(o); i++) h.delete(b.sys.exitedAt(o, i))
        for (let i = 0; i < b.sys.memberCount(o); i++) {
          const e = b.sys.memberAt(o, i)
          for (let k = 0; k < b.sys.enteredCount(o); k++) if (b.sys.enteredAt(o, k) === e) h.set(e, b.sys.memberGenerationAt(o, i))
        }
      }
    }
    let recycledSeen = 0
    for (let t = 0; t < 200 && recycledSeen < 5; t++) {
      b.move()
      // what readers held before this hand-over (by generation)
      const before = new Map<number, Map<number, number>>()
      for (let o = 1; o <= OBSERVERS; o++) before.set(o, new Map(held.get(o) ?? []))
      b.sys(b.world)
      apply()
      for (let o = 1; o <= OBSERVERS; o++) {
        const want: string[] = []
        for (let i = 0; i < b.sys.memberCount(o); i++) {
          const e = b.sys.memberAt(o, i)
          const g = b.sys.memberGenerationAt(o, i)
          want.push(`${e}@${g}`)
          const had = before.get(o)!.get(e)
          if (had !== undefined && had !== g) recycledSeen++
        }
        const got = [...held.get(o)!].map(([e, g]) => `${e}@${g}`)
        expect(got.sort(), `observer ${o} at hand-over ${t}`).toEqual(want.sort())
      }
      // while the workers score this tick: an entity near the last observer is removed and its id
      // is reused at once, right next to the observer (bitECS recycles ids)
      const o = OBSERVERS
      for (let i = 0; i < b.sys.memberCount(o); i++) {
        const e = b.sys.memberAt(o, i)
        if (e <= OBSERVERS) continue
        removeEntity(b.world, e)
        const again = addEntity(b.world)
        expect(again).toBe(e)
        b.C.Position.x[again] = b.C.Position.x[o]! + 1
        b.C.Position.y[again] = b.C.Position.y[o]! + 1
        addComponent(b.world, again, b.C.Position)
        addComponent(b.world, again, b.C.Velocity)
        break
      }
    }
    // a recycled id did reach a reader with its new generation (pipelined: the workers read it
    // while this thread reused the id)
    expect(recycledSeen).toBeGreaterThan(0)
  })
  it('should not hand an observer added while the workers ran the set they computed for the slot\'s previous observer', () => {
    // A crowd of 3,000 with 200 observers in it, so that a pass takes a while. Each round removes
    // one of them and, while the workers still run, adds an observer far away with nothing near:
    // it often takes the freed slot. A race between the room's thread and the workers (the workers
    // writing the old observer's set after the slot was cleared for the new one): it showed in a
    // probe of this shape as one round in 40 on the engine before the fix, on some runs only, so
    // this guards the invariant over many rounds rather than reproducing it every time.
    const world = createWorld()
    const C = createAttentionComponents(8000, { shared: true })
    const crowd: number[] = []
    for (let i = 0; i < 3000; i++) {
      const e = addEntity(world)
      addComponent(world, e, C.Position)
      C.Position.x[e] = i % 60
      C.Position.y[e] = Math.floor(i / 60)
      crowd.push(e)
    }
    const sys = createAttentionSystem(world, { components: C, threads: 2, pipelined: true })
    systems.push(sys)
    const watching: number[] = []
    for (let i = 0; i < 200; i++) {
      addObserver(world, C, crowd[i * 7]!, { radius: 50, budget: 32 })
      watching.push(crowd[i * 7]!)
    }
    for (let t = 0; t < 3; t++) sys(world)
    let r = 99
    const strangers: string[] = []
    for (let k = 0; k < 80; k++) {
      r = (r * 1103515245 + 12345) >>> 0
      removeEntity(world, watching.splice(r % watching.length, 1)[0]!)
      const b = addEntity(world)
      addComponent(world, b, C.Position)
      C.Position.x[b] = 10_000 + k * 200 // far from the crowd and from each other
      C.Position.y[b] = 10_000
      addObserver(world, C, b, { radius: 50, budget: 32 })
      for (let t = 0; t < 2; t++) {
        sys(world)
        for (let i = 0; i < sys.memberCount(b); i++) if (sys.memberAt(b, i) !== b) strangers.push(`round ${k} tick ${t}: ${sys.memberAt(b, i)}`)
      }
      // a new crowd observer keeps the pass long
      const e = addEntity(world)
      addComponent(world, e, C.Position)
      C.Position.x[e] = 30
      C.Position.y[e] = 30
      addObserver(world, C, e, { radius: 50, budget: 32 })
      watching.push(e)
    }
    expect(strangers.slice(0, 5)).toEqual([])
  })
})
