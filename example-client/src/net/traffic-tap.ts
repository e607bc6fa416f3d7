import { RateMeter } from '../stats/rate-meter'

/** Leading byte of a state patch (Protocol.ROOM_STATE_PATCH), modifier bits stripped. */
const ROOM_STATE_PATCH = 15

/** The part of the SDK's connection the tap hooks: its transport event map. */
export interface TappableConnection {
  events: { onmessage?: ((event: MessageEvent) => unknown) | null | undefined }
}

/** Bytes and patches received per second on one room connection. */
export interface TrafficTap {
  bytes: RateMeter
  patches: RateMeter
  /** Total bytes received since the tap was installed. */
  totalBytes(): number
}

/**
 * Counts every WebSocket frame the room receives (bytes) and the state patches among them, by
 * wrapping the SDK connection's `onmessage` handler; the SDK still sees every frame unchanged.
 * @param connection - `room.connection`
 * @param clock - time source (ms) @defaultValue performance.now
 * @returns the meters
 */
export function tapTraffic(connection: TappableConnection, clock: () => number = () => performance.now()): TrafficTap {
  const bytes = new RateMeter()
  const patches = new RateMeter()
  let total = 0
  const inner = connection.events.onmessage
  connection.events.onmessage = (event: MessageEvent) => {
    const now = clock()
    const data: unknown = event.data
    if (data instanceof ArrayBuffer) {
      total += data.byteLength
      bytes.record(data.byteLength, now)
      if (data.byteLength > 0 && (new Uint8Array(data, 0, 1)[0]! & 0x1f) === ROOM_STATE_PATCH) patches.record(1, now)
    } else if (typeof data === 'string') {
      total += data.length
      bytes.record(data.length, now)
    }
    inner?.(event)
  }
  return { bytes, patches, totalBytes: () => total }
}
