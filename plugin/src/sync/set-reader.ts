import type { AttentionSystem } from '../ecs/types'

/**
 * The attention system's read accessors, copied once into a plain object. The system is a function
 * carrying many properties, which V8 keeps as a dictionary: each `system.memberAt` would be a hash
 * lookup, and sync makes several per view per patch.
 */
export interface SetReader {
  readonly system: AttentionSystem
  readonly isObserver: (o: number) => boolean
  readonly memberCount: (o: number) => number
  readonly memberAt: (o: number, i: number) => number
  readonly bandAt: (o: number, i: number) => number
  readonly scoreAt: (o: number, i: number) => number
  readonly enteredCount: (o: number) => number
  readonly enteredAt: (o: number, i: number) => number
  readonly exitedCount: (o: number) => number
  readonly exitedAt: (o: number, i: number) => number
  readonly bandChangedCount: (o: number) => number
  readonly bandChangedAt: (o: number, i: number) => number
  readonly generationOf: (e: number) => number
  readonly observerGenerationOf: (e: number) => number
  readonly memberGenerationAt: (o: number, i: number) => number
  readonly isDenied: (o: number, e: number) => boolean
  readonly owns: (o: number, e: number) => boolean
}

/** Creates the reader of `system` (once per system, not per sync). */
export function createSetReader(system: AttentionSystem): SetReader {
  return {
    system,
    isObserver: system.isObserver.bind(system),
    memberCount: system.memberCount.bind(system),
    memberAt: system.memberAt.bind(system),
    bandAt: system.bandAt.bind(system),
    scoreAt: system.scoreAt.bind(system),
    enteredCount: system.enteredCount.bind(system),
    enteredAt: system.enteredAt.bind(system),
    exitedCount: system.exitedCount.bind(system),
    exitedAt: system.exitedAt.bind(system),
    bandChangedCount: system.bandChangedCount.bind(system),
    bandChangedAt: system.bandChangedAt.bind(system),
    generationOf: system.generationOf.bind(system),
    observerGenerationOf: system.observerGenerationOf.bind(system),
    memberGenerationAt: system.memberGenerationAt.bind(system),
    isDenied: system.isDenied.bind(system),
    owns: system.owns.bind(system),
  }
}
