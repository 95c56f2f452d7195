/**
 * The per-receiver queue, driven by hand: jobs finish when the test resolves them and retry timers fire when
 * the test fires them (the queue's injected `setTimer` / `clearTimer`), so nothing here waits on the clock.
 */
import { describe, expect, it } from 'vitest';
import { type JobStep, KeyedWorkQueue } from '../src/index.js';

interface TestJob {
  readonly key: string;
  readonly n: number;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every promise continuation that is ready run (one turn of the event loop; no time passes). */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Retry timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  const cleared: number[] = [];
  let next = 0;
  return {
    setTimer: (fn: () => void, ms: number): unknown => {
      const handle = next++;
      pending.set(handle, { fn, ms });
      return handle;
    },
    clearTimer: (handle: unknown): void => {
      cleared.push(handle as number);
      pending.delete(handle as number);
    },
    /** Delays of the timers not yet fired or cleared. */
    delays: (): number[] => [...pending.values()].map((t) => t.ms),
    cleared,
    /** Fires every pending timer (as if their time had come), then lets what they started run. */
    async fireAll(): Promise<void> {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, t] of due) t.fn();
      await settle();
    },
  };
}

describe('KeyedWorkQueue', () => {
  it('runs at most `concurrency` jobs at once', async () => {
    let running = 0;
    let peak = 0;
    const finishers: (() => void)[] = [];
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 3,
      keyOf: (j) => j.key,
      run: () => {
        running++;
        peak = Math.max(peak, running);
        return new Promise<JobStep>((resolve) =>
          finishers.push(() => {
            running--;
            resolve(undefined);
          }),
        );
      },
    });
    for (let n = 0; n < 20; n++) q.push({ key: `k${n}`, n });
    expect(q.depth).toBe(20);
    expect(running).toBe(3);
    for (let left = 20; left > 0; left--) {
      expect(running).toBe(Math.min(3, left)); // every freed slot is taken again at once, never more
      finishers.shift()!();
      await settle();
    }
    await q.idle();
    expect(peak).toBe(3);
    expect(q.depth).toBe(0);
  });

  it('keeps order per key and runs one job per key at a time', async () => {
    const seen: string[] = [];
    const finish = new Map<string, () => void>();
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 8,
      keyOf: (j) => j.key,
      run: (j) => {
        seen.push(`${j.key}${j.n}:start`);
        return new Promise<JobStep>((resolve) =>
          finish.set(`${j.key}${j.n}`, () => {
            seen.push(`${j.key}${j.n}:end`);
            resolve(undefined);
          }),
        );
      },
    });
    for (let n = 0; n < 3; n++) {
      q.push({ key: 'a', n });
      q.push({ key: 'b', n });
    }
    expect(seen).toEqual(['a0:start', 'b0:start']); // slots are free, but a1 and b1 wait for their key
    // b's jobs finish while a0 is still running: b moves on, a stays where it is
    for (const job of ['b0', 'b1', 'b2']) {
      finish.get(job)!();
      await settle();
    }
    expect(seen).toEqual(['a0:start', 'b0:start', 'b0:end', 'b1:start', 'b1:end', 'b2:start', 'b2:end']);
    for (const job of ['a0', 'a1', 'a2']) {
      finish.get(job)!();
      await settle();
    }
    await q.idle();
    const a = seen.filter((s) => s.startsWith('a'));
    expect(a).toEqual(['a0:start', 'a0:end', 'a1:start', 'a1:end', 'a2:start', 'a2:end']);
  });

  it('a key waiting to retry holds back only its own later jobs; others use the slot', async () => {
    const order: string[] = [];
    let failuresLeft = 2;
    const timers = manualTimers();
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 1,
      keyOf: (j) => j.key,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
      run: async (j): Promise<JobStep> => {
        if (j.key === 'slow' && j.n === 0 && failuresLeft > 0) {
          failuresLeft--;
          order.push(`slow0:retry`);
          return { retryInMs: 30 };
        }
        order.push(`${j.key}${j.n}`);
        return undefined;
      },
    });
    q.push({ key: 'slow', n: 0 });
    q.push({ key: 'slow', n: 1 });
    q.push({ key: 'fast', n: 0 });
    q.push({ key: 'fast', n: 1 });
    await settle();
    expect(order).toEqual(['slow0:retry', 'fast0', 'fast1']);
    expect(q.retrying).toBe(1);
    expect(timers.delays()).toEqual([30]);
    await timers.fireAll();
    expect(order).toEqual(['slow0:retry', 'fast0', 'fast1', 'slow0:retry']);
    await timers.fireAll();
    await q.idle();
    expect(order).toEqual(['slow0:retry', 'fast0', 'fast1', 'slow0:retry', 'slow0', 'slow1']);
    expect(timers.delays()).toEqual([]);
  });

  it('close() cancels retries and starts nothing more; unfinished jobs stay counted', async () => {
    const gate = deferred();
    let runs = 0;
    const timers = manualTimers();
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 1,
      keyOf: (j) => j.key,
      setTimer: timers.setTimer,
      clearTimer: timers.clearTimer,
      run: async (j) => {
        runs++;
        if (j.key === 'r') return { retryInMs: 10 };
        await gate.promise;
        return undefined;
      },
    });
    q.push({ key: 'r', n: 0 });
    q.push({ key: 'x', n: 0 });
    q.push({ key: 'y', n: 0 });
    await settle();
    expect(runs).toBe(2); // r failed and waits for its retry; x runs
    expect(timers.delays()).toEqual([10]);
    q.close();
    expect(timers.cleared).toEqual([0]);
    gate.resolve();
    await timers.fireAll(); // whatever timer survived close() would run now
    expect(runs).toBe(2); // r once, x once; y never started, r never retried
    expect(q.depth).toBe(2);
    expect(() => q.push({ key: 'z', n: 0 })).toThrow(/closed/);
  });

  it('a throwing job is reported and finished', async () => {
    const errors: unknown[] = [];
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 1,
      keyOf: (j) => j.key,
      run: async () => {
        throw new Error('bug');
      },
      onError: (err) => errors.push(err),
    });
    q.push({ key: 'a', n: 0 });
    await q.idle();
    expect(errors).toHaveLength(1);
  });
});
