/*
 * Owns: which @colyseus/schema releases the per-view encoding may run on. The hook reads schema
 * internals (schema-internals.ts) that a patch release may change without notice, so it runs only
 * on releases its contract and byte-equality tests have passed on; on any other the room keeps
 * schema's stock encoding. The peer range of @colyseus/schema in plugin/package.json is this same
 * list (a test holds the two equal). To accept a new release: install it, run the plugin's tests,
 * then add it here and to the peer range.
 */

/**
 * The @colyseus/schema versions the view-encoding hook is tested against, as an npm range
 * (exact versions joined by `||`): also the plugin's peer range.
 */
export const TESTED_SCHEMA_VERSIONS = '5.0.34'

const tested = TESTED_SCHEMA_VERSIONS.split('||').map((v) => v.trim())

/**
 * True when `version` is one of {@link TESTED_SCHEMA_VERSIONS} (exact match: a pre-release or a
 * build of a tested version is another version).
 * @param version - a version string such as "5.0.34", or undefined when unknown.
 * @returns whether the hook may index views on that version.
 */
export function isTestedSchemaVersion(version: string | undefined): boolean {
  return typeof version === 'string' && tested.includes(version.trim())
}

let known: string | null | undefined

/**
 * The version of the @colyseus/schema this module resolves (the one whose Encoder a room
 * builds, unless the app holds two copies), read once from its package.json; undefined when it
 * cannot be found (a bundled server, say).
 */
export function installedSchemaVersion(): string | undefined {
  if (known === undefined) known = readSchemaVersion()
  return known ?? undefined
}

interface NodeBuiltins {
  fs: typeof import('node:fs')
  module: typeof import('node:module')
  path: typeof import('node:path')
}

/** Node's fs, module and path, fetched at run time so that the main entry imports no node: module. */
function nodeBuiltins(): NodeBuiltins | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
  if (typeof get !== 'function') return null
  return { fs: get('node:fs') as NodeBuiltins['fs'], module: get('node:module') as NodeBuiltins['module'], path: get('node:path') as NodeBuiltins['path'] }
}

function readSchemaVersion(): string | null {
  const node = nodeBuiltins()
  if (node === null) return null
  try {
    const require = node.module.createRequire(import.meta.url)
    // schema's "exports" has no ./package.json: walk up from its entry point
    let dir = node.path.dirname(require.resolve('@colyseus/schema'))
    for (let up = 0; up < 4; up++) {
      try {
        const pkg = JSON.parse(node.fs.readFileSync(node.path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
        if (pkg.name === '@colyseus/schema') return typeof pkg.version === 'string' ? pkg.version : null
      } catch {
        // no package.json at this level
      }
      dir = node.path.dirname(dir)
    }
  } catch {
    // not resolvable from here
  }
  return null
}
