import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', zones: 'src/zones/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['bitecs', '@colyseus/core', '@colyseus/schema'],
})
