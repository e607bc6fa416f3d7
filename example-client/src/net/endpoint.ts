/** Where the page connects: the WebSocket endpoint for the SDK and the HTTP base for debug requests. */
export interface Endpoint {
  /** `ws://host:port` (or `wss://`), handed to `new Client(...)`. */
  ws: string
  /** `http://host:port` (or `https://`), for `/debug/*` requests. */
  http: string
}

/** The parts of `window.location` the endpoint depends on. */
export interface LocationLike {
  protocol: string
  host: string
  search: string
}

/**
 * Resolves the server endpoint: the page's own origin, unless the query string has `?server=ws://...`
 * (or `http://...`), which wins.
 * @param location - the page location (`window.location` in the browser)
 * @returns the WebSocket and HTTP bases, without a trailing slash
 * @throws when `?server=` is not a ws, wss, http or https URL (`localhost:2567` would parse as a URL
 *   of scheme `localhost:` and send the page to a made-up address)
 * @example resolveEndpoint(location) // { ws: 'ws://localhost:2567', http: 'http://localhost:2567' }
 */
export function resolveEndpoint(location: LocationLike): Endpoint {
  const override = new URLSearchParams(location.search).get('server')
  if (override !== null && override !== '') {
    let url: URL | null = null
    try {
      url = new URL(override)
    } catch {
      // reported below
    }
    if (url === null || !['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol) || url.host === '') {
      throw new Error(`?server= must be a ws://, wss://, http:// or https:// URL such as ws://localhost:2567; got ${override.slice(0, 80)}`)
    }
    const secure = url.protocol === 'wss:' || url.protocol === 'https:'
    const base = `${url.host}${url.pathname.replace(/\/+$/, '')}`
    return { ws: `${secure ? 'wss' : 'ws'}://${base}`, http: `${secure ? 'https' : 'http'}://${base}` }
  }
  const secure = location.protocol === 'https:'
  return { ws: `${secure ? 'wss' : 'ws'}://${location.host}`, http: `${secure ? 'https' : 'http'}://${location.host}` }
}
