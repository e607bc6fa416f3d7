import { InteractionKind, Kind, type Recording } from '../recording'
import { clamp, createSim, kindsOf } from './sim-kit'
import type { ScenarioFamily } from './scenario-family'

/** Behaviour constants of the hub (world units, seconds): plain game-like values. */
export const HUB = Object.freeze({
  playerSpeed: 4,
  shuffleSpeed: 1,
  /** Share of the time an idler stands still. */
  idleShare: 0.95,
  crowdClusters: 12,
  crowdSpread: 8,
  merchantSalience: 0.9,
  merchantNimbus: 60,
  tradeRange: 2.5,
  chatRange: 2.5,
  stashRange: 2,
  touchRange: 1.2,
  touchCooldown: 3,
  viewRadius: 45,
})

const enum Goal {
  None,
  Merchant,
  Player,
  Stash,
  Stroll,
}

/**
 * Records a social and trade hub: big crowds of mostly standing people, a few salient merchants at
 * their stalls, players walking through the crowds to trade, chat and visit their own hidden stash.
 */
export function recordHub(seed: number, quick = false): Recording {
  const players = quick ? 10 : 24
  const idlers = quick ? 240 : 600
  const merchants = quick ? 5 : 10
  const sim = createSim({
    seed,
    seconds: quick ? 20 : 60,
    size: quick ? 140 : 200,
    kinds: kindsOf([Kind.Player, players], [Kind.Idler, idlers], [Kind.Merchant, merchants], [Kind.Stash, players]),
    players,
    declaresAim: false,
  })
  const { n, dt, rng, px, py, vx, vy, kind } = sim
  const W = sim.size
  const H = HUB
  const cx: number[] = []
  const cy: number[] = []
  for (let c = 0; c < H.crowdClusters; c++) {
    cx.push(rng.range(0.1, 0.9) * W)
    cy.push(rng.range(0.1, 0.9) * W)
  }
  const goal = new Uint8Array(n)
  const goalId = new Int32Array(n).fill(-1)
  const tx = new Float64Array(n)
  const ty = new Float64Array(n)
  const timer = new Float64Array(n)
  const merchantList: number[] = []
  const stashOf = new Int32Array(players)
  const playerList = Array.from({ length: players }, (_, p) => p)
  for (let i = 0; i < n; i++) {
    timer[i] = rng.range(0, 4)
    if (kind[i] === Kind.Idler) {
      const c = rng.int(H.crowdClusters)
      px[i] = clamp(cx[c]! + rng.range(-H.crowdSpread, H.crowdSpread), 0, W)
      py[i] = clamp(cy[c]! + rng.range(-H.crowdSpread, H.crowdSpread), 0, W)
    } else if (kind[i] === Kind.Merchant) {
      sim.salience[i] = H.merchantSalience
      sim.nimbus[i] = H.merchantNimbus
      merchantList.push(i)
    } else if (kind[i] === Kind.Stash) {
      const owner = i - (n - players)
      sim.owner[i] = owner
      sim.hidden[i] = 1
      stashOf[owner] = i
    }
  }
  for (let t = 0; t < sim.ticks; t++) {
    if (t > 0) {
      for (let i = 0; i < n; i++) {
        timer[i] = timer[i]! - dt
        const k = kind[i]!
        if (k === Kind.Idler) {
          if (timer[i]! <= 0) {
            const still = rng.next() < H.idleShare
            timer[i] = still ? rng.range(2, 8) : rng.range(1, 2)
            const a = rng.range(-Math.PI, Math.PI)
            const s = still ? 0 : H.shuffleSpeed
            vx[i] = Math.cos(a) * s
            vy[i] = Math.sin(a) * s
            sim.ang[i] = a
          }
        } else if (k === Kind.Player) stepPlayer(t, i)
      }
      sim.integrate()
      for (let p = 0; p < players; p++) {
        for (let e = 0; e < n; e++) {
          if (kind[e] !== Kind.Idler) continue
          const dx = px[e]! - px[p]!
          const dy = py[e]! - py[p]!
          sim.contact(t, p, e, dx * dx + dy * dy <= H.touchRange * H.touchRange, InteractionKind.Touch, H.touchCooldown)
        }
      }
    }
    sim.capture(t)
  }
  return sim.finish('hub', H.viewRadius)

  function nearestOf(i: number, list: readonly number[]): number {
    let best = -1
    let bestD = Infinity
    for (const e of list) {
      const d = e === i ? Infinity : sim.dist(i, e)
      if (d < bestD) {
        bestD = d
        best = e
      }
    }
    return best
  }

  function stepPlayer(t: number, i: number): void {
    const g = goal[i]!
    if (g === Goal.None) {
      sim.stop(i)
      sim.ang[i] = sim.ang[i]! + 0.6 * dt * (i % 2 === 0 ? 1 : -1)
      if (timer[i]! > 0) return
      const r = rng.next()
      if (r < 0.45) {
        // mostly the closest stall, sometimes one across the hub
        goal[i] = Goal.Merchant
        goalId[i] = rng.next() < 0.7 ? nearestOf(i, merchantList) : merchantList[rng.int(merchantList.length)]!
      } else if (r < 0.7) {
        goal[i] = Goal.Player
        goalId[i] = rng.next() < 0.7 ? nearestOf(i, playerList) : (i + 1 + rng.int(players - 1)) % players
      } else if (r < 0.85) {
        goal[i] = Goal.Stash
        goalId[i] = stashOf[i]!
      } else {
        goal[i] = Goal.Stroll
        tx[i] = clamp(px[i]! + rng.range(-40, 40), 0, W)
        ty[i] = clamp(py[i]! + rng.range(-40, 40), 0, W)
      }
      timer[i] = 60
      return
    }
    const o = goalId[i]!
    const d = g === Goal.Stroll ? sim.moveToward(i, tx[i]!, ty[i]!, H.playerSpeed) : sim.moveToward(i, px[o]!, py[o]!, H.playerSpeed)
    const reach = g === Goal.Merchant ? H.tradeRange : g === Goal.Player ? H.chatRange : g === Goal.Stash ? H.stashRange : 0.5
    if (d <= reach) {
      if (g === Goal.Merchant) sim.interact(t, i, o, InteractionKind.Trade)
      else if (g === Goal.Player) sim.interact(t, i, o, InteractionKind.Chat)
      else if (g === Goal.Stash) sim.interact(t, i, o, InteractionKind.Visit)
      goal[i] = Goal.None
      timer[i] = g === Goal.Stroll ? rng.range(1, 3) : rng.range(2, 5)
      sim.stop(i)
    } else if (timer[i]! <= 0) {
      goal[i] = Goal.None
      timer[i] = 1
    }
  }
}

/** A trade and social hub: idle crowds, salient merchants, players trading, chatting, visiting hidden stashes. */
export const hubFamily: ScenarioFamily = {
  name: 'hub',
  description: 'a trade hub: big idle crowds, salient merchants (salience + nimbus), players trading, chatting and visiting a stash only they can see',
  record: recordHub,
  trainSeeds: [301, 302, 303],
  extraTrainSeeds: [304, 305, 306],
  validationSeeds: [331, 332, 333],
  testSeeds: [311, 312, 313],
}
