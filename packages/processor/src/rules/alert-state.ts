/**
 * The state of one alert series (one rule × one sensor): a status and one or two event-time numbers, kept
 * immutable so a state machine step returns the very same object when nothing changes (no allocation on the
 * hot path) and a new one on a change (rare). Every series starts at a shared initial state, so 100k sensors
 * × rules cost one array slot each until something happens.
 *
 * `ok` → `pending` (condition holds, `for` not yet elapsed) → `firing` → back to `ok` (resolved).
 * Absence series have no `pending`.
 */
import type { AlertStatus } from '@sensor-pipeline/shared/core';

export type SeriesStatus = 'ok' | 'pending' | 'firing';

export interface ThresholdState {
  readonly status: SeriesStatus;
  /**
   * Event time of the last change: pending since, firing since (= the FIRING's startsAt), or ok since (= the
   * RESOLVED's endsAt). A series changes at most once per event-time millisecond: input at or before
   * `sinceMs` is ignored, which also makes re-applying already-seen input after a restore a no-op.
   */
  readonly sinceMs: number;
}

export interface AbsenceState {
  readonly status: 'ok' | 'firing';
  /** firing: startsAt (= lastSeenMs + absentMs); ok: the RESOLVED's endsAt, or −Infinity initially. */
  readonly sinceMs: number;
  /** firing: the sensor's last reading before the silence; ok: the reading that resolved it (or −Infinity). */
  readonly lastSeenMs: number;
}

export const INITIAL_THRESHOLD_STATE: ThresholdState = Object.freeze({ status: 'ok', sinceMs: -Infinity });
export const INITIAL_ABSENCE_STATE: AbsenceState = Object.freeze({
  status: 'ok',
  sinceMs: -Infinity,
  lastSeenMs: -Infinity,
});

/** The alert a change from `prev` to `next` publishes: entering firing → FIRING, leaving it → RESOLVED, else none. */
export function alertStatusOf(
  prev: { readonly status: SeriesStatus },
  next: { readonly status: SeriesStatus },
): AlertStatus | undefined {
  if (next.status === 'firing') return prev.status === 'firing' ? undefined : 'FIRING';
  return prev.status === 'firing' ? 'RESOLVED' : undefined;
}
