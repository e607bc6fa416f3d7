import { InteractionKind, Kind, type Recording } from '../recording'
import { clamp, createSim, kindsOf } from './sim-kit'
import type { ScenarioFamily } from './scenario-family'

/** Behaviour constants of the ranged scenario (world units, seconds): plain game-like values. */
export const RANGED = Object.freeze({
  playerSpeed: 4,
  wandererSpeed: 2.5,
  /** Snipers and turrets pick targets between these distances. */
  sniperMinRange: 60,
  sniperMaxRange: 150,
  /** Seconds a sniper aims before it fires. */
  aimMin: 1.5,
  aimMax: 3,
  bulletSpeed: 120,
  /** A shot lands when the target is still this close to the aim point on arrival. */
  shotRadius: 3,
  sniperCooldownMin: 4,
  sniperCooldownMax: 8,
  vehicleCruise: 20,
  vehicleChargeMin: 25,
  vehicleChargeMax: 40,
  vehicleSpotRange: 150,
  ramRange: 2.5,
  vehicleCooldownMin: 6,
  vehicleCooldownMax: 10,
  beaconSalience: 0.8,
  beaconNimbus: 150,
  /** Beacon trips per player per second. */
  beaconRate: 0.02,
  visitRange: 3,
  touchRange: 1.5,
  touchCooldown: 2,
  viewRadius: 80,
})

const enum Mode {
  Idle,
  Walk,
  Aim,
  Flight,
  Cool,
  Charge,
  Pass,
  Beacon,
}

/**
 * Records threats from beyond the focus radius: snipers and turrets aim (declared) and fire from
 * 60-150 units, fast vehicles charge players at 25-40 u/s, salient beacons with a wide nimbus draw
 * players; a crowd of wanderers fills the space around them.
 */
export function recordRanged(seed: number, quick = false): Recording {
  const players = quick ? 8 : 16
  const wanderers = quick ? 100 : 240
  const snipers = quick ? 10 : 24
  const vehicles = quick ? 6 : 12
  const beacons = quick ? 4 : 6
  const sim = createSim({
    seed,
    seconds: quick ? 20 : 60,
    size: quick ? 260 : 400,
    kinds: kindsOf([Kind.Player, players], [Kind.Wanderer, wanderers], [Kind.Sniper, snipers], [Kind.Vehicle, vehicles], [Kind.Beacon, beacons]),
    players,
    declaresAim: true,
  })
  const { n, dt, rng, px, py, vx, vy, kind, aim } = sim
  const W = sim.size
  const R = RANGED
  const mode = new Uint8Array(n)
  const timer = new Float64Array(n)
  const tx = new Float64Array(n)
  const ty = new Float64Array(n)
  const goal = new Int32Array(n).fill(-1)
  const goalX = new Float64Array(n)
  const goalY = new Float64Array(n)
  const chargeSpeed = new Float64Array(n)
  const beaconList: number[] = []
  for (let i = 0; i < n; i++) {
    timer[i] = rng.range(0, 3)
    goalX[i] = px[i]!
    goalY[i] = py[i]!
    if (kind[i] === Kind.Beacon) {
      sim.salience[i] = R.beaconSalience
      sim.nimbus[i] = R.beaconNimbus
      beaconList.push(i)
    }
  }
  const pickPlayerBetween = (i: number, lo: number, hi: number): number => {
    let best = -1
    let bestD = hi
    for (let p = 0; p < players; p++) {
      const d = sim.dist(i, p)
      if (d >= lo && d <= bestD) {
        bestD = d
        best = p
      }
    }
    return best
  }
  for (let t = 0; t < sim.ticks; t++) {
    if (t > 0) {
      for (let i = 0; i < n; i++) {
        timer[i] = timer[i]! - dt
        const k = kind[i]!
        if (k === Kind.Player) {
          if (mode[i] === Mode.Beacon) {
            const b = goal[i]!
            if (sim.moveToward(i, px[b]!, py[b]!, R.playerSpeed) <= R.visitRange) {
              sim.interact(t, i, b, InteractionKind.Visit)
              mode[i] = Mode.Idle
              timer[i] = rng.range(1, 3)
              sim.stop(i)
            }
          } else if (rng.next() < R.beaconRate * dt) {
            mode[i] = Mode.Beacon
            goal[i] = beaconList[rng.int(beaconList.length)]!
          } else if (mode[i] === Mode.Walk) {
            if (sim.moveToward(i, tx[i]!, ty[i]!, R.playerSpeed) < 0.5 || timer[i]! <= 0) {
              mode[i] = Mode.Idle
              timer[i] = rng.range(0.5, 3)
              sim.stop(i)
            }
          } else if (timer[i]! <= 0) {
            mode[i] = Mode.Walk
            tx[i] = clamp(px[i]! + rng.range(-60, 60), 0, W)
            ty[i] = clamp(py[i]! + rng.range(-60, 60), 0, W)
            timer[i] = 30
          } else sim.ang[i] = sim.ang[i]! + 0.8 * dt * (i % 2 === 0 ? 1 : -1)
        } else if (k === Kind.Wanderer) {
          if (timer[i]! <= 0) {
            timer[i] = rng.range(1, 4)
            const speed = rng.next() < 0.25 ? 0 : rng.range(0.5, R.wandererSpeed)
            const a = rng.range(-Math.PI, Math.PI)
            vx[i] = Math.cos(a) * speed
            vy[i] = Math.sin(a) * speed
            if (speed > 0) sim.ang[i] = a
          }
        } else if (k === Kind.Sniper) stepSniper(t, i)
        else if (k === Kind.Vehicle) stepVehicle(t, i)
      }
      sim.integrate()
      for (let p = 0; p < players; p++) {
        for (let e = 0; e < n; e++) {
          const ke = kind[e]!
          if (e === p || (ke !== Kind.Wanderer && !(ke === Kind.Player && e > p))) continue
          const dx = px[e]! - px[p]!
          const dy = py[e]! - py[p]!
          sim.contact(t, p, e, dx * dx + dy * dy <= R.touchRange * R.touchRange, InteractionKind.Touch, R.touchCooldown)
        }
      }
    }
    sim.capture(t)
  }
  return sim.finish('ranged', R.viewRadius)

  function stepSniper(t: number, i: number): void {
    sim.stop(i)
    const p = goal[i]!
    switch (mode[i]) {
      case Mode.Aim: {
        const d = sim.dist(i, p)
        sim.ang[i] = Math.atan2(py[p]! - py[i]!, px[p]! - px[i]!)
        if (d > R.sniperMaxRange * 1.2) {
          mode[i] = Mode.Cool
          timer[i] = rng.range(1, 2)
          aim[i] = -1
        } else if (timer[i]! <= 0) {
          // fire at where the target is now; the bullet needs d / speed to arrive
          tx[i] = px[p]!
          ty[i] = py[p]!
          mode[i] = Mode.Flight
          timer[i] = d / R.bulletSpeed
        }
        return
      }
      case Mode.Flight:
        if (timer[i]! <= 0) {
          if (Math.hypot(px[p]! - tx[i]!, py[p]! - ty[i]!) <= R.shotRadius) sim.interact(t, i, p, InteractionKind.Shot)
          mode[i] = Mode.Cool
          timer[i] = rng.range(R.sniperCooldownMin, R.sniperCooldownMax)
          aim[i] = -1
        }
        return
      default:
        if (timer[i]! > 0) return
        goal[i] = pickPlayerBetween(i, R.sniperMinRange, R.sniperMaxRange)
        if (goal[i] === -1) {
          timer[i] = 1
          return
        }
        mode[i] = Mode.Aim
        aim[i] = goal[i]!
        timer[i] = rng.range(R.aimMin, R.aimMax)
    }
  }

  function stepVehicle(t: number, i: number): void {
    switch (mode[i]) {
      case Mode.Charge: {
        const p = goal[i]!
        const d = sim.moveToward(i, px[p]!, py[p]!, chargeSpeed[i]!)
        if (d <= R.ramRange) {
          sim.interact(t, i, p, InteractionKind.Ram)
          // drive on through and away for a while
          mode[i] = Mode.Pass
          timer[i] = 2
        } else if (d > R.vehicleSpotRange * 1.5) {
          mode[i] = Mode.Cool
          timer[i] = rng.range(R.vehicleCooldownMin, R.vehicleCooldownMax)
          pickRoad(i)
        }
        return
      }
      case Mode.Pass:
        if (timer[i]! <= 0) {
          mode[i] = Mode.Cool
          timer[i] = rng.range(R.vehicleCooldownMin, R.vehicleCooldownMax)
          pickRoad(i)
        }
        return
      default: {
        if (sim.moveToward(i, goalX[i]!, goalY[i]!, R.vehicleCruise) < 3) pickRoad(i)
        if (timer[i]! > 0) return
        const p = pickPlayerBetween(i, 0, R.vehicleSpotRange)
        if (p === -1) {
          timer[i] = 1
          return
        }
        mode[i] = Mode.Charge
        goal[i] = p
        chargeSpeed[i] = rng.range(R.vehicleChargeMin, R.vehicleChargeMax)
      }
    }
  }

  function pickRoad(i: number): void {
    goalX[i] = rng.range(0, W)
    goalY[i] = rng.range(0, W)
  }
}

/** Snipers and turrets that aim and fire from afar, fast vehicles that charge, salient beacons. */
export const rangedFamily: ScenarioFamily = {
  name: 'ranged',
  description: 'snipers and turrets aim (declared) and fire from 60-150 units, vehicles charge players at 25-40 u/s, salient beacons with a wide nimbus',
  record: recordRanged,
  trainSeeds: [201, 202, 203],
  extraTrainSeeds: [204, 205, 206],
  validationSeeds: [231, 232, 233],
  testSeeds: [211, 212, 213],
}
