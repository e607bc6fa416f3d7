import type { Recording } from '../recording'
import type { InterestPolicy, PolicyFactory } from './interest-policy'

/** Full state: every client gets every entity (no interest management). */
export function fullPolicy(): PolicyFactory {
  return (rec: Recording): InterestPolicy => ({
    family: 'full',
    param: 0,
    label: 'full state',
    shared: true,
    maxSetSize: rec.entityCount,
    update() {},
    count: () => rec.entityCount,
    member: (_p, i) => i,
    observeInteractions() {},
    dispose() {},
  })
}
