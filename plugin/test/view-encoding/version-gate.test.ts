import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Encoder, schema, StateView, t } from '@colyseus/schema'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { installViewEncoding } from '../../src/view-encoding/install-view-encoding'
import type * as Gate from '../../src/view-encoding/version-gate'

// The hook sees the schema version through installedSchemaVersion(); these tests substitute it.
const fake = vi.hoisted(() => ({ version: undefined as string | undefined | null }))
vi.mock('../../src/view-encoding/version-gate', async (importOriginal) => {
  const real = await importOriginal<typeof Gate>()
  return { ...real, installedSchemaVersion: () => (fake.version === null ? real.installedSchemaVersion() : fake.version) }
})
const real = await vi.importActual<typeof Gate>('../../src/view-encoding/version-gate')

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { peerDependencies: Record<string, string> }
const schemaPkg = createRequire(import.meta.url).resolve('@colyseus/schema').replace(/build[\\/].*$/, 'package.json')
const installed = (JSON.parse(readFileSync(schemaPkg, 'utf8')) as { version: string }).version

const Item = schema({ x: t.uint8().default(0) }, 'GateItem')
const State = schema({ items: t.map(Item).view() }, 'GateState')

/** Runs two patches on a fresh encoder (hooked or not); the second encodes view 0 twice. */
function run(hooked: boolean) {
  const state = new State()
  const encoder = new Encoder(state)
  const hook = hooked ? installViewEncoding(encoder) : null
  const views = [new StateView(), new StateView()]
  encoder.encodeAll({ offset: 0 })
  const out: Uint8Array[] = []
  for (let p = 0; p < 2; p++) {
    const item = new Item()
    item.x = p + 1
    state.items.set(String(p), item)
    views[p]!.add(item)
    const it = { offset: 0 }
    out.push(encoder.encode(it).slice())
    const shared = it.offset
    for (const v of views) out.push(encoder.encodeView(v, shared, it).slice())
    if (p === 1) out.push(encoder.encodeView(views[0]!, shared, it).slice())
    encoder.discardChanges()
  }
  return { out, hook }
}

afterEach(() => {
  fake.version = undefined
  vi.restoreAllMocks()
})

describe('version-gate', () => {
  it('should accept exactly the tested versions', () => {
    expect(real.isTestedSchemaVersion('5.0.34')).toBe(true)
    for (const v of ['5.0.33', '5.0.35', '5.1.0', '6.0.0', '4.0.31', '5.0.34-beta.1', '5.0.34+build', '5.0', '', 'latest', undefined]) {
      expect(real.isTestedSchemaVersion(v), String(v)).toBe(false)
    }
  })

  it('should be the plugin\'s peer range, and accept the installed schema', () => {
    expect(pkg.peerDependencies['@colyseus/schema']).toBe(real.TESTED_SCHEMA_VERSIONS)
    expect(real.installedSchemaVersion()).toBe(installed)
    expect(real.isTestedSchemaVersion(installed)).toBe(true)
  })

  it('should index views on a tested version', () => {
    fake.version = null
    const { hook } = run(true)
    expect(hook!.indexed).toBe(true)
    expect(hook!.indexedPatches).toBeGreaterThan(0)
  })

  it.each(['5.0.35', '5.1.0', undefined])('should keep stock encoding on schema %s, warn once, and keep the repeat fix', (version) => {
    fake.version = version
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const a = run(true)
    const b = run(true)
    const stock = run(false)
    expect(a.hook!.indexed).toBe(false)
    expect(a.hook!.indexedPatches).toBe(0)
    expect(a.hook!.directPasses).toBe(0)
    // the bytes are the stock encoder's; only the repeated encode of view 0 differs (answered again)
    expect(a.out.slice(0, -1)).toEqual(stock.out.slice(0, -1))
    expect(a.out.at(-1)).toEqual(a.out[4])
    expect(a.hook!.repeats).toBe(1)
    expect(b.hook!.indexed).toBe(false)
    const gateWarnings = warn.mock.calls.filter((c) => String(c[0]).includes('not one the view encoding is tested with'))
    // once per process: an earlier case of this file may have logged it already
    expect(gateWarnings.length).toBeLessThanOrEqual(1)
    if (version === '5.0.35') expect(gateWarnings.length).toBe(1)
  })

  it('should refuse a misspelt option or one of the wrong kind, leaving the encoder as it was', () => {
    const encoder = new Encoder(new State())
    const encodeView = encoder.encodeView
    const cases: [unknown, string][] = [
      [{ indexd: false }, 'installViewEncoding has no option "indexd" (did you mean indexed?); its options are indexed, direct, onViewBytes'],
      [{ indexed: 'no' }, 'installViewEncoding option indexed must be true or false; got "no" (a string)'],
      [{ onViewBytes: 1 }, 'installViewEncoding option onViewBytes must be a function; got 1 (a number)'],
      [5, 'installViewEncoding takes an options object; got 5 (a number)'],
    ]
    for (const [options, message] of cases) expect(() => installViewEncoding(encoder, options as never), message).toThrow(`colyseus-attention: ${message}`)
    expect(encoder.encodeView).toBe(encodeView)
  })
})

