/**
 * Example-based tests of the window semantics, each with exact expected values worked out by hand:
 * bounds, eviction edges, out-of-order placement, late reasons, invalid readings, the memory cap.
 */
import { describe, expect, it } from 'vitest';
import { ADD_RESULT } from '../../src/window/add-result.js';
import { SensorWindow } from '../../src/window/sensor-window.js';
import type { WindowStats } from '../../src/window/window-stats.js';

const values = (w: SensorWindow) => w.toArray().map((r) => r.value);

/** Exact for count, median, min, max and bounds; mean and stddev to 1e-12 relative (hand-computed values). */
function expectStats(w: SensorWindow, expected: WindowStats): void {
  const { mean, stddev, ...exact } = w.stats();
  const { mean: wantMean, stddev: wantStddev, ...wantExact } = expected;
  expect(exact).toEqual(wantExact);
  for (const [got, want] of [
    [mean, wantMean],
    [stddev, wantStddev],
  ] as const) {
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
  }
}
const stamps = (w: SensorWindow) => w.toArray().map((r) => r.timestampMs);

describe('SensorWindow, count windows', () => {
  it('keeps the last N readings like deque(maxlen=N), with exact stats on every update', () => {
    const w = new SensorWindow({ kind: 'count', size: 3 });
    expect(w.add(10, 4)).toBe(ADD_RESULT.accepted);
    expectStats(w, { count: 1, mean: 4, median: 4, min: 4, max: 4, stddev: 0, startMs: 10, endMs: 10 });
    w.add(20, 8);
    expectStats(w, { count: 2, mean: 6, median: 6, min: 4, max: 8, stddev: 2, startMs: 10, endMs: 20 });
    w.add(30, 6);
    expectStats(w, { count: 3, mean: 6, median: 6, min: 4, max: 8, stddev: Math.sqrt(8 / 3), startMs: 10, endMs: 30 });
    w.add(40, 1); // 4 leaves
    expect(values(w)).toEqual([8, 6, 1]);
    expectStats(w, { count: 3, mean: 5, median: 6, min: 1, max: 8, stddev: Math.sqrt(26 / 3), startMs: 20, endMs: 40 });
    w.add(50, 1); // 8 leaves: the max moves to the next candidate
    expect(w.stats()).toMatchObject({ count: 3, median: 1, min: 1, max: 6, startMs: 30, endMs: 50 });
  });

  it('size 1 holds exactly the newest reading', () => {
    const w = new SensorWindow({ kind: 'count', size: 1, graceMs: 100 });
    w.add(5, 1);
    w.add(6, -2);
    expectStats(w, { count: 1, mean: -2, median: -2, min: -2, max: -2, stddev: 0, startMs: 6, endMs: 6 });
    // within grace but older than the only reading held: it would be evicted at once, so it is late
    expect(w.add(5, 9)).toEqual({ status: 'late', reason: 'outside-window' });
    expect(values(w)).toEqual([-2]);
  });

  it('places an out-of-order reading within grace at its timestamp, after equal timestamps', () => {
    const w = new SensorWindow({ kind: 'count', size: 4, graceMs: 50 });
    w.add(100, 1);
    w.add(120, 2);
    w.add(140, 3);
    expect(w.add(120, 9)).toBe(ADD_RESULT.accepted); // equal to a held timestamp: goes after it
    expect(w.toArray()).toEqual([
      { timestampMs: 100, value: 1 },
      { timestampMs: 120, value: 2 },
      { timestampMs: 120, value: 9 },
      { timestampMs: 140, value: 3 },
    ]);
    expectStats(w, {
      count: 4,
      mean: 15 / 4,
      median: 2.5,
      min: 1,
      max: 9,
      stddev: Math.sqrt(155 / 16),
      startMs: 100,
      endMs: 140,
    });
    // full now: a reading older than the oldest held is outside the window; equal to it is accepted and
    // displaces the earlier arrival
    expect(w.add(99, 0)).toEqual({ status: 'late', reason: 'outside-window' });
    expect(w.add(100, 7)).toBe(ADD_RESULT.accepted);
    expect(w.toArray()[0]).toEqual({ timestampMs: 100, value: 7 });
    expect(w.stats()).toMatchObject({ count: 4, min: 2, max: 9, median: 5, mean: 5.25, startMs: 100 });
  });

  it('reports readings at or beyond t − graceMs as beyond-grace and leaves the window untouched', () => {
    const w = new SensorWindow({ kind: 'count', size: 10, graceMs: 30 });
    w.add(100, 1);
    w.add(200, 2);
    const before = w.stats();
    expect(w.add(170, 5)).toEqual({ status: 'late', reason: 'beyond-grace' }); // exactly t − grace
    expect(w.add(0, 5)).toEqual({ status: 'late', reason: 'beyond-grace' });
    expect(w.add(171, 5)).toBe(ADD_RESULT.accepted);
    expect(stamps(w)).toEqual([100, 171, 200]);
    expect(before.count).toBe(2);
  });

  it('with graceMs 0 accepts equal timestamps and rejects anything older', () => {
    const w = new SensorWindow({ kind: 'count', size: 5 });
    w.add(10, 1);
    expect(w.add(10, 1)).toBe(ADD_RESULT.accepted);
    expect(w.add(9.999, 1)).toEqual({ status: 'late', reason: 'beyond-grace' });
    expect(w.stats()).toMatchObject({ count: 2, mean: 1, median: 1, stddev: 0 });
  });
});

describe('SensorWindow, time windows', () => {
  it('holds readings with timestamp in (t − sizeMs, t]: the lower bound is exclusive', () => {
    const w = new SensorWindow({ kind: 'time', sizeMs: 10 });
    w.add(0, 1);
    w.add(5, 2);
    w.add(10, 3); // 0 <= 10 − 10: evicted
    expect(w.toArray()).toEqual([
      { timestampMs: 5, value: 2 },
      { timestampMs: 10, value: 3 },
    ]);
    expectStats(w, { count: 2, mean: 2.5, median: 2.5, min: 2, max: 3, stddev: 0.5, startMs: 0, endMs: 10 });
    w.add(100, 7); // everything else leaves
    expectStats(w, { count: 1, mean: 7, median: 7, min: 7, max: 7, stddev: 0, startMs: 90, endMs: 100 });
  });

  it('a 1 ms window holds only readings with the newest timestamp', () => {
    const w = new SensorWindow({ kind: 'time', sizeMs: 1, graceMs: 5 });
    w.add(1, 1);
    w.add(2, 2);
    w.add(2, 4);
    expect(values(w)).toEqual([2, 4]);
    expect(w.add(1, 9)).toEqual({ status: 'late', reason: 'outside-window' }); // within grace, not in (1, 2]
    expectStats(w, { count: 2, mean: 3, median: 3, min: 2, max: 4, stddev: 1, startMs: 1, endMs: 2 });
  });

  it('checks beyond-grace before outside-window', () => {
    const w = new SensorWindow({ kind: 'time', sizeMs: 10, graceMs: 50 });
    w.add(100, 1);
    expect(w.add(95, 2)).toBe(ADD_RESULT.accepted);
    expect(w.add(90, 2)).toEqual({ status: 'late', reason: 'outside-window' });
    expect(w.add(50, 2)).toEqual({ status: 'late', reason: 'beyond-grace' });
    expect(stamps(w)).toEqual([95, 100]);
  });

  it('caps memory at maxSamples: evicts the oldest, says so, and counts it', () => {
    const w = new SensorWindow({ kind: 'time', sizeMs: 1_000, maxSamples: 3, graceMs: 100 });
    expect(w.add(1, 1)).toBe(ADD_RESULT.accepted);
    expect(w.add(2, 2)).toBe(ADD_RESULT.accepted);
    expect(w.add(3, 3)).toBe(ADD_RESULT.accepted);
    expect(w.add(4, 4)).toEqual({ status: 'accepted', capacityEvicted: true });
    expect(w.add(5, 5)).toEqual({ status: 'accepted', capacityEvicted: true });
    expect(w.capacityEvictions).toBe(2);
    expect(values(w)).toEqual([3, 4, 5]);
    // out of order, older than all it holds while full: late, and no further eviction
    expect(w.add(2.5, 0)).toEqual({ status: 'late', reason: 'outside-window' });
    // out of order but newer than the oldest: placed, and the oldest goes
    expect(w.add(3.5, 0)).toEqual({ status: 'accepted', capacityEvicted: true });
    expect(w.toArray()).toEqual([
      { timestampMs: 3.5, value: 0 },
      { timestampMs: 4, value: 4 },
      { timestampMs: 5, value: 5 },
    ]);
    expect(w.capacityEvictions).toBe(3);
    expectStats(w, {
      count: 3,
      mean: 3,
      median: 4,
      min: 0,
      max: 5,
      stddev: Math.sqrt(14 / 3),
      startMs: -995,
      endMs: 5,
    });
  });
});

describe('SensorWindow, invalid readings', () => {
  const cases: Array<[string, number, number, string]> = [
    ['NaN value', 1, NaN, 'non-finite-value'],
    ['Infinity value', 1, Infinity, 'non-finite-value'],
    ['-Infinity value', 1, -Infinity, 'non-finite-value'],
    ['NaN timestamp', NaN, 1, 'invalid-timestamp'],
    ['negative timestamp', -1, 1, 'invalid-timestamp'],
    ['infinite timestamp', Infinity, 1, 'invalid-timestamp'],
    ['timestamp past the Date range', 8.64e15 + 1, 1, 'invalid-timestamp'],
  ];
  for (const [name, timestampMs, value, reason] of cases) {
    it(`rejects a ${name} without touching the window`, () => {
      for (const kind of ['time', 'count'] as const) {
        const w = new SensorWindow(kind === 'time' ? { kind, sizeMs: 100 } : { kind, size: 3 });
        expect(w.add(timestampMs, value)).toEqual({ status: 'invalid', reason });
        expect(w.count).toBe(0);
        w.add(5, 2);
        expect(w.add(timestampMs, value)).toEqual({ status: 'invalid', reason });
        expect(w.toArray()).toEqual([{ timestampMs: 5, value: 2 }]);
        expect(w.stats()).toMatchObject({ count: 1, mean: 2, endMs: 5 });
      }
    });
  }

  it('rejects values that are not numbers at all', () => {
    const w = new SensorWindow({ kind: 'count', size: 3 });
    expect(w.add(1, '5' as unknown as number)).toEqual({ status: 'invalid', reason: 'non-finite-value' });
    expect(w.add('5' as unknown as number, 5)).toEqual({ status: 'invalid', reason: 'invalid-timestamp' });
  });

  it('an empty window answers NaN for every statistic and bound', () => {
    const w = new SensorWindow({ kind: 'time', sizeMs: 100 });
    expectStats(w, { count: 0, mean: NaN, median: NaN, min: NaN, max: NaN, stddev: NaN, startMs: NaN, endMs: NaN });
  });
});

describe('SensorWindow, larger windows', () => {
  it('a 10,000-reading count window grows its buffers and matches a direct computation', () => {
    const w = new SensorWindow({ kind: 'count', size: 10_000 });
    let seed = 7;
    const all: number[] = [];
    for (let i = 0; i < 25_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const v = (seed % 2001) - 1000; // integers: sums are exact
      all.push(v);
      w.add(i, v);
    }
    const held = all.slice(-10_000);
    const sorted = [...held].sort((a, b) => a - b);
    const mean = held.reduce((s, v) => s + v, 0) / held.length;
    expect(w.count).toBe(10_000);
    expect(w.min).toBe(sorted[0]);
    expect(w.max).toBe(sorted[9_999]);
    expect(w.median).toBe((sorted[4_999]! + sorted[5_000]!) / 2);
    expect(w.mean).toBeCloseTo(mean, 12);
    expect(w.startMs).toBe(15_000);
    expect(w.endMs).toBe(24_999);
  });
});
