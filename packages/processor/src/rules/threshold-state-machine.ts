/**
 * One step of a threshold rule's alert state machine for one sensor, pure: (state, statistic value, event
 * time) → state. Returns the same `state` object when nothing changes.
 *
 * - holds: value > threshold (`above`) or value < threshold (`below`);
 * - clears (only while firing): value < clear (`above`) / value > clear (`below`); without `clear`, as soon as
 *   it no longer holds. So with hysteresis a value between clear and threshold keeps a firing alert firing;
 * - ok → pending when it holds (or straight to firing when `forMs` is 0); pending → firing once it has held
 *   for `forMs` of event time (at the first evaluation with eventTimeMs − pendingSince ≥ forMs); pending → ok
 *   (silently) as soon as it does not hold; firing → ok when it clears;
 * - the event time of a step must be later than the state's `sinceMs`, otherwise the input is ignored: a
 *   series changes at most once per event-time millisecond, and input older than the last change (already
 *   applied before a restore) cannot change it again;
 * - a NaN value changes nothing.
 *
 * FIRING's startsAt = the event time of the step that decided it (the newest reading's timestamp); RESOLVED's
 * endsAt = the event time of the step that cleared it. Both are the new state's `sinceMs`.
 *
 * `pendingOnTick`: the event clock moved without a reading of the sensor (its partition's other readings, or
 * the wall clock while the partition is idle). A pending series whose `for` has run out on that clock fires,
 * startsAt = pendingSince + for — fixed by the input, not by when the clock noticed, so a replay gives the
 * same event id. Its own readings normally come first (the clock trails them by `grace`); this is for a
 * sensor that went quiet while its condition held, as a rule evaluator on the wall clock would fire it.
 */
import type { ThresholdState } from './alert-state.js';

export interface ThresholdCondition {
  readonly condition: 'above' | 'below';
  readonly threshold: number;
  readonly clear?: number | undefined;
  readonly forMs: number;
}

export function evaluateThreshold(
  state: ThresholdState,
  rule: ThresholdCondition,
  value: number,
  eventTimeMs: number,
): ThresholdState {
  if (!(eventTimeMs > state.sinceMs) || Number.isNaN(value)) return state;
  const above = rule.condition === 'above';
  const holds = above ? value > rule.threshold : value < rule.threshold;
  switch (state.status) {
    case 'ok':
      if (!holds) return state;
      return { status: rule.forMs > 0 ? 'pending' : 'firing', sinceMs: eventTimeMs };
    case 'pending':
      if (!holds) return { status: 'ok', sinceMs: eventTimeMs };
      return eventTimeMs - state.sinceMs >= rule.forMs ? { status: 'firing', sinceMs: eventTimeMs } : state;
    case 'firing': {
      const clear = rule.clear;
      const clears = clear === undefined ? !holds : above ? value < clear : value > clear;
      return clears ? { status: 'ok', sinceMs: eventTimeMs } : state;
    }
  }
}

export function pendingOnTick(state: ThresholdState, forMs: number, clockMs: number): ThresholdState {
  if (state.status !== 'pending' || !(forMs > 0) || !(clockMs - state.sinceMs >= forMs)) return state;
  return { status: 'firing', sinceMs: state.sinceMs + forMs };
}
