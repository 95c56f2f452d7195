/**
 * A healthy sensor: baseline + daily cycle + a slow wander + measurement jitter, kept within the metric's
 * physical range. The same as `clamp(sum(constant(level), dailyCycle(..), noise(smooth), noise(white)))`,
 * written as one function because a fleet of 100k devices evaluates it 300k times per report interval:
 * `ambientAt` is closure-free and allocation-free for the hot loop, `ambient` wraps it as a `Signal`.
 */
import { DAY_MS, dailyCycleAt } from './daily-cycle.js';
import { smoothNoiseAt, whiteNoiseAt } from './noise.js';
import { clampValue, type Signal } from './signal.js';

/** How one metric behaves on a healthy device; per-device levels are drawn from `level ± spread/2`. */
export interface AmbientProfile {
  /** Mean level across the fleet, in the metric's unit. */
  readonly level: number;
  /** Width of the uniform spread of per-device levels around `level`. */
  readonly spread: number;
  /** Half the daily peak-to-trough swing. */
  readonly dailyAmplitude: number;
  /** Hour of the day (UTC) of the daily peak. */
  readonly dailyPeakHourUtc: number;
  /** Period of the daily cycle (a day, unless shortened for demos). */
  readonly dailyPeriodMs: number;
  /** Standard deviation of the slow wander. */
  readonly drift: number;
  /** Time between independent values of the slow wander. */
  readonly driftPeriodMs: number;
  /** Standard deviation of the per-reading jitter. */
  readonly noise: number;
  /** Physically plausible range; values are pinned into it. */
  readonly min: number;
  readonly max: number;
}

export const DRIFT_KEY_SALT = 0x2545f491;

export function ambientAt(profile: AmbientProfile, level: number, key: number, tMs: number): number {
  const peakMs = (profile.dailyPeakHourUtc / 24) * profile.dailyPeriodMs;
  const value =
    level +
    dailyCycleAt(tMs, profile.dailyAmplitude, peakMs, profile.dailyPeriodMs) +
    smoothNoiseAt((key ^ DRIFT_KEY_SALT) >>> 0, profile.drift, profile.driftPeriodMs, tMs) +
    whiteNoiseAt(key, profile.noise, tMs);
  return clampValue(value, profile.min, profile.max);
}

/** A healthy sensor at `level` whose randomness comes from stream `key`. */
export function ambient(profile: AmbientProfile, level: number, key: number): Signal {
  return (tMs) => ambientAt(profile, level, key, tMs);
}

/** The device's own level: `profile.level ± spread/2`, from a uniform draw `u` in [0, 1). */
export function deviceLevel(profile: AmbientProfile, u: number): number {
  return profile.level + profile.spread * (u - 0.5);
}

export const DEFAULT_PROFILES = {
  temperature: {
    level: 40,
    spread: 10,
    dailyAmplitude: 2,
    dailyPeakHourUtc: 15,
    dailyPeriodMs: DAY_MS,
    drift: 1,
    driftPeriodMs: 60_000,
    noise: 0.3,
    min: -40,
    max: 125,
  },
  cpu: {
    level: 30,
    spread: 20,
    dailyAmplitude: 5,
    dailyPeakHourUtc: 14,
    dailyPeriodMs: DAY_MS,
    drift: 4,
    driftPeriodMs: 30_000,
    noise: 3,
    min: 0,
    max: 100,
  },
  memory: {
    level: 50,
    spread: 20,
    dailyAmplitude: 1,
    dailyPeakHourUtc: 14,
    dailyPeriodMs: DAY_MS,
    drift: 2,
    driftPeriodMs: 120_000,
    noise: 0.5,
    min: 0,
    max: 100,
  },
} as const satisfies Record<string, AmbientProfile>;
