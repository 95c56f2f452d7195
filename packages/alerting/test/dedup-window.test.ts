import { describe, expect, it } from 'vitest';
import { DedupWindow } from '../src/index.js';

describe('DedupWindow', () => {
  it('remembers keys for the window, then forgets them', () => {
    const d = new DedupWindow({ windowMs: 1_000, maxEntries: 10 });
    d.remember('a', 0);
    expect(d.has('a', 999)).toBe(true);
    expect(d.has('b', 999)).toBe(false);
    expect(d.has('a', 1_000)).toBe(false);
    expect(d.size).toBe(0);
  });

  it('holds at most maxEntries, forgetting the oldest first', () => {
    const d = new DedupWindow({ windowMs: 60_000, maxEntries: 3 });
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) d.remember(key, i);
    expect(d.size).toBe(3);
    expect(d.has('a', 10)).toBe(false);
    expect(d.has('d', 10)).toBe(true);
  });

  it('refreshes a key remembered again', () => {
    const d = new DedupWindow({ windowMs: 100, maxEntries: 2 });
    d.remember('a', 0);
    d.remember('b', 10);
    d.remember('a', 50);
    d.remember('c', 60); // evicts b, the oldest now
    expect(d.has('a', 120)).toBe(true);
    expect(d.has('b', 60)).toBe(false);
  });

  it('validates its options', () => {
    expect(() => new DedupWindow({ windowMs: 0, maxEntries: 1 })).toThrow(RangeError);
    expect(() => new DedupWindow({ windowMs: 1, maxEntries: 0 })).toThrow(RangeError);
  });
});
