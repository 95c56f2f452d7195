/**
 * Property tests: the window engine against the naive reference (keep everything accepted, filter, sort,
 * compute) on random sequences — duplicates, equal timestamps, out-of-order within and beyond grace, late and
 * invalid readings, tiny and huge windows of both kinds. Every result, every stats snapshot and the exact
 * contents are compared after every reading.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SensorWindow } from '../../src/window/sensor-window.js';
import { parseWindowOptions, type WindowOptions } from '../../src/window/window-options.js';
import { expectStatsClose } from './compare-stats.js';
import { ReferenceWindow } from './reference-window.js';

const graceArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 600 }));

const timeOptionsArb: fc.Arbitrary<WindowOptions> = fc.record({
  kind: fc.constant('time' as const),
  sizeMs: fc.oneof(
    fc.constant(1),
    fc.integer({ min: 1, max: 300 }),
    fc.constant(1e12),
    fc.double({ min: 0.5, max: 50, noNaN: true }),
  ),
  graceMs: graceArb,
  maxSamples: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 }), fc.constant(10_000)),
});

const countOptionsArb: fc.Arbitrary<WindowOptions> = fc.record({
  kind: fc.constant('count' as const),
  size: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 60 }), fc.constant(10_000)),
  graceMs: graceArb,
});

const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }) }, // many duplicates
  // Magnitudes below 1e-100 become 0: their squares underflow, which defeats the reference, not the engine.
  { weight: 4, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v)) },
  { weight: 1, arbitrary: fc.double({ min: 1e6 - 1, max: 1e6 + 1, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

interface Step {
  advanceMs: number;
  backMs: number;
  value: number;
  badTimestamp: number | undefined;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  advanceMs: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 800 }) },
    { weight: 1, arbitrary: fc.constantFrom(0.25, 0.5, 1.5) },
  ),
  backMs: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) },
  ),
  value: valueArb,
  badTimestamp: fc
    .option(fc.constantFrom(-1, -0.5, NaN, Infinity, -Infinity, 9e15), { freq: 25 })
    .map((v) => v ?? undefined),
});

function run(options: WindowOptions, steps: readonly Step[]): void {
  const resolved = parseWindowOptions(options);
  const engine = new SensorWindow(resolved);
  const reference = new ReferenceWindow(resolved);
  let clock = 1_000;
  steps.forEach((step, i) => {
    clock += step.advanceMs;
    const timestampMs = step.badTimestamp ?? Math.max(0, clock - step.backMs);
    const got = engine.add(timestampMs, step.value);
    const want = reference.add(timestampMs, step.value);
    const context = `step ${i} (t=${timestampMs}, v=${step.value}) ${JSON.stringify(options)}`;
    expect(got, context).toEqual(want);
    const contents = reference.contents().map(({ timestampMs: ts, value }) => ({ timestampMs: ts, value }));
    expect(engine.toArray(), context).toEqual(contents);
    if (got.status === 'accepted') {
      const maxAbs = contents.reduce((m, r) => Math.max(m, Math.abs(r.value)), 0);
      expectStatsClose(engine.stats(), reference.stats(), maxAbs, context);
    }
  });
}

describe('SensorWindow against the naive reference', () => {
  it('count windows: every result, stats snapshot and content list match', () => {
    fc.assert(fc.property(countOptionsArb, fc.array(stepArb, { maxLength: 250 }), run), { numRuns: 300 });
  });

  it('time windows (with maxSamples caps): every result, stats snapshot and content list match', () => {
    fc.assert(fc.property(timeOptionsArb, fc.array(stepArb, { maxLength: 250 }), run), { numRuns: 300 });
  });

  it('mostly in-order streams far longer than the window (growth, wrap-around, eviction)', () => {
    const longSteps = fc.array(
      stepArb.map((s) => ({ ...s, backMs: s.backMs > 30 ? 0 : s.backMs, badTimestamp: undefined })),
      { minLength: 300, maxLength: 1200 },
    );
    const optionsArb = fc.oneof(
      fc.record({
        kind: fc.constant('count' as const),
        size: fc.integer({ min: 1, max: 150 }),
        graceMs: fc.integer({ min: 0, max: 40 }),
      }),
      fc.record({
        kind: fc.constant('time' as const),
        sizeMs: fc.integer({ min: 1, max: 400 }),
        graceMs: fc.integer({ min: 0, max: 40 }),
        maxSamples: fc.integer({ min: 1, max: 200 }),
      }),
    );
    fc.assert(fc.property(optionsArb, longSteps, run), { numRuns: 40 });
  });
});
