import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // browser suites each start a server and a Chromium: one file at a time on a 2-core machine
    fileParallelism: false,
  },
})
