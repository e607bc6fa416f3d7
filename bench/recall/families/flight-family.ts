import { InteractionKind, Kind, type Recording } from '../recording'
import { clamp, createSim, kindsOf } from './sim-kit'
import type { ScenarioFamily } from './scenario-family'

/** Behaviour constants of the flight scenario (world units, seconds): plain game-like values. */
export const FLIGHT = Object.freeze({
  /** Players fly fast and turn at a limited rate (a racer, a fighter plane, a ship). */
  playerSpeedMin: 22,
  playerSpeedMax: 32,
  /** Radians per second. */
  playerTurnRate: 1.6,
  /** A player passes its ring within this distance (a gate flown through). */
  gateRange: 3,
  rockSpeedMax: 5,
  touchRange: 2.5,
  touchCooldown: 3,
  interceptorPatrol: 8,
  interceptorSpeed: 42,
  interceptorSpotRange: 140,
  /** Seconds an interceptor chases before it gives up. */
  chaseSeconds: 6,
  strikeRange: 2,
  interceptorCooldownMin: 5,
  interceptorCooldownMax: 9,
  /** A player fires at another player ahead: within this range and this half-angle of its heading. */
  gunRange: 70,
  gunCone: 0.12,
  gunCooldown: 2,
  viewRadius: 90,
})

/** The signed turn from heading `from` to heading `to` (radians), in [-pi, pi]. */
function turn(from: number, to: number): number {
  const a = to - from
  return Math.atan2(Math.sin(a), Math.cos(a))
}

const enum Mode {
  Patrol,
  Chase,
  Cool,
}

/**
 * Records fast flight: players race through gates at 22-32 u/s with a limited turn rate, past
 * drifting rocks, chased by interceptors faster than they are, and firing at players ahead of
 * them. Unlike the other families the observers themselves move fast, so what is about to matter
 * lies ahead of them, and a gate is reached from ~60 units away within two seconds.
 */
export function recordFlight(seed: number, quick = false): Recording {
  const players = quick ? 8 : 16
  const gates = quick ? 80 : 200
  const rocks = quick ? 100 : 260
  const interceptors = quick ? 10 : 30
  const sim = createSim({
    seed,
    seconds: quick ? 20 : 60,
    size: quick ? 500 : 800,
    kinds: kindsOf([Kind.Player, players], [Kind.Beacon, gates], [Kind.Wanderer, rocks], [Kind.Chaser, interceptors]),
    players,
    declaresAim: false,
  })
  const { n, dt, rng, px, py, vx, vy, kind, ang } = sim
  const W = sim.size
  const F = FLIGHT
  const speed = new Float64Array(n)
  const goal = new Int32Array(n).fill(-1)
  const mode = new Uint8Array(n)
  const timer = new Float64Array(n)
  const prey = new Int32Array(n).fill(-1)
  const gateList: number[] = []
  const lastShot = new Float64Array(players * players).fill(-1e9)
  for (let i = 0; i < n; i++) {
    const k = kind[i]!
    if (k === Kind.Player) speed[i] = rng.range(F.playerSpeedMin, F.playerSpeedMax)
    else if (k === Kind.Beacon) {
      gateList.push(i)
      ang[i] = rng.range(-Math.PI, Math.PI)
    } else if (k === Kind.Wanderer) {
      const a = rng.range(-Math.PI, Math.PI)
      const s = rng.range(0, F.rockSpeedMax)
      vx[i] = Math.cos(a) * s
      vy[i] = Math.sin(a) * s
      ang[i] = a
    } else if (k === Kind.Chaser) timer[i] = rng.range(0, 3)
  }
  // the next gate: one ahead of the player, at a distance a racer's route would have
  const pickGate = (p: number): number => {
    let best = -1
    let bestCost = Infinity
    for (const g of gateList) {
      if (g === goal[p]) continue
      const dx = px[g]! - px[p]!
      const dy = py[g]! - py[p]!
      const d = Math.hypot(dx, dy)
      if (d < 40) continue
      const off = Math.abs(turn(ang[p]!, Math.atan2(dy, dx)))
      const cost = d * (1 + off) * rng.range(0.7, 1.3)
      if (cost < bestCost) {
        bestCost = cost
        best = g
      }
    }
    return best
  }
  for (let p = 0; p < players; p++) goal[p] = pickGate(p)

  for (let t = 0; t < sim.ticks; t++) {
    if (t > 0) {
      for (let i = 0; i < n; i++) {
        const k = kind[i]!
        if (k === Kind.Player) fly(i)
        else if (k === Kind.Chaser) intercept(t, i)
      }
      sim.integrate()
      for (let p = 0; p < players; p++) {
        for (let e = players; e < n; e++) {
          const k = kind[e]!
          const d = sim.dist(p, e)
          if (k === Kind.Beacon) sim.contact(t, p, e, d <= F.gateRange, InteractionKind.Visit, 5)
          else if (k === Kind.Wanderer) sim.contact(t, p, e, d <= F.touchRange, InteractionKind.Touch, F.touchCooldown)
        }
        shoot(t, p)
      }
    }
    sim.capture(t)
  }
  return sim.finish('flight', F.viewRadius)

  /** Steers player p toward its gate at its own speed, turning at most the turn rate. */
  function fly(p: number): void {
    let g = goal[p]!
    if (g === -1 || sim.dist(p, g) <= F.gateRange) g = goal[p] = pickGate(p)
    const step = F.playerTurnRate * dt
    const steer = (toward: number): void => {
      ang[p] = ang[p]! + clamp(turn(ang[p]!, toward), -step, step)
    }
    steer(Math.atan2(py[g]! - py[p]!, px[g]! - px[p]!))
    // near the world's edge, turn back toward the middle
    if (px[p]! < 20 || px[p]! > W - 20 || py[p]! < 20 || py[p]! > W - 20) steer(Math.atan2(W / 2 - py[p]!, W / 2 - px[p]!))
    vx[p] = Math.cos(ang[p]!) * speed[p]!
    vy[p] = Math.sin(ang[p]!) * speed[p]!
  }

  /** Fires at the first other player ahead within the gun's range and cone. */
  function shoot(t: number, p: number): void {
    for (let q = 0; q < players; q++) {
      if (q === p) continue
      const dx = px[q]! - px[p]!
      const dy = py[q]! - py[p]!
      const d = Math.hypot(dx, dy)
      if (d > F.gunRange || d < 1e-6) continue
      if (Math.abs(turn(ang[p]!, Math.atan2(dy, dx))) > F.gunCone) continue
      const j = p * players + q
      if (t * dt - lastShot[j]! < F.gunCooldown) continue
      lastShot[j] = t * dt
      sim.interact(t, p, q, InteractionKind.Shot)
      return
    }
  }

  /** An interceptor patrols, spots a player, chases it faster than it flies, strikes, cools down. */
  function intercept(t: number, i: number): void {
    timer[i] = timer[i]! - dt
    const m = mode[i]!
    if (m === Mode.Patrol) {
      if (timer[i]! <= 0) {
        const a = rng.range(-Math.PI, Math.PI)
        vx[i] = Math.cos(a) * F.interceptorPatrol
        vy[i] = Math.sin(a) * F.interceptorPatrol
        ang[i] = a
        timer[i] = rng.range(2, 5)
      }
      let best = -1
      let bestD: number = F.interceptorSpotRange
      for (let p = 0; p < players; p++) {
        const d = sim.dist(i, p)
        if (d < bestD) {
          bestD = d
          best = p
        }
      }
      if (best !== -1 && rng.next() < 0.02) {
        mode[i] = Mode.Chase
        prey[i] = best
        timer[i] = F.chaseSeconds
      }
    } else if (m === Mode.Chase) {
      const p = prey[i]!
      // lead the target a little, as a pursuer does
      const lead = Math.min(1, sim.dist(i, p) / F.interceptorSpeed)
      const d = sim.moveToward(i, px[p]! + vx[p]! * lead, py[p]! + vy[p]! * lead, F.interceptorSpeed)
      if (sim.dist(i, p) <= F.strikeRange) {
        sim.interact(t, i, p, InteractionKind.Attack)
        mode[i] = Mode.Cool
        timer[i] = rng.range(F.interceptorCooldownMin, F.interceptorCooldownMax)
        const a = rng.range(-Math.PI, Math.PI)
        vx[i] = Math.cos(a) * F.interceptorPatrol
        vy[i] = Math.sin(a) * F.interceptorPatrol
        ang[i] = a
      } else if (timer[i]! <= 0 || d > F.interceptorSpotRange * 1.5) {
        mode[i] = Mode.Cool
        timer[i] = rng.range(1, 3)
      }
    } else if (timer[i]! <= 0) {
      mode[i] = Mode.Patrol
      timer[i] = 0
    }
  }
}

/** Fast flight: racers through gates, drifting rocks, interceptors faster than the players, gunfire ahead. */
export const flightFamily: ScenarioFamily = {
  name: 'flight',
  description: 'fast flight: players race through gates at 22-32 u/s turning at a limited rate, past drifting rocks, chased by faster interceptors, firing at players ahead',
  record: recordFlight,
  trainSeeds: [401, 402, 403],
  extraTrainSeeds: [404, 405, 406],
  validationSeeds: [431, 432, 433],
  testSeeds: [411, 412, 413],
}
