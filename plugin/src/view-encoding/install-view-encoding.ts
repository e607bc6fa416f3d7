import type { Encoder, StateView } from '@colyseus/schema'
import { createIndexedEncoding, discardIndexed, encodeSharedIndexed, encodeViewIndexed, indexable, viewPassInEncode, type IndexedEncoding } from './indexed-encoding'
import { createRepeatCache, rememberBytes, repeatedBytes } from './repeat-fix'
import { isEncoderLike, type EncodeView, type EncoderLike } from './schema-internals'
import { installedSchemaVersion, isTestedSchemaVersion, TESTED_SCHEMA_VERSIONS } from './version-gate'
import { checkKeys, checkKind, checkObject } from '../ecs/validate'

/*
 * Owns: installing the view-encoding hook on one schema Encoder, and its public options and
 * counters. It wraps `encodeView`, `encode` and `discardChanges` and composes two independent parts:
 *   - the shared-view repeat fix (repeat-fix.ts): correctness, always on;
 *   - the indexed path (indexed-encoding.ts): per-view change lists and the direct pass, speed,
 *     optional (`indexed`, `direct`), and off on schema versions outside the version gate
 *     (version-gate.ts).
 * The bytes are the stock encoder's: test/view-encoding/byte-equality.test.ts holds the hook to
 * byte equality with schema's own encoder, and differential.test.ts there does so through rooms
 * driven as Colyseus drives them; schema-internals.ts names every internal it relies on.
 */

/** What {@link installViewEncoding} returns: counters for tests and benchmarks, and the uninstall. */
export interface ViewEncodingHook {
  /** Patches whose views were encoded from per-view lists. */
  readonly indexedPatches: number
  /** View passes emitted directly (plain Schema objects from the pass's tables, other trees one by one). */
  readonly directPasses: number
  /** `encodeView` calls that went to schema's own pass (not indexed, streams, pending filter refresh). */
  readonly fallbacks: number
  /** Second encodes of one view in one patch answered from the first. */
  readonly repeats: number
  /**
   * Patches in which the state or a view changed after the shared `encode()` (or the first
   * `encodeView`) and before a view's `encodeView`: their remaining views were encoded by schema's
   * own pass, which reads the state as it is then.
   */
  readonly reorderedPatches: number
  /** True when the per-view lists are on (option `indexed`, and a tested schema version). */
  readonly indexed: boolean
  /** Restores the encoder's own methods. */
  uninstall(): void
}

/** Options of {@link installViewEncoding}. */
export interface ViewEncodingOptions {
  /** Encode each view from its own change list (the speed-up); false keeps only the repeat fix. @defaultValue true */
  indexed?: boolean | undefined
  /**
   * With `indexed`: emit each view's pass directly (same bytes, less overhead per object, plain
   * Schema objects' bytes shared between views holding the same tags); false leaves it to schema's
   * own pass over the view's list. @defaultValue true
   */
  direct?: boolean | undefined
  /**
   * Called once per distinct view per patch with the length of the patch that view's clients
   * receive (shared part and view part, WebSocket framing not included): what a byte budget
   * measures. Must not throw or allocate much: it runs inside the encode.
   */
  onViewBytes?: ((view: StateView, bytes: number) => void) | undefined
}

const installed = new WeakMap<object, ViewEncodingHook>()
let unrecognisedWarned = false
let gateWarned = false

// Every option by name: a misspelt one fails at once instead of being ignored (the Record type keeps the list complete).
const OPTION_KEYS: Record<keyof ViewEncodingOptions, true> = { indexed: true, direct: true, onViewBytes: true }

/**
 * Makes `encoder.encodeView` walk only the changes each view can see (byte-identical output), and
 * answers a repeated encode of one view within a patch from the first. Idempotent per encoder:
 * a second call returns the first hook, whatever its options.
 * On a `@colyseus/schema` version outside {@link TESTED_SCHEMA_VERSIONS} the per-view lists stay
 * off (schema's stock encoding; a warning is logged once) and only the repeat fix is installed.
 * Returns null, and leaves the encoder as it is, when its shape is not the one of
 * `@colyseus/schema` 5.0 (a warning is logged once).
 * @param encoder - the room's encoder (the plugin finds its room's own).
 * @param options - `indexed: false` keeps schema's own pass and only fixes repeated encodes.
 * @returns the hook, with counters and `uninstall`, or null.
 * @experimental Relies on @colyseus/schema 5.0 internals; the attention plugin installs it on its room.
 * @example
 * // a Colyseus room that manages its own StateViews: once its state is set
 * override onBeforePatch() { installViewEncoding(roomEncoder(this)!) }
 */
export function installViewEncoding(encoder: Encoder, options: ViewEncodingOptions = {}): ViewEncodingHook | null {
  checkObject('installViewEncoding', options)
  checkKeys('installViewEncoding', options, Object.keys(OPTION_KEYS))
  let indexed = options.indexed ?? true
  checkKind('installViewEncoding option indexed', indexed, 'boolean')
  const direct = options.direct ?? true
  checkKind('installViewEncoding option direct', direct, 'boolean')
  const onViewBytes = options.onViewBytes ?? null
  if (onViewBytes !== null) checkKind('installViewEncoding option onViewBytes', onViewBytes, 'function')
  const known = installed.get(encoder)
  if (known !== undefined) return known
  const enc = encoder as unknown as Partial<EncoderLike>
  if (!isEncoderLike(enc)) {
    if (!unrecognisedWarned) {
      unrecognisedWarned = true
      console.warn('colyseus-attention: @colyseus/schema internals not recognised; views are encoded by schema alone (correct, slower)')
    }
    return null
  }
  if (indexed && !isTestedSchemaVersion(installedSchemaVersion())) {
    indexed = false
    if (!gateWarned) {
      gateWarned = true
      console.warn(
        `colyseus-attention: @colyseus/schema ${installedSchemaVersion() ?? '(version unknown)'} is not one the view encoding is tested with ` +
          `(${TESTED_SCHEMA_VERSIONS}); views are encoded by schema's stock encoder (correct, slower)`,
      )
    }
  }
  const ownEncodeView = enc.encodeView
  const ownDiscard = enc.discardChanges
  const ownEncode = enc.encode

  const ix: IndexedEncoding | null = indexed ? createIndexedEncoding(enc, direct, ownEncodeView, ownEncode) : null
  const repeat = createRepeatCache()
  // the patch epoch: bumped by discardChanges and by the shared encode
  let epoch = 1
  let fallbacks = 0
  let repeats = 0

  const encodeView: EncodeView = function (this: EncoderLike, view, sharedOffset, it, bytes) {
    // a second client sharing this view in the same patch: same bytes (view.changes were consumed)
    const again = repeatedBytes(repeat, view, it, epoch)
    if (again !== undefined) {
      repeats++
      return again
    }
    let out: Uint8Array
    if (ix === null || ix.window.moved || !indexable(ix)) {
      fallbacks++
      out = ownEncodeView.call(this, view, sharedOffset, it, bytes)
    } else out = encodeViewIndexed(ix, this, view, sharedOffset, it, bytes, epoch)
    rememberBytes(repeat, view, out)
    if (onViewBytes !== null) onViewBytes(view, out.length)
    return out
  }
  enc.encodeView = ix === null
    ? encodeView
    : function (this: EncoderLike, view, sharedOffset, it, bytes) {
        // schema's own encode calls may add to views (streams) or enqueue trees: not the caller's doing
        ix.window.inside = true
        try {
          return encodeView.call(this, view, sharedOffset, it, bytes)
        } finally {
          ix.window.inside = false
        }
      }
  enc.discardChanges = function (this: EncoderLike) {
    epoch++
    if (ix !== null) discardIndexed(ix)
    return ownDiscard.call(this)
  }
  enc.encode = function (this: EncoderLike, it, view, buffer, initialOffset) {
    if (view === undefined) {
      epoch++
      if (ix !== null && indexable(ix)) return encodeSharedIndexed(ix, this, epoch, it, buffer, initialOffset)
    } else if (ix !== null && ix.passing && it !== undefined && initialOffset === undefined) {
      return viewPassInEncode(ix, this, buffer, it)
    }
    return ownEncode.call(this, it, view, buffer, initialOffset)
  }

  const hook: ViewEncodingHook = {
    get indexedPatches() {
      return ix === null ? 0 : ix.indexedPatches
    },
    get directPasses() {
      return ix === null ? 0 : ix.directPasses
    },
    get fallbacks() {
      return fallbacks
    },
    get repeats() {
      return repeats
    },
    get reorderedPatches() {
      return ix === null ? 0 : ix.window.movedPatches
    },
    get indexed() {
      return ix !== null
    },
    uninstall() {
      if (ix !== null) ix.window.uninstall()
      enc.encodeView = ownEncodeView
      enc.discardChanges = ownDiscard
      enc.encode = ownEncode
      installed.delete(encoder)
    },
  }
  installed.set(encoder, hook)
  return hook
}
