/**
 * The retry schedule of a receiver, pure: after `attempt` failed attempts, how long to wait before the
 * next one, or `undefined` when the attempts are used up.
 *
 * Exponential backoff `min(maxMs, initialMs × multiplier^(attempt−1))` with jitter from an injected random
 * source in [0, 1) (AWS "Exponential Backoff and Jitter"): `full` waits random × base, `equal` waits
 * base/2 + random × base/2, `none` waits base. A `Retry-After` from the receiver wins over a shorter
 * backoff (never retry sooner than asked) and is capped at `maxRetryAfterMs` so a receiver cannot park an
 * alert for hours; a receiver asking for longer is simply retried after the cap.
 */
export type Jitter = 'full' | 'equal' | 'none';

export interface RetryPolicy {
  /** Backoff before the second attempt (before jitter). */
  readonly initialMs: number;
  /** Growth factor per attempt, ≥ 1. */
  readonly multiplier: number;
  /** Upper bound of the backoff (before jitter). */
  readonly maxMs: number;
  /** Total attempts including the first one; 1 means no retries. */
  readonly maxAttempts: number;
  readonly jitter: Jitter;
  /** Upper bound for a receiver's `Retry-After`. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialMs: 500, // half a second
  multiplier: 2,
  maxMs: 30_000, // thirty seconds
  maxAttempts: 8, // seven retries: at most ~62 s of backoff in total with these defaults
  jitter: 'full',
  maxRetryAfterMs: 300_000, // five minutes
};

/**
 * @param attempt attempts made so far (≥ 1)
 * @param random a source of numbers in [0, 1), e.g. `Math.random`
 * @param retryAfterMs the receiver's `Retry-After`, converted to milliseconds from now
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number,
  retryAfterMs?: number,
): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (attempt >= policy.maxAttempts) return undefined;
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** (attempt - 1));
  let delay: number;
  switch (policy.jitter) {
    case 'full':
      delay = random() * base;
      break;
    case 'equal':
      delay = base / 2 + (random() * base) / 2;
      break;
    case 'none':
      delay = base;
      break;
  }
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs))
    delay = Math.max(delay, Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs));
  return Math.round(delay);
}
