import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { createDenseList, Has } from '../../src/ecs/entity-tracker'
import { createOwnershipIndex } from '../../src/ecs/ownership'

/** An empty index over 16 ids, the tracker's arrays it reads, and `list(o)`: what `o` owns, sorted. */
function fixture() {
  const c = createAttentionComponents(16)
  const index = createOwnershipIndex(c)
  const list = (o: number): number[] => {
    const out: number[] = []
    for (let e = index.head[o]!; e !== -1; e = index.next[e]!) out.push(e)
    return out.sort((a, b) => a - b)
  }
  return { c, index, owned: createDenseList(16), flags: new Uint16Array(16), generation: new Uint32Array(16), list }
}

describe('ownership', () => {
  it('should list each owner\'s entities and follow Owner.eid as the game rewrites it', () => {
    const { c, index, owned, flags, generation, list } = fixture()
    for (const [e, o] of [[5, 1], [6, 1], [7, 2]] as const) {
      c.Owner.eid[e] = o
      flags[e] = Has.Owner
      owned.add(e)
    }
    index.sync(owned, flags, generation)
    expect(list(1)).toEqual([5, 6])
    expect(list(2)).toEqual([7])
    c.Owner.eid[5] = 2
    c.Owner.eid[7] = 99 // beyond capacity: owned by nobody
    index.sync(owned, flags, generation)
    expect(list(1)).toEqual([6])
    expect(list(2)).toEqual([5])
    index.unlink(6)
    owned.remove(6)
    index.sync(owned, flags, generation)
    expect(list(1)).toEqual([])
    expect(list(2)).toEqual([5])
  })

  it('should lapse an ownership when its owner loses Position, and relink it only for a new owner or Owner added again', () => {
    const { c, index, owned, flags, generation, list } = fixture()
    for (const e of [5, 6]) {
      c.Owner.eid[e] = 1
      flags[e] = Has.Owner
      owned.add(e)
    }
    expect(index.sync(owned, flags, generation)).toBe(-1)
    expect(list(1)).toEqual([5, 6])
    // owner 1 loses Position (removed; its id may name a new entity next)
    generation[1]!++
    expect([5, 6]).toContain(index.sync(owned, flags, generation))
    expect(list(1)).toEqual([])
    expect(flags[5]! & Has.Owner).toBe(0)
    expect(flags[6]! & Has.Owner).toBe(0)
    // nothing changes while the game writes nothing, whatever happens to the id
    generation[1]!++
    expect(index.sync(owned, flags, generation)).toBe(-1)
    expect(list(1)).toEqual([])
    // a new owner written: linked, flag back
    c.Owner.eid[5] = 2
    index.sync(owned, flags, generation)
    expect(list(2)).toEqual([5])
    expect(flags[5]! & Has.Owner).toBe(Has.Owner)
    // Owner removed and added again (setOwner): linked to the entity now at 1
    index.unlink(6)
    flags[6] = Has.Owner
    index.sync(owned, flags, generation)
    expect(list(1)).toEqual([6])
    expect(flags[6]! & Has.Owner).toBe(Has.Owner)
    // lapsed again, then written to another owner: the lists stay consistent
    generation[1]!++
    index.sync(owned, flags, generation)
    c.Owner.eid[6] = 2
    index.sync(owned, flags, generation)
    expect(list(2)).toEqual([5, 6])
    expect(list(1)).toEqual([])
  })
})
