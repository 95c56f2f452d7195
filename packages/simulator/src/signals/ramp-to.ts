/**
 * A slow move to a target and back: from `fromMs` the signal's level shifts linearly towards `target`
 * over `rampMs`, stays there until `toMs`, then returns over `recoverMs`. The underlying signal's own
 * variation (cycle, noise) rides on top, so an overheating device still looks alive. Used for slow
 * overheating (target 95 °C) and a device going cold (target 2 °C).
 */
import type { Signal, TimeWindow } from './signal.js';

export interface RampToOptions extends TimeWindow {
  /** The underlying signal's level (the device's baseline), from which the shift is measured. */
  readonly level: number;
  readonly target: number;
  readonly rampMs: number;
  readonly recoverMs: number;
}

/** 0 outside the fault, 1 when fully there; linear on the way in and out. */
export function rampEnvelope(tMs: number, fromMs: number, toMs: number, rampMs: number, recoverMs: number): number {
  if (tMs < fromMs) return 0;
  if (tMs < toMs) return rampMs > 0 ? Math.min(1, (tMs - fromMs) / rampMs) : 1;
  const top = rampMs > 0 ? Math.min(1, (toMs - fromMs) / rampMs) : 1; // the level reached before recovery
  if (recoverMs <= 0) return 0;
  const back = top - (tMs - toMs) / recoverMs;
  return Math.max(back, 0);
}

export function rampTo(base: Signal, options: RampToOptions): Signal {
  const { fromMs, toMs, rampMs, recoverMs } = options;
  if (!(rampMs >= 0) || !(recoverMs >= 0))
    throw new RangeError(`rampTo needs rampMs and recoverMs >= 0, got ${rampMs} and ${recoverMs}`);
  const shift = options.target - options.level;
  return (tMs) => {
    const w = rampEnvelope(tMs, fromMs, toMs, rampMs, recoverMs);
    return w === 0 ? base(tMs) : base(tMs) + w * shift;
  };
}
