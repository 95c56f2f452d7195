/**
 * CPU bursts: inside a window the CPU jumps to `level` (± a little jitter) in bursts, or stays pegged for
 * the whole window when no burst pattern is given, then returns to the underlying signal.
 */
import { gaussianAt } from '../core/prng.js';
import { type BurstPattern, burstPhase, validateBurstPattern } from './burst-phase.js';
import type { Signal, TimeWindow } from './signal.js';

export interface CpuBurstsOptions extends TimeWindow, BurstPattern {
  /** Stream key for burst placement and jitter. */
  readonly key: number;
  /** CPU percent during a burst. */
  readonly level: number;
  /** Standard deviation of the jitter around `level` (default 1.5). */
  readonly jitter?: number;
}

export function cpuBursts(base: Signal, options: CpuBurstsOptions): Signal {
  validateBurstPattern(options, 'cpuBursts');
  const { key, level } = options;
  const jitter = options.jitter ?? 1.5;
  const window: TimeWindow = { fromMs: options.fromMs, toMs: options.toMs };
  const pattern: BurstPattern = {
    everyMs: options.everyMs,
    lengthMs: options.lengthMs,
    probability: options.probability,
  };
  return (tMs) => {
    if (burstPhase(key, window, pattern, tMs) < 0) return base(tMs);
    return Math.max(base(tMs), level + jitter * gaussianAt(key ^ 0x1b873593, Math.floor(tMs)));
  };
}
