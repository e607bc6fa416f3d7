import { defineConfig } from 'vite'

// The example server serves dist/ at `/`; `npm run dev` serves the page alone (add ?server=ws://localhost:2567).
export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
})
