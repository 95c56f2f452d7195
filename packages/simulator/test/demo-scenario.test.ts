/**
 * The demo scenario must be caught by the default alert rules: each broken device fires its rule within
 * about a minute of its fault's start and resolves afterwards, and nothing else fires — checked offline
 * with a naive reference evaluator of the rules over the generated stream, for several seeds.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_START_TIME_MS } from '../src/core/fleet.js';
import { toSensorReading } from '../src/core/generated-reading.js';
import { planRun } from '../src/core/plan-run.js';
import { generateReadings } from '../src/core/reading-generator.js';
import { loadScenario } from '../src/scenario/load-scenario.js';
import { type AlertEvent, evaluateRules } from './support/reference-rules.js';

const DEMO = fileURLToPath(new URL('../../../config/scenarios/demo.yaml', import.meta.url));

/** rule, device, fault start (s), latest acceptable firing (s after start of run). */
const EXPECTED = [
  { rule: 'temperature-high', deviceId: 'site-a/dev-0007', faultAtS: 20 },
  { rule: 'cpu-high', deviceId: 'site-a/dev-0013', faultAtS: 30 },
  { rule: 'memory-high', deviceId: 'site-b/dev-0004', faultAtS: 15 },
  { rule: 'temperature-low', deviceId: 'site-b/dev-0011', faultAtS: 40 },
  { rule: 'device-silent', deviceId: 'site-a/dev-0021', faultAtS: 60 },
] as const;

describe('demo scenario against the default rules', () => {
  const scenario = loadScenario(DEMO);

  // seeds 1–5 at midnight UTC (the daily cycle's trough), and seeds 1–2 at 14:30 UTC (its peak), since a
  // real-time demo starts whenever someone runs it
  const runs = [1, 2, 3, 4, 5]
    .map((seed) => ({ seed, hourUtc: 0 }))
    .concat([1, 2].map((seed) => ({ seed, hourUtc: 14.5 })));
  for (const { seed, hourUtc } of runs) {
    it(`seed ${seed}, start ${hourUtc}h UTC: each fault fires within about a minute and resolves; nothing else fires`, () => {
      const { fleet, startTimeMs } = planRun(scenario, {
        seed,
        startTimeMs: DEFAULT_START_TIME_MS + hourUtc * 3_600_000,
      });
      const readings = generateReadings(fleet, { endTimeMs: startTimeMs + 300_000 }).map((r) =>
        toSensorReading(fleet, r),
      );
      // one event per sensor for silence: collapse to one per device and rule
      const events = dedupe(evaluateRules(readings));
      const at = (e: AlertEvent) => (e.atMs - startTimeMs) / 1_000;

      for (const expected of EXPECTED) {
        const mine = events.filter((e) => e.rule === expected.rule && e.deviceId === expected.deviceId);
        expect(
          mine.map((e) => e.status),
          `${expected.rule} on ${expected.deviceId}`,
        ).toEqual(['FIRING', 'RESOLVED']);
        const [firing, resolved] = mine as [AlertEvent, AlertEvent];
        expect(
          at(firing) - expected.faultAtS,
          `${expected.rule} fires within ~a minute of its fault`,
        ).toBeLessThanOrEqual(65);
        expect(at(firing)).toBeGreaterThan(expected.faultAtS);
        expect(at(resolved)).toBeGreaterThan(at(firing));
        expect(at(resolved)).toBeLessThan(180);
      }
      const unexpected = events.filter((e) => !EXPECTED.some((x) => x.rule === e.rule && x.deviceId === e.deviceId));
      expect(unexpected).toEqual([]);
    });
  }
});

function dedupe(events: readonly AlertEvent[]): AlertEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.rule}|${e.deviceId}|${e.status}|${e.atMs}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
