import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitUnlessClosing, writeRetryDelayMs } from '../src/delivery/write-retry-delay.js';

describe('writeRetryDelayMs', () => {
  it('doubles from 1 s and stays at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(writeRetryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});

describe('waitUnlessClosing (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the whole backoff while the service runs', async () => {
    vi.useFakeTimers();
    let done = false;
    void waitUnlessClosing(30_000, () => false).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(29_900);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(true);
  });

  it('returns within a tenth of a second of the service closing, not at the end of a 30 s backoff', async () => {
    vi.useFakeTimers();
    let closing = false;
    let done = false;
    void waitUnlessClosing(30_000, () => closing).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(done).toBe(false);
    closing = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(true);
  });

  it('does not wait at all once closing', async () => {
    vi.useFakeTimers();
    let done = false;
    void waitUnlessClosing(30_000, () => true).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });
});
