import type { MoveAxis } from './move-axis'
import { axisFromDrag, axisFromKeys, isMoveKey } from './move-axis'

/** What the controls report to the page. */
export interface ControlHandlers {
  /** The movement intent changed (keys or touch drag). */
  onAxis(axis: MoveAxis): void
  /** The pointer moved: facing angle from the canvas centre (the avatar) and the pointer position. */
  onPointer(angle: number, x: number, y: number): void
  /** The pointer left the canvas. */
  onPointerLeave(): void
  /** The overlay key was pressed. */
  onToggleOverlay(): void
  /** The debug-world key was pressed. */
  onToggleWorld(): void
}

/**
 * Wires keyboard (WASD / arrows, `O` for the overlay, `G` for the debug world layer), mouse (facing) and touch (drag to move and
 * face) to the handlers. The avatar is always drawn at the canvas centre.
 * @param canvas - the world canvas
 * @param h - handlers
 * @returns a function that removes every listener
 */
export function bindControls(canvas: HTMLCanvasElement, h: ControlHandlers): () => void {
  const held = new Set<string>()
  const emitKeys = (): void => h.onAxis(axisFromKeys(held))
  const centre = (): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect()
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 }
  }

  const keydown = (e: KeyboardEvent): void => {
    if (e.code === 'KeyO' && !e.repeat) h.onToggleOverlay()
    if (e.code === 'KeyG' && !e.repeat) h.onToggleWorld()
    if (!isMoveKey(e.code)) return
    e.preventDefault()
    if (held.has(e.code)) return
    held.add(e.code)
    emitKeys()
  }
  const keyup = (e: KeyboardEvent): void => {
    if (!held.delete(e.code)) return
    emitKeys()
  }
  const blur = (): void => {
    held.clear()
    emitKeys()
  }
  const mousemove = (e: MouseEvent): void => {
    const c = centre()
    h.onPointer(Math.atan2(e.clientY - c.y, e.clientX - c.x), e.clientX, e.clientY)
  }
  const mouseleave = (): void => h.onPointerLeave()

  let touchStart: { x: number; y: number } | null = null
  const touchstart = (e: TouchEvent): void => {
    const t = e.touches[0]
    if (t === undefined) return
    e.preventDefault()
    touchStart = { x: t.clientX, y: t.clientY }
  }
  const touchmove = (e: TouchEvent): void => {
    const t = e.touches[0]
    if (t === undefined || touchStart === null) return
    e.preventDefault()
    const axis = axisFromDrag(touchStart.x, touchStart.y, t.clientX, t.clientY)
    h.onAxis(axis)
    if (axis.dx !== 0 || axis.dy !== 0) h.onPointer(Math.atan2(axis.dy, axis.dx), t.clientX, t.clientY)
  }
  const touchend = (): void => {
    touchStart = null
    h.onAxis({ dx: 0, dy: 0 })
  }

  window.addEventListener('keydown', keydown)
  window.addEventListener('keyup', keyup)
  window.addEventListener('blur', blur)
  canvas.addEventListener('mousemove', mousemove)
  canvas.addEventListener('mouseleave', mouseleave)
  canvas.addEventListener('touchstart', touchstart, { passive: false })
  canvas.addEventListener('touchmove', touchmove, { passive: false })
  canvas.addEventListener('touchend', touchend)
  canvas.addEventListener('touchcancel', touchend)
  return () => {
    window.removeEventListener('keydown', keydown)
    window.removeEventListener('keyup', keyup)
    window.removeEventListener('blur', blur)
    canvas.removeEventListener('mousemove', mousemove)
    canvas.removeEventListener('mouseleave', mouseleave)
    canvas.removeEventListener('touchstart', touchstart)
    canvas.removeEventListener('touchmove', touchmove)
    canvas.removeEventListener('touchend', touchend)
    canvas.removeEventListener('touchcancel', touchend)
  }
}
