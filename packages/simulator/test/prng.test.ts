import { describe, expect, it } from 'vitest';
import { hashString, mix32, normalAt, Sfc32, seedFrom, streamKey, uint32At, uniformAt } from '../src/core/prng.js';

describe('prng', () => {
  it('is a pure function of (key, index): same inputs, same numbers', () => {
    const key = streamKey(seedFrom(1), 'site-a/dev-0001', 'temperature');
    const a = Array.from({ length: 100 }, (_, i) => uniformAt(key, i));
    const b = Array.from({ length: 100 }, (_, i) => uniformAt(key, i));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(100);
  });

  it('pins its output, so a change of algorithm is a deliberate, visible change', () => {
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).toBe(1753845952);
    expect(seedFrom(1)).toBe(seedFrom('1'));
    expect(streamKey(seedFrom(1), 'site-a/dev-0001', 'temperature')).toMatchInlineSnapshot(`1766554464`);
    expect(uint32At(12345, 0)).toMatchInlineSnapshot(`600597159`);
  });

  it('gives uniform numbers in [0, 1) with the right mean and spread', () => {
    const key = streamKey(42, 'uniform');
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    const n = 200_000;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = uniformAt(key, i);
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      buckets[Math.floor(u * 10)]! += 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(n / 100);
  });

  it('gives standard normal numbers', () => {
    const key = streamKey(7, 'normal');
    let sum = 0;
    let sumSq = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = normalAt(key, i);
      if (!Number.isFinite(x)) throw new Error(`normalAt(${i}) = ${x}`);
      sum += x;
      sumSq += x * x;
    }
    expect(sum / n).toBeCloseTo(0, 1);
    expect(sumSq / n).toBeCloseTo(1, 1);
  });

  it('handles indexes beyond 32 bits (epoch milliseconds) without collisions between hi and lo parts', () => {
    const key = 99;
    const t = 1_704_067_200_000;
    expect(uniformAt(key, t)).not.toBe(uniformAt(key, t % 2 ** 32));
    expect(uniformAt(key, t)).not.toBe(uniformAt(key, t + 1));
  });

  it('keeps streams of different devices, metrics and seeds apart', () => {
    const keys = new Set<number>();
    for (const seed of [1, 2]) {
      for (let d = 0; d < 100; d++)
        for (const m of ['temperature', 'cpu', 'memory']) keys.add(streamKey(seedFrom(seed), `site-a/dev-${d}`, m));
    }
    expect(keys.size).toBe(600);
    // correlation between neighbouring devices' streams is negligible
    const a = streamKey(1, 'site-a/dev-0001');
    const b = streamKey(1, 'site-a/dev-0002');
    let cov = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) cov += (uniformAt(a, i) - 0.5) * (uniformAt(b, i) - 0.5);
    expect(Math.abs(cov / n)).toBeLessThan(0.003);
  });

  it('hashes strings to well-spread values', () => {
    expect(hashString('a')).not.toBe(hashString('b'));
    expect(hashString('ab')).not.toBe(hashString('ba'));
    expect(hashString('')).not.toBe(hashString('\u0000'));
  });

  it('sfc32 repeats from the same key and differs between keys', () => {
    const a = new Sfc32(5);
    const b = new Sfc32(5);
    const c = new Sfc32(6);
    const xs = Array.from({ length: 50 }, () => a.nextUint32());
    expect(Array.from({ length: 50 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 50 }, () => c.nextUint32())).not.toEqual(xs);
    for (let i = 0; i < 10_000; i++) {
      const n = a.nextInt(7);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(7);
    }
  });
});
