// A stand-in inference worker for fault tests: speaks the learned scorer's worker protocol
// (src/learned/messages.ts: shared slots, Atomics signals) and misbehaves on request. The mode comes
// over a BroadcastChannel ('learned-fault'); a fresh worker starts in 'ok' (scores: 5 x the distance
// feature, like the distance head). Modes: ok, throw (a two-line message), nan, slow (400 ms per
// answer) or slow:<ms>, hang, exit (the thread exits with code 5 at the next request).
import { BroadcastChannel, parentPort } from 'node:worker_threads'

// FEATURE_COUNT of the engine: column 0 of each row is the distance feature
const F = 8
// messages.ts Control and Meta fields, AnswerStatus values
const REQUEST = 0, SLOT = 1, VERSION = 2, ANSWER = 3, STATUS = 4
const ROWS = 0, MS = 3
const OK = 1, FAILED = 2
let mode = 'ok'
const slots = []
const versions = []
let arrived = null
const channel = new BroadcastChannel('learned-fault')
channel.onmessage = (e) => {
  mode = e.data
}
channel.unref()

parentPort.on('message', (m) => {
  if (m.type === 'slot') {
    slots[m.index] = m.arrays
    versions[m.index] = m.version
    arrived?.()
    return
  }
  m.slots.forEach((a, i) => {
    slots[i] = a
    versions[i] = m.versions[i]
  })
  void serve(m.control)
  parentPort.postMessage({ type: 'ready' })
})

async function serve(ctl) {
  let seen = 0
  for (;;) {
    const w = Atomics.waitAsync(ctl, REQUEST, seen)
    if (w.async) await w.value
    const request = Atomics.load(ctl, REQUEST)
    if (request === seen) continue
    seen = request
    const k = Atomics.load(ctl, SLOT)
    while (versions[k] !== Atomics.load(ctl, VERSION)) await new Promise((r) => (arrived = r))
    const b = slots[k]
    const done = (status) => {
      Atomics.store(ctl, STATUS, status)
      Atomics.store(ctl, ANSWER, request)
      Atomics.notify(ctl, ANSWER)
    }
    const answer = () => {
      const rows = b.meta[ROWS]
      for (let r = 0; r < rows; r++) b.scores[r] = mode === 'nan' ? NaN : 5 * b.features[r * F]
      b.meta[MS] = 0.1
      done(OK)
    }
    if (mode === 'throw') {
      // two lines, as a runtime's error text can be: the scorer reports it on one
      parentPort.postMessage({ type: 'failed', request, message: 'injected failure\n    at the model' })
      done(FAILED)
    } else if (mode === 'hang') for (;;) {} // a blocked thread: only terminate() ends it
    else if (mode === 'exit') process.exit(5)
    else if (mode.startsWith('slow')) await new Promise((r) => setTimeout(r, Number(mode.split(':')[1] ?? 400))).then(answer)
    else answer()
  }
}
