import type { StateView } from '@colyseus/schema'
import type { RootLike } from './schema-internals'

/*
 * Owns: watching the window between a patch's shared `encode()` and its `discardChanges()`.
 *
 * The per-view lists are built from the state and the views as they are at the shared encode. A
 * change to either before a view's encodeView in the same patch would make the lists stale in
 * ways no list stamp shows (a field of a tree already listed, a tree the view no longer sees), so
 * the window is watched: every state change goes through root.enqueueChangeTree, every view
 * change through view.add / view.remove (each view gets its watchers when schema registers it, on
 * its first add). A change in the window hands the rest of the patch to schema's own pass, which
 * reads the state and the views as they are then. (Colyseus encodes views without a shared encode
 * only in patches without state changes, and does not discard those: no window opens for them.)
 */

type ViewMethod = (obj: unknown, tag?: number, more?: boolean) => unknown

/** The watch state of one encoder's patch window. */
export interface PatchWindow {
  /** Set from the shared encode to discardChanges. */
  open: boolean
  /** The state or a view changed while open: the rest of the patch goes to schema's own pass. */
  moved: boolean
  /** Set while schema's own encodeView runs: its changes (streams) are not the caller's doing. */
  inside: boolean
  /** Patches in which the window saw a change. */
  movedPatches: number
  /** Restores the Root's own methods (views keep their watchers, idle once the window stays shut). */
  uninstall(): void
}

let warned = false

/** Starts watching `root` and the views registered on it; the window starts shut. */
export function watchPatchWindow(root: RootLike): PatchWindow {
  const ownEnqueue = root.enqueueChangeTree
  const hadOwnEnqueue = Object.prototype.hasOwnProperty.call(root, 'enqueueChangeTree')
  const ownRegister = root.registerView
  const hadOwnRegister = Object.prototype.hasOwnProperty.call(root, 'registerView')
  const watched = new WeakSet<StateView>()
  const w: PatchWindow = {
    open: false,
    moved: false,
    inside: false,
    movedPatches: 0,
    uninstall() {
      w.open = false
      if (hadOwnEnqueue) root.enqueueChangeTree = ownEnqueue
      else delete (root as Partial<RootLike>).enqueueChangeTree
      if (hadOwnRegister) root.registerView = ownRegister
      else delete (root as Partial<RootLike>).registerView
    },
  }
  const watchView = (v: StateView): void => {
    if (watched.has(v)) return
    watched.add(v)
    const ownAdd = v.add as unknown as ViewMethod
    const ownRemove = v.remove as unknown as ViewMethod
    const m = v as unknown as { add: ViewMethod; remove: ViewMethod }
    m.add = function (this: StateView, obj, tag, more) {
      if (w.open) noteMove(w)
      return ownAdd.call(this, obj, tag, more)
    }
    m.remove = function (this: StateView, obj, tag, more) {
      if (w.open) noteMove(w)
      return ownRemove.call(this, obj, tag, more)
    }
  }
  root.enqueueChangeTree = function (this: RootLike, tree: unknown, node?: unknown) {
    if (w.open) noteMove(w)
    // an undefined node lets schema's default (the tree's own node) apply
    return ownEnqueue.call(this, tree, node)
  }
  root.registerView = function (this: RootLike, view: StateView) {
    // a view bound by its first add, which is a change when the window is open
    if (w.open) noteMove(w)
    watchView(view)
    return ownRegister.call(this, view)
  }
  root.activeViews.forEach((ref) => {
    const v = ref?.deref?.()
    if (v !== undefined) watchView(v)
  })
  return w
}

/** Closes the window: the patch's changes are discarded. */
export function closePatchWindow(w: PatchWindow): void {
  w.open = false
  w.moved = false
}

function noteMove(w: PatchWindow): void {
  if (w.moved || w.inside) return
  w.moved = true
  w.movedPatches++
  if (!warned) {
    warned = true
    console.warn(
      'colyseus-attention: the state or a StateView changed between encode() and encodeView() of one patch; ' +
        'the views of such patches are encoded by schema itself. Make every change before encode() ' +
        '(in a Colyseus room: in onBeforePatch or earlier), then encode the shared part and each view.',
    )
  }
}
