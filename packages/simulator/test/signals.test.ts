import { describe, expect, it } from 'vitest';
import { streamKey } from '../src/core/prng.js';
import { ambient, DEFAULT_PROFILES } from '../src/signals/ambient.js';
import { burstPhase } from '../src/signals/burst-phase.js';
import { cpuBursts } from '../src/signals/cpu-bursts.js';
import { DAY_MS, dailyCycle } from '../src/signals/daily-cycle.js';
import { memoryLeak } from '../src/signals/memory-leak.js';
import { noise } from '../src/signals/noise.js';
import { rampEnvelope, rampTo } from '../src/signals/ramp-to.js';
import { clamp, constant, type Signal, sum } from '../src/signals/signal.js';
import { stuck } from '../src/signals/stuck.js';
import { temperatureSpikes } from '../src/signals/temperature-spikes.js';

const T0 = Date.UTC(2024, 0, 1);
const SECOND = 1_000;

/** Samples a signal every `stepMs` over [fromMs, toMs). */
function sample(signal: Signal, fromMs: number, toMs: number, stepMs = SECOND): number[] {
  const out: number[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) out.push(signal(t));
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: readonly number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('signal combinators', () => {
  it('constant, sum and clamp compose', () => {
    const s = clamp(
      sum(constant(50), (t) => (t % 2 === 0 ? 60 : -60)),
      0,
      100,
    );
    expect(s(0)).toBe(100);
    expect(s(1)).toBe(0);
    expect(() => clamp(constant(1), 5, 4)).toThrow(RangeError);
  });
});

describe('dailyCycle', () => {
  it('peaks at the given hour and bottoms out twelve hours later', () => {
    const cycle = dailyCycle({ amplitude: 5, peakHourUtc: 15 });
    expect(cycle(T0 + 15 * 3_600_000)).toBeCloseTo(5, 9);
    expect(cycle(T0 + 3 * 3_600_000)).toBeCloseTo(-5, 9);
    expect(cycle(T0 + 15 * 3_600_000 + DAY_MS)).toBeCloseTo(5, 9);
  });
});

describe('noise', () => {
  it('white noise has the asked deviation and no memory', () => {
    const xs = sample(noise({ key: 1, stddev: 2 }), T0, T0 + 20_000 * SECOND);
    expect(mean(xs)).toBeCloseTo(0, 1);
    expect(stddev(xs)).toBeCloseTo(2, 1);
  });

  it('smooth noise wanders slowly: neighbouring samples are close', () => {
    const s = noise({ key: 2, stddev: 1, correlationMs: 60_000 });
    const xs = sample(s, T0, T0 + 3_600 * SECOND);
    const steps = xs.slice(1).map((x, i) => Math.abs(x - xs[i]!));
    expect(Math.max(...steps)).toBeLessThan(0.2);
    expect(stddev(xs)).toBeGreaterThan(0.3);
  });

  it('is a pure function of time: the same instant gives the same value in any order', () => {
    const s = noise({ key: 3, stddev: 1 });
    const forward = sample(s, T0, T0 + 100 * SECOND);
    const backward = sample(s, T0, T0 + 100 * SECOND)
      .reverse()
      .reverse();
    expect(backward).toEqual(forward);
  });
});

describe('ambient (healthy sensors)', () => {
  it('stays physically plausible and near its level over a simulated day', () => {
    for (const [metric, profile] of Object.entries(DEFAULT_PROFILES)) {
      for (let d = 0; d < 20; d++) {
        const xs = sample(
          ambient(profile, profile.level, streamKey(1, `dev-${d}`, metric)),
          T0,
          T0 + DAY_MS,
          10 * SECOND,
        );
        expect(Math.min(...xs)).toBeGreaterThanOrEqual(profile.min);
        expect(Math.max(...xs)).toBeLessThanOrEqual(profile.max);
        expect(Math.abs(mean(xs) - profile.level)).toBeLessThan(profile.drift * 2 + 1);
      }
    }
  });

  it('keeps CPU and memory in [0, 100] even when pushed past the limits', () => {
    const extreme = { ...DEFAULT_PROFILES.cpu, level: 99, noise: 20, drift: 20 };
    const xs = sample(ambient(extreme, 99, 5), T0, T0 + 3_600 * SECOND);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBe(100);
  });
});

describe('faults', () => {
  const base = constant(40);
  const window = { fromMs: T0 + 20 * SECOND, toMs: T0 + 80 * SECOND };

  it('rampTo moves to the target, holds, and recovers at the right times', () => {
    const s = rampTo(base, { ...window, level: 40, target: 95, rampMs: 10 * SECOND, recoverMs: 20 * SECOND });
    expect(s(T0 + 19 * SECOND)).toBe(40);
    expect(s(T0 + 25 * SECOND)).toBeCloseTo(67.5, 9);
    expect(s(T0 + 30 * SECOND)).toBe(95);
    expect(s(T0 + 79 * SECOND)).toBe(95);
    expect(s(T0 + 90 * SECOND)).toBeCloseTo(67.5, 9);
    expect(s(T0 + 100 * SECOND)).toBe(40);
    // a fault shorter than its ramp recovers from where it got to
    expect(rampEnvelope(5, 0, 5, 10, 10)).toBe(0.5);
    expect(rampEnvelope(7.5, 0, 5, 10, 10)).toBeCloseTo(0.25, 9);
    expect(rampEnvelope(15, 0, 5, 10, 10)).toBe(0);
  });

  it('memoryLeak creeps at its rate, levels off at the ceiling, and drops on restart', () => {
    const s = memoryLeak(constant(50), { ...window, level: 50, ratePerMinute: 60, ceiling: 97 });
    expect(s(T0 + 19 * SECOND)).toBe(50);
    expect(s(T0 + 30 * SECOND)).toBeCloseTo(60, 9); // 10 s at 1 %/s
    expect(s(T0 + 75 * SECOND)).toBe(97);
    expect(s(T0 + 80 * SECOND)).toBe(50); // restarted at the end of the window
    const sawtooth = memoryLeak(constant(50), {
      ...window,
      level: 50,
      ratePerMinute: 60,
      ceiling: 97,
      restartEveryMs: 20 * SECOND,
    });
    expect(sawtooth(T0 + 39 * SECOND)).toBeCloseTo(69, 9);
    expect(sawtooth(T0 + 40 * SECOND)).toBe(50);
  });

  it('stuck reports one constant value inside its window', () => {
    const live = noise({ key: 9, stddev: 1 });
    const s = stuck(sum(constant(40), live), window);
    const inside = sample(s, window.fromMs, window.toMs);
    expect(new Set(inside).size).toBe(1);
    expect(inside[0]).toBe(40 + live(window.fromMs));
    expect(s(window.toMs)).not.toBe(inside[0]);
    expect(stuck(base, { ...window, value: 12.5 })(window.fromMs + 1)).toBe(12.5);
  });

  it('cpuBursts pegs the CPU for the whole window without a pattern', () => {
    const s = clamp(cpuBursts(constant(30), { ...window, key: 4, level: 98 }), 0, 100);
    const inside = sample(s, window.fromMs, window.toMs);
    expect(mean(inside)).toBeGreaterThan(96);
    expect(Math.max(...inside)).toBeLessThanOrEqual(100);
    expect(s(window.fromMs - 1)).toBe(30);
    expect(s(window.toMs)).toBe(30);
  });

  it('bursts fall inside their slots, with the asked length and frequency', () => {
    const long = { fromMs: T0, toMs: T0 + 1_000 * 60 * SECOND };
    const pattern = { everyMs: 60 * SECOND, lengthMs: 10 * SECOND, probability: 0.5 };
    const phases = sample((t) => burstPhase(11, long, pattern, t), long.fromMs, long.toMs);
    const busy = phases.filter((p) => p >= 0).length;
    // ~half the slots, 10 of 60 seconds each
    expect(busy / phases.length).toBeGreaterThan((0.5 * 10) / 60 - 0.02);
    expect(busy / phases.length).toBeLessThan((0.5 * 10) / 60 + 0.02);
    // bursts never straddle a slot boundary
    for (let slot = 0; slot < 1_000; slot++) {
      const slice = phases.slice(slot * 60, slot * 60 + 60).filter((p) => p >= 0);
      expect([0, 10]).toContain(slice.length);
    }
  });

  it('temperatureSpikes add a half-sine bump of the asked height', () => {
    const s = temperatureSpikes(base, { ...window, key: 5, deltaC: 30 });
    const inside = sample(s, window.fromMs, window.toMs);
    expect(Math.max(...inside)).toBeCloseTo(70, 0);
    expect(s(window.fromMs)).toBe(40);
    expect(s(window.toMs)).toBe(40);
  });
});
