import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertStatusOf, INITIAL_THRESHOLD_STATE, type ThresholdState } from '../../src/rules/alert-state.js';
import { evaluateThreshold, type ThresholdCondition } from '../../src/rules/threshold-state-machine.js';

type Event = { status: 'FIRING' | 'RESOLVED'; startsAt: number; endsAt: number | null };

/** Runs the state machine over (time, value) steps and lists the alerts it publishes. */
function run(
  rule: ThresholdCondition,
  steps: readonly (readonly [number, number])[],
  from: ThresholdState = INITIAL_THRESHOLD_STATE,
) {
  let state = from;
  const events: Event[] = [];
  for (const [t, v] of steps) {
    const next = evaluateThreshold(state, rule, v, t);
    const status = alertStatusOf(state, next);
    if (status === 'FIRING') events.push({ status, startsAt: next.sinceMs, endsAt: null });
    if (status === 'RESOLVED') events.push({ status, startsAt: state.sinceMs, endsAt: next.sinceMs });
    state = next;
  }
  return { events, state };
}

/** One reading per second from `startMs`. */
function everySecond(values: readonly number[], startMs = 0): [number, number][] {
  return values.map((v, i) => [startMs + i * 1_000, v]);
}

/** The spec, written out the plain way: an independent reference for the property test. */
function reference(rule: ThresholdCondition, steps: readonly (readonly [number, number])[]): Event[] {
  const events: Event[] = [];
  let firingSince: number | undefined;
  let heldSince: number | undefined;
  let lastChange = -Infinity;
  for (const [t, v] of steps) {
    if (Number.isNaN(v) || t <= lastChange) continue; // at most one change per millisecond; stale input ignored
    const over = rule.condition === 'above' ? v > rule.threshold : v < rule.threshold;
    if (firingSince !== undefined) {
      let back: boolean;
      if (rule.clear === undefined) back = !over;
      else back = rule.condition === 'above' ? v < rule.clear : v > rule.clear;
      if (back) {
        events.push({ status: 'RESOLVED', startsAt: firingSince, endsAt: t });
        firingSince = undefined;
        lastChange = t;
      }
      continue;
    }
    if (!over) {
      if (heldSince !== undefined) lastChange = t; // pending → ok is a change too
      heldSince = undefined;
      continue;
    }
    if (heldSince === undefined) {
      heldSince = t;
      lastChange = t;
      if (rule.forMs > 0) continue;
    }
    if (t - heldSince >= rule.forMs) {
      events.push({ status: 'FIRING', startsAt: t, endsAt: null });
      firingSince = t;
      heldSince = undefined;
      lastChange = t;
    }
  }
  return events;
}

const temperatureHigh: ThresholdCondition = { condition: 'above', threshold: 80, clear: 75, forMs: 10_000 };

describe('evaluateThreshold', () => {
  it('returns the very same state object when nothing changes', () => {
    const rule: ThresholdCondition = { condition: 'above', threshold: 80, forMs: 0 };
    expect(evaluateThreshold(INITIAL_THRESHOLD_STATE, rule, 70, 1_000)).toBe(INITIAL_THRESHOLD_STATE);
    const firing = evaluateThreshold(INITIAL_THRESHOLD_STATE, rule, 81, 1_000);
    expect(firing).toEqual({ status: 'firing', sinceMs: 1_000 });
    expect(evaluateThreshold(firing, rule, 85, 2_000)).toBe(firing);
  });

  it('above is strict; without clear it resolves as soon as the value is not above', () => {
    const rule: ThresholdCondition = { condition: 'above', threshold: 80, forMs: 0 };
    expect(run(rule, everySecond([80, 80.01, 80, 81])).events).toEqual([
      { status: 'FIRING', startsAt: 1_000, endsAt: null },
      { status: 'RESOLVED', startsAt: 1_000, endsAt: 2_000 },
      { status: 'FIRING', startsAt: 3_000, endsAt: null },
    ]);
  });

  it('below with clear: fires under the threshold, resolves only over clear', () => {
    const rule: ThresholdCondition = { condition: 'below', threshold: 10, clear: 12, forMs: 0 };
    expect(run(rule, everySecond([15, 9, 11, 10, 12, 9.5, 12.5, 11])).events).toEqual([
      { status: 'FIRING', startsAt: 1_000, endsAt: null },
      { status: 'RESOLVED', startsAt: 1_000, endsAt: 6_000 },
    ]);
  });

  it('`for`: pending until the condition has held that long in event time, then FIRING at that reading', () => {
    const steps = everySecond([70, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92]);
    const { events, state } = run(temperatureHigh, steps);
    // held since t=1000; t=11000 is the first reading with 10s elapsed
    expect(events).toEqual([{ status: 'FIRING', startsAt: 11_000, endsAt: null }]);
    expect(state).toEqual({ status: 'firing', sinceMs: 11_000 });
    expect(run(temperatureHigh, steps.slice(0, 11)).state).toEqual({ status: 'pending', sinceMs: 1_000 });
  });

  it('`for` counts event time, not readings: one late reading after a gap fires', () => {
    expect(
      run(temperatureHigh, [
        [0, 85],
        [60_000, 85],
      ]).events,
    ).toEqual([{ status: 'FIRING', startsAt: 60_000, endsAt: null }]);
  });

  it('pending goes back to ok silently when the condition stops before `for`', () => {
    const { events, state } = run(temperatureHigh, everySecond([85, 85, 85, 79, 85, 85]));
    expect(events).toEqual([]);
    expect(state).toEqual({ status: 'pending', sinceMs: 4_000 });
  });

  it('hysteresis and `for` keep a value oscillating around the threshold to exactly one FIRING and one RESOLVED', () => {
    const values = [
      ...Array.from({ length: 20 }, (_, i) => (i % 2 ? 83 : 79)), // flapping around 80: pending resets, never 10s
      ...Array.from({ length: 12 }, () => 82), //                    holds since the last 83 (t=19s) → FIRING at 29s
      ...Array.from({ length: 30 }, (_, i) => (i % 2 ? 82 : 76)), // between clear and over threshold: stays firing
      74, //                                                          under clear → RESOLVED once
      ...Array.from({ length: 9 }, (_, i) => (i % 2 ? 81 : 79)), //  flapping again, shorter than `for`
    ];
    const { events } = run(temperatureHigh, everySecond(values));
    expect(events).toEqual([
      { status: 'FIRING', startsAt: 29_000, endsAt: null },
      { status: 'RESOLVED', startsAt: 29_000, endsAt: 62_000 },
    ]);
  });

  it('without hysteresis and `for` the same oscillation flaps on every reading (why both exist)', () => {
    const rule: ThresholdCondition = { condition: 'above', threshold: 80, forMs: 0 };
    const { events } = run(rule, everySecond(Array.from({ length: 10 }, (_, i) => (i % 2 ? 83 : 79))));
    expect(events.map((e) => e.status)).toEqual([
      'FIRING',
      'RESOLVED',
      'FIRING',
      'RESOLVED',
      'FIRING',
      'RESOLVED',
      'FIRING',
      'RESOLVED',
      'FIRING',
    ]);
  });

  it('changes at most once per event-time millisecond, and ignores input older than the last change', () => {
    const rule: ThresholdCondition = { condition: 'above', threshold: 80, forMs: 0 };
    const firing = evaluateThreshold(INITIAL_THRESHOLD_STATE, rule, 90, 5_000);
    expect(evaluateThreshold(firing, rule, 70, 5_000)).toBe(firing); // same millisecond
    expect(evaluateThreshold(firing, rule, 70, 4_000)).toBe(firing); // older
    expect(evaluateThreshold(firing, rule, 70, 5_001)).toEqual({ status: 'ok', sinceMs: 5_001 });
  });

  it('a NaN value changes nothing', () => {
    const rule: ThresholdCondition = { condition: 'below', threshold: 10, forMs: 0 };
    expect(evaluateThreshold(INITIAL_THRESHOLD_STATE, rule, NaN, 1_000)).toBe(INITIAL_THRESHOLD_STATE);
  });

  it('matches the reference evaluator on random sequences (property)', () => {
    const ruleArb = fc
      .record({
        condition: fc.constantFrom('above' as const, 'below' as const),
        threshold: fc.integer({ min: -20, max: 20 }),
        clearOffset: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        forMs: fc.constantFrom(0, 0, 1, 999, 1_000, 2_500, 5_000),
      })
      .map(
        ({ condition, threshold, clearOffset, forMs }): ThresholdCondition => ({
          condition,
          threshold,
          forMs,
          ...(clearOffset === undefined
            ? {}
            : { clear: condition === 'above' ? threshold - clearOffset : threshold + clearOffset }),
        }),
      );
    const stepsArb = fc.array(
      fc.tuple(
        fc.constantFrom(0, 1, 500, 1_000, 1_000, 1_000, 3_000), // time step; 0 = same millisecond
        fc.oneof(
          { weight: 20, arbitrary: fc.integer({ min: -30, max: 30 }) },
          { weight: 1, arbitrary: fc.constant(NaN) },
        ),
      ),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(ruleArb, stepsArb, (rule, deltas) => {
        let t = 0;
        const steps = deltas.map(([dt, v]) => [(t += dt), v] as const);
        const { events } = run(rule, steps);
        expect(events).toEqual(reference(rule, steps));
        // and the shape every consumer relies on: FIRING, RESOLVED, FIRING, ... each RESOLVED closing its FIRING
        events.forEach((e, i) => {
          expect(e.status).toBe(i % 2 === 0 ? 'FIRING' : 'RESOLVED');
          if (e.status === 'RESOLVED') expect(e.startsAt).toBe(events[i - 1]!.startsAt);
          if (i >= 2 && e.status === 'FIRING') expect(e.startsAt).toBeGreaterThan(events[i - 1]!.endsAt!);
        });
      }),
      { numRuns: 500 },
    );
  });
});
