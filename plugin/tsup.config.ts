import { defineConfig } from 'tsup'

// One entry per public subpath of the package. Adding a subpath is three copies:
//   here:          'name': 'src/<name>/index.ts',
//   package.json:  the "." block of "exports", renamed to "./<name>" with
//                  index.* replaced by <name>.* (four file names), and "typesVersions";
//   typedoc.json:  the source file in "entryPoints", so the API reference covers it;
//   <name>/package.json: a stub pointing at dist/<name>.* for node10 resolution (no "exports"
//                  support there), listed in package.json "files".
// test/package/tarball.test.ts checks that the three lists agree and that every file is in the tarball.
export const entry = {
  index: 'src/index.ts',
  zones: 'src/zones/index.ts',
  // the learned scorer: only those who import it load onnxruntime-web (in its worker, below)
  learned: 'src/learned/index.ts',
  // the schema encoder hook alone, for rooms that manage their own StateViews
  'view-encoding': 'src/view-encoding/index.ts',
}

export default defineConfig([
  {
  entry,
  // ESM (.js + .d.ts) for `import`, CommonJS (.cjs + .d.cts) for `require`: package.json maps each
  // condition to its own types, so `require` under Node16/NodeNext resolution gets CJS types.
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['bitecs', '@colyseus/core', '@colyseus/schema'],
  // import.meta.url in the CommonJS build (the learned scorer finds its worker and model by it)
  shims: true,
  },
  {
    // the learned scorer's inference thread: loaded by URL (dist/learned-worker.js), not a subpath
    entry: { 'learned-worker': 'src/learned/worker.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'es2022',
    external: ['onnxruntime-web'],
  },
  {
    // the engine's observer threads (option threads): loaded by URL (dist/engine-worker.js)
    entry: { 'engine-worker': 'src/ecs/observer-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'es2022',
    external: ['bitecs'],
  },
])
