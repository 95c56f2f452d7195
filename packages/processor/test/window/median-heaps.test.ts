/** MedianHeaps under random inserts and removals of known slots, against a sorted array; plus growth. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MedianHeaps, midpoint } from '../../src/window/median-heaps.js';

function sortedMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : midpoint(s[n / 2 - 1]!, s[n / 2]!);
}

describe('MedianHeaps', () => {
  it('matches a sorted array after every insert and every removal of an arbitrary element', () => {
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({ insert: fc.constant(true), value: fc.integer({ min: -20, max: 20 }), pick: fc.nat() }),
      },
      { weight: 2, arbitrary: fc.record({ insert: fc.constant(false), value: fc.constant(0), pick: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const capacity = 512;
        const heaps = new MedianHeaps(capacity);
        const held = new Map<number, number>(); // slot → value
        const free = Array.from({ length: capacity }, (_, i) => i);
        for (const { insert, value, pick } of ops) {
          if (insert || held.size === 0) {
            const slot = free.pop()!;
            held.set(slot, value);
            heaps.insert(slot, value);
          } else {
            const slots = [...held.keys()];
            const slot = slots[pick % slots.length]!;
            held.delete(slot);
            free.push(slot);
            heaps.remove(slot);
          }
          expect(heaps.size).toBe(held.size);
          expect(heaps.median()).toBe(sortedMedian([...held.values()]));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps its contents when grown', () => {
    const heaps = new MedianHeaps(4);
    [5, 1, 4, 2].forEach((v, slot) => {
      heaps.insert(slot, v);
    });
    heaps.grow(16);
    [9, 8, 7].forEach((v, i) => {
      heaps.insert(4 + i, v);
    });
    expect(heaps.median()).toBe(5);
    heaps.remove(0); // 5 leaves: 1 2 4 7 8 9
    expect(heaps.median()).toBe(5.5);
    expect(heaps.lowerMedian()).toBe(4);
  });

  it('midpoint does not overflow for huge values', () => {
    expect(midpoint(1.5e308, 1.7e308)).toBe(1.6e308);
    expect(midpoint(-1, 3)).toBe(1);
  });
});
