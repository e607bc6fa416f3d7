import { resolve } from 'node:path'
import { spawnServerChild } from '../lib/child-process'
import { REPO_ROOT } from '../lib/cli'
import type { TickTimings } from './server-entry'

export { freePort, waitForPort } from '../lib/child-process'

/** The example server as a child process on 127.0.0.1. */
export interface ServerProcess {
  readonly port: number
  readonly pid: number
  /** Every stdout/stderr line so far. */
  readonly output: string[]
  /** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number
  /** Resident set size in bytes, from /proc/<pid>/status. */
  rssBytes(): number
  /** Clears the server's tick timings. */
  resetTimings(): Promise<void>
  /** The server's tick timings since the last reset (from bench/load/server-entry.ts). */
  timings(): Promise<TickTimings>
  /** Starts sampling the server's allocations (garbage included). */
  startHeapSampling(): Promise<void>
  /** Stops sampling; resolves with the sampling heap profile (JSON, as Chrome's .heapprofile). */
  stopHeapSampling(): Promise<string>
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>
}

/** Settings passed to the example server through its environment. */
export interface ServerSettings {
  /** Bots simulated by the server. */
  bots: number
  /** Interest management on (the plugin) or off (every client gets the full state). */
  attention: boolean
  /** Extra environment variables. */
  env?: Record<string, string>
  /** Server entry module. @defaultValue {@link SERVER_ENTRY} */
  entry?: string
  /** Node flags for the server process (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[]
}

/** Entry point of the example server. */
export const SERVER_ENTRY = resolve(REPO_ROOT, 'example-server/src/main.ts')
/** The instrumenting wrapper the child actually runs (it imports SERVER_ENTRY). */
const WRAPPER = resolve(REPO_ROOT, 'bench/load/server-entry.ts')

/**
 * Starts the example server (`node --import tsx example-server/src/main.ts`) on a free port of
 * 127.0.0.1 and waits until it listens.
 * @param settings - bots, plugin on/off, extra env.
 */
export async function startServerProcess(settings: ServerSettings): Promise<ServerProcess> {
  const child = await spawnServerChild({
    entry: WRAPPER,
    nodeArgs: settings.nodeArgs,
    cwd: resolve(REPO_ROOT, 'example-server'),
    env: {
      HOST: '127.0.0.1',
      BOTS: String(settings.bots),
      ATTENTION: settings.attention ? '1' : '0',
      // every client of a run in the one room it measures (--clients goes up to 2,000; the example's default is 500)
      MAX_CLIENTS: '2000',
      BENCH_SERVER_ENTRY: settings.entry ?? SERVER_ENTRY,
      ...settings.env,
    },
  })
  return {
    port: child.port,
    pid: child.pid,
    output: child.output,
    cpuSeconds: () => child.cpuSeconds(),
    rssBytes: () => child.rssBytes(),
    async resetTimings() {
      await child.ask('reset', 'reset')
    },
    async timings() {
      return (await child.ask<{ timings: TickTimings }>('stats', 'stats')).timings
    },
    async startHeapSampling() {
      await child.ask('heap-start', 'heap-start')
    },
    async stopHeapSampling() {
      return (await child.ask<{ profile: string }>('heap-stop', 'heap-stop', 60_000)).profile
    },
    stop: () => child.stop(),
  }
}
