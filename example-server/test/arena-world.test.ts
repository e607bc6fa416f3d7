import { hasComponent } from 'bitecs'
import { describe, expect, it } from 'vitest'
import { createArenaWorld } from '../src/arena-world'

// What the arena's simulation makes visible: a shot starts at its shooter's position, aimed from
// there, so it may be seen by no one who may not see the shooter.

describe('arena world', () => {
  it("should give a hidden or team-only bot's shots the shooter's visibility rules", () => {
    const spawned: number[] = []
    const arena = createArenaWorld({ bots: 200, seed: 3, size: 1600, dt: 0.05 }, { spawned: (e) => void spawned.push(e), despawned: () => {} })
    const { world, C } = arena
    const P = C.Position
    // the bots that exercise the rules, each with a player 80 units away (in firing range)
    const special = [...arena.live].filter((e) => hasComponent(world, e, C.Hidden) || hasComponent(world, e, C.TeamOnly))
    expect(special.length).toBeGreaterThan(4)
    const players = special.map(() => arena.spawnPlayer(1))
    let checked = 0
    for (let tick = 0; tick < 2000 && checked < 6; tick++) {
      special.forEach((b, i) => {
        P.x[players[i]!] = P.x[b]! + 80
        P.y[players[i]!] = P.y[b]!
      })
      // where every bot stands before the tick: a shot starts exactly there (its shooter moves after it fires)
      const before = new Map([...arena.live].filter((b) => arena.kindOf(b) === 'bot').map((b) => [b, [P.x[b]!, P.y[b]!] as const]))
      spawned.length = 0
      arena.step()
      for (const e of spawned) {
        if (arena.kindOf(e) !== 'projectile') continue
        const from = [...before].filter(([, [x, y]]) => x === P.x[e] && y === P.y[e]).map(([b]) => b)
        expect(from.length).toBeGreaterThan(0)
        // two bots on one spot (both against a wall): either may have fired
        if (from.length > 1) continue
        const shooter = from[0]!
        if (!special.includes(shooter)) continue
        checked++
        expect(hasComponent(world, e, C.Hidden)).toBe(hasComponent(world, shooter, C.Hidden))
        expect(hasComponent(world, e, C.TeamOnly)).toBe(hasComponent(world, shooter, C.TeamOnly))
        if (hasComponent(world, shooter, C.Team)) expect(C.Team.id[e]).toBe(C.Team.id[shooter])
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})
