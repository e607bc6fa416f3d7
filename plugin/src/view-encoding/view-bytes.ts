/*
 * Owns: the buffer a view's patch is returned in (what `Encoder.encodeView` returns), cut from a
 * shared slab instead of one ArrayBuffer per view per patch.
 */

/** Bytes of one slab that patches are cut from. */
const SLAB = 64 * 1024
let slab = new ArrayBuffer(SLAB)
let slabUsed = 0

/**
 * A fresh Uint8Array of `n` bytes, cut from a shared slab (as Node's Buffer pool does): one object
 * per patch instead of an ArrayBuffer each. A slab is never written again once cut, and lives as
 * long as a patch cut from it is referenced.
 */
function allocBytes(n: number): Uint8Array {
  if (n > SLAB >> 3) return new Uint8Array(n)
  if (slabUsed + n > SLAB) {
    slab = new ArrayBuffer(SLAB)
    slabUsed = 0
  }
  const out = new Uint8Array(slab, slabUsed, n)
  slabUsed += (n + 7) & ~7
  return out
}

/**
 * What `Encoder.encodeView` returns: the shared part `bytes[0, sharedEnd)` followed by the view's
 * part `bytes[viewStart, viewEnd)`, in a buffer of its own (it may be sent after the next encode).
 */
export function joinViewBytes(bytes: Uint8Array, sharedEnd: number, viewStart: number, viewEnd: number): Uint8Array {
  const n = viewEnd - viewStart
  const out = allocBytes(sharedEnd + n)
  for (let k = 0; k < sharedEnd; k++) out[k] = bytes[k]!
  // a loop up to a few KiB: set() would need a subarray object per view
  if (n > 4096) out.set(bytes.subarray(viewStart, viewEnd), sharedEnd)
  else for (let k = 0; k < n; k++) out[sharedEnd + k] = bytes[viewStart + k]!
  return out
}
