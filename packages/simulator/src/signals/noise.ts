/**
 * Noise as a pure function of time, from the counter-based PRNG: the value at `tMs` is a hash of
 * (stream key, tMs), so it needs no state and no earlier samples. Gaussian by Irwin–Hall (`gaussianAt`):
 * bounded to ±3.45 deviations, so a sensor's jitter never produces an absurd outlier by chance.
 * - white noise: independent Gaussian jitter at each millisecond (a sensor's measurement noise);
 * - smooth noise: Gaussian values at knots every `correlationMs`, joined by a smoothstep curve (a slow
 *   wander, like airflow around a sensor), standard deviation `stddev` at the knots.
 */
import { gaussianAt } from '../core/prng.js';
import type { Signal } from './signal.js';

export function whiteNoiseAt(key: number, stddev: number, tMs: number): number {
  if (stddev === 0) return 0;
  return stddev * gaussianAt(key, Math.floor(tMs));
}

export function smoothNoiseAt(key: number, stddev: number, correlationMs: number, tMs: number): number {
  if (stddev === 0) return 0;
  const x = tMs / correlationMs;
  const knot = Math.floor(x);
  const f = x - knot;
  const s = f * f * (3 - 2 * f); // smoothstep: no kinks at the knots
  const a = gaussianAt(key, knot);
  const b = gaussianAt(key, knot + 1);
  return stddev * (a + (b - a) * s);
}

export interface NoiseOptions {
  /** Stream key, from `streamKey(seed, deviceId, metric, ...)`. */
  readonly key: number;
  readonly stddev: number;
  /** 0 (default) for white noise; otherwise the time between independent values of a smooth wander. */
  readonly correlationMs?: number;
}

export function noise(options: NoiseOptions): Signal {
  const { key, stddev } = options;
  const correlationMs = options.correlationMs ?? 0;
  if (!(stddev >= 0)) throw new RangeError(`noise stddev must be >= 0, got ${stddev}`);
  if (!(correlationMs >= 0)) throw new RangeError(`noise correlationMs must be >= 0, got ${correlationMs}`);
  return correlationMs === 0
    ? (tMs) => whiteNoiseAt(key, stddev, tMs)
    : (tMs) => smoothNoiseAt(key, stddev, correlationMs, tMs);
}
