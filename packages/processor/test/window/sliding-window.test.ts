/**
 * The RxJS operator: marble tests (TestScheduler) for ordering, completion, errors, hop emission, late and
 * invalid emissions; Subject-driven tests for state ownership (windows held, release on unsubscribe,
 * fresh state per subscription) and idle-sensor eviction.
 */
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { slidingWindow, type WindowEvent, type WindowInput } from '../../src/window/sliding-window.js';
import { WindowOptionsError } from '../../src/window/window-options-error.js';
import type { WindowStats } from '../../src/window/window-stats.js';

const r = (key: string, timestampMs: number, value: number): WindowInput => ({ key, timestampMs, value });

function statsEvent(reading: WindowInput, stats: WindowStats, capacityEvicted = 0): WindowEvent<WindowInput> {
  return { kind: 'stats', key: reading.key, reading, stats, capacityEvicted };
}

const single = (v: number, timestampMs: number, startMs = timestampMs): WindowStats => ({
  count: 1,
  mean: v,
  median: v,
  min: v,
  max: v,
  stddev: 0,
  startMs,
  endMs: timestampMs,
});

let scheduler: TestScheduler;
beforeEach(() => {
  scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('slidingWindow marbles', () => {
  it('emits stats for every accepted reading, in input order, per sensor; completes with the source', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: r('s1', 1_000, 10), b: r('s2', 1_000, 5), c: r('s1', 1_001, 20), d: r('s1', 1_002, 30) };
      const source = cold('-a-b-c-d|', v);
      const op = slidingWindow({ kind: 'count', size: 2 });
      expectObservable(source.pipe(op)).toBe('-A-B-C-D|', {
        A: statsEvent(v.a, single(10, 1_000)),
        B: statsEvent(v.b, single(5, 1_000)),
        C: statsEvent(v.c, {
          count: 2,
          mean: 15,
          median: 15,
          min: 10,
          max: 20,
          stddev: 5,
          startMs: 1_000,
          endMs: 1_001,
        }),
        D: statsEvent(v.d, {
          count: 2,
          mean: 25,
          median: 25,
          min: 20,
          max: 30,
          stddev: 5,
          startMs: 1_001,
          endMs: 1_002,
        }),
      });
      expectSubscriptions(source.subscriptions).toBe('^-------!');
    });
  });

  it('emits late and invalid readings as their own kinds, and places out-of-order readings within grace', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = {
        a: r('s1', 1_000, 1),
        b: r('s1', 985, 2), // t − 15, grace 10
        c: r('s1', 995, NaN),
        d: r('s2', NaN, 1),
        e: r('s1', 995, 3),
        f: r('s1', 900, 3), // within grace of nothing: beyond
      };
      const op = slidingWindow({ kind: 'time', sizeMs: 100, graceMs: 10 });
      expectObservable(cold('a-b-c-d-e-f|', v).pipe(op)).toBe('A-B-C-D-E-F|', {
        A: statsEvent(v.a, single(1, 1_000, 900)),
        B: { kind: 'late', key: 's1', reading: v.b, reason: 'beyond-grace' },
        C: { kind: 'invalid', key: 's1', reading: v.c, reason: 'non-finite-value' },
        D: { kind: 'invalid', key: 's2', reading: v.d, reason: 'invalid-timestamp' },
        E: statsEvent(v.e, { count: 2, mean: 2, median: 2, min: 1, max: 3, stddev: 1, startMs: 900, endMs: 1_000 }),
        F: { kind: 'late', key: 's1', reading: v.f, reason: 'beyond-grace' },
      });
    });
  });

  it('reports outside-window for a reading within grace but no longer in the window', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = { a: r('s1', 100, 1), b: r('s1', 150, 2), c: r('s1', 40, 3) };
      const op = slidingWindow({ kind: 'time', sizeMs: 50, graceMs: 200 });
      expectObservable(cold('abc|', v).pipe(op)).toBe('ABC|', {
        A: statsEvent(v.a, single(1, 100, 50)),
        B: statsEvent(v.b, single(2, 150, 100)),
        C: { kind: 'late', key: 's1', reading: v.c, reason: 'outside-window' },
      });
    });
  });

  it('propagates a source error after the events before it', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: r('s1', 1, 4) };
      const source = cold('-a-#', v, new Error('broker gone'));
      const op = slidingWindow({ kind: 'count', size: 3 });
      expectObservable(source.pipe(op)).toBe('-A-#', { A: statsEvent(v.a, single(4, 1)) }, new Error('broker gone'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('with hopMs emits only when a sensor window end crosses a multiple of hopMs (first reading always)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = {
        a: r('s1', 1, 1), // first: emits
        b: r('s1', 5, 1),
        c: r('s1', 10, 1), // 5 → 10 crosses 10
        d: r('s1', 12, 1),
        e: r('s2', 13, 7), // first for s2
        f: r('s1', 19, 1),
        g: r('s1', 20, 1), // crosses 20
        h: r('s1', 35, 1), // crosses 30
        i: r('s1', 34, 1), // out of order: placed, never emits in hop mode
        j: r('s1', 35, 1), // t unchanged
      };
      const op = slidingWindow({ kind: 'count', size: 100, graceMs: 5, hopMs: 10 });
      const ones = (count: number, startMs: number, endMs: number): WindowStats => ({
        count,
        mean: 1,
        median: 1,
        min: 1,
        max: 1,
        stddev: 0,
        startMs,
        endMs,
      });
      expectObservable(cold('abcdefghij|', v).pipe(op)).toBe('a-c-e-gh--|', {
        a: statsEvent(v.a, ones(1, 1, 1)),
        c: statsEvent(v.c, ones(3, 1, 10)),
        e: statsEvent(v.e, single(7, 13)),
        g: statsEvent(v.g, ones(6, 1, 20)),
        h: statsEvent(v.h, ones(7, 1, 35)),
      });
    });
  });

  it('in hop mode, counts capacity evictions since the previous emission', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = { a: r('s', 1, 1), b: r('s', 2, 2), c: r('s', 3, 3), d: r('s', 4, 4), e: r('s', 100, 5) };
      const op = slidingWindow({ kind: 'time', sizeMs: 1_000, maxSamples: 2, hopMs: 100 });
      expectObservable(cold('abcde|', v).pipe(op)).toBe('a---e|', {
        a: statsEvent(v.a, single(1, 1, -999)),
        e: statsEvent(
          v.e,
          { count: 2, mean: 4.5, median: 4.5, min: 4, max: 5, stddev: 0.5, startMs: -900, endMs: 100 },
          3,
        ),
      });
    });
  });

  it('stops and unsubscribes from the source when the consumer unsubscribes', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const v = { a: r('s1', 1, 1), b: r('s1', 2, 3), c: r('s1', 3, 5) };
      const source = hot('-a-b-c-|', v);
      const op = slidingWindow({ kind: 'count', size: 5 });
      expectObservable(source.pipe(op), '^--!').toBe('-A-', { A: statsEvent(v.a, single(1, 1)) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });
});

describe('slidingWindow state', () => {
  it('holds one window per sensor, frees them on unsubscribe, and a new subscription starts empty', () => {
    const readings = new Subject<WindowInput>();
    const op = slidingWindow({ kind: 'count', size: 10 });
    const first: Array<WindowEvent<WindowInput>> = [];
    const sub = readings.pipe(op).subscribe((e) => first.push(e));
    readings.next(r('a', 1, 1));
    readings.next(r('b', 1, 2));
    readings.next(r('a', 2, 3));
    expect(op.windowsHeld).toBe(2);
    sub.unsubscribe();
    expect(op.windowsHeld).toBe(0);
    expect(readings.observed).toBe(false);

    const second: Array<WindowEvent<WindowInput>> = [];
    readings.pipe(op).subscribe((e) => second.push(e));
    readings.next(r('a', 3, 5));
    expect(second).toEqual([statsEvent(r('a', 3, 5), single(5, 3))]); // no memory of a's earlier readings
    expect(op.windowsHeld).toBe(1);
  });

  it('keeps concurrent subscriptions independent and sums them in windowsHeld', () => {
    const x = new Subject<WindowInput>();
    const y = new Subject<WindowInput>();
    const op = slidingWindow({ kind: 'count', size: 10 });
    const seen: Array<WindowEvent<WindowInput>> = [];
    x.pipe(op).subscribe();
    let yError: unknown;
    y.pipe(op).subscribe({ next: (e) => seen.push(e), error: (err) => (yError = err) });
    x.next(r('a', 1, 100));
    x.next(r('b', 1, 100));
    y.next(r('a', 1, 1));
    expect(op.windowsHeld).toBe(3);
    expect(seen).toEqual([statsEvent(r('a', 1, 1), single(1, 1))]);
    x.complete();
    expect(op.windowsHeld).toBe(1);
    y.error(new Error('x'));
    expect(yError).toEqual(new Error('x'));
    expect(op.windowsHeld).toBe(0);
  });

  it('does not create a window for an invalid reading of an unknown sensor', () => {
    const readings = new Subject<WindowInput>();
    const op = slidingWindow({ kind: 'time', sizeMs: 1_000 });
    const seen: Array<WindowEvent<WindowInput>> = [];
    readings.pipe(op).subscribe((e) => seen.push(e));
    readings.next(r('ghost', 5, Infinity));
    expect(seen).toEqual([
      { kind: 'invalid', key: 'ghost', reading: r('ghost', 5, Infinity), reason: 'non-finite-value' },
    ]);
    expect(op.windowsHeld).toBe(0);
  });

  it('drops sensors idle for more than idleEvictMs behind the newest timestamp, at sweeps every idleEvictMs / 2', () => {
    const readings = new Subject<WindowInput>();
    const op = slidingWindow({ kind: 'time', sizeMs: 1_000, graceMs: 1_000, idleEvictMs: 100 });
    const seen: Array<WindowEvent<WindowInput>> = [];
    readings.pipe(op).subscribe((e) => seen.push(e));
    readings.next(r('s1', 0, 1)); // sweep at watermark 0
    readings.next(r('s2', 0, 1));
    readings.next(r('s1', 60, 1)); // sweep at 60: s2 is 60 behind, kept
    expect(op.windowsHeld).toBe(2);
    readings.next(r('s1', 101, 1)); // 41 since last sweep: no sweep, though s2 is now 101 behind
    expect(op.windowsHeld).toBe(2);
    readings.next(r('s1', 110, 1)); // 50 since last sweep: sweep, s2 is 110 behind: dropped
    expect(op.windowsHeld).toBe(1);
    seen.length = 0;
    readings.next(r('s2', 50, 9)); // would have been placed in s2's old window; now a fresh one
    expect(seen).toEqual([statsEvent(r('s2', 50, 9), single(9, 50, -950))]);
    expect(op.windowsHeld).toBe(2);
  });

  it('reads other reading shapes through accessors', () => {
    interface Reading {
      deviceId: string;
      metric: string;
      ts: number;
      v: number;
    }
    const op = slidingWindow<Reading>({
      kind: 'count',
      size: 2,
      accessors: { key: (x) => `${x.deviceId}/${x.metric}`, timestampMs: (x) => x.ts, value: (x) => x.v },
    });
    const readings = new Subject<Reading>();
    const seen: Array<WindowEvent<Reading>> = [];
    readings.pipe(op).subscribe((e) => seen.push(e));
    const reading = { deviceId: 'd1', metric: 'cpu', ts: 7, v: 0.5 };
    readings.next(reading);
    expect(seen).toEqual([{ kind: 'stats', key: 'd1/cpu', reading, stats: single(0.5, 7), capacityEvicted: 0 }]);
  });

  it('turns an accessor that throws into an error and frees the state', () => {
    const boom = new Error('bad reading shape');
    const op = slidingWindow<{ ok: boolean }>({
      kind: 'count',
      size: 2,
      accessors: {
        key: (x) => {
          if (!x.ok) throw boom;
          return 'k';
        },
        timestampMs: () => 1,
        value: () => 1,
      },
    });
    const readings = new Subject<{ ok: boolean }>();
    let error: unknown;
    const kinds: string[] = [];
    readings.pipe(op).subscribe({ next: (e) => kinds.push(e.kind), error: (err) => (error = err) });
    readings.next({ ok: true });
    expect(op.windowsHeld).toBe(1);
    readings.next({ ok: false });
    readings.next({ ok: true });
    expect(kinds).toEqual(['stats']);
    expect(error).toBe(boom);
    expect(op.windowsHeld).toBe(0);
    expect(readings.observed).toBe(false);
  });
});

describe('slidingWindow options', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a zero count', { kind: 'count', size: 0 }, 'size'],
    ['a negative grace', { kind: 'time', sizeMs: 10, graceMs: -1 }, 'graceMs'],
    ['a zero hop', { kind: 'count', size: 1, hopMs: 0 }, 'hopMs'],
    ['a NaN hop', { kind: 'count', size: 1, hopMs: NaN }, 'hopMs'],
    ['a negative idleEvictMs', { kind: 'count', size: 1, idleEvictMs: -5 }, 'idleEvictMs'],
    [
      'an accessor that is not a function',
      { kind: 'count', size: 1, accessors: { key: 'key', timestampMs: () => 0, value: () => 0 } },
      'accessors.key',
    ],
  ];
  for (const [name, options, field] of bad) {
    it(`throws synchronously, when called, for ${name}`, () => {
      expect(() => slidingWindow(options as Parameters<typeof slidingWindow>[0])).toThrow(WindowOptionsError);
      expect(() => slidingWindow(options as Parameters<typeof slidingWindow>[0])).toThrow(
        new RegExp(`^${field.replace('.', '\\.')}: `),
      );
    });
  }
});
