import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // test/ecs/allocation.test.ts measures heap growth: it needs global.gc and a young generation
    // large enough that thousands of ticks of a leaky engine would show up before a scavenge.
    execArgv: ['--expose-gc', '--max-semi-space-size=64'],
  },
})
