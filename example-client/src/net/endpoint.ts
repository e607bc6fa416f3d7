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
 * @example resolveEndpoint(location) // { ws: 'ws://localhost:2567', http: 'http://localhost:2567' }
 */
export function resolveEndpoint(location: LocationLike): Endpoint {
  const override = new URLSearchParams(location.search).get('server')
  if (override !== null && override !== '') {
    const url = new URL(override)
    const secure = url.protocol === 'wss:' || url.protocol === 'https:'
    const base = `${url.host}${url.pathname.replace(/\/+$/, '')}`
    return { ws: `${secure ? 'wss' : 'ws'}://${base}`, http: `${secure ? 'https' : 'http'}://${base}` }
  }
  const secure = location.protocol === 'https:'
  return { ws: `${secure ? 'wss' : 'ws'}://${location.host}`, http: `${secure ? 'https' : 'http'}://${location.host}` }
}
