import { InteractionKind, Kind, type Recording } from '../recording'
import { clamp, createSim, kindsOf } from './sim-kit'
import type { ScenarioFamily } from './scenario-family'

/** Behaviour constants of the battle (world units, seconds): plain game-like values. */
export const BATTLE = Object.freeze({
  marchSpeed: 2.5,
  chargeSpeed: 3.5,
  playerSpeed: 4,
  scoutSpeed: 5,
  engageRange: 14,
  meleeRange: 1.5,
  meleeCooldown: 1.5,
  touchRange: 1.2,
  touchCooldown: 2,
  reportRange: 2,
  /** Seconds between two target searches of a unit. */
  retarget: 0.5,
  /** Riders: spot enemy players this far, charge at this speed, ride through, rest. */
  riderSpotRange: 100,
  riderSpeed: 12,
  riderTrotSpeed: 4,
  riderRideThrough: 2.5,
  riderRestMin: 4,
  riderRestMax: 8,
  viewRadius: 50,
})

/**
 * Records a battle: two teams march at each other and clash in a dense melee. Players fight in
 * their team's ranks; team-only scouts run reports to their own players; commanders are salient.
 */
export function recordBattle(seed: number, quick = false): Recording {
  const players = quick ? 8 : 16
  const soldiers = quick ? 140 : 360
  const scouts = quick ? 10 : 24
  const riders = quick ? 6 : 16
  const sim = createSim({
    seed,
    seconds: quick ? 20 : 60,
    size: quick ? 160 : 240,
    kinds: kindsOf([Kind.Player, players], [Kind.Soldier, soldiers], [Kind.Scout, scouts], [Kind.Rider, riders]),
    players,
    declaresAim: false,
  })
  const { n, dt, rng, px, py, kind, team } = sim
  const W = sim.size
  const B = BATTLE
  const foe = new Int32Array(n).fill(-1)
  const next = new Float64Array(n) // seconds until the next target search / decision
  const cool = new Float64Array(n) // melee cooldown
  const homeY = new Float64Array(n)
  const commanders: number[][] = [[], [], []]
  for (let i = 0; i < n; i++) {
    team[i] = (i % 2) + 1
    const west = team[i] === 1
    px[i] = W * (west ? rng.range(0.12, 0.3) : rng.range(0.7, 0.88))
    py[i] = W * rng.range(0.2, 0.8)
    homeY[i] = py[i]!
    sim.ang[i] = west ? 0 : Math.PI
    next[i] = rng.range(0, B.retarget)
    if (kind[i] === Kind.Scout) sim.teamOnly[i] = 1
    // the first soldiers of each team lead it: salient, noticed from afar
    if (kind[i] === Kind.Soldier && i < players + 4) {
      sim.salience[i] = 0.7
      sim.nimbus[i] = 60
      commanders[team[i]!]!.push(i)
    }
  }
  const nearestFoe = (i: number): number => {
    let best = -1
    let bestD = B.engageRange * B.engageRange
    for (let e = 0; e < n; e++) {
      if (team[e] === team[i] || kind[e] === Kind.Scout) continue
      const dx = px[e]! - px[i]!
      const dy = py[e]! - py[i]!
      const d2 = dx * dx + dy * dy
      if (d2 < bestD) {
        bestD = d2
        best = e
      }
    }
    return best
  }
  const reportTo = new Int32Array(n).fill(-1)
  // a rider's charge: its target player (-1: none) and seconds left riding through after the hit
  const charge = new Int32Array(n).fill(-1)
  const through = new Float64Array(n)
  const enemyPlayerWithin = (i: number, range: number): number => {
    let best = -1
    let bestD = range
    for (let p = 0; p < players; p++) {
      if (team[p] === team[i]) continue
      const d = sim.dist(i, p)
      if (d < bestD) {
        bestD = d
        best = p
      }
    }
    return best
  }
  for (let t = 0; t < sim.ticks; t++) {
    if (t > 0) {
      for (let i = 0; i < n; i++) {
        next[i] = next[i]! - dt
        cool[i] = cool[i]! - dt
        const k = kind[i]!
        if (k === Kind.Scout) {
          // run to a random player of the own team, report, then pause
          if (reportTo[i] === -1) {
            if (next[i]! <= 0) {
              const p = rng.int(players)
              if (team[p] === team[i]) reportTo[i] = p
              next[i] = rng.range(0.5, 2)
            }
            sim.stop(i)
          } else if (sim.moveToward(i, px[reportTo[i]!]!, py[reportTo[i]!]!, B.scoutSpeed) <= B.reportRange) {
            sim.interact(t, i, reportTo[i]!, InteractionKind.Visit)
            reportTo[i] = -1
            next[i] = rng.range(2, 4)
            sim.stop(i)
          }
          continue
        }
        if (k === Kind.Rider) {
          stepRider(t, i)
          continue
        }
        if (next[i]! <= 0) {
          foe[i] = nearestFoe(i)
          next[i] = B.retarget
        }
        const f = foe[i]!
        const speed = k === Kind.Player ? B.playerSpeed : B.chargeSpeed
        if (f !== -1 && sim.dist(i, f) <= B.engageRange * 1.5) {
          if (sim.moveToward(i, px[f]!, py[f]!, speed) <= B.meleeRange) {
            sim.stop(i)
            if (cool[i]! <= 0) {
              cool[i] = B.meleeCooldown
              // only fights with a player party matter to a client
              if (k === Kind.Player || kind[f] === Kind.Player) sim.interact(t, i, f, InteractionKind.Attack)
            }
          }
        } else {
          // march on the enemy side, keeping a loose line
          const goal = team[i] === 1 ? 0.78 : 0.22
          const gx = W * goal
          const gy = clamp(homeY[i]! + Math.sin(t * dt * 0.2 + i) * 6, 0, W)
          if (sim.moveToward(i, gx, gy, B.marchSpeed) < 2) homeY[i] = W * rng.range(0.2, 0.8)
        }
      }
      sim.integrate()
      for (let p = 0; p < players; p++) {
        for (let e = 0; e < n; e++) {
          if (e === p || e < p && kind[e] === Kind.Player) continue
          // an enemy's team-only scout is invisible to this player: it does not bump into it either
          if (sim.teamOnly[e] === 1 && team[e] !== team[p]) continue
          const dx = px[e]! - px[p]!
          const dy = py[e]! - py[p]!
          sim.contact(t, p, e, dx * dx + dy * dy <= B.touchRange * B.touchRange, InteractionKind.Touch, B.touchCooldown)
        }
      }
    }
    sim.capture(t)
  }
  return sim.finish('battle', B.viewRadius)

  function stepRider(t: number, i: number): void {
    if (through[i]! > 0) {
      // ride on past the target, then rest
      through[i] = through[i]! - dt
      if (through[i]! <= 0) next[i] = rng.range(B.riderRestMin, B.riderRestMax)
      return
    }
    const p = charge[i]!
    if (p !== -1) {
      const d = sim.moveToward(i, px[p]!, py[p]!, B.riderSpeed)
      if (d <= B.meleeRange) {
        sim.interact(t, i, p, InteractionKind.Attack)
        charge[i] = -1
        through[i] = B.riderRideThrough
        const a = sim.ang[i]!
        sim.vx[i] = Math.cos(a) * B.riderSpeed
        sim.vy[i] = Math.sin(a) * B.riderSpeed
      } else if (d > B.riderSpotRange * 1.5) charge[i] = -1
      return
    }
    // trot behind the own lines until an enemy player is in reach and the horse is rested
    const home = team[i] === 1 ? 0.2 : 0.8
    sim.moveToward(i, W * home, homeY[i]!, B.riderTrotSpeed)
    if (next[i]! <= 0) {
      charge[i] = enemyPlayerWithin(i, B.riderSpotRange)
      next[i] = 0.5
    }
  }
}

/** Dense crowds of two teams clashing in melee, with team-only scouts and salient commanders. */
export const battleFamily: ScenarioFamily = {
  name: 'battle',
  description: 'two teams march at each other and clash in a dense melee; riders charge enemy players from up to 100 units; team-only scouts report to their players; commanders are salient',
  record: recordBattle,
  trainSeeds: [101, 102, 103],
  extraTrainSeeds: [104, 105, 106],
  validationSeeds: [131, 132, 133],
  testSeeds: [111, 112, 113],
}
