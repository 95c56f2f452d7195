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

describe('KeyedWorkQueue', () => {
  it('runs at most `concurrency` jobs at once', async () => {
    let running = 0;
    let peak = 0;
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 3,
      keyOf: (j) => j.key,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return undefined;
      },
    });
    for (let n = 0; n < 20; n++) q.push({ key: `k${n}`, n });
    expect(q.depth).toBe(20);
    await q.idle();
    expect(peak).toBe(3);
    expect(q.depth).toBe(0);
  });

  it('keeps order per key and runs one job per key at a time', async () => {
    const seen: string[] = [];
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 8,
      keyOf: (j) => j.key,
      run: async (j) => {
        seen.push(`${j.key}${j.n}:start`);
        await new Promise((r) => setTimeout(r, j.key === 'a' ? 10 : 1));
        seen.push(`${j.key}${j.n}:end`);
        return undefined;
      },
    });
    for (let n = 0; n < 3; n++) {
      q.push({ key: 'a', n });
      q.push({ key: 'b', n });
    }
    await q.idle();
    const a = seen.filter((s) => s.startsWith('a'));
    expect(a).toEqual(['a0:start', 'a0:end', 'a1:start', 'a1:end', 'a2:start', 'a2:end']);
    const b = seen.filter((s) => s.startsWith('b'));
    expect(b).toEqual(['b0:start', 'b0:end', 'b1:start', 'b1:end', 'b2:start', 'b2:end']);
  });

  it('a key waiting to retry holds back only its own later jobs; others use the slot', async () => {
    const order: string[] = [];
    let failuresLeft = 2;
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 1,
      keyOf: (j) => j.key,
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
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['slow0:retry', 'fast0', 'fast1']);
    expect(q.retrying).toBe(1);
    await q.idle();
    expect(order).toEqual(['slow0:retry', 'fast0', 'fast1', 'slow0:retry', 'slow0', 'slow1']);
  });

  it('close() cancels retries and starts nothing more; unfinished jobs stay counted', async () => {
    const gate = deferred();
    let runs = 0;
    const q = new KeyedWorkQueue<TestJob>({
      concurrency: 1,
      keyOf: (j) => j.key,
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
    await new Promise((r) => setTimeout(r, 1));
    q.close();
    gate.resolve();
    await new Promise((r) => setTimeout(r, 30));
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
