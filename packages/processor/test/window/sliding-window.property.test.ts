/**
 * The operator end to end against per-sensor naive references: interleaved readings of a few sensors
 * (out of order, late, invalid, duplicates) go through `slidingWindow`; every emission must be the one the
 * reference predicts — same kind and reason, and for stats the same statistics and bounds.
 */
import fc from 'fast-check';
import { from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { slidingWindow, type WindowInput } from '../../src/window/sliding-window.js';
import { parseWindowOptions, type WindowOptions } from '../../src/window/window-options.js';
import { expectStatsClose } from './compare-stats.js';
import { ReferenceWindow } from './reference-window.js';

const optionsArb: fc.Arbitrary<WindowOptions> = fc.oneof(
  fc.record({
    kind: fc.constant('count' as const),
    size: fc.integer({ min: 1, max: 30 }),
    graceMs: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({
    kind: fc.constant('time' as const),
    sizeMs: fc.integer({ min: 1, max: 100 }),
    graceMs: fc.integer({ min: 0, max: 50 }),
    maxSamples: fc.integer({ min: 1, max: 30 }),
  }),
);

const readingArb = fc.record({
  key: fc.constantFrom('dev-1/temperature', 'dev-1/cpu', 'dev-2/temperature'),
  advanceMs: fc.integer({ min: 0, max: 15 }),
  backMs: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 80 }) }),
  value: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: -3, max: 3 }) },
    {
      weight: 4,
      arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v)),
    },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity) },
  ),
});

describe('slidingWindow against per-sensor references', () => {
  it('emits exactly what the references predict, for every reading', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, fc.array(readingArb, { maxLength: 200 }), async (options, steps) => {
        let clock = 0;
        const readings: WindowInput[] = steps.map((s) => {
          clock += s.advanceMs;
          return { key: s.key, timestampMs: Math.max(0, clock - s.backMs), value: s.value };
        });
        const op = slidingWindow(options);
        const events = await new Promise<ReturnType<typeof Array.prototype.slice>>((resolve, reject) =>
          from(readings).pipe(op, toArray()).subscribe({ next: resolve, error: reject }),
        );
        expect(events).toHaveLength(readings.length);
        const references = new Map<string, ReferenceWindow>();
        const resolved = parseWindowOptions(options);
        readings.forEach((reading, i) => {
          let reference = references.get(reading.key);
          if (!reference) references.set(reading.key, (reference = new ReferenceWindow(resolved)));
          const want = reference.add(reading.timestampMs, reading.value);
          const got = events[i];
          expect(got.reading).toBe(reading);
          expect(got.key).toBe(reading.key);
          if (want.status === 'accepted') {
            expect(got.kind).toBe('stats');
            expect(got.capacityEvicted).toBe(want.capacityEvicted ? 1 : 0);
            const maxAbs = reference.contents().reduce((m, x) => Math.max(m, Math.abs(x.value)), 0);
            expectStatsClose(got.stats, reference.stats(), maxAbs, `reading ${i}`);
          } else {
            expect({ kind: got.kind, reason: got.reason }).toEqual({ kind: want.status, reason: want.reason });
          }
        });
        expect(op.windowsHeld).toBe(0); // completed: released
      }),
      { numRuns: 300 },
    );
  });
});
