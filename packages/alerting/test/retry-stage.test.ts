import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../src/delivery/delivery-error.js';
import { retryStage } from '../src/stages/retry-stage.js';

const policy = {
  initialMs: 100,
  multiplier: 2,
  maxMs: 1_000,
  maxAttempts: 3,
  jitter: 'none',
  maxRetryAfterMs: 5_000,
} as const;
const failed = (retriable: boolean, retryAfterMs?: number) => ({
  kind: 'failed' as const,
  error: new DeliveryError('WEBHOOK_HTTP_STATUS', 'HTTP 503', {
    retriable,
    status: retriable ? 503 : 400,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  }),
});

describe('retry stage', () => {
  it('finishes a delivered attempt', () => {
    expect(retryStage({ kind: 'delivered' }, 1, policy, () => 0)).toEqual({ kind: 'delivered' });
  });

  it('retries a retriable failure on the schedule, honouring Retry-After, until the attempts are used up', () => {
    expect(retryStage(failed(true), 1, policy, () => 0)).toMatchObject({ kind: 'retry', delayMs: 100 });
    expect(retryStage(failed(true), 2, policy, () => 0)).toMatchObject({ kind: 'retry', delayMs: 200 });
    expect(retryStage(failed(true, 2_000), 1, policy, () => 0)).toMatchObject({ kind: 'retry', delayMs: 2_000 });
    expect(retryStage(failed(true), 3, policy, () => 0)).toMatchObject({
      kind: 'dead-letter',
      outcome: 'retries-exhausted',
    });
  });

  it('dead-letters a final answer at once', () => {
    expect(retryStage(failed(false), 1, policy, () => 0)).toMatchObject({
      kind: 'dead-letter',
      outcome: 'not-retriable',
    });
  });
});
