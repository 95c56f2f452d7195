/**
 * A memory leak: from `fromMs` memory creeps up by `ratePerMinute` percent points per minute above the
 * underlying signal, levels off at `ceiling` (the process swaps and thrashes), and drops back when the
 * process restarts: every `restartEveryMs` if given (a sawtooth), and at `toMs` for good.
 */
import type { Signal, TimeWindow } from './signal.js';

export interface MemoryLeakOptions extends TimeWindow {
  /** The underlying signal's level, so the ceiling is reached as a level, not as extra on top. */
  readonly level: number;
  /** Growth, percent points per minute. */
  readonly ratePerMinute: number;
  /** Memory percent at which the growth levels off. */
  readonly ceiling: number;
  /** The process restarts this often while leaking (absent: only at the end of the window). */
  readonly restartEveryMs?: number;
}

export function memoryLeak(base: Signal, options: MemoryLeakOptions): Signal {
  const { fromMs, toMs, ratePerMinute, restartEveryMs } = options;
  if (!(ratePerMinute > 0)) throw new RangeError(`memoryLeak ratePerMinute must be positive, got ${ratePerMinute}`);
  if (restartEveryMs !== undefined && !(restartEveryMs > 0))
    throw new RangeError(`memoryLeak restartEveryMs must be positive, got ${restartEveryMs}`);
  const headroom = Math.max(0, options.ceiling - options.level);
  const perMs = ratePerMinute / 60_000;
  return (tMs) => {
    if (tMs < fromMs || tMs >= toMs) return base(tMs);
    const elapsed = restartEveryMs === undefined ? tMs - fromMs : (tMs - fromMs) % restartEveryMs;
    return base(tMs) + Math.min(headroom, elapsed * perMs);
  };
}
