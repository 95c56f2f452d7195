/**
 * How long to wait before attempt `attempt + 1` of a Kafka step the alerting service must not give up on
 * (dead letters, parked deliveries, state records, a partition's state read-back, starting while the broker
 * is away): 1 s, 2 s, 4 s, … capped at 30 s. One schedule for all of them, so a broker outage is waited out
 * alike everywhere.
 */
export function writeRetryDelayMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
}

/** How often {@link waitUnlessClosing} looks whether the service is closing, ms. */
const CLOSING_CHECK_MS = 100;

/**
 * Waits `ms` before the next attempt, but returns as soon as `closing()` says the service is stopping: a
 * shutdown does not sit out a 30 s backoff (the step is left unfinished, to be redone after the restart).
 */
export async function waitUnlessClosing(ms: number, closing: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!closing()) {
    const left = until - Date.now();
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, CLOSING_CHECK_MS)));
  }
}
