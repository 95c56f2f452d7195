/** MonotonicDeque as a sliding minimum / maximum with out-of-order inserts, against brute force. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MonotonicDeque } from '../../src/window/monotonic-deque.js';

describe('MonotonicDeque', () => {
  it('frontSlot() holds the minimum / maximum of a window that takes out-of-order inserts and evicts its oldest', () => {
    const op = fc.record({
      evict: fc.boolean(),
      backMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 })),
      value: fc.integer({ min: -10, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const minimum = new MonotonicDeque(1, 2); // start tiny: growth is exercised
        const maximum = new MonotonicDeque(-1, 2);
        const data = new Float64Array(2 * (ops.length + 1)); // [timestamp, value] by slot
        // the window, in (timestamp, arrival) order
        const window: Array<{ slot: number; ts: number; value: number }> = [];
        let clock = 0;
        let nextSlot = 0;
        const valueAt = (slot: number) => (slot < 0 ? NaN : data[2 * slot + 1]);
        for (const { evict, backMs, value } of ops) {
          if (evict && window.length > 0) {
            const { slot } = window.shift()!;
            minimum.evict(slot);
            maximum.evict(slot);
          } else {
            clock += 1;
            const ts = clock - backMs;
            let p = window.length;
            while (p > 0 && window[p - 1]!.ts > ts) p--;
            const slot = nextSlot++;
            data[2 * slot] = ts;
            data[2 * slot + 1] = value;
            window.splice(p, 0, { slot, ts, value });
            minimum.insert(slot, data);
            maximum.insert(slot, data);
          }
          const values = window.map((e) => e.value);
          expect(valueAt(minimum.frontSlot())).toBe(window.length === 0 ? NaN : Math.min(...values));
          expect(valueAt(maximum.frontSlot())).toBe(window.length === 0 ? NaN : Math.max(...values));
        }
      }),
      { numRuns: 300 },
    );
  });
});
