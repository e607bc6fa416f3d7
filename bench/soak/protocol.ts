// Messages between the soak's parent (the clients) and its server child process, over IPC.

/** What one client holds: its session id and the entity keys in its decoded state. */
export type Holding = [session: string, keys: string[]]

/** Parent -> child. */
export type SoakRequest =
  | { type: 'check'; holdings: Holding[] }
  | { type: 'sample'; gc: boolean }
  /** `sinceMs` on the child's clock (`now` of a sample reply). */
  | { type: 'timings'; sinceMs: number }
  | { type: 'summary' }

/** Child -> parent: the result of comparing holdings with the views. */
export interface CheckReply {
  type: 'check'
  /** Clients compared. */
  clients: number
  /** Keys a client holds that were never in its view. */
  leaks: number
  /** Keys a client still holds a second after they left its view. */
  stale: number
  /** Entities in a view for a whole second that the client does not hold. */
  missing: number
  /** Entities where the real StateView and the plugin's record disagree. */
  viewMismatch: number
  /** Holdings of sessions without a recent view (reconnecting, just joined): skipped. */
  unknown: number
  samples: string[]
}

/** Child -> parent: memory of the server process. */
export interface SampleReply {
  type: 'sample'
  heapUsed: number
  rss: number
  clients: number
  entities: number
  /** The child's `performance.now()` when sampled. */
  now: number
}

/** Child -> parent: tick timings recorded after `sinceMs` (server clock, ms since start). */
export interface TimingsReply {
  type: 'timings'
  /** Server work per patch interval (steps since the last patch + the patch), ms, oracle excluded. */
  tick: number[]
  /** The same, in process CPU time (user + system), ms. */
  cpu: number[]
  patches: number
}

/** Child -> parent: totals of the server-side checks and the bot churn. */
export interface SummaryReply {
  type: 'summary'
  serverLeaks: number
  samples: string[]
  patches: number
  botsKilled: number
  idsReused: number
  /** Lines the server wrote to stderr that look like errors. */
  errors: number
  errorSamples: string[]
}

/** Any child reply. */
export type SoakReply = CheckReply | SampleReply | TimingsReply | SummaryReply
