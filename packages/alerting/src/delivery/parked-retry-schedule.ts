/**
 * The schedule of a parked delivery, pure: once a receiver's quick attempts (`retry.maxAttempts`, in
 * memory, seconds apart) are used up on retriable failures, the delivery moves to the retry topic and is
 * tried again on a schedule in the spirit of Standard Webhooks' (5 minutes, 30 minutes, 2 hours, 5 hours,
 * then every 10 hours), until `retry.horizon` (one day by default) after its first attempt; then it goes to
 * the deliveries DLQ. A receiver's `Retry-After` wins over a shorter step (capped like the quick ones).
 */
export interface ParkedRetryPolicy {
  /** Delays between parked attempts, ms; the last one repeats. */
  readonly scheduleMs: readonly number[];
  /** How long after the first attempt a delivery may still be tried, ms. */
  readonly horizonMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const DEFAULT_PARKED_RETRY_POLICY: ParkedRetryPolicy = {
  scheduleMs: [5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS],
  horizonMs: 24 * HOUR_MS, // one day
};

/**
 * When the next parked attempt is due (epoch ms), after `parkedAttempts` parked attempts failed (0 when it
 * is being parked), or `undefined` when that would be past the horizon: then it is dead-lettered.
 */
export function nextParkedAttemptAtMs(
  policy: ParkedRetryPolicy,
  parkedAttempts: number,
  firstAttemptAtMs: number,
  nowMs: number,
  retryAfterMs?: number,
): number | undefined {
  const { scheduleMs } = policy;
  if (scheduleMs.length === 0) return undefined;
  const step = scheduleMs[Math.min(parkedAttempts, scheduleMs.length - 1)]!;
  const dueMs = nowMs + Math.max(step, retryAfterMs ?? 0);
  return dueMs <= firstAttemptAtMs + policy.horizonMs ? dueMs : undefined;
}
