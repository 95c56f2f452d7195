/**
 * Long runs (millions of updates) with values like 1e6 + small noise, level shifts across ten orders of
 * magnitude and slow ramps: mean and stddev must stay within 1e-9 relative of a careful two-pass computation
 * over the same contents. A plain running sum / sum of squares fails these scenarios (checked below, so the
 * scenarios are known to be hard).
 */
import { describe, expect, it } from 'vitest';
import { SensorWindow } from '../../src/window/sensor-window.js';

/** Deterministic uniform [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Two-pass mean and population stddev, summing differences from the first value (exact for close values). */
function twoPass(values: readonly number[]): { mean: number; stddev: number } {
  const base = values[0]!;
  let sum = 0;
  for (const v of values) sum += v - base;
  const mean = base + sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  return { mean, stddev: Math.sqrt(sq / values.length) };
}

function expectAccurate(w: SensorWindow, label: string): void {
  const contents = w.toArray().map((r) => r.value);
  const want = twoPass(contents);
  const relMean = Math.abs(w.mean - want.mean) / Math.abs(want.mean);
  const relStd = Math.abs(w.stddev - want.stddev) / want.stddev;
  expect(relMean, `${label} mean ${w.mean} vs ${want.mean}`).toBeLessThanOrEqual(1e-9);
  expect(relStd, `${label} stddev ${w.stddev} vs ${want.stddev}`).toBeLessThanOrEqual(1e-9);
}

describe('numeric drift over millions of updates', () => {
  it('count window of 1,000, 2,000,000 updates of 1e6 + noise(±0.001): stays exact, a naive running sum does not', () => {
    const next = random(1);
    const w = new SensorWindow({ kind: 'count', size: 1_000 });
    const ring = new Float64Array(1_000);
    let naiveSum = 0;
    let naiveSumSq = 0;
    let naiveWorst = 0;
    for (let i = 0; i < 2_000_000; i++) {
      const v = 1e6 + (next() - 0.5) * 0.002;
      w.add(i, v);
      const old = ring[i % 1_000]!;
      ring[i % 1_000] = v;
      naiveSum += v - (i >= 1_000 ? old : 0);
      naiveSumSq += v * v - (i >= 1_000 ? old * old : 0);
      if (i % 250_000 === 249_999) {
        expectAccurate(w, `update ${i + 1}`);
        const naiveStd = Math.sqrt(Math.max(0, naiveSumSq / 1_000 - (naiveSum / 1_000) ** 2));
        naiveWorst = Math.max(naiveWorst, Math.abs(naiveStd - w.stddev) / w.stddev);
      }
    }
    expect(naiveWorst).toBeGreaterThan(1e-3); // the scenario defeats the textbook approach
  });

  it('time window with jittered gaps and out-of-order readings, 1,500,000 updates around 1e9', () => {
    const next = random(2);
    const w = new SensorWindow({ kind: 'time', sizeMs: 5_000, graceMs: 50 });
    let t = 0;
    for (let i = 0; i < 1_500_000; i++) {
      t += Math.floor(next() * 10);
      const ts = next() < 0.1 ? Math.max(0, t - Math.floor(next() * 60)) : t;
      w.add(ts, 1e9 + next() * 1e-2);
      if (i % 300_000 === 299_999) expectAccurate(w, `update ${i + 1}`);
    }
    expectAccurate(w, 'end');
  });

  it('level shifts across ten orders of magnitude (1e9 → 1e-3 → -1e6 → 1e3) with tiny noise', () => {
    const next = random(3);
    const w = new SensorWindow({ kind: 'count', size: 500 });
    const levels = [1e9, 1e-3, -1e6, 1e3, 1e9, 0.5];
    let i = 0;
    for (const level of levels) {
      for (let k = 0; k < 200_000; k++, i++) {
        w.add(i, level + level * 1e-7 * (next() - 0.5));
        // during the changeover (mixed contents) and once the new level fills the window
        if (k === 250 || k === 700 || k === 199_999) expectAccurate(w, `level ${level} step ${k}`);
      }
    }
  });

  it('a slow ramp with noise over 1,200,000 updates', () => {
    const next = random(4);
    const w = new SensorWindow({ kind: 'count', size: 2_000 });
    for (let i = 0; i < 1_200_000; i++) {
      w.add(i, 20 + i * 1e-3 + (next() - 0.5) * 1e-6);
      if (i % 200_000 === 199_999) expectAccurate(w, `update ${i + 1}`);
    }
  });
});
