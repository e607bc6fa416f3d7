import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own servers on port 0, in a process of its own (vitest's forks pool), so
    // Colyseus' process-global matchmaker is never shared between files. The files mostly wait
    // (20 Hz patches, reconnection delays, timeouts): the suite used about a quarter of one core
    // file by file, and three at once take it from 160 s to 60 s on a 2-core machine. The cluster
    // test, three processes and a redis-server, runs alone after the others (package.json).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: Math.max(3, availableParallelism()),
  },
})
