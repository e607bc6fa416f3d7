// The published form of the plugin, checked the way a user gets it: `npm pack` (which builds on
// prepack), the tarball linted by publint and @arethetypeswrong/cli, then installed into a scratch
// Colyseus project outside the workspace that runs a room and a real sdk client from ESM and CJS.
// Nothing here reaches the network: the scratch project links the workspace's copies of the
// peer packages (installed by `npm ci`) next to the extracted tarball.
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entry } from '../../tsup.config'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const pluginDir = resolve(here, '../..')
const rootDir = resolve(pluginDir, '..')
const bin = (name: string): string => join(rootDir, 'node_modules', '.bin', name)

/** Packages the scratch project imports besides the plugin: its peers, a transport, the sdk, ws (and the types a user's install brings with @colyseus/ws-transport). */
const LINKED = ['@colyseus/core', '@colyseus/schema', '@colyseus/ws-transport', '@colyseus/sdk', 'bitecs', 'ws', '@types/ws', '@types/node']

interface PackedFile {
  path: string
}

let tmp = ''
let tarball = ''
let files: string[] = []
let pkg: Record<string, any> = {}
let app = ''

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'colyseus-attention-pack-'))
  // `npm pack` runs prepack (the tsup build): the tarball never depends on a dist/ left lying around
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pluginDir, maxBuffer: 16 << 20 })
  // the build's log may come first: the JSON report is the array that starts a line
  const packed = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{ filename: string; files: PackedFile[] }>
  tarball = join(tmp, packed[0]!.filename)
  files = packed[0]!.files.map((f) => f.path)

  // the scratch project: the fixture's files, the tarball extracted into node_modules as npm would
  app = join(tmp, 'app')
  cpSync(join(here, 'fixture'), app, { recursive: true })
  const installed = join(app, 'node_modules', 'colyseus-attention')
  mkdirSync(installed, { recursive: true })
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'])
  pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
  for (const name of LINKED) {
    const target = join(rootDir, 'node_modules', name)
    const link = join(app, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(target, link, 'dir')
  }
}, 120_000) // the pack builds the plugin: slow on a busy machine

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true })
})

describe('package', () => {
  it('should pack the built dist/, LICENSE, README and package metadata', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      expect(files, f).toContain(f)
    }
    expect(files.some((f) => f.startsWith('test/'))).toBe(false)
    expect(readFileSync(join(pluginDir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(rootDir, 'LICENSE'), 'utf8'))
    for (const key of ['repository', 'homepage', 'bugs', 'keywords', 'license', 'engines']) expect(pkg[key], key).toBeDefined()
    expect(pkg.engines.node).toBe('>=20.19')
  })

  it('should map every tsup entry to an exports subpath whose four files are in the tarball, and to a typedoc entry point', () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json')
    const fromEntries = Object.keys(entry).map((name) => (name === 'index' ? '.' : `./${name}`))
    expect(subpaths.sort()).toEqual(fromEntries.sort())
    for (const name of Object.keys(entry)) {
      const sub = pkg.exports[name === 'index' ? '.' : `./${name}`]
      expect(sub).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      })
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files).toContain(`dist/${name}.${ext}`)
    }
    // node10 resolution (no "exports"): every subpath but the root has its typesVersions entry
    const typesVersions = (pkg.typesVersions as Record<string, Record<string, string[]>>)['*']!
    expect(Object.keys(typesVersions).sort()).toEqual(Object.keys(entry).filter((n) => n !== 'index').sort())
    for (const [name, paths] of Object.entries(typesVersions)) expect(paths, name).toEqual([`./dist/${name}.d.cts`])
    const typedoc = JSON.parse(readFileSync(join(pluginDir, 'typedoc.json'), 'utf8')) as { entryPoints: string[] }
    expect([...typedoc.entryPoints].sort()).toEqual(Object.values(entry).sort())
  })

  it('should pass publint (warnings as errors)', async () => {
    const { stdout } = await run(bin('publint'), ['run', tarball, '--strict'], { cwd: tmp })
    expect(stdout).toContain('All good')
  })

  it('should pass @arethetypeswrong/cli for every resolution mode (node10, node16 from CJS and ESM, bundler)', async () => {
    // exits non-zero on any problem, e.g. CJS importers getting ESM types (FalseESM, TS1479)
    const { stdout } = await run(bin('attw'), [tarball, '--format', 'json'], { cwd: tmp, maxBuffer: 16 << 20 })
    const report = JSON.parse(stdout) as { analysis: { problems: unknown[] } }
    expect(report.analysis.problems).toEqual([])
  })

  it('should type-check from an ES module and a CommonJS module under Node16 and NodeNext resolution', async () => {
    // Node16 is the strict one: TypeScript 5.8+ lets NodeNext `require` ESM types, Node16 reports
    // TS1471/TS1479 when a CommonJS importer resolves to ESM-only declarations
    const tsc = join(rootDir, 'node_modules', 'typescript', 'bin', 'tsc')
    await Promise.all(
      ['Node16', 'NodeNext'].map((mode) =>
        run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json'), '--module', mode, '--moduleResolution', mode], { cwd: app }),
      ),
    )
  })

  it("should type-check the docs' complete files (getting-started's four, view-encoding's and scaling's rooms) as written", async () => {
    // each ```ts block that starts with a `// name.ts` line, verbatim, in one ES module folder of
    // the scratch project, as strict as `tsc --init` makes it (exact optional properties included)
    const dir = join(app, 'guide')
    mkdirSync(dir, { recursive: true })
    const found: Record<string, string[]> = {}
    for (const doc of ['getting-started.md', 'view-encoding.md', 'scaling.md']) {
      const text = readFileSync(resolve(rootDir, 'docs', doc), 'utf8')
      const files: string[] = []
      for (const m of text.matchAll(/```ts\n\/\/ ([\w-]+\.ts)\n([\s\S]*?)```/g)) {
        files.push(m[1]!)
        writeFileSync(join(dir, m[1]!), m[2]!)
      }
      found[doc] = files
    }
    expect(found).toEqual({
      'getting-started.md': ['schema.ts', 'game.ts', 'room.ts', 'server.ts'],
      'view-encoding.md': ['team-room.ts', 'scout-room.ts'],
      'scaling.md': ['zone-room.ts'],
    })
    // no other TypeScript block in those two pages: every snippet there is a complete file
    for (const doc of ['view-encoding.md', 'scaling.md']) {
      const blocks = readFileSync(resolve(rootDir, 'docs', doc), 'utf8').match(/```ts\n/g) ?? []
      expect(blocks.length, doc).toBe(found[doc]!.length)
    }
    // and options a game fills from its configuration: undefined takes the default, nested keys too
    writeFileSync(
      join(dir, 'undefined-options.ts'),
      [
        "import { addEntity, createWorld } from 'bitecs'",
        "import { addObserver, AttentionPlugin, createAttentionComponents, createAttentionSystem } from 'colyseus-attention'",
        'declare const fromEnv: number | undefined',
        'const world = createWorld()',
        'const components = createAttentionComponents(16, { shared: undefined })',
        'export const system = createAttentionSystem(world, { components, cellSize: fromEnv, weights: { distance: fromEnv }, hysteresis: { enterScore: undefined } })',
        'addObserver(world, components, addEntity(world), { radius: fromEnv, budget: undefined })',
        'export const plugin = new AttentionPlugin({ entryBudget: fromEnv, maxRange: undefined })',
        '',
      ].join('\n'),
    )
    const names = [...Object.values(found).flat(), 'undefined-options.ts']
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    const config = {
      // what `tsc --init` (TypeScript 5.9) sets that bears on these files
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, verbatimModuleSyntax: true, noEmit: true, skipLibCheck: true, types: [] },
      files: names,
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config))
    const tsc = join(rootDir, 'node_modules', 'typescript', 'bin', 'tsc')
    const out = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((e: { stdout?: string }) => ({ stdout: `tsc failed:\n${e.stdout ?? String(e)}` }))
    expect(out.stdout).toBe('')
  })

  it.each([
    ['esm', 'app.mjs', '/dist/index.js', '/dist/view-encoding.js'],
    ['cjs', 'app.cjs', '/dist/index.cjs', '/dist/view-encoding.cjs'],
  ])('should run a room with the plugin and a real sdk client from %s, through a reconnection', async (_format, file, resolvedEnd, viewEncodingEnd) => {
    const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 30_000 })
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      ok: boolean
      received: string[]
      reconnected: boolean
      resolved: string
      port: number
      viewEncoding: { resolved: string; indexed: boolean; versionTested: boolean }
    }
    // the view-encoding subpath loads on its own, finds the installed schema's version (the gate
    // reads it relative to the built file) and turns the per-view lists on
    expect(result.viewEncoding.resolved.replace(/\\/g, '/')).toContain(`/app/node_modules/colyseus-attention${viewEncodingEnd}`)
    expect(result.viewEncoding.versionTested).toBe(true)
    expect(result.viewEncoding.indexed).toBe(true)
    expect(result.received).toEqual(['near', 'near', 'player'])
    expect(result.reconnected).toBe(true)
    expect(result.ok).toBe(true)
    expect(result.port).toBeGreaterThan(0)
    // resolved from the scratch project's own node_modules, not the workspace
    expect(result.resolved.replace(/\\/g, '/')).toContain(`/app/node_modules/colyseus-attention${resolvedEnd}`)
  })

  it.each([['esm', 'threads.mjs'], ['cjs', 'threads.cjs']])('should run observer threads (option threads 2) from %s, the worker loaded from the package', async (format, file) => {
    const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 60_000 })
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; running: number; differing: number; members: number; format: string }
    expect(result.format).toBe(format)
    // the worker started from the installed dist/ and took part; its sets equal the one-thread system's
    expect(result.running).toBe(2)
    expect(result.differing).toBe(0)
    expect(result.members).toBeGreaterThan(0)
    expect(result.ok).toBe(true)
  })

  it('should link peer packages at versions the packed peerDependencies accept', () => {
    const optional = (pkg.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>
    for (const [name, range] of Object.entries(pkg.peerDependencies as Record<string, string>)) {
      // an optional peer (onnxruntime-web, for colyseus-attention/learned only) is not installed here
      if (optional[name]?.optional === true) continue
      const v = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')).version as string
      // an exact list (@colyseus/schema: the versions the view encoding is tested with)
      if (!range.startsWith('^')) {
        expect(range.split('||').map((r) => r.trim()), `${name}@${v} vs ${range}`).toContain(v)
        continue
      }
      // every other range is a caret: same major (same major.minor below 1.0), and not below the floor
      const floor = range.replace(/^\^/, '').split('.').map(Number)
      const got = v.split('.').map(Number)
      const fixed = floor[0] === 0 ? 2 : 1
      expect(got.slice(0, fixed), `${name}@${v} vs ${range}`).toEqual(floor.slice(0, fixed))
      const rank = (n: number[]): number => n[0]! * 1e6 + n[1]! * 1e3 + n[2]!
      expect(rank(got), `${name}@${v} vs ${range}`).toBeGreaterThanOrEqual(rank(floor))
    }
  })
})
