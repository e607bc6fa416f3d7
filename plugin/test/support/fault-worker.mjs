// A stand-in inference worker for fault tests: speaks the learned scorer's worker protocol and
// misbehaves on request. The mode comes over a BroadcastChannel ('learned-fault'); a fresh worker
// starts in 'ok' (scores: 5 x the distance feature, like the distance head).
import { BroadcastChannel, parentPort } from 'node:worker_threads'

// FEATURE_COUNT of the engine: column 0 of each row is the distance feature
const F = 8
let mode = 'ok'
let reply = null
let signal = null
const channel = new BroadcastChannel('learned-fault')
channel.onmessage = (e) => {
  mode = e.data
}
channel.unref()

const send = (m, transfer = []) => {
  if (reply === null || m.type === 'ready') return parentPort.postMessage(m, transfer)
  reply.postMessage(m, transfer)
  Atomics.add(signal, 0, 1)
  Atomics.notify(signal, 0)
}

parentPort.on('message', (m) => {
  if (m.type === 'init') {
    reply = m.reply ?? null
    signal = m.signal ?? null
    send({ type: 'ready' })
    return
  }
  const b = m.batch
  const back = [b.features, b.rowEid, b.observers, b.observerStart, b.state].map((a) => a.buffer)
  const answer = () => {
    const scores = new Float32Array(Math.max(1, m.rows))
    for (let r = 0; r < m.rows; r++) scores[r] = mode === 'nan' ? NaN : 5 * b.features[r * F]
    send({ type: 'result', id: m.id, scores, batch: b, ms: 0.1 }, [scores.buffer, ...back])
  }
  if (mode === 'throw') send({ type: 'failed', id: m.id, message: 'injected failure', batch: b }, back)
  else if (mode === 'hang') for (;;) {} // a blocked thread: only terminate() ends it
  else if (mode === 'slow') setTimeout(answer, 400)
  else answer()
})
