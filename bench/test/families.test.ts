import { describe, expect, it } from 'vitest'
import { ALL_FAMILIES, FAMILIES, HELD_OUT_FAMILIES, familyByName, isHeldOut } from '../recall/families/index'
import { countByKind } from '../recall/recording'
import { FULL_SCENARIO } from '../recall/scenario'

/** Byte equality of two typed arrays (toEqual walks them element by element: slow on big ones). */
const same = (a: ArrayBufferView | undefined, b: ArrayBufferView | undefined): boolean =>
  a !== undefined && b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

describe('families', () => {
  it('should name each family once and keep training and test seeds disjoint', () => {
    const names = ALL_FAMILIES.map((f) => f.name)
    expect(new Set(names).size).toBe(names.length)
    expect(FAMILIES.map((f) => f.name)).toEqual(['arena', 'battle', 'ranged', 'hub'])
    expect(HELD_OUT_FAMILIES.map((f) => f.name)).toEqual(['flight'])
    for (const name of names) expect(familyByName(name)!.name).toBe(name)
    expect(names.filter(isHeldOut)).toEqual(['flight'])
    // no seed of any family is another family's: a held-out family shares nothing with the tuned ones
    const everySeed = ALL_FAMILIES.flatMap((f) => [...f.trainSeeds, ...f.testSeeds, ...f.extraTrainSeeds, ...f.validationSeeds])
    expect(new Set(everySeed).size).toBe(everySeed.length)
    for (const f of ALL_FAMILIES) {
      expect(f.trainSeeds.length).toBeGreaterThan(0)
      expect(f.testSeeds.length).toBeGreaterThan(0)
      expect(f.trainSeeds.filter((s) => f.testSeeds.includes(s))).toEqual([])
      // the four seed sets are disjoint
      const all = [...f.trainSeeds, ...f.testSeeds, ...f.extraTrainSeeds, ...f.validationSeeds]
      expect(new Set(all).size).toBe(all.length)
      expect(f.validationSeeds.length).toBeGreaterThan(0)
      expect(f.description.length).toBeGreaterThan(10)
    }
    // the recording the engine's defaults were tuned on is no test seed (arena-family.ts)
    expect(FAMILIES.find((f) => f.name === 'arena')!.testSeeds).not.toContain(FULL_SCENARIO.seed)
  })

  for (const f of ALL_FAMILIES) {
    it(`should record ${f.name} deterministically per seed, with interactions`, () => {
      const seed = f.testSeeds[0]!
      const a = f.record(seed, true)
      const b = f.record(seed, true)
      expect(same(a.x, b.x)).toBe(true)
      expect(same(a.y, b.y)).toBe(true)
      expect(same(a.interactions.tick, b.interactions.tick) && same(a.interactions.a, b.interactions.a)).toBe(true)
      for (const k of Object.keys(a.declared ?? {}) as (keyof NonNullable<typeof a.declared>)[]) expect(same(a.declared![k], b.declared![k])).toBe(true)
      expect(a.family).toBe(f.name)
      expect(a.interactions.count).toBeGreaterThan(5)
      const other = f.record(f.trainSeeds[0]!, true)
      expect(same(other.x, a.x)).toBe(false)
      // interactions in tick order, every one with a player party
      for (let i = 0; i < a.interactions.count; i++) {
        if (i > 0) expect(a.interactions.tick[i]!).toBeGreaterThanOrEqual(a.interactions.tick[i - 1]!)
        const players = new Set(a.players)
        expect(players.has(a.interactions.a[i]!) || players.has(a.interactions.b[i]!)).toBe(true)
      }
    })
  }

  it('should declare what each situation is about', () => {
    const get = (name: string) => FAMILIES.find((f) => f.name === name)!.record(FAMILIES.find((f) => f.name === name)!.testSeeds[0]!, true)
    const battle = get('battle')
    expect(new Set(battle.declared!.team)).toEqual(new Set([1, 2]))
    expect(battle.declared!.teamOnly!.some((v) => v === 1)).toBe(true)
    const ranged = get('ranged')
    expect(ranged.declared!.target!.length).toBe(ranged.ticks * ranged.entityCount)
    expect(ranged.declared!.target!.some((v) => v >= 0)).toBe(true)
    expect(ranged.declared!.nimbus!.some((v) => v > 50)).toBe(true)
    const counts = countByKind(ranged.interactions)
    expect(counts[4]! + counts[5]!).toBeGreaterThan(0) // shots and rams
    const hub = get('hub')
    const hidden = [...hub.declared!.hidden!.keys()].filter((e) => hub.declared!.hidden![e] === 1)
    expect(hidden.length).toBe(hub.players.length)
    for (const e of hidden) expect(hub.declared!.owner![e]!).toBeGreaterThanOrEqual(0)
    expect(hub.declared!.salience!.some((v) => v > 0)).toBe(true)
    // flight: the players themselves move fast (the other families' players walk at 4 u/s)
    const flight = familyByName('flight')!.record(familyByName('flight')!.testSeeds[0]!, true)
    let fast = 0
    let samples = 0
    for (let t = 1; t < flight.ticks; t += 20) {
      for (const p of flight.players) {
        const i = t * flight.entityCount + p
        samples++
        if (Math.hypot(flight.vx[i]!, flight.vy[i]!) >= 20) fast++
      }
    }
    expect(fast).toBe(samples)
    const kinds = countByKind(flight.interactions)
    expect(kinds[0]! > 0 && kinds[4]! > 0 && kinds[6]! > 0).toBe(true) // strikes, gunfire, gates
  })
})
