import { afterEach, describe, expect, it, vi } from 'vitest'
import { addComponent, addEntity, createWorld, type World } from 'bitecs'
import { addObserver, createAttentionComponents, createAttentionSystem, createHeadScorer, DEFAULT_HYSTERESIS, DEFAULT_WEIGHTS, FEATURE_COUNT, HEAD_NAMES, setFacingAngle } from '../../src/index'
import type { AttentionComponents, AttentionScorer, AttentionSystem, PairScores } from '../../src/index'

// explain() must tell the truth about an observer that cannot see, and read as a sentence.

function setup() {
  const world = createWorld()
  const C = createAttentionComponents(64)
  const sys = createAttentionSystem(world, { components: C, hysteresis: false })
  const at = (x: number): number => {
    const e = addEntity(world)
    addComponent(world, e, C.Position)
    C.Position.x[e] = x
    return e
  }
  return { world, C, sys, at }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('explain', () => {
  it('should say "in" and "not in" the set, with a rank a reader can use', () => {
    const { world, C, sys, at } = setup()
    const o = at(0)
    addObserver(world, C, o, { radius: 50, budget: 1, fov: 2 * Math.PI })
    const near = at(5)
    const farther = at(30)
    sys(world)
    const inSet = sys.explain(o, near)
    expect(inSet.summary).toMatch(new RegExp(`^entity ${near} is in observer ${o}'s set: score -?\\d+\\.\\d{3}, rank 1 of 2 candidates \\(budget 1,`))
    const out = sys.explain(o, farther)
    expect(out.summary).toMatch(new RegExp(`^entity ${farther} is not in observer ${o}'s set: score -?\\d+\\.\\d{3}, rank 2 of 2 candidates`))
    expect(sys.explain(o, at(500)).summary).toMatch(/is not in observer \d+'s set: rule: out-of-range$/)
  })

  it('should blame an observer without Position, once per system, and not call its entities out of range', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { world, C, sys, at } = setup()
    const o = addEntity(world)
    addObserver(world, C, o, { radius: 50 })
    const e = at(5)
    for (let k = 0; k < 5; k++) sys(world)
    expect(sys.memberCount(o)).toBe(0)
    const x = sys.explain(o, e)
    expect(x.rule).toBeNull()
    expect(x.summary).toBe(`entity ${e} is not in observer ${o}'s set: observer ${o} has no Position (it sees nothing)`)
    const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('has no Position'))
    expect(said).toEqual([expect.stringMatching(new RegExp(`observer ${o} has no Position.*addComponent\\(world, ${o}, C\\.Position\\)`))])
    // itself included: it is not in its own set, and the rule that would put it there is not why
    const self = sys.explain(o, o)
    expect(self.member).toBe(false)
    expect(self.rule).toBeNull()
    expect(self.summary).toBe(`entity ${o} is not in observer ${o}'s set: observer ${o} has no Position (it sees nothing)`)
  })

  it('should say that an entity which is not an observer sees nothing', () => {
    const { world, sys, at } = setup()
    const a = at(0)
    const b = at(5)
    sys(world)
    expect(sys.explain(a, b).summary).toBe(`entity ${b} is not in observer ${a}'s set: ${a} is not an observer (it has no Observer component: addObserver)`)
  })
})

/** A world of `n` moving entities, the first `observers` of them observers; deterministic for `seed`. */
function walkers(seed: number, n: number, observers: number, options: { threads?: number; pipelined?: boolean } = {}) {
  let r = seed
  const rnd = (): number => ((r = (r * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const world = createWorld()
  const C = createAttentionComponents(n + 1, { shared: options.threads !== undefined })
  const side = Math.sqrt(n * 40)
  for (let i = 0; i < n; i++) {
    const e = addEntity(world)
    C.Position.x[e] = rnd() * side
    C.Position.y[e] = rnd() * side
    C.Velocity.x[e] = (rnd() - 0.5) * 8
    C.Velocity.y[e] = (rnd() - 0.5) * 8
    addComponent(world, e, C.Position)
    addComponent(world, e, C.Velocity)
    setFacingAngle(world, C, e, rnd() * 2 * Math.PI)
    if (i < observers) addObserver(world, C, e, { radius: 30, budget: 6 })
  }
  const sys = createAttentionSystem(world, { components: C, ...options })
  const move = (): void => {
    for (let e = 1; e <= n; e++) {
      C.Velocity.x[e] = C.Velocity.x[e]! + rnd() - 0.5
      C.Velocity.y[e] = C.Velocity.y[e]! + rnd() - 0.5
      C.Position.x[e] = C.Position.x[e]! + C.Velocity.x[e]! * 0.05
      C.Position.y[e] = C.Position.y[e]! + C.Velocity.y[e]! * 0.05
    }
  }
  return { world, C, sys, move }
}

async function ready(sys: AttentionSystem): Promise<void> {
  const t0 = Date.now()
  while (sys.threadsRunning() < 2 && Date.now() - t0 < 30_000) await new Promise((res) => setTimeout(res, 10))
  expect(sys.threadsRunning()).toBe(2)
}

/** Every observer's members (sorted) with their bands. */
function snapshot(sys: AttentionSystem, observers: number): string[] {
  const out: string[] = []
  for (let o = 1; o <= observers; o++) {
    const m: string[] = []
    for (let i = 0; i < sys.memberCount(o); i++) m.push(`${sys.memberAt(o, i)}:${sys.bandAt(o, i)}`)
    out.push(`${o} [${m.sort().join(' ')}]`)
  }
  return out
}

describe('explain with option pipelined', () => {
  const systems: AttentionSystem[] = []
  afterEach(() => {
    for (const s of systems.splice(0)) s.dispose()
  })

  it('should agree with isMember for every pair, right after a tick and after settle()', async () => {
    const w = walkers(5, 150, 8, { threads: 2, pipelined: true })
    systems.push(w.sys)
    await ready(w.sys)
    let members = 0
    for (let t = 0; t < 12; t++) {
      w.move()
      w.sys(w.world)
      // odd ticks: while the workers still run (explain settles itself); even: after settle()
      if (t % 2 === 0) w.sys.settle()
      for (let o = 1; o <= 8; o++) {
        for (let e = 1; e <= 150; e++) {
          const x = w.sys.explain(o, e)
          expect(x.member, `tick ${t}: explain(${o}, ${e}).member`).toBe(w.sys.isMember(o, e))
          if (x.member) members++
        }
      }
    }
    expect(members).toBeGreaterThan(8 * 12)
  }, 60_000)

  it('should not change the sets: the same as a twin that never explains', async () => {
    const a = walkers(9, 2500, 300, { threads: 2, pipelined: true })
    const b = walkers(9, 2500, 300, { threads: 2, pipelined: true })
    systems.push(a.sys, b.sys)
    await ready(a.sys)
    await ready(b.sys)
    for (let t = 0; t < 15; t++) {
      a.move()
      b.move()
      a.sys(a.world)
      b.sys(b.world)
      // a debugging command while the workers score this tick
      a.sys.explain(1, 2)
      a.sys.explain(3, 4)
      a.sys.settle()
      b.sys.settle()
      expect(snapshot(a.sys, 300), `tick ${t}`).toEqual(snapshot(b.sys, 300))
    }
  }, 60_000)
})

describe('explain with a custom scorer', () => {
  /** An observer at 0 and five entities in a row; `scorer` scores them. */
  function row(scorer: AttentionScorer) {
    const world = createWorld()
    const C = createAttentionComponents(32)
    const sys = createAttentionSystem(world, { components: C, scorer, hysteresis: false })
    const at = (x: number): number => {
      const e = addEntity(world)
      addComponent(world, e, C.Position)
      C.Position.x[e] = x
      return e
    }
    const o = at(0)
    addObserver(world, C, o, { radius: 50, budget: 3, fov: 2 * Math.PI })
    const es = [1, 2, 3, 4, 5].map((i) => at(i * 5))
    return { world, sys, o, es }
  }

  /** explain's score of every entity equals the score the tick gave its member. */
  function expectTickScores(sys: AttentionSystem, o: number, want: (e: number) => number): void {
    expect(sys.memberCount(o)).toBe(4)
    for (let i = 0; i < sys.memberCount(o); i++) {
      const e = sys.memberAt(o, i)
      if (e === o) continue
      expect(sys.explain(o, e).score, `entity ${e}`).toBe(sys.scoreAt(o, i))
      expect(sys.explain(o, e).score, `entity ${e}`).toBe(want(e))
    }
  }

  it('should score with scoreBatch when the scorer has it, as the tick does', () => {
    // score() gives every row 0; scoreBatch the farther the better, from the batch's entity ids
    const byId = new Float32Array(32)
    let batches = 0
    const scorer: AttentionScorer = {
      score: (_f, rows, out) => void out.fill(0, 0, rows),
      scoreBatch: (batch, out) => {
        batches++
        expect(batch.observerCount).toBe(1)
        expect(batch.observerStart[1]).toBe(batch.rows)
        for (let r = 0; r < batch.rows; r++) out[r] = byId[batch.rowEid[r]!]!
      },
    }
    const s = row(scorer)
    s.es.forEach((e, i) => (byId[e] = 0.5 + i))
    s.sys(s.world)
    expectTickScores(s.sys, s.o, (e) => byId[e]!)
    // the three farthest are in: explain ranks them by the same scores
    expect(s.sys.explain(s.o, s.es[4]!).rank).toBe(0)
    expect(s.sys.explain(s.o, s.es[0]!).member).toBe(false)
    expect(s.sys.explain(s.o, s.es[0]!).rank).toBe(4)
    expect(batches).toBeGreaterThan(1)
  })

  it('should score with the pair scores where there are some, the heads elsewhere, as the tick does', () => {
    const pairScore = new Map<number, number>()
    const pairs: PairScores = {
      headWeights: HEAD_NAMES.map((h) => DEFAULT_WEIGHTS[h]),
      begin: () => null,
      load: (_o, mark, stamp, score) => {
        for (const [e, v] of pairScore) {
          stamp[e] = mark
          score[e] = v
        }
      },
      end: () => undefined,
    }
    const heads = createHeadScorer({ ...DEFAULT_WEIGHTS })
    const s = row({ score: (f, rows, out) => heads.score(f, rows, out), pairScores: pairs })
    pairScore.set(s.es[3]!, 9)
    pairScore.set(s.es[4]!, 8)
    s.sys(s.world)
    const x = s.sys.explain(s.o, s.es[3]!)
    expect(x.score).toBe(9)
    expect(x.rank).toBe(0)
    expect(s.sys.explain(s.o, s.es[4]!).score).toBe(8)
    // the nearest has no pair score: the heads', as in the tick
    const features = new Float32Array(FEATURE_COUNT)
    const near = s.sys.explain(s.o, s.es[0]!)
    near.heads.forEach((h, i) => (features[i] = h.feature))
    const out = new Float32Array(1)
    heads.score(features, 1, out)
    expect(near.score).toBe(out[0])
    expectTickScores(s.sys, s.o, (e) => (pairScore.get(e) ?? s.sys.explain(s.o, e).score!))
  })
})

/** An entity at (x, 0) with a Velocity of (0, vy). */
function onLine(world: World, C: AttentionComponents, x: number, vy: number): number {
  const e = addEntity(world)
  addComponent(world, e, C.Position)
  addComponent(world, e, C.Velocity)
  C.Position.x[e] = x
  C.Velocity.y[e] = vy
  return e
}

describe('explain with a byte budget', () => {
  it('should give the budget, the price, the cost and whether the byte budget cut the entity', () => {
    const world = createWorld()
    const C = createAttentionComponents(64)
    const costs = { low: 10, medium: 100, high: 100, burst: 1 }
    const sys = createAttentionSystem(world, { components: C, hysteresis: false, distanceFalloff: 0, byteCosts: costs })
    const at = (x: number): number => onLine(world, C, x, 1)
    const o = at(0)
    // room for the observer itself (High, 100 B/s) and three Low members, where K would take eight
    addObserver(world, C, o, { radius: 50, budget: 8, fov: 2 * Math.PI, byteBudget: 130 })
    const plain = at(1)
    addObserver(world, C, plain, { radius: 50, budget: 8, fov: 2 * Math.PI })
    const es = [2, 3, 4, 5, 6, 7].map((i) => at(i * 4))
    for (let t = 0; t < 5; t++) sys(world)
    const inSet = es.filter((e) => sys.isMember(o, e))
    const out = es.filter((e) => !sys.isMember(o, e))
    expect(inSet.length).toBeGreaterThan(0)
    expect(out.length).toBeGreaterThan(0)
    expect(sys.memberCount(o)).toBeLessThan(8)
    for (const e of inSet) {
      const x = sys.explain(o, e)
      expect(x.bytes).toEqual({ budget: 130, price: sys.bytePrice(o), cost: x.band === 0 ? 10 : 100, cut: false })
      expect(x.summary).toContain(`; byte budget 130 B/s, price ${sys.bytePrice(o).toFixed(3)}, costs ${x.bytes!.cost.toFixed(1)} B/s`)
      expect(x.summary).not.toContain('cut by the byte budget')
    }
    for (const e of out) {
      const x = sys.explain(o, e)
      // the count budget had room: the byte budget kept it out
      expect(x.rank!).toBeLessThan(8)
      expect(x.bytes).toEqual({ budget: 130, price: sys.bytePrice(o), cost: 10, cut: true })
      expect(x.summary).toMatch(/; byte budget 130 B\/s, price \d+\.\d{3}, would cost 10\.0 B\/s: cut by the byte budget \((score below the price|no bytes left)\)$/)
      // the price stands in for the score thresholds (docs/concepts.md 6b)
      expect(x.summary).toContain('(budget 8, the byte price in place of enter and exit scores)')
    }
    // an observer without a byte budget: nothing about bytes, and the thresholds apply (this system has none)
    const x = sys.explain(plain, es[5]!)
    expect(x.bytes).toBeNull()
    expect(x.summary).not.toContain('byte')
    expect(x.summary).toContain('(budget 8, enter >= -Infinity, exit < -Infinity)')
  })

  it('should charge a non-rule entity standing still a share of Low, and its entry once', () => {
    const world = createWorld()
    const C = createAttentionComponents(64)
    // a price that stays where the first tick opens it
    const costs = { low: 10, medium: 100, high: 100, burst: 1, still: 0.1, enter: 2, priceRate: 0, settleRate: 0 }
    const sys = createAttentionSystem(world, { components: C, hysteresis: false, distanceFalloff: 0, byteCosts: costs })
    const at = (x: number, vy: number): number => onLine(world, C, x, vy)
    const o = at(0, 1)
    // the observer itself (High, moving) 100 B/s leaves 30: three moving Low members (the test
    // above), or ten still ones at 1 B/s and 2 B to enter
    addObserver(world, C, o, { radius: 50, budget: 8, fov: 2 * Math.PI, byteBudget: 130 })
    const es = [2, 3, 4, 5, 6, 7].map((i) => at(i * 4, 0))
    sys(world)
    expect(es.every((e) => sys.isMember(o, e))).toBe(true)
    // the first tick's estimate: the observer, a tenth of Low per still member, and six entries of
    // 2 bytes each, sent once: 40 B/s over a tick of 50 ms
    expect(sys.estimatedBytes(o)).toBeCloseTo(100 + 6 * (1 + 40), 3)
    sys(world)
    expect(sys.estimatedBytes(o)).toBeCloseTo(100 + 6, 3)
    const x = sys.explain(o, es[0]!)
    expect(x.bytes!.cost).toBeCloseTo(1, 6)
    expect(x.summary).toContain('costs 1.0 B/s standing still')
    // one that moves costs Low in full, and the one that moved in is charged its entry
    C.Velocity.y[es[0]!] = 1
    const late = at(40, 0)
    sys(world)
    expect(sys.explain(o, es[0]!).bytes!.cost).toBe(10)
    expect(sys.isMember(o, late)).toBe(true)
    expect(sys.estimatedBytes(o)).toBeCloseTo(100 + 10 + 5 + 1 + 40, 3)
  })

  it('should report no enter or exit score in force under a byte budget, and a NaN score as below the price', () => {
    const world = createWorld()
    const C = createAttentionComponents(64)
    // a pair scorer that gives one candidate NaN (its row ranks lowest and is never bought; the heads score the rest)
    let nanEntity = -1
    const pairScores: PairScores = {
      headWeights: HEAD_NAMES.map((h) => DEFAULT_WEIGHTS[h]),
      begin: () => null,
      load(o, mark, stamp, score) {
        if (nanEntity === -1) return false
        stamp[nanEntity] = mark
        score[nanEntity] = NaN
        return true
      },
      end() {},
    }
    const scorer = { score: (f: Float32Array, rows: number, out: Float32Array) => createHeadScorer(DEFAULT_WEIGHTS).score(f, rows, out), pairScores }
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const sys = createAttentionSystem(world, { components: C, scorer })
      const at = (x: number): number => {
        const e = addEntity(world)
        addComponent(world, e, C.Position)
        C.Position.x[e] = x
        return e
      }
      const bytes = at(0)
      addObserver(world, C, bytes, { radius: 50, budget: 8, byteBudget: 2000 })
      const plain = at(1)
      addObserver(world, C, plain, { radius: 50, budget: 8 })
      nanEntity = at(3)
      for (let t = 0; t < 3; t++) sys(world)
      expect(sys.explain(bytes, nanEntity).hysteresis).toMatchObject({ enterScore: -Infinity, exitScore: -Infinity })
      expect(sys.explain(plain, nanEntity).hysteresis).toMatchObject({ enterScore: DEFAULT_HYSTERESIS.enterScore, exitScore: DEFAULT_HYSTERESIS.exitScore })
      const x = sys.explain(bytes, nanEntity)
      expect(x.member).toBe(false)
      expect(x.bytes!.cut).toBe(true)
      expect(x.summary).toContain('cut by the byte budget (score below the price)')
    } finally {
      errors.mockRestore()
    }
  })
})
