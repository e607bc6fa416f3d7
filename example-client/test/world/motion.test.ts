import { describe, expect, it } from 'vitest'
import { angleDelta } from '../../src/input/face-throttle'
import { Motion } from '../../src/world/motion'

describe('motion', () => {
  it('should show the first sample as is', () => {
    const m = new Motion()
    expect(m.ready).toBe(false)
    m.push(5, 7, 1, 0)
    expect(m.ready).toBe(true)
    expect(m.at(0)).toEqual({ x: 5, y: 7, angle: 1 })
    expect(m.at(1000)).toEqual({ x: 5, y: 7, angle: 1 })
  })
  it('should glide between samples over the observed patch interval', () => {
    const m = new Motion()
    m.push(0, 0, 0, 0)
    m.push(10, 0, 0, 50)
    expect(m.at(50).x).toBeCloseTo(0)
    expect(m.at(75).x).toBeCloseTo(5)
    expect(m.at(100).x).toBeCloseTo(10)
    expect(m.at(500).x).toBeCloseTo(10)
  })
  it('should stay continuous when a sample arrives mid-glide', () => {
    const m = new Motion()
    m.push(0, 0, 0, 0)
    m.push(10, 0, 0, 100)
    const before = m.at(150)
    m.push(20, 0, 0, 150)
    expect(m.at(150).x).toBeCloseTo(before.x)
    // then it heads for the new target and reaches it one interval later
    expect(m.at(150 + 50).x).toBeCloseTo(20)
  })
  it('should take longer glides for entities that update rarely (low band)', () => {
    const m = new Motion()
    m.push(0, 0, 0, 0)
    m.push(10, 0, 0, 250)
    expect(m.at(375).x).toBeCloseTo(5)
  })
  it('should snap instead of sliding across the map on a big jump', () => {
    const m = new Motion()
    m.push(0, 0, 0, 0)
    m.push(500, 0, 0, 50)
    expect(m.at(50).x).toBe(500)
  })
  it('should turn the short way round and keep the heading when none is sent', () => {
    const m = new Motion()
    m.push(0, 0, 3, 0)
    m.push(0, 0, -3, 100)
    const mid = m.at(150).angle
    expect(Math.abs(mid)).toBeGreaterThan(3)
    m.push(1, 0, Number.NaN, 300)
    expect(angleDelta(m.at(1000).angle, -3)).toBeCloseTo(0) // target heading unchanged
  })
})
