import { describe, expect, it } from 'vitest'
import { createAttentionComponents } from '../../src/index'
import { createDenseList } from '../../src/ecs/entity-tracker'
import { createOwnershipIndex } from '../../src/ecs/ownership'

describe('ownership', () => {
  it('should list each owner\'s entities and follow Owner.eid as the game rewrites it', () => {
    const c = createAttentionComponents(16)
    const index = createOwnershipIndex(c)
    const owned = createDenseList(16)
    const list = (o: number): number[] => {
      const out: number[] = []
      for (let e = index.head[o]!; e !== -1; e = index.next[e]!) out.push(e)
      return out.sort((a, b) => a - b)
    }
    for (const [e, o] of [[5, 1], [6, 1], [7, 2]] as const) {
      c.Owner.eid[e] = o
      owned.add(e)
    }
    index.sync(owned)
    expect(list(1)).toEqual([5, 6])
    expect(list(2)).toEqual([7])
    c.Owner.eid[5] = 2
    c.Owner.eid[7] = 99 // beyond capacity: owned by nobody
    index.sync(owned)
    expect(list(1)).toEqual([6])
    expect(list(2)).toEqual([5])
    index.unlink(6)
    owned.remove(6)
    index.sync(owned)
    expect(list(1)).toEqual([])
    expect(list(2)).toEqual([5])
  })
})
