/**
 * The retry stage, pure: what an attempt's verdict means for the delivery — done, try again after a delay
 * (the receiver's backoff schedule, honouring `Retry-After`), or dead-letter it (a final answer, or the
 * attempts are used up).
 */
import type { AttemptVerdict } from '../delivery/classify-response.js';
import type { DeliveryError } from '../delivery/delivery-error.js';
import { type RetryPolicy, retryDelayMs } from '../delivery/retry-schedule.js';

export type RetryDecision =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: DeliveryError }
  | {
      readonly kind: 'dead-letter';
      readonly error: DeliveryError;
      readonly outcome: 'retries-exhausted' | 'not-retriable';
    };

export function retryStage(
  verdict: AttemptVerdict,
  attempts: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (verdict.kind === 'delivered') return { kind: 'delivered' };
  const { error } = verdict;
  if (error.retriable) {
    const delayMs = retryDelayMs(policy, attempts, random, error.retryAfterMs);
    if (delayMs !== undefined) return { kind: 'retry', delayMs, error };
  }
  return { kind: 'dead-letter', error, outcome: error.retriable ? 'retries-exhausted' : 'not-retriable' };
}
