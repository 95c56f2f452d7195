/**
 * How long to wait before attempt `attempt + 1` of a Kafka step the alerting service must not give up on
 * (dead letters, parked deliveries, state records, a partition's state read-back, starting while the broker
 * is away): 1 s, 2 s, 4 s, … capped at 30 s. One schedule for all of them, so a broker outage is waited out
 * alike everywhere.
 */
export function writeRetryDelayMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
}
