import { sensorReadingCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_START_TIME_MS } from '../src/core/fleet.js';
import { planRun } from '../src/core/plan-run.js';
import { defineScenario } from '../src/scenario/load-scenario.js';

const scenario = defineScenario({ interval: '1s', fleet: { sites: [{ name: 'site-a', devices: 10 }] } });
/** The injected wall clock: a used broker's newest readings are from about now. */
const NOW_MS = Date.parse('2026-06-01T12:00:00.400Z');
const NOW_SECOND_MS = Date.parse('2026-06-01T12:00:00Z');

/** Every reading's event time, in the order the run produces them. */
function timestamps(plan: ReturnType<typeof planRun>): number[] {
  const codec = sensorReadingCodec();
  const out: number[] = [];
  for (let m = plan.source.next(); m; m = plan.source.next()) out.push(codec.decode(m.value).timestamp);
  return out;
}

describe('planRun: where event time starts', () => {
  it('ends a fast run of duration D at now: it starts at now − D', () => {
    const plan = planRun(scenario, { seed: 1, durationMs: 180_000, nowMs: NOW_MS });
    expect(plan.startTimeMs).toBe(NOW_SECOND_MS - 180_000);
    expect(plan.endTimeMs).toBe(NOW_SECOND_MS);
    const times = timestamps(plan);
    expect(times).toHaveLength(10 * 3 * 180);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(NOW_SECOND_MS - 180_000);
    expect(Math.max(...times)).toBeLessThan(NOW_SECOND_MS);
    expect(Math.max(...times)).toBeGreaterThanOrEqual(NOW_SECOND_MS - 1_000); // the last interval is now's
  });

  it('ends a fast run of N readings within one interval of now', () => {
    const plan = planRun(scenario, { seed: 1, count: 3_000, nowMs: NOW_MS });
    expect(plan.startTimeMs).toBe(NOW_SECOND_MS - 100 * 1_000); // 3,000 readings = 100 intervals of 30
    const times = timestamps(plan);
    expect(times).toHaveLength(3_000);
    expect(Math.max(...times)).toBeLessThan(NOW_SECOND_MS);
    expect(Math.max(...times)).toBeGreaterThanOrEqual(NOW_SECOND_MS - 1_000);
  });

  it("ends at now for the scenario's own duration too", () => {
    const timed = defineScenario({ interval: '1s', duration: '2m', fleet: { sites: [{ name: 's', devices: 1 }] } });
    expect(planRun(timed, { seed: 1, nowMs: NOW_MS }).startTimeMs).toBe(NOW_SECOND_MS - 120_000);
  });

  it('starts a real-time run at now, and an endless fast run (a rate) at now', () => {
    expect(planRun(scenario, { seed: 1, realtime: true, nowMs: NOW_MS }).startTimeMs).toBe(NOW_SECOND_MS);
    expect(planRun(scenario, { seed: 1, nowMs: NOW_MS }).startTimeMs).toBe(NOW_SECOND_MS);
  });

  it('keeps an explicit start time, and the fixed start when no clock is given (same bytes on every run)', () => {
    const start = Date.parse('2024-03-01T00:00:00Z');
    expect(planRun(scenario, { seed: 1, count: 30, startTimeMs: start, nowMs: NOW_MS }).startTimeMs).toBe(start);
    expect(planRun(scenario, { seed: 1, count: 30 }).startTimeMs).toBe(DEFAULT_START_TIME_MS);
  });
});
