import type { World } from 'bitecs'
import { createEntityTracker, Has } from './entity-tracker'
import { explainPair } from './explain'
import { createRowWriter, REACH_SLOT, type FeatureParams } from './features'
import { createHeadScorer } from './head-scorer'
import { createInteractionStore } from './interactions'
import { createInterestSets, Rule } from './interest-sets'
import { resolveOptions, type AttentionOptions } from './options'
import { createOwnershipIndex } from './ownership'
import { createSelector, type SelectionInputs } from './selection'
import { createSpatialGrid } from './spatial-grid'
import type { AttentionSystem, Band, Explanation } from './types'
import { FEATURE_COUNT } from './types'
import { checkRange } from './validate'

export { createHeadScorer }

/**
 * Creates the attention system for `world`: call the returned function once per tick, then read
 * each observer's interest set through its accessors.
 * @param world - the bitECS world holding the entities.
 * @param options - the components (required) and tuning; validated here, errors name the option.
 * @returns the system function with read accessors (allocation-free) and `explain` (allocates).
 * @example
 * const C = createAttentionComponents(10_000)
 * const attention = createAttentionSystem(world, { components: C })
 * // each tick, after moving entities:
 * attention(world)
 * for (let i = 0; i < attention.enteredCount(player); i++) show(attention.enteredAt(player, i))
 */
export function createAttentionSystem(world: World, options: AttentionOptions): AttentionSystem {
  const opts = resolveOptions(options)
  const c = opts.components
  const cap = c.capacity
  const V = c.Velocity
  const stride = opts.maxMembers
  const sets = createInterestSets(opts.maxObservers, stride)
  const slotOf = new Int32Array(cap).fill(-1)
  const freeSlots = new Int32Array(opts.maxObservers)
  let freeN = 0
  for (let s = opts.maxObservers - 1; s >= 0; s--) freeSlots[freeN++] = s

  const grid = createSpatialGrid(cap, opts.cellSize, Math.max(1024, cap), c.Position.x, c.Position.y)
  const interactions = createInteractionStore(cap, opts.interactionSlots)
  const ownership = createOwnershipIndex(c)
  const scorer = opts.scorer ?? createHeadScorer(opts.weights)
  const customScorer = opts.scorer !== null

  // byte budget state per observer slot (see SelectionInputs)
  const byteScale = new Float32Array(opts.maxObservers).fill(1)
  const estBytes = new Float32Array(opts.maxObservers)

  const tracker = createEntityTracker(world, c, {
    onPositionRemoved(eid) {
      interactions.clear(eid)
    },
    onObserverAdded(eid) {
      if (slotOf[eid] !== -1) return
      if (freeN === 0) {
        throw new RangeError(`colyseus-attention: more than maxObservers (${opts.maxObservers}) observers; raise maxObservers`)
      }
      const s = freeSlots[--freeN]!
      slotOf[eid] = s
      sets.clear(s)
      byteScale[s] = 1
      estBytes[s] = 0
    },
    onObserverRemoved(eid) {
      const s = slotOf[eid]!
      if (s === -1) return
      sets.clear(s)
      slotOf[eid] = -1
      freeSlots[freeN++] = s
    },
    onOwnerRemoved(eid) {
      ownership.unlink(eid)
    },
  })
  const { flags, generation, positioned, observers } = tracker

  // tick scratch, grown by doubling between observers (never inside a candidate loop)
  let rowCap = 1024
  let feat = new Float32Array(rowCap * FEATURE_COUNT)
  const inp: SelectionInputs = {
    c,
    flags,
    generation,
    sets,
    ownership,
    alwaysRelevant: tracker.alwaysRelevant,
    hysteresis: opts.hysteresis,
    bands: opts.bands,
    byteCosts: opts.byteCosts,
    byteScale,
    estBytes,
    rowEid: new Uint32Array(rowCap),
    rowRule: new Uint8Array(rowCap),
    scores: new Float32Array(rowCap),
  }
  const select = createSelector(inp)
  const rowStart = new Int32Array(opts.maxObservers)
  // the pair batch of a scorer with scoreBatch (rows are contiguous in observer order)
  const batch = {
    features: feat,
    rows: 0,
    rowEid: inp.rowEid,
    observers: new Uint32Array(opts.maxObservers),
    observerCount: 0,
    observerStart: new Int32Array(opts.maxObservers + 1),
    generation,
    components: c,
    tick: 0,
    dt: opts.dt,
    lookahead: opts.lookahead,
    speedScale: opts.speedScale,
  }
  const rowEnd = new Int32Array(opts.maxObservers)
  const wide = new Uint32Array(cap)
  let wideN = 0
  // wideTick[e] === tick + 1: e is on this tick's wide list (a candidate of every observer)
  const wideTick = new Uint32Array(cap)
  // this tick's aimers by target: aimHead[target] -> aimer -> aimNext[aimer] -> ... -> -1
  const aimHead = new Int32Array(cap).fill(-1)
  const aimNext = new Int32Array(cap)
  const aimTargets = new Uint32Array(cap)
  let aimTargetN = 0
  const cands = new Uint32Array(cap)
  const gridIds = new Uint32Array(cap)
  // the broadphase disc [x, y, reach] handed to the grid
  const disc = new Float64Array(3)
  // a typed slot, not a captured `let`: V8 boxes each store of a double into a closure variable
  const slowReach = new Float64Array(1)
  const params: FeatureParams = {
    lookahead: opts.lookahead,
    speedScale: opts.speedScale,
    halfLivesPerTick: opts.dt / opts.interactionHalfLife,
  }
  const writer = createRowWriter(c, flags, generation, interactions, params, opts.weights)
  const cellSize = opts.cellSize
  const T = opts.lookahead
  let tick = 0

  const grow = (need: number): void => {
    let n = rowCap
    while (n < need) n *= 2
    if (n === rowCap) return
    const f = new Float32Array(n * FEATURE_COUNT)
    f.set(feat)
    feat = f
    const e = new Uint32Array(n)
    e.set(inp.rowEid)
    inp.rowEid = e
    const r = new Uint8Array(n)
    r.set(inp.rowRule)
    inp.rowRule = r
    // fused gathers write scores as they go
    const sc = new Float32Array(n)
    sc.set(inp.scores)
    inp.scores = sc
    rowCap = n
  }

  const validateObserver = (o: number): void => {
    const r = c.Observer.radius[o]!
    if (!(r > 0 && r < Infinity)) checkRange(`Observer.radius[${o}]`, r, 0, 1e30, true)
    if (c.Observer.budget[o]! < 1) checkRange(`Observer.budget[${o}]`, c.Observer.budget[o]!, 1, 65535)
    const t = c.Observer.temperature[o]!
    if (!(t > 0 && t < Infinity)) checkRange(`Observer.temperature[${o}]`, t, 0, 1e30, true)
    const fov = c.Observer.fov[o]!
    if (!(fov >= 0 && fov <= 2 * Math.PI + 1e-6)) checkRange(`Observer.fov[${o}]`, fov, 0, 2 * Math.PI)
  }

  /**
   * Broadphase + features for one observer into rows [row, ...), or with `fused` the built-in
   * scores straight away (no feature rows); returns the end row.
   */
  const gather = (o: number, row: number, fused: boolean): number => {
    writer.load(o)
    const ox = writer.observer[0]!
    const oy = writer.observer[1]!
    const q = writer.observer[REACH_SLOT]! + slowReach[0]!
    disc[0] = ox
    disc[1] = oy
    disc[2] = q
    // captured stores and imported constants in locals (see RowWriter.write)
    const found = cands
    const flagsOf = flags
    const OWNER_OR_ALWAYS = Has.Owner | Has.AlwaysRelevant
    const NONE = Rule.None
    // candidates, each entity at most once: the grid never returns an entity twice nor a wide one,
    // and the entity-list scan replaces both
    let n = 0
    const runCount = grid.query(disc)
    if (runCount === -1) {
      // a query wider than the table: every positioned entity is a candidate
      const ids = positioned.ids
      for (let i = 0; i < positioned.count; i++) if (ids[i] !== o) found[n++] = ids[i]!
    } else {
      const runs = grid.runs
      const ids = grid.ids
      const xs = grid.xs
      const ys = grid.ys
      const q2 = q * q
      for (let r = 0; r < 2 * runCount; r += 2) {
        const end = runs[r + 1]!
        for (let i = runs[r]!; i < end; i++) {
          // cheap reject before the full test (no grid entity is in range beyond the query radius),
          // without a branch: the entity is appended, then kept or not (about half of them go)
          const ex = xs[i]! - ox
          const ey = ys[i]! - oy
          const e = ids[i]!
          found[n] = e
          n += Number(!(ex * ex + ey * ey > q2)) & Number(e !== o)
        }
      }
      for (let i = 0; i < wideN; i++) if (wide[i] !== o) found[n++] = wide[i]!
    }
    if (row + n > rowCap) grow(row + n)
    let end = writer.write(found, n, inp.rowEid, row, tick, fused, feat, inp.scores)
    // aimers of o beyond the broadphase disc: candidates at any distance (the grid returned those
    // within it, the wide list all of its own, a full scan every entity; the writer takes an
    // aimer of o at any distance)
    if (runCount !== -1 && aimHead[o] !== -1) {
      const Px = c.Position.x
      const Py = c.Position.y
      const q2 = q * q
      const POSITION = Has.Position
      let m = 0
      for (let a = aimHead[o]!; a !== -1; a = aimNext[a]!) {
        if (a === o || (flagsOf[a]! & POSITION) === 0 || wideTick[a] === tick + 1) continue
        const ex = Px[a]! - ox
        const ey = Py[a]! - oy
        if (ex * ex + ey * ey > q2) found[m++] = a
      }
      if (m > 0) {
        if (end + m > rowCap) grow(end + m)
        end = writer.write(found, m, inp.rowEid, end, tick, fused, feat, inp.scores)
      }
    }
    const rowEid = inp.rowEid
    const rowRule = inp.rowRule
    for (let r = row; r < end; r++) {
      // inline for the common row (no owner, not always-relevant): a call per row costs more
      const e = rowEid[r]!
      rowRule[r] = (flagsOf[e]! & OWNER_OR_ALWAYS) === 0 ? NONE : ruleOfRow(o, e)
    }
    return end
  }

  const ownerOf = c.Owner.eid
  /** The rule that puts a scored row in the set regardless of budget. */
  const ruleOfRow = (o: number, e: number): number => {
    const fl = flags[e]!
    return (fl & Has.Owner) !== 0 && ownerOf[e] === o ? Rule.Owned : (fl & Has.AlwaysRelevant) !== 0 ? Rule.Always : Rule.None
  }

  /** Rebuilds the grid from every positioned entity, but those whose reach exceeds a cell: they go to the wide list. */
  const updateGrid = (): void => {
    // captured stores, tuning and imported constants in locals (see RowWriter.write)
    const flagsOf = flags
    const Vx = V.x
    const Vy = V.y
    const Vz = V.z
    const nimbus = c.Salience.nimbus
    const wideList = wide
    const gridList = gridIds
    const VELOCITY = Has.Velocity
    const SALIENCE = Has.Salience
    const lookahead = T
    const cell = cellSize
    wideN = 0
    let gridN = 0
    let maxReach = 0
    const ids = positioned.ids
    for (let i = 0; i < positioned.count; i++) {
      const e = ids[i]!
      const fl = flagsOf[e]!
      let reach = 0
      if ((fl & VELOCITY) !== 0) {
        const vx = Vx[e]!
        const vy = Vy[e]!
        const vz = Vz[e]!
        reach = Math.sqrt(vx * vx + vy * vy + vz * vz) * lookahead
      }
      if ((fl & SALIENCE) !== 0 && nimbus[e]! > reach) reach = nimbus[e]!
      if (reach > cell) {
        wideList[wideN++] = e
        wideTick[e] = tick + 1
      } else {
        if (reach > maxReach) maxReach = reach
        gridList[gridN++] = e
      }
    }
    grid.build(gridList, gridN)
    slowReach[0] = maxReach
    linkAimers()
  }

  /** Links this tick's aimers into one list per observer they aim at. */
  const linkAimers = (): void => {
    const head = aimHead
    const targets = aimTargets
    for (let i = 0; i < aimTargetN; i++) head[targets[i]!] = -1
    aimTargetN = 0
    const aimOf = c.Aim.target
    const ids = tracker.aimers.ids
    const n = tracker.aimers.count
    for (let i = 0; i < n; i++) {
      const a = ids[i]!
      const t = aimOf[a]!
      if (t === 0 || t >= cap || slotOf[t] === -1) continue
      if (head[t] === -1) targets[aimTargetN++] = t
      aimNext[a] = head[t]!
      head[t] = a
    }
  }

  // an observer without Position sees nothing: said once per system, never per tick
  let warnedNoPosition = false
  const warnNoPosition = (o: number): void => {
    warnedNoPosition = true
    console.warn(
      `colyseus-attention: observer ${o} has no Position, so its interest set stays empty (it sees nothing). ` +
        `Add the Position component: addComponent(world, ${o}, C.Position) and set C.Position.x/y/z[${o}].`,
    )
  }

  const system = ((w: World): World => {
    tick++
    const obs = observers.ids
    const obsN = observers.count
    for (let i = 0; i < obsN; i++) validateObserver(obs[i]!)
    ownership.sync(tracker.owned)
    updateGrid()

    let rows = 0
    for (let i = 0; i < obsN; i++) {
      const o = obs[i]!
      const s = slotOf[o]!
      rowStart[s] = rows
      if ((flags[o]! & Has.Position) !== 0) rows = gather(o, rows, !customScorer)
      else if (!warnedNoPosition) warnNoPosition(o)
      rowEnd[s] = rows
    }
    if (customScorer) {
      if (scorer.scoreBatch !== undefined) {
        let k = 0
        for (let i = 0; i < obsN; i++) {
          const o = obs[i]!
          const s = slotOf[o]!
          if (rowEnd[s]! === rowStart[s]!) continue
          batch.observers[k] = o
          batch.observerStart[k++] = rowStart[s]!
        }
        batch.observerStart[k] = rows
        batch.observerCount = k
        batch.features = feat
        batch.rowEid = inp.rowEid
        batch.rows = rows
        batch.tick = tick
        scorer.scoreBatch(batch, inp.scores)
      } else scorer.score(feat, rows, inp.scores)
      const sc = inp.scores
      for (let r = 0; r < rows; r++) if (!(sc[r]! >= -3.4e38)) sc[r] = -3.4e38
    }
    for (let i = 0; i < obsN; i++) {
      const o = obs[i]!
      const s = slotOf[o]!
      select(s, o, rowStart[s]!, rowEnd[s]!)
    }
    return w
  }) as AttentionSystem

  const slot = (o: number): number => (o >= 0 && o < cap ? slotOf[o]! : -1)
  const at = (o: number, i: number): number => slotOf[o]! * stride + i

  // a getter cannot go through Object.assign (it would copy the value once)
  Object.defineProperty(system, 'tick', { get: () => tick, enumerable: true })
  const api = Object.assign(system, {
    capacity: cap,
    isObserver: (o: number) => slot(o) !== -1,
    memberCount: (o: number) => (slot(o) === -1 ? 0 : sets.count[slotOf[o]!]!),
    memberAt: (o: number, i: number) => sets.eid[at(o, i)]!,
    weightAt: (o: number, i: number) => {
      sets.weights(slotOf[o]!)
      return sets.weight[at(o, i)]!
    },
    scoreAt: (o: number, i: number) => sets.score[at(o, i)]!,
    weightsInto: (o: number, out: Float32Array) => {
      const s = slot(o)
      if (s === -1) return 0
      sets.weights(s)
      const n = sets.count[s]!
      if (out.length < n) throw new RangeError(`colyseus-attention: weightsInto needs room for ${n} weights; got ${out.length}`)
      const w = sets.weight
      for (let i = 0, j = s * stride; i < n; i++, j++) out[i] = w[j]!
      return n
    },
    bandAt: (o: number, i: number) => sets.band[at(o, i)]! as Band,
    isMember: (o: number, e: number) => {
      const s = slot(o)
      if (s === -1) return false
      const base = s * stride
      for (let i = 0; i < sets.count[s]!; i++) if (sets.eid[base + i] === e) return true
      return false
    },
    enteredCount: (o: number) => (slot(o) === -1 ? 0 : sets.enteredCount[slotOf[o]!]!),
    enteredAt: (o: number, i: number) => sets.entered[at(o, i)]!,
    exitedCount: (o: number) => (slot(o) === -1 ? 0 : sets.exitedCount[slotOf[o]!]!),
    exitedAt: (o: number, i: number) => sets.exited[at(o, i)]!,
    bandChangedCount: (o: number) => (slot(o) === -1 ? 0 : sets.bandChangedCount[slotOf[o]!]!),
    bandChangedAt: (o: number, i: number) => sets.bandChanged[at(o, i)]!,
    generationOf: (e: number) => generation[e]!,
    reportBytes: (o: number, bytesPerSecond: number) => {
      checkRange('bytesPerSecond', bytesPerSecond, 0, 1e12)
      const s = slot(o)
      if (s === -1) return
      const est = inp.estBytes[s]!
      if (!(est > 0)) return
      // smoothed ratio of what the encoder sent to what the engine estimated, kept in [0.1, 10]
      let ratio = bytesPerSecond / est
      ratio = ratio < 0.1 ? 0.1 : ratio > 10 ? 10 : ratio
      inp.byteScale[s] = 0.8 * inp.byteScale[s]! + 0.2 * ratio
    },
    estimatedBytes: (o: number) => (slot(o) === -1 ? 0 : inp.estBytes[slotOf[o]!]! * inp.byteScale[slotOf[o]!]!),
    memberGenerationAt: (o: number, i: number) => sets.gen[at(o, i)]!,
    recordInteraction: (a: number, b: number, strength = 1) => {
      checkRange('strength', strength, 0, 1e6)
      if (a === b || a >= cap || b >= cap || a < 0 || b < 0) return
      interactions.record(a, generation[a]!, b, generation[b]!, tick, strength)
    },
    explain: (o: number, e: number): Explanation => {
      const s = slot(o)
      const rows: number[] = []
      const featBuf: number[][] = []
      if (s !== -1 && (flags[o]! & Has.Position) !== 0) {
        // replay this observer's broadphase into the (between-ticks idle) scratch rows, on a grid
        // of the current positions (the world may have changed since the tick)
        updateGrid()
        const n = gather(o, 0, false)
        for (let r = 0; r < n; r++) {
          rows.push(inp.rowEid[r]!)
          featBuf.push(Array.from(feat.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)))
        }
      }
      const x = explainPair({
        c,
        flags,
        o,
        e,
        rows,
        features: featBuf,
        scorer,
        weights: opts.weights,
        customScorer,
        hysteresis: opts.hysteresis,
        sets,
        slot: s,
        inRange: rows.includes(e),
      })
      if (scorer.explainScore !== undefined) x.scorer = scorer.explainScore(o, e)
      return x
    },
    dispose: () => tracker.dispose(),
  })
  return api as AttentionSystem
}
