import { describe, expect, it, vi } from 'vitest'
import { addComponent, addEntity, createWorld, removeComponent, removeEntity, type World } from 'bitecs'
import { Band, createAttentionComponents, createAttentionSystem, setAimTarget } from '../../src/index'
import type { AttentionComponents, AttentionOptions, AttentionSystem } from '../../src/index'

/** Only the distance head, linear (scenes set distanceFalloff 0) and scaled so that bands follow distance: score = 4 (1 - d / R). */
const DISTANCE_ONLY = { distance: 4, facing: 0, approach: 0, recency: 0, salience: 0, mutual: 0, team: 0, aim: 0 }
// burst 1: one tick's greedy spends at most the budget, so a single tick shows the allocation exactly
// enter: 0 for the price mechanics without the entry premium (its own test below)
const COSTS = { low: 10, medium: 100, high: 100, enter: 0, detailShare: 0.5, burst: 1 }

interface Scene {
  world: World
  C: AttentionComponents
  sys: AttentionSystem
  at(x: number, y: number): number
  observer(x: number, y: number, budget: number, byteBudget: number): number
}

function scene(options: Omit<AttentionOptions, 'components'> = {}): Scene {
  const world = createWorld()
  const C = createAttentionComponents(512)
  const sys = createAttentionSystem(world, { components: C, weights: DISTANCE_ONLY, distanceFalloff: 0, byteCosts: COSTS, hysteresis: false, ...options })
  const s: Scene = {
    world, C, sys,
    at(x, y) {
      const e = addEntity(world)
      C.Position.x[e] = x; C.Position.y[e] = y
      addComponent(world, e, C.Position)
      return e
    },
    observer(x, y, budget, byteBudget) {
      const e = s.at(x, y)
      C.Observer.radius[e] = 50; C.Observer.budget[e] = budget; C.Observer.fov[e] = 2; C.Observer.temperature[e] = 1
      C.Observer.byteBudget[e] = byteBudget
      addComponent(world, e, C.Observer)
      return e
    },
  }
  return s
}

/** Gives `o` a velocity: its own avatar is charged its full moving cost. */
function moving(s: Scene, o: number): void {
  addComponent(s.world, o, s.C.Velocity)
  s.C.Velocity.x[o] = 1
}

/** A moving observer with a byte budget of 50 B/s (half its own avatar's cost) and entities 5 and 10 units away. */
function starved(s: Scene): { o: number; near: number } {
  const o = s.observer(0, 0, 200, 50)
  moving(s, o)
  const near = s.at(5, 0)
  s.at(10, 0)
  return { o, near }
}

/**
 * An observer alone with a byte budget of 600 B/s and Velocity (still until written), ticked once
 * and past its first report (not used: the initial full state), which opens its next window.
 */
function reporting(s: Scene): number {
  const o = s.observer(0, 0, 200, 600)
  addComponent(s.world, o, s.C.Velocity)
  s.sys(s.world)
  s.sys.reportBytes(o, 1000)
  return o
}

/** What `o`'s set (its own avatar aside) costs at the configured rates `COSTS`, by band. */
function configuredBytes(sys: AttentionSystem, o: number): number {
  let b = 0
  for (const band of bandsOf(sys, o).values()) b += band === Band.Low ? COSTS.low : band === Band.Medium ? COSTS.medium : COSTS.high
  return b
}

function bandsOf(sys: AttentionSystem, o: number): Map<number, number> {
  const out = new Map<number, number>()
  for (let i = 0; i < sys.memberCount(o); i++) if (sys.memberAt(o, i) !== o) out.set(sys.memberAt(o, i), sys.bandAt(o, i))
  return out
}

/**
 * An observer at the origin with budget K = 200 and a byte budget of 600 B/s, and 100 entities 20 to
 * 40 units away (10 B/s each at Low): more than the budget affords.
 */
function ring(s: Scene): { o: number; far: number[] } {
  const o = s.observer(0, 0, 200, 600)
  const far: number[] = []
  for (let i = 0; i < 100; i++) far.push(s.at(20 + i * 0.2, 0.01 * i))
  return { o, far }
}

describe('byte budget', () => {
  it('should grow the set in a crowd with cheap Low members and keep the detail share for the best', () => {
    const s = scene()
    const o = s.observer(0, 0, 200, 1000)
    // a moving observer: its own avatar costs its full High rate
    addComponent(s.world, o, s.C.Velocity)
    s.C.Velocity.x[o] = 1
    // 60 entities between 1 and 49 units away: scores 4 (1 - d/50) from 3.9 down to 0.1, 0.064 apart
    for (let i = 0; i < 60; i++) s.at(1 + (i * 48) / 59, 0.001 * i)
    s.sys(s.world)
    const bands = bandsOf(s.sys, o)
    // the observer itself (High, 100 B/s) comes first. Raising a member to High costs 90 B/s more
    // than holding it at Low (10), so it must be e^(s/T) = 9 times as likely to matter: it beats the
    // next Low row by ln 9 = 2.2 points. Low rows are taken first, then raises and takes alternate
    // until the detail share, half of what the observer leaves (450 B/s), has paid for 4 High
    // members; the rest buys Low: 100 + 4 * 90 + 54 * 10 = 1000, 54 members, 4 of them detailed.
    const detailed = [...bands.values()].filter((b) => b !== Band.Low).length
    expect(detailed).toBe(4)
    expect(bands.size).toBe(54)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(100 + 4 * 100 + 50 * 10, 3)
    // the detailed ones are the nearest
    const nearest = [...bands.keys()].sort((a, b) => s.C.Position.x[a]! - s.C.Position.x[b]!)
    for (const e of nearest.slice(0, 4)) expect(bands.get(e)).not.toBe(Band.Low)
  })

  it('should charge a still rule member a tenth of its band, and give the difference to the surroundings', () => {
    const s = scene()
    // the same scene with an observer that stands still: it costs 10 B/s, not 100. The detail share
    // (495 B/s) still pays for 4 High members, and every one of the 60 entities fits at Low
    // (10 + 4 * 90 + 60 * 10 = 970 B/s) where the moving observer could afford 54
    const o = s.observer(0, 0, 200, 1000)
    for (let i = 0; i < 60; i++) s.at(1 + (i * 48) / 59, 0.001 * i)
    s.sys(s.world)
    const bands = bandsOf(s.sys, o)
    expect([...bands.values()].filter((b) => b !== Band.Low).length).toBe(4)
    expect(bands.size).toBe(60)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(10 + 4 * 100 + 56 * 10, 3)
  })

  it('should take the detail share from what the rule members leave, so one raise cannot empty the set', () => {
    const s = scene()
    const o = s.observer(0, 0, 200, 250)
    // a moving observer costs 100 of the 250 B/s; the detail share is half of the 150 left: 75
    addComponent(s.world, o, s.C.Velocity)
    s.C.Velocity.x[o] = 1
    // one entity stands out (score 3.96, 2.8 points above the next: a raise would be worth it)
    const near = s.at(0.5, 0)
    for (let i = 0; i < 19; i++) s.at(35 + i * 0.5, 0.001 * i)
    s.sys(s.world)
    const bands = bandsOf(s.sys, o)
    // a High member (100 B/s) does not fit 75: 15 members at Low instead of 1 High and 5 Low
    expect(bands.size).toBe(15)
    expect(bands.get(near)).toBe(Band.Low)
    expect([...bands.values()].every((b) => b === Band.Low)).toBe(true)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(100 + 15 * 10, 3)
  })

  it('should take many Low members before one detailed one when scores are close (value per byte)', () => {
    const s = scene()
    const o = s.observer(0, 0, 200, 300)
    addComponent(s.world, o, s.C.Velocity)
    s.C.Velocity.x[o] = 1
    // 20 entities all within 2 units: scores 3.9 to 3.85, every one would be High by its score
    for (let i = 0; i < 20; i++) s.at(1 + i * 0.05, 0.001 * i)
    s.sys(s.world)
    const bands = bandsOf(s.sys, o)
    // 200 B/s after the observer: raising one member (90) is never worth 9 Low members here
    expect([...bands.values()].every((b) => b === Band.Low)).toBe(true)
    expect(bands.size).toBe(20)
  })

  it('should shrink the set and its cost when the observer is alone', () => {
    const s = scene()
    const o = s.observer(0, 0, 200, 1000)
    s.at(3, 0)
    s.at(40, 0)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(3)
    expect(s.sys.estimatedBytes(o)).toBeLessThan(1000 / 4)
  })

  it('should open the price at the budget, let a crowd spend up to burst times it, then raise the price until the budget holds', () => {
    // burst 2: 100 entities 20 to 40 units away, each 10 B/s at Low
    const s = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const { o } = ring(s)
    s.sys(s.world)
    // the first tick opens the price: it spends at most the budget, 10 (self, still) + 59 * 10,
    // and the price is the score of the first entity it could not buy, the 60th nearest
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(600, 3)
    expect(s.sys.memberCount(o)).toBe(60)
    expect(s.sys.bytePrice(o)).toBeCloseTo(4 * (1 - (20 + 59 * 0.2) / 50), 2)
    for (let t = 0; t < 20; t++) s.sys(s.world)
    expect(s.sys.estimatedBytes(o)).toBeLessThanOrEqual(600)
    // a crowd of 60 comes closer than anything held: every one of them is worth the price, and the
    // next second may spend up to twice the budget on them
    for (let i = 0; i < 60; i++) s.at(5 + i * 0.2, -0.01 * i)
    s.sys(s.world)
    expect(s.sys.estimatedBytes(o)).toBeGreaterThan(600 * 1.5)
    expect(s.sys.estimatedBytes(o)).toBeLessThanOrEqual(600 * 2)
    // over the next two minutes the price rises (fast while it settles, then slowly) and the set's
    // cost settles at about the budget, the crowd kept and the far entities let go
    let price = s.sys.bytePrice(o)
    for (let t = 0; t < 20 * 120; t++) {
      s.sys(s.world)
      expect(s.sys.bytePrice(o)).toBeGreaterThanOrEqual(price - 1e-6)
      price = s.sys.bytePrice(o)
    }
    expect(s.sys.estimatedBytes(o)).toBeLessThanOrEqual(600 * 1.05)
    expect(s.sys.estimatedBytes(o)).toBeGreaterThan(600 * 0.9)
    const kept = [...bandsOf(s.sys, o).keys()].map((e) => s.C.Position.x[e]!)
    expect(kept.filter((x) => x < 20).length).toBe(60)
  })

  it('should open the price again reopenSeconds after it opened, pricing the set by what its rows cost held', () => {
    // a crowd of 60 standing still (a zero Velocity), 5 to 17 units away, around a moving observer
    // whose byte budget is 400 B/s: its own avatar costs 100, a still row 1 (a tenth of Low) once
    // held and 1 + 20 (its entry) to get in. The first opening sees every row as an entrant and buys
    // (400 - 100) / 21 = 14 of them; one second later the price opens again from the set it holds:
    // the 14 members at 1 B/s, the rest at 1 B/s within the budget and their entries (21 each)
    // within burst times it, so every one of them is bought
    const run = (reopenSeconds: number): { opened: number; reopened: number; price: number } => {
      const s = scene({ byteCosts: { ...COSTS, enter: 20, still: 0.1, burst: 4, reopenSeconds } })
      const o = s.observer(0, 0, 200, 400)
      moving(s, o)
      for (let i = 0; i < 60; i++) {
        const e = s.at(5 + i * 0.2, 0.01 * i)
        addComponent(s.world, e, s.C.Velocity)
      }
      s.sys(s.world)
      const opened = s.sys.memberCount(o) - 1
      // 20 ticks of 50 ms: the price's age reaches 1 s on the last of them
      for (let t = 0; t < 20; t++) s.sys(s.world)
      return { opened, reopened: s.sys.memberCount(o) - 1, price: s.sys.bytePrice(o) }
    }
    const again = run(1)
    expect(again.opened).toBe(14)
    expect(again.reopened).toBe(60)
    // the entries of that tick raise the price a little (the estimate counts them), far below the
    // crowd's scores (2.6 to 3.6)
    expect(again.price).toBeLessThan(1)
    // without the second opening the young price falls towards that level more slowly: after the
    // same second it still turns most of the crowd away
    const once = run(0)
    expect(once.opened).toBe(14)
    expect(once.reopened).toBeLessThan(40)
    expect(once.price).toBeGreaterThan(2.6)
  })

  it('should not open the price again on a tick whose budget is read at its floor', () => {
    // the starved observer (50 B/s, its moving avatar alone costs 100) is read at its floor on every
    // tick: its price moves as on any tick when its age passes reopenSeconds
    // (with a still crowd around it, which a second opening would price by its held cost)
    const prices = (reopenSeconds: number): number[] => {
      const s = scene({ byteCosts: { ...COSTS, enter: 20, still: 0.1, burst: 4, reopenSeconds } })
      const { o } = starved(s)
      for (let i = 0; i < 30; i++) addComponent(s.world, s.at(12 + i * 0.5, 0.01 * i), s.C.Velocity)
      const out: number[] = []
      for (let t = 0; t < 30; t++) {
        s.sys(s.world)
        out.push(s.sys.bytePrice(o))
      }
      return out
    }
    expect(prices(1)).toEqual(prices(0))
  })

  it('should move the price at settleRate right after it opens, fading to priceRate with settleSeconds', () => {
    // the same crowd arrives 1 s and 120 s after the price opened: the price's rise over the next
    // second follows the rate at its age, settleRate fading to priceRate (docs/concepts.md 6b)
    // (reopenSeconds 0: the crowd arriving 1 s in would otherwise meet the price's second opening)
    const rise = (quietSeconds: number): number => {
      const s = scene({ byteCosts: { ...COSTS, burst: 2, priceRate: 0.02, settleRate: 0.5, settleSeconds: 10, reopenSeconds: 0 } })
      const { o } = ring(s)
      for (let t = 0; t < 20 * quietSeconds; t++) s.sys(s.world)
      for (let i = 0; i < 60; i++) s.at(5 + i * 0.2, -0.01 * i)
      s.sys(s.world)
      const before = s.sys.bytePrice(o)
      // twice the budget for a second: the price moves by about rate * (2 - 1) per second
      for (let t = 0; t < 20; t++) s.sys(s.world)
      return s.sys.bytePrice(o) - before
    }
    const early = rise(1)
    const late = rise(120)
    const rateAt = (age: number): number => 0.02 + (0.5 - 0.02) * Math.exp(-age / 10)
    // over-spending by 60-100% for that second
    expect(early).toBeGreaterThan(rateAt(2) * 0.6)
    expect(early).toBeLessThan(rateAt(1) * 1.0)
    expect(late).toBeGreaterThan(0.02 * 0.6)
    expect(late).toBeLessThan(0.02 * 1.0 + 1e-4)
    // settleSeconds 0: priceRate from the start
    const s = scene({ byteCosts: { ...COSTS, burst: 2, priceRate: 0.02, settleRate: 0.5, settleSeconds: 0, reopenSeconds: 0 } })
    const { o } = ring(s)
    s.sys(s.world)
    for (let i = 0; i < 60; i++) s.at(5 + i * 0.2, -0.01 * i)
    s.sys(s.world)
    const before = s.sys.bytePrice(o)
    for (let t = 0; t < 20; t++) s.sys(s.world)
    expect(s.sys.bytePrice(o) - before).toBeLessThan(0.02 + 1e-4)
    expect(s.sys.bytePrice(o) - before).toBeGreaterThan(0.02 * 0.6)
  })

  it('should keep a member down to the entry premium below the price, and buy an outsider only at the price', () => {
    // enter 10 B/s against Low 10: an outsider's first second costs twice a member's, so a member
    // stays bought down to T ln(1 + 10 / 10) = ln 2 below the price (T = 1), no further
    const s = scene({ byteCosts: { ...COSTS, enter: 10, burst: 2 } })
    const { o, far } = ring(s)
    s.sys(s.world)
    const price = s.sys.bytePrice(o)
    const premium = Math.log(2)
    expect(s.sys.memberCount(o)).toBe(60)
    // the entities it did not buy leave: the set (self and 59 members) costs the budget, so the
    // price stays, and a second may spend twice that, so bytes turn no one away below
    for (const e of far.slice(59)) s.C.Position.x[e] = 1000
    // x at which an entity's score (4 (1 - x / 50), distance only) is `score`
    const xAt = (score: number): number => 50 * (1 - score / 4)
    const member = far[0]!
    const isMember = (e: number): boolean => s.sys.isMember(o, e)
    // a member that falls a little below the price stays; nothing else changes, so neither does the price
    s.C.Position.x[member] = xAt(price - 0.5 * premium)
    s.sys(s.world)
    expect(isMember(member)).toBe(true)
    expect(s.sys.explain(o, member).summary).toContain(`: below the price, kept by the entry premium (a member stays bought down to ${premium.toFixed(3)} below it)`)
    expect(s.sys.bytePrice(o)).toBeCloseTo(price, 6)
    // an outsider at the same score is not bought: it has its entry to pay
    const outsider = s.at(xAt(price - 0.5 * premium), 5)
    s.sys(s.world)
    expect(isMember(outsider)).toBe(false)
    expect(isMember(member)).toBe(true)
    // past the premium the member goes too
    s.C.Position.x[member] = xAt(price - 1.2 * premium)
    s.sys(s.world)
    expect(isMember(member)).toBe(false)
    // without the premium (enter 0) the member goes as soon as it is below the price
    const plain = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const r = ring(plain)
    plain.sys(plain.world)
    for (const e of r.far.slice(59)) plain.C.Position.x[e] = 1000
    plain.C.Position.x[r.far[0]!] = xAt(plain.sys.bytePrice(r.o) - 0.5 * premium)
    plain.sys(plain.world)
    expect(plain.sys.isMember(r.o, r.far[0]!)).toBe(false)
    // the price rising after a tick can leave an entrant of that tick below it: explain does not
    // credit the premium with it (it was bought at the price the tick started with)
    const rising = scene({ byteCosts: { ...COSTS, enter: 10, burst: 2 } })
    const q = ring(rising)
    rising.sys(rising.world)
    // the 60th nearest, at the opening price, stays; the others not bought leave
    const sixtieth = q.far[59]!
    for (const e of q.far.slice(60)) rising.C.Position.x[e] = 1000
    rising.sys(rising.world)
    expect(rising.sys.isMember(q.o, sixtieth)).toBe(true)
    expect(rising.sys.explain(q.o, sixtieth).score!).toBeLessThan(rising.sys.bytePrice(q.o))
    expect(rising.sys.explain(q.o, sixtieth).summary).not.toContain('kept by the entry premium')
    // a budget read at its floor (self and one Low member) has no premium: its one member is the
    // best of each tick
    const tight = scene({ byteCosts: { ...COSTS, enter: 10, burst: 2 } })
    const p = tight.observer(0, 0, 200, 5)
    const first = tight.at(20, 0)
    const second = tight.at(21, 0)
    tight.sys(tight.world)
    expect(tight.sys.isMember(p, first)).toBe(true)
    expect(tight.sys.isMember(p, second)).toBe(false)
    tight.C.Position.x[first] = 21.5
    tight.sys(tight.world)
    expect(tight.sys.isMember(p, second)).toBe(true)
    expect(tight.sys.isMember(p, first)).toBe(false)
  })

  it('should lower the price only while it turns rows away, and never wind it up or down', () => {
    const s = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const { o, far } = ring(s)
    for (let t = 0; t < 100; t++) s.sys(s.world)
    const high = s.sys.bytePrice(o)
    expect(high).toBeGreaterThan(0)
    // the crowd leaves but for 5 entities: the set costs far less than the budget, and as long as
    // the price still turns some of them away it falls
    for (const e of far.slice(0, 95)) s.C.Position.x[e] = 1000
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBeLessThan(6)
    for (let t = 0; t < 20 * 30 && s.sys.memberCount(o) < 6; t++) s.sys(s.world)
    // all 5 are back in, and the price, no longer binding, stopped falling above 0
    expect(s.sys.memberCount(o)).toBe(6)
    const settled = s.sys.bytePrice(o)
    expect(settled).toBeLessThan(high)
    for (let t = 0; t < 100; t++) s.sys(s.world)
    expect(s.sys.bytePrice(o)).toBe(settled)
    // an observer whose own avatar alone costs more than the budget, with nothing else around
    const lone = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const p = lone.observer(0, 0, 200, 50)
    addComponent(lone.world, p, lone.C.Velocity)
    lone.C.Velocity.x[p] = 1
    for (let t = 0; t < 100; t++) lone.sys(lone.world)
    expect(lone.sys.bytePrice(p)).toBe(0)
    // and an observer without a byte budget has no price
    const q = s.observer(5, 5, 10, 0)
    s.sys(s.world)
    expect(s.sys.bytePrice(q)).toBe(0)
  })

  it('should move a young price with the measured ratio at once, and a settled one only through the spend', () => {
    const s = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const { o } = ring(s)
    const raw = (): number => configuredBytes(s.sys, o)
    for (let t = 0; t < 20; t++) s.sys(s.world)
    // the first report after the observer was added is not used (the initial full state)
    s.sys.reportBytes(o, raw())
    s.sys(s.world)
    const young = s.sys.bytePrice(o)
    expect(young).toBeGreaterThan(0)
    // the client is found to receive twice the configured costs: at 2 s of age the price is per
    // byte, and the score a row needs rises by about T ln 2 before the next tick
    for (let k = 0; k < 40; k++) s.sys.reportBytes(o, 2 * raw())
    expect(s.sys.bytePrice(o) - young).toBeCloseTo(Math.log(2), 1)
    // past settleSeconds (10 s) the price is a score: the same finding moves it only through the
    // spend, at the settled rate, tick by tick
    for (let t = 0; t < 200; t++) s.sys(s.world)
    const settled = s.sys.bytePrice(o)
    for (let k = 0; k < 40; k++) s.sys.reportBytes(o, 4 * raw())
    expect(s.sys.bytePrice(o)).toBe(settled)
    s.sys(s.world)
    expect(Math.abs(s.sys.bytePrice(o) - settled)).toBeLessThan(0.25 * 0.05 * 4)
  })

  it('should not raise a price below its floor when the measured ratio falls, so that it stays at 0 when the ratio comes back', () => {
    const s = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const o = s.observer(0, 0, 200, 1200)
    // 100 entities 25.5 to 49.26 units away: scores 1.96 down to 0.06, all at Low (10 B/s each)
    const crowd: number[] = []
    for (let i = 0; i < 100; i++) crowd.push(s.at(25.5 + i * 0.24, 0))
    // and one at 24 units: score 2.08, Medium by score, but a raise (90 B/s more) is worth it only
    // from 2.2 above the price (T ln(90 / 10)): the price turns its raise away on every tick, and
    // so moves on every tick, as in a game, where some member usually has such a score
    s.at(0, 24)
    const members = crowd.length + 2
    // once a second, what the set costs at the configured rates as the encoder would send it at ratio `r`
    const second = (r: number, check: () => void = () => {}): void => {
      s.sys.reportBytes(o, r * configuredBytes(s.sys, o))
      for (let t = 0; t < 20; t++) {
        s.sys(s.world)
        check()
      }
    }
    const atFloor = (): void => {
      expect(s.sys.bytePrice(o)).toBe(0)
      expect(s.sys.memberCount(o)).toBe(members)
    }
    // the price opens with everything bought (1,020 of 1,200 B/s at the configured costs)
    second(1, atFloor)
    // the client receives a fifth of the estimate (a crowd standing still costs little), then half
    // of it (the crowd starts moving): about 200, then 500 of 1,200 B/s. The price stays at 0 and
    // nothing is cut on any tick (before 2026-12-03 the fall of the ratio raised the stored price
    // to its floor, ln 5 = 1.6, and the ratio's return to 0.5 then cut every member scoring below
    // 0.9 while the client received less than half its budget)
    for (let k = 0; k < 15; k++) second(0.2, atFloor)
    for (let k = 0; k < 15; k++) second(0.5, atFloor)
    // over the budget (three times the estimate, about 3,000 B/s): the price, settled, rises at
    // its slow rate and the set sheds its lowest scores
    for (let k = 0; k < 10; k++) second(3)
    expect(s.sys.bytePrice(o)).toBeGreaterThan(0)
    expect(s.sys.memberCount(o)).toBeLessThan(members)
  })

  it('should read a budget the rule members alone use up as theirs plus one Low member, and keep the best one', () => {
    const s = scene()
    // its own avatar costs 100 B/s, twice its budget
    const { o, near } = starved(s)
    s.at(20, 0)
    s.sys(s.world)
    expect([...bandsOf(s.sys, o).keys()]).toEqual([near])
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(COSTS.high + COSTS.low, 3)
    // the price holds the spend there for good, rather than winding up until nobody is bought
    for (let t = 0; t < 20 * 60; t++) s.sys(s.world)
    expect([...bandsOf(s.sys, o).keys()]).toEqual([near])
    // a new entity nearer than the one held takes its place
    const nearer = s.at(2, 0)
    for (let t = 0; t < 20; t++) s.sys(s.world)
    expect([...bandsOf(s.sys, o).keys()]).toEqual([nearer])
  })

  it('should say once when a budget stays below what the rule members cost', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const s = scene()
      const fed = s.observer(50, 50, 200, 600)
      moving(s, fed)
      const { o } = starved(s)
      const second = (): void => {
        for (let t = 0; t < 20; t++) s.sys(s.world)
        s.sys.reportBytes(o, COSTS.high + COSTS.low)
        s.sys.reportBytes(fed, COSTS.high)
      }
      // two seconds are not yet a mistake (a burst of owned entities, say)
      second()
      second()
      expect(warn).not.toHaveBeenCalled()
      second()
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]![0])).toMatch(new RegExp(`observer ${o}'s byteBudget \\(50 B/s\\).*about 110 B/s measured`))
      for (let k = 0; k < 5; k++) second()
      expect(warn).toHaveBeenCalledTimes(1)
    } finally {
      warn.mockRestore()
    }
  })

  it('should read the floor at the measured ratio', () => {
    // the budget stays below the floor for good: said once (see the test above)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const s = scene()
    const { o, near } = starved(s)
    s.sys(s.world)
    s.sys.reportBytes(o, 1000)
    // the client receives twice what the configured costs say: the floor is twice theirs too
    for (let k = 0; k < 30; k++) {
      for (let t = 0; t < 20; t++) s.sys(s.world)
      s.sys.reportBytes(o, 2 * (COSTS.high + COSTS.low))
    }
    s.sys(s.world)
    expect([...bandsOf(s.sys, o).keys()]).toEqual([near])
    expect(s.sys.estimatedBytes(o)).toBeGreaterThan(2 * (COSTS.high + COSTS.low) * 0.97)
    expect(s.sys.estimatedBytes(o)).toBeLessThan(2 * (COSTS.high + COSTS.low) * 1.03)
    expect(warn).toHaveBeenCalledTimes(1)
    warn.mockRestore()
  })

  it('should buy the floor\'s one member at a measured ratio below 1 (no ratio shift at the floor, above or below)', () => {
    // the client receives half what the configured costs say: the floor is half theirs, and so is
    // the member's cost. A price shifted by T ln(0.5) (or kept above it) would turn away a member
    // that fits the floor exactly
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const s = scene({ byteCosts: { ...COSTS, burst: 2 } })
    const o = s.observer(0, 0, 200, 30)
    moving(s, o)
    s.sys(s.world)
    s.sys.reportBytes(o, 1000)
    for (let k = 0; k < 40; k++) {
      for (let t = 0; t < 20; t++) s.sys(s.world)
      s.sys.reportBytes(o, 0.5 * COSTS.high)
    }
    const near = s.at(5, 0)
    const far = s.at(45, 0)
    for (let t = 0; t < 100; t++) s.sys(s.world)
    expect(s.sys.isMember(o, near)).toBe(true)
    removeEntity(s.world, near)
    for (let t = 0; t < 20 * 60; t++) s.sys(s.world)
    // the one left scores 0.4: worth the floor's one Low member
    expect(s.sys.isMember(o, far), `price ${s.sys.bytePrice(o)}`).toBe(true)
    expect(s.sys.bytePrice(o)).toBeLessThanOrEqual(0.4)
    warn.mockRestore()
  })

  it('should respect the count budget as a cap', () => {
    const s = scene()
    const o = s.observer(0, 0, 7, 100_000)
    for (let i = 0; i < 30; i++) s.at(1 + i, 0)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(8)
  })

  it('should scale band costs by what the client was actually sent', () => {
    const s = scene()
    const { o } = ring(s)
    s.sys(s.world)
    const before = s.sys.memberCount(o)
    // the schema costs twice what the engine assumes: the encoder sends twice the set's cost at
    // the configured rates, tick after tick, and the set shrinks to about half its members
    const rawCost = (): number => configuredBytes(s.sys, o)
    for (let t = 0; t < 60; t++) {
      s.sys.reportBytes(o, 2 * rawCost())
      s.sys(s.world)
    }
    const after = s.sys.memberCount(o)
    expect(after).toBeLessThan(before * 0.65)
    expect(after).toBeGreaterThan(before * 0.35)
    // and what it now estimates is what the client gets: about the budget
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(2 * rawCost(), 0)
    expect(s.sys.estimatedBytes(o)).toBeLessThanOrEqual(600 * 1.05)
    expect(() => s.sys.reportBytes(o, -1)).toThrow(/bytesPerSecond/)
  })

  it('should compare a report with the mean estimate of the ticks it covers, not the last tick alone', () => {
    const s = scene()
    const o = reporting(s)
    // a second in which the observer's own avatar moves (High: 100 B/s) and stops on the last tick
    // (standing still: 0.1 of that); the client received exactly what the engine estimated
    const moving = 19
    for (let t = 0; t < moving + 1; t++) {
      s.C.Velocity.x[o] = t < moving ? 1 : 0
      s.sys(s.world)
    }
    const still = s.sys.estimatedBytes(o)
    expect(still).toBeCloseTo(COSTS.high * 0.1, 3)
    s.sys.reportBytes(o, (moving * COSTS.high + still) / (moving + 1))
    s.sys(s.world)
    // no error to correct: the ratio stays 1 (read against the last tick alone it would be 9.55)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(still, 3)
    // and a second that stands still for its first half (the tick above was its first) and moves in
    // the second (not still for 90% of it, so the avatar's still share learns nothing): the same
    for (let t = 0; t < moving; t++) {
      s.C.Velocity.x[o] = t < 9 ? 0 : 1
      s.sys(s.world)
    }
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(COSTS.high, 3)
    s.sys.reportBytes(o, (10 * still + 10 * COSTS.high) / 20)
    s.sys(s.world)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(COSTS.high, 3)
  })

  it('should learn what the observer costs standing still from the seconds it stood still, apart from the ratio', () => {
    const s = scene()
    const o = reporting(s)
    // the avatar turns while it stands still: it costs half its moving rate, not the default tenth
    // (alone in the world, the observer's own avatar is all its client receives)
    const second = (vx: number, sent: number): number => {
      s.C.Velocity.x[o] = vx
      for (let t = 0; t < 20; t++) s.sys(s.world)
      const estimated = s.sys.estimatedBytes(o)
      s.sys.reportBytes(o, sent)
      return estimated
    }
    let still = 0
    let moving = 0
    for (let k = 0; k < 30; k++) {
      still = second(0, COSTS.high / 2)
      moving = second(1, COSTS.high)
    }
    // both estimates land on what the client receives; one ratio for both would be off by up to 5x
    expect(still).toBeGreaterThan(COSTS.high / 2 * 0.9)
    expect(still).toBeLessThan(COSTS.high / 2 * 1.1)
    expect(moving).toBeGreaterThan(COSTS.high * 0.9)
    expect(moving).toBeLessThan(COSTS.high * 1.1)
    // a still observer whose client receives next to nothing: the share goes down to 0, never below
    for (let k = 0; k < 30; k++) {
      still = second(0, 0)
      moving = second(1, COSTS.high)
    }
    expect(still).toBeLessThan(COSTS.high * 0.02)
    expect(still).toBeGreaterThanOrEqual(0)
    expect(moving).toBeGreaterThan(COSTS.high * 0.9)
  })

  it('should move the ratio by what a still share in [0, 1] cannot explain', () => {
    const s = scene()
    const o = s.observer(0, 0, 200, 600)
    s.sys(s.world)
    s.sys.reportBytes(o, 1000)
    // standing still throughout, the client receives three times the avatar's moving cost: a share
    // of 1 explains a third of it, the ratio the rest
    for (let k = 0; k < 40; k++) {
      for (let t = 0; t < 20; t++) s.sys(s.world)
      s.sys.reportBytes(o, 3 * COSTS.high)
    }
    expect(s.sys.estimatedBytes(o)).toBeGreaterThan(3 * COSTS.high * 0.95)
    expect(s.sys.estimatedBytes(o)).toBeLessThan(3 * COSTS.high * 1.05)
  })

  it('should learn the still share from the estimates the window was sent under, when sets are kept between re-scores', () => {
    // rescoreEvery 10: on kept ticks the estimate is the last re-score's, whatever the avatar does since
    const s = scene({ rescoreEvery: 10 })
    const o = reporting(s)
    // an honest client: the avatar costs 100 B/s moving and the default tenth standing still; one
    // second moving, then one that moves on its first tick and stands still for the other 19
    let still = 0
    let moving = 0
    for (let k = 0; k < 30; k++) {
      s.C.Velocity.x[o] = 1
      for (let t = 0; t < 20; t++) s.sys(s.world)
      moving = s.sys.estimatedBytes(o)
      s.sys.reportBytes(o, COSTS.high)
      for (let t = 0; t < 20; t++) {
        s.C.Velocity.x[o] = t === 0 ? 1 : 0
        s.sys(s.world)
      }
      still = s.sys.estimatedBytes(o)
      s.sys.reportBytes(o, (COSTS.high + 19 * COSTS.high * 0.1) / 20)
    }
    // nothing to learn: the still share stays about a tenth of the moving cost (the kept ticks lag the
    // avatar by up to 9 ticks, which the ratio absorbs: both read about 13% low). Reading the
    // avatar's state at report time instead of the estimate's drove the share to 0 here
    expect(moving).toBeGreaterThan(COSTS.high * 0.8)
    expect(moving).toBeLessThan(COSTS.high * 1.05)
    expect(still / moving).toBeGreaterThan(0.08)
    expect(still / moving).toBeLessThan(0.13)
  })

  it('should not scale by the first report after an observer is added: it carries the initial full state', () => {
    const s = scene()
    const { o } = ring(s)
    s.sys(s.world)
    const before = s.sys.memberCount(o)
    const estimate = s.sys.estimatedBytes(o)
    // the first second: every member entered at once, ten times the steady rate
    s.sys.reportBytes(o, 10 * estimate)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(before)
    expect(s.sys.estimatedBytes(o)).toBeCloseTo(estimate, 3)
    // the next report is a rate, and it counts
    s.sys.reportBytes(o, 10 * estimate)
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBeLessThan(before)
    // a removed and re-added observer starts over
    removeComponent(s.world, o, s.C.Observer)
    s.sys(s.world)
    addComponent(s.world, o, s.C.Observer)
    s.sys(s.world)
    const again = s.sys.memberCount(o)
    s.sys.reportBytes(o, 10 * s.sys.estimatedBytes(o))
    s.sys(s.world)
    expect(s.sys.memberCount(o)).toBe(again)
  })

  it('should list band changes exactly as the bands change from tick to tick', () => {
    const s = scene({ hysteresis: { minOutTicks: 2 } })
    const o = s.observer(0, 0, 64, 700)
    const ents: number[] = []
    for (let i = 0; i < 40; i++) ents.push(s.at(2 + i, 0))
    let prev = new Map<number, number>()
    for (let t = 0; t < 60; t++) {
      // entities drift back and forth: scores and so bands and the detail ranking change
      for (let i = 0; i < ents.length; i++) s.C.Position.x[ents[i]!] = 2 + ((i * 7 + t * 3) % 45)
      s.sys(s.world)
      const now = bandsOf(s.sys, o)
      const entered = new Set<number>()
      for (let i = 0; i < s.sys.enteredCount(o); i++) entered.add(s.sys.enteredAt(o, i))
      const changed = new Set<number>()
      for (let i = 0; i < s.sys.bandChangedCount(o); i++) changed.add(s.sys.bandChangedAt(o, i))
      for (const [e, b] of now) {
        if (entered.has(e) || !prev.has(e)) continue
        expect(changed.has(e), `tick ${t}: entity ${e} ${prev.get(e)} -> ${b}`).toBe(prev.get(e) !== b)
      }
      for (const e of changed) expect(now.has(e) && !entered.has(e), `tick ${t}: listed ${e}`).toBe(true)
      prev = now
    }
  })
})

describe('aim', () => {
  it('should make an aimer a candidate of its target at any distance, and nobody else', () => {
    const s = scene({ weights: { aim: 3 } })
    const o = s.observer(0, 0, 8, 0)
    const other = s.observer(10, 0, 8, 0)
    const sniper = s.at(400, 0)
    setAimTarget(s.world, s.C, sniper, o)
    s.sys(s.world)
    expect(bandsOf(s.sys, o).has(sniper)).toBe(true)
    expect(bandsOf(s.sys, other).has(sniper)).toBe(false)
    const x = s.sys.explain(o, sniper)
    expect(x.heads.find((h) => h.name === 'aim')!.feature).toBe(1)
    // the aim ends: the sniper is out of range again
    removeComponent(s.world, sniper, s.C.Aim)
    s.sys(s.world)
    expect(bandsOf(s.sys, o).has(sniper)).toBe(false)
  })

  it('should score a fast aimer from the wide list at any distance too', () => {
    const s = scene({ weights: { aim: 3 } })
    const o = s.observer(0, 0, 8, 0)
    const missile = s.at(300, 0)
    s.C.Velocity.x[missile] = -200
    addComponent(s.world, missile, s.C.Velocity)
    setAimTarget(s.world, s.C, missile, o)
    s.sys(s.world)
    expect(bandsOf(s.sys, o).has(missile)).toBe(true)
  })

  it('should never let an aimer through a visibility rule', () => {
    const s = scene({ weights: { aim: 3 } })
    const o = s.observer(0, 0, 8, 0)
    const hidden = s.at(200, 0)
    addComponent(s.world, hidden, s.C.Hidden)
    setAimTarget(s.world, s.C, hidden, o)
    s.sys(s.world)
    expect(bandsOf(s.sys, o).has(hidden)).toBe(false)
  })
})
