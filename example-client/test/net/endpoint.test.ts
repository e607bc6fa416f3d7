import { describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../src/net/endpoint'

describe('endpoint', () => {
  it('should use the page origin by default', () => {
    expect(resolveEndpoint({ protocol: 'http:', host: 'localhost:2567', search: '' })).toEqual({
      ws: 'ws://localhost:2567',
      http: 'http://localhost:2567',
    })
  })
  it('should switch to wss/https on an https page', () => {
    expect(resolveEndpoint({ protocol: 'https:', host: 'game.example', search: '' })).toEqual({
      ws: 'wss://game.example',
      http: 'https://game.example',
    })
  })
  it('should let ?server= override the origin, keeping a path and dropping a trailing slash', () => {
    const e = resolveEndpoint({ protocol: 'http:', host: 'localhost:5173', search: '?server=ws://127.0.0.1:3000/arena/' })
    expect(e).toEqual({ ws: 'ws://127.0.0.1:3000/arena', http: 'http://127.0.0.1:3000/arena' })
  })
  it('should accept an https server override', () => {
    const e = resolveEndpoint({ protocol: 'http:', host: 'x', search: '?overlay=0&server=https://h:1' })
    expect(e).toEqual({ ws: 'wss://h:1', http: 'https://h:1' })
  })
  it('should refuse a ?server= that is not a ws or http URL, naming it, rather than guess an address', () => {
    for (const server of ['localhost:2567', 'ftp://h:1', 'ws://', 'not a url']) {
      const at = { protocol: 'http:', host: 'x', search: `?server=${encodeURIComponent(server)}` }
      expect(() => resolveEndpoint(at)).toThrow(`?server= must be a ws://, wss://, http:// or https:// URL such as ws://localhost:2567; got ${server}`)
    }
  })
})
