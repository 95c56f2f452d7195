/**
 * The daily cycle: a sinusoid with a 24-hour period (by default) peaking at a given hour of the day (UTC),
 * like the afternoon warmth in a server room or the daytime load on a CPU.
 */
import type { Signal } from './signal.js';

export const DAY_MS = 86_400_000; // 24 hours

export interface DailyCycleOptions {
  /** Half the peak-to-trough swing, in the metric's unit. */
  readonly amplitude: number;
  /** Hour of the day (UTC, 0–24, fractions allowed) at which the cycle peaks. */
  readonly peakHourUtc?: number;
  /** Length of one cycle; a day unless changed (shorter periods make demos visible). */
  readonly periodMs?: number;
}

/** The cycle's value at `tMs` (pure helper for hot loops that do not want a closure call). */
export function dailyCycleAt(tMs: number, amplitude: number, peakMs: number, periodMs: number): number {
  if (amplitude === 0) return 0;
  return amplitude * Math.cos((2 * Math.PI * (tMs - peakMs)) / periodMs);
}

export function dailyCycle(options: DailyCycleOptions): Signal {
  const periodMs = options.periodMs ?? DAY_MS;
  if (!(periodMs > 0)) throw new RangeError(`dailyCycle periodMs must be positive, got ${periodMs}`);
  const peakMs = ((options.peakHourUtc ?? 15) / 24) * periodMs;
  const amplitude = options.amplitude;
  return (tMs) => dailyCycleAt(tMs, amplitude, peakMs, periodMs);
}
