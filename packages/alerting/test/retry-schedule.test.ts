import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  DEFAULT_RETRY_POLICY,
  parseRetryAfterMs,
  type RetryPolicy,
  retryDelayMs,
} from '../src/index.js';

const policy: RetryPolicy = {
  initialMs: 100,
  multiplier: 2,
  maxMs: 1_000,
  maxAttempts: 6,
  jitter: 'none',
  maxRetryAfterMs: 5_000,
};

describe('retryDelayMs', () => {
  it('grows exponentially up to maxMs, then stops after maxAttempts', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(policy, attempt, () => 0.5));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, undefined]);
  });

  it('full jitter draws from [0, base), equal jitter from [base/2, base)', () => {
    expect(retryDelayMs({ ...policy, jitter: 'full' }, 3, () => 0)).toBe(0);
    expect(retryDelayMs({ ...policy, jitter: 'full' }, 3, () => 0.5)).toBe(200);
    expect(retryDelayMs({ ...policy, jitter: 'equal' }, 3, () => 0)).toBe(200);
    expect(retryDelayMs({ ...policy, jitter: 'equal' }, 3, () => 0.999)).toBe(400);
  });

  it('never exceeds the cap and never goes negative (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        fc.constantFrom('full', 'equal', 'none'),
        (attempt, r, jitter) => {
          const p = { ...policy, maxAttempts: 50, jitter: jitter as RetryPolicy['jitter'] };
          const d = retryDelayMs(p, attempt, () => r)!;
          return d >= 0 && d <= p.maxMs;
        },
      ),
    );
  });

  it('Retry-After wins over a shorter backoff and is capped at maxRetryAfterMs', () => {
    expect(retryDelayMs(policy, 1, () => 0.5, 3_000)).toBe(3_000);
    expect(retryDelayMs(policy, 1, () => 0.5, 60_000)).toBe(5_000);
    expect(retryDelayMs(policy, 4, () => 0.5, 10)).toBe(800);
    expect(retryDelayMs(policy, 6, () => 0.5, 10)).toBeUndefined(); // attempts still run out
  });

  it('rejects a nonsense attempt number', () => {
    expect(() => retryDelayMs(policy, 0, Math.random)).toThrow(RangeError);
    expect(() => retryDelayMs(policy, 1.5, Math.random)).toThrow(RangeError);
  });

  it('by default: seven retries with full jitter below 0.5 s, 1 s, 2 s … capped at 30 s; Retry-After up to 5 min', () => {
    const attempts = [1, 2, 3, 4, 5, 6, 7, 8];
    const longest = attempts.map((attempt) => retryDelayMs(DEFAULT_RETRY_POLICY, attempt, () => 0.999_999));
    expect(longest).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, undefined]);
    expect(longest.reduce((sum: number, d) => sum + (d ?? 0), 0)).toBe(61_500); // at most ~62 s of backoff
    const shortest = attempts.map((attempt) => retryDelayMs(DEFAULT_RETRY_POLICY, attempt, () => 0));
    expect(shortest).toEqual([0, 0, 0, 0, 0, 0, 0, undefined]);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0, 600_000)).toBe(300_000);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
  });
});

describe('classifyResponse', () => {
  const now = Date.now();
  it('2xx is delivered', () => {
    expect(classifyResponse({ status: 200 }, now)).toEqual({ kind: 'delivered' });
    expect(classifyResponse({ status: 204 }, now)).toEqual({ kind: 'delivered' });
  });
  it('5xx, 408 and 429 are retriable, with Retry-After', () => {
    for (const status of [500, 502, 503, 408, 429]) {
      const v = classifyResponse({ status, retryAfter: '7' }, now);
      expect(v.kind).toBe('failed');
      if (v.kind === 'failed') {
        expect(v.error).toMatchObject({ code: 'WEBHOOK_HTTP_STATUS', retriable: true, status, retryAfterMs: 7_000 });
      }
    }
  });
  it('other 4xx are final; redirects are not followed', () => {
    const bad = classifyResponse({ status: 400, bodySnippet: 'missing field' }, now);
    expect(bad).toMatchObject({
      kind: 'failed',
      error: { code: 'WEBHOOK_HTTP_STATUS', retriable: false, status: 400, message: 'HTTP 400: missing field' },
    });
    const moved = classifyResponse({ status: 302, location: 'http://169.254.169.254/' }, now);
    expect(moved).toMatchObject({ kind: 'failed', error: { code: 'WEBHOOK_REDIRECT', retriable: false, status: 302 } });
  });
});
