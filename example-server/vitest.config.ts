import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // each file starts its own server; Colyseus' matchmaker is process-global
    fileParallelism: false,
  },
})
