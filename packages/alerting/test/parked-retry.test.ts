import { describe, expect, it } from 'vitest';
import { DEFAULT_PARKED_RETRY_POLICY, nextParkedAttemptAtMs } from '../src/delivery/parked-retry-schedule.js';
import { parkStage, readParkedState } from '../src/stages/park-stage.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('parked retry schedule', () => {
  it('follows 5m, 30m, 2h, 5h, then every 10h, until a day after the first attempt', () => {
    const first = 0;
    let now = 30_000; // the quick attempts took half a minute
    const due: number[] = [];
    for (let step = 0; ; step++) {
      const at = nextParkedAttemptAtMs(DEFAULT_PARKED_RETRY_POLICY, step, first, now);
      if (at === undefined) break;
      due.push(at - now);
      now = at;
    }
    expect(due).toEqual([5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR]);
    expect(now).toBeLessThanOrEqual(24 * HOUR);
  });

  it('never retries sooner than a Retry-After asks', () => {
    expect(nextParkedAttemptAtMs({ scheduleMs: [1_000], horizonMs: HOUR }, 0, 0, 0, 10 * MIN)).toBe(10 * MIN);
  });

  it('gives up past the horizon', () => {
    expect(nextParkedAttemptAtMs({ scheduleMs: [MIN], horizonMs: HOUR }, 3, 0, HOUR - 30_000)).toBeUndefined();
  });
});

describe('retry records', () => {
  it('carry what the worker needs and read back', () => {
    const record = parkStage(
      {
        kind: 'deliver',
        target: { id: 'am#2', config: { name: 'am' } } as never,
        alert: { eventId: 'e1', fingerprint: 'fp' } as never,
        source: { topic: 'alerts', partition: 2, offset: '41', key: null, value: Buffer.from('x') },
        acceptedAtMs: 1_000,
        attempts: 3,
        waiters: [],
      },
      9_000,
      'HTTP 503',
      503,
    );
    expect(record.key).toBe('am#2/fp');
    expect(readParkedState(record.headers)).toEqual({
      target: 'am#2',
      receiver: 'am',
      eventId: 'e1',
      attempts: 3,
      parkedAttempts: 0,
      firstAttemptAtMs: 1_000,
      nextAttemptAtMs: 9_000,
      lastError: 'HTTP 503',
      lastStatus: 503,
      source: { topic: 'alerts', partition: 2, offset: '41' },
      redrive: false,
    });
    expect(readParkedState({ 'retry.target': 'x' })).toBeUndefined();
  });
});
