import { describe, expect, it } from 'vitest';
import { StallWatch } from '../src/kafka/stall-watch.js';

describe('StallWatch', () => {
  it('reports a stall once work in flight has had no progress for afterMs, with how long', () => {
    const w = new StallWatch(60_000);
    expect(w.check(0, 5)).toBeUndefined(); // first seen waiting at 0
    expect(w.check(59_999, 5)).toBeUndefined();
    expect(w.check(60_000, 5)).toBe(60_000);
    expect(w.check(75_000, 5)).toBe(75_000);
  });

  it('progress restarts the clock', () => {
    const w = new StallWatch(10_000);
    w.check(0, 3);
    w.progress(8_000);
    expect(w.check(17_999, 3)).toBeUndefined();
    expect(w.check(18_000, 3)).toBe(10_000);
  });

  it('nothing in flight is never a stall, and an idle spell does not count once work arrives', () => {
    const w = new StallWatch(10_000);
    w.progress(0); // the last report before an idle spell
    expect(w.check(5_000, 0)).toBeUndefined();
    expect(w.check(600_000, 0)).toBeUndefined();
    // records produced after ten idle minutes: the stall clock starts when they are first seen waiting
    expect(w.check(601_000, 2)).toBeUndefined();
    expect(w.check(610_999, 2)).toBeUndefined();
    expect(w.check(611_000, 2)).toBe(10_000);
  });

  it('is off at 0', () => {
    const w = new StallWatch(0);
    w.check(0, 1);
    expect(w.check(1e9, 1)).toBeUndefined();
  });
});
