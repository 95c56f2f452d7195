/**
 * The seeded workload every chaos scenario replays: a fleet of devices sending temperature and CPU once a
 * second of event time, with hot spells that fire and resolve a threshold rule with `for` and hysteresis,
 * CPU bursts that fire and resolve a plain threshold rule, and silences that fire and resolve an absence
 * rule. Same seed and base time → the same readings in the same order → the same alert ids.
 */
import type { SensorReading } from '@sensor-pipeline/shared';
import { seededRandom } from './seeded-random.js';

export interface WorkloadOptions {
  readonly seed: number;
  readonly devices: number;
  /** Event-time length of the workload: one reading per sensor per second. */
  readonly seconds: number;
  /** Event time of the first reading (ms); in the past, so no reading is ahead of any clock. */
  readonly baseMs: number;
}

export interface ChaosWorkload {
  /** In produce order: by timestamp, then device, then metric. */
  readonly readings: readonly SensorReading[];
  /** The suite's own rules file (YAML text). */
  readonly rulesYaml: string;
}

export const CHAOS_RULES_YAML = `# the chaos suite's rules: a threshold with for and hysteresis, a plain threshold, an absence rule
grace: 2s
rules:
  - name: chaos-temp-high
    metric: temperature
    window: 10s
    statistic: mean
    above: 80
    clear: 75
    for: 3s
    severity: critical
  - name: chaos-cpu-high
    metric: cpu
    window: 5s
    statistic: mean
    above: 90
    severity: warning
  - name: chaos-temp-silent
    metric: temperature
    absent: 8s
    severity: warning
`;

export function chaosWorkload(options: WorkloadOptions): ChaosWorkload {
  const random = seededRandom(options.seed);
  const readings: SensorReading[] = [];
  for (let d = 0; d < options.devices; d++) {
    const deviceId = `site-${d % 3}/dev-${String(d).padStart(3, '0')}`;
    const labels = { site: `site-${d % 3}` };
    let seq = 0;
    const emit = (metric: SensorReading['metric'], second: number, value: number): void => {
      readings.push({ deviceId, metric, value, timestamp: options.baseMs + second * 1_000, seq: seq++, labels });
    };
    // temperature: calm, hot spells (fire after `for`, resolve below `clear`), lukewarm holds, silences
    for (let s = 0; s < options.seconds; ) {
      const kind = random.next();
      const length = kind < 0.45 ? random.int(15, 40) : kind < 0.8 ? random.int(12, 35) : random.int(11, 20);
      for (let i = 0; i < length && s < options.seconds; i++, s++) {
        if (kind < 0.45) emit('temperature', s, round(random.between(62, 70)));
        else if (kind < 0.8) emit('temperature', s, round(random.between(84, 94)));
        else if (kind < 0.9) emit('temperature', s, round(random.between(76, 79)));
        // else: silent (no temperature reading this second)
      }
    }
    // CPU: a calm base with bursts
    for (let s = 0; s < options.seconds; ) {
      const burst = random.next() < 0.3;
      const length = burst ? random.int(6, 15) : random.int(15, 45);
      for (let i = 0; i < length && s < options.seconds; i++, s++)
        emit('cpu', s, round(burst ? random.between(93, 99) : random.between(25, 55)));
    }
  }
  readings.sort(
    (a, b) => a.timestamp - b.timestamp || a.deviceId.localeCompare(b.deviceId) || a.metric.localeCompare(b.metric),
  );
  return { readings, rulesYaml: CHAOS_RULES_YAML };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
