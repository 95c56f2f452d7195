import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../src/index.js';

describe('OffsetTracker', () => {
  it('has nothing to commit before tracking anything', () => {
    expect(new OffsetTracker().committable()).toBeUndefined();
  });

  it('commits up to the lowest offset not done (the next offset to read)', () => {
    const t = new OffsetTracker();
    for (const o of [10, 11, 12, 13]) t.track(o);
    expect(t.committable()).toBe(10);
    t.done(12);
    expect(t.committable()).toBe(10);
    t.done(10);
    expect(t.committable()).toBe(11);
    t.done(11);
    expect(t.committable()).toBe(13);
    t.done(13);
    expect(t.committable()).toBe(14);
    expect(t.pendingCount).toBe(0);
  });

  it('handles gaps (transaction markers, compaction) by committing highest + 1', () => {
    const t = new OffsetTracker();
    t.track(5);
    t.track(9);
    t.done(9);
    expect(t.committable()).toBe(5);
    t.done(5);
    expect(t.committable()).toBe(10);
  });

  it('refuses offsets at or below the highest tracked, ignores unknown and repeated done', () => {
    const t = new OffsetTracker();
    expect(t.track(3)).toBe(true);
    expect(t.track(3)).toBe(false);
    expect(t.track(2)).toBe(false);
    t.track(4);
    t.done(7);
    t.done(4);
    t.done(4);
    expect(t.pendingCount).toBe(1);
    expect(t.committable()).toBe(3);
  });

  it('equals a naive model for any completion order (property)', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 })
          .map((a) => a.sort((x, y) => x - y)),
        fc.array(fc.nat(), { maxLength: 600 }),
        (offsets, picks) => {
          const t = new OffsetTracker();
          for (const o of offsets) t.track(o);
          const done = new Set<number>();
          for (const p of picks) {
            const o = offsets[p % offsets.length]!;
            t.done(o);
            done.add(o);
            const firstPending = offsets.find((x) => !done.has(x));
            const expected = firstPending ?? offsets[offsets.length - 1]! + 1;
            if (t.committable() !== expected) return false;
            if (t.pendingCount !== offsets.length - done.size) return false;
          }
          return true;
        },
      ),
    );
  });

  it('stays fast and compact over a long run', () => {
    const t = new OffsetTracker();
    for (let o = 0; o < 200_000; o++) {
      t.track(o);
      if (o >= 3) t.done(o - 3);
    }
    expect(t.committable()).toBe(199_997);
  });
});
