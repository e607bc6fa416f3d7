import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // test/ecs/allocation.test.ts measures heap growth: it needs global.gc and a young generation
    // large enough that thousands of ticks of a leaky engine would show up before a scavenge.
    execArgv: ['--expose-gc', '--max-semi-space-size=64'],
    // vitest's default is one worker per core but one: a single worker on a 2-core machine. Two
    // overlap the time-capped property tests and the package test's installs with the rest (the
    // suite's wall time 187 s -> about 100 s there); the allocation test runs on its own (package.json)
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
})
