/**
 * A signal is a pure function of event time: `(tMs) => value`, with `tMs` in Unix epoch milliseconds.
 * Being pure (no state, no clock, no Math.random) makes a sensor's value at any instant computable on its
 * own, so the same seed gives the same stream and tests can ask "what is this sensor at 12:00:30?".
 * Small generators (baseline, daily cycle, noise) add up to a healthy sensor; faults wrap a signal and
 * change it inside a time window.
 */
export type Signal = (tMs: number) => number;

/** A time window [fromMs, toMs) in event time; `toMs` may be Infinity. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export function inWindow(tMs: number, window: TimeWindow): boolean {
  return tMs >= window.fromMs && tMs < window.toMs;
}

/** The same value at every instant. */
export function constant(value: number): Signal {
  return () => value;
}

/** The sum of signals at each instant. */
export function sum(...signals: readonly Signal[]): Signal {
  if (signals.length === 1) return signals[0]!;
  return (tMs) => {
    let total = 0;
    for (const signal of signals) total += signal(tMs);
    return total;
  };
}

/** Keeps a signal physically plausible: values outside [min, max] are pinned to the nearest bound. */
export function clamp(signal: Signal, min: number, max: number): Signal {
  if (!(min <= max)) throw new RangeError(`clamp needs min <= max, got [${min}, ${max}]`);
  return (tMs) => clampValue(signal(tMs), min, max);
}

export function clampValue(value: number, min: number, max: number): number {
  return value < min ? min : Math.min(value, max);
}
