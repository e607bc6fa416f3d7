import { Session } from 'node:inspector'
import fs from 'node:fs'
const s = new Session()
s.connect()
setTimeout(() => s.post('Profiler.enable', () => s.post('Profiler.start')), 12000).unref()
setTimeout(() => s.post('Profiler.stop', (err, r) => { if (!err) fs.writeFileSync(`/tmp/loadprof/${process.env.ATTENTION}-${process.pid}.cpuprofile`, JSON.stringify(r.profile)) }), 17000).unref()
