/**
 * The alert state machine of an absence rule for one sensor, pure, in two steps:
 * - `absenceOnTick`: the event-time clock moved. FIRING when the sensor's newest reading is more than
 *   `absentMs` behind the clock (silence > absent). The clock is the partition's watermark minus the allowed
 *   lateness (see RuleEngine.tick), so a reading that may still arrive in time is waited for.
 *   startsAt = lastSeenMs + absentMs: the event time the silence became too long, independent of when ticks
 *   happen, so a replay yields the same event id however the ticks fall.
 * - `absenceOnReading`: a reading arrived. A firing series resolves on a reading newer than the one the
 *   silence started after; endsAt = its timestamp (never before startsAt).
 * Both return the same `state` object when nothing changes. A sensor never seen (lastSeenMs = −Infinity) is
 * never silent: the engine cannot know it exists.
 */
import type { AbsenceState } from './alert-state.js';

export function absenceOnTick(
  state: AbsenceState,
  lastSeenMs: number,
  clockMs: number,
  absentMs: number,
): AbsenceState {
  if (state.status === 'firing' || lastSeenMs === -Infinity || !(clockMs - lastSeenMs > absentMs)) return state;
  const startsAtMs = lastSeenMs + absentMs;
  // This silence was already reported and resolved (input replayed after a restore).
  if (!(startsAtMs > state.sinceMs)) return state;
  return { status: 'firing', sinceMs: startsAtMs, lastSeenMs };
}

export function absenceOnReading(state: AbsenceState, timestampMs: number): AbsenceState {
  if (state.status !== 'firing' || !(timestampMs > state.lastSeenMs)) return state;
  return { status: 'ok', sinceMs: Math.max(timestampMs, state.sinceMs), lastSeenMs: timestampMs };
}
