import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 110_000,
    hookTimeout: 60_000,
    // the load test starts servers and the report test runs everything: never in parallel
    fileParallelism: false,
  },
})
