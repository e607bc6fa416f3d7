import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Path of the default model shipped in the package (`models/default.onnx`), trained on the
 * built-in scenario families; docs/learned-attention.md has the command that reproduces it.
 * @returns an absolute file path.
 */
export function defaultModelPath(): string {
  // from src/learned/ or dist/learned/ alike: two levels up is the package root
  for (const rel of ['../../models/default.onnx', '../models/default.onnx']) {
    const p = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(p)) return p
  }
  return fileURLToPath(new URL('../../models/default.onnx', import.meta.url))
}
