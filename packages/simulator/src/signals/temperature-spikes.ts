/**
 * Temperature spikes: short bumps of `deltaC` on top of the underlying signal, shaped as a half sine
 * (a quick rise and fall, like a fan stalling for a few seconds). Without a burst pattern, one spike
 * spans the whole window.
 */
import { type BurstPattern, burstPhase, validateBurstPattern } from './burst-phase.js';
import type { Signal, TimeWindow } from './signal.js';

export interface TemperatureSpikesOptions extends TimeWindow, BurstPattern {
  readonly key: number;
  /** Height of a spike, °C (negative for dips). */
  readonly deltaC: number;
}

export function temperatureSpikes(base: Signal, options: TemperatureSpikesOptions): Signal {
  validateBurstPattern(options, 'temperatureSpikes');
  const { key, deltaC } = options;
  const window: TimeWindow = { fromMs: options.fromMs, toMs: options.toMs };
  const pattern: BurstPattern = {
    everyMs: options.everyMs,
    lengthMs: options.lengthMs,
    probability: options.probability,
  };
  return (tMs) => {
    const phase = burstPhase(key, window, pattern, tMs);
    return phase < 0 ? base(tMs) : base(tMs) + deltaC * Math.sin(Math.PI * phase);
  };
}
