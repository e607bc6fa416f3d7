import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    external: ['bitecs', '@colyseus/core', '@colyseus/schema'],
  },
  {
    // colyseus-attention/learned: ESM only (its worker is located through import.meta.url), and
    // only those who import it load onnxruntime-web
    entry: { 'learned/index': 'src/learned/index.ts', 'learned/worker': 'src/learned/worker.ts' },
    format: ['esm'],
    dts: { entry: { 'learned/index': 'src/learned/index.ts' } },
    sourcemap: true,
    clean: false,
    target: 'es2022',
    external: ['bitecs', '@colyseus/core', '@colyseus/schema', 'onnxruntime-web'],
  },
])
