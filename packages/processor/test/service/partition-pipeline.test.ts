/**
 * A partition's pipeline against hostile input, in process with an injected wall clock: the event clock never
 * runs ahead of the wall clock (whatever the readings' allowed skew), and a cap on sensors held refuses new sensors past it.
 */
import { createLogger, DLQ_HEADERS, type SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';
import { SensorBudget } from '../../src/service/sensor-budget.js';

const T0 = 1_767_225_600_000;
const quiet = createLogger({ service: 'test', level: 'silent' });
const RULES = parseRules(
  [
    'grace: 1s',
    'rules:',
    '  - { name: hot, metric: temperature, window: 10s, statistic: mean, above: 80, severity: critical }',
    '  - { name: silent, metric: temperature, absent: 30s, severity: warning }',
  ].join('\n'),
  'rules.yaml',
);

let offset = 0;
function envelope(deviceId: string, timestamp: number, value = 20): ReadingEnvelope {
  const reading: SensorReading = { deviceId, metric: 'temperature', value, timestamp, seq: offset, labels: {} };
  return {
    reading,
    sensor: '',
    offset: offset++,
    key: Buffer.from(deviceId),
    value: Buffer.from('v'),
    evaluate: true,
    live: true,
  };
}

function pipeline(clock: { nowMs: number }, budget?: SensorBudget): PartitionPipeline {
  const runtime = createRulesRuntime(RULES);
  return new PartitionPipeline({
    topic: 'readings',
    partition: 0,
    windows: runtime.windows,
    rules: runtime.createPartitionRules(new Map(), quiet),
    idleEvictMs: 120_000,
    statsIntervalMs: 0,
    ...(budget ? { sensorBudget: budget } : {}),
    now: () => clock.nowMs,
  });
}

describe('partition pipeline: event clock and sensor cap', () => {
  it('one reading 23 h ahead does not make healthy sensors look silent: the clock stops at the wall clock', () => {
    const clock = { nowMs: T0 };
    const p = pipeline(clock);
    const alerts: string[] = [];
    // three healthy devices report every 10 s for 10 minutes, wall clock in step; one reading 23 h ahead early on
    for (let s = 0; s < 600; s += 10) {
      clock.nowMs = T0 + s * 1_000;
      const batch = ['a', 'b', 'c'].map((d) => envelope(`site/${d}`, clock.nowMs));
      if (s === 20) batch.push(envelope('site/liar', clock.nowMs + 23 * 3_600_000));
      const out = new BatchOutput();
      p.run(batch, out, true);
      alerts.push(...out.alerts.map((a) => `${a.rule} ${a.deviceId} ${a.status}`));
    }
    // the liar itself goes silent once the clock passes its last reading's time + 30 s: never within 10 minutes
    expect(alerts).toEqual([]);
    p.close();
  });

  it('still fires device-silent for a device that stopped, as the capped clock moves on', () => {
    const clock = { nowMs: T0 };
    const p = pipeline(clock);
    const alerts: string[] = [];
    for (let s = 0; s < 120; s += 10) {
      clock.nowMs = T0 + s * 1_000;
      const batch = [envelope('site/a', clock.nowMs)];
      if (s < 30) batch.push(envelope('site/b', clock.nowMs));
      if (s === 0) batch.push(envelope('site/liar', clock.nowMs + 23 * 3_600_000));
      const out = new BatchOutput();
      p.run(batch, out, true);
      alerts.push(...out.alerts.map((a) => `${a.rule} ${a.deviceId} ${a.status}`));
    }
    expect(alerts).toEqual(['silent site/b FIRING']);
    p.close();
  });

  it('past the sensor cap, readings of new sensors are dead-lettered and held sensors keep working', () => {
    const clock = { nowMs: T0 };
    const budget = new SensorBudget(3);
    const p = pipeline(clock, budget);
    const p2 = pipeline(clock, budget); // a second partition of the same instance shares the budget
    const out = new BatchOutput();
    const batch = [envelope('site/a', T0, 90), envelope('site/b', T0)];
    for (let i = 0; i < 10_000; i++) batch.push(envelope(`burst/${i}`, T0));
    batch.push(envelope('site/a', T0 + 1_000, 90));
    expect(p.run(batch, out, true)).toBe(9_999);
    expect(budget.held).toBe(3);
    expect(p.windowsHeld).toBe(3);
    expect(out.deadLetters).toHaveLength(9_999);
    expect(new Set(out.deadLetters.map((d) => d.code))).toEqual(new Set(['READING_SENSOR_LIMIT']));
    expect(out.deadLetters[0]!.headers[DLQ_HEADERS.sourceOffset]).toBe(String(batch[3]!.offset));
    expect(out.deadLetters[0]!.headers[DLQ_HEADERS.errorMessage]).toMatch(/maxSensors 3/);
    expect(out.alerts.map((a) => `${a.rule} ${a.deviceId} ${a.status}`)).toEqual(['hot site/a FIRING']);

    // the other partition cannot take a new sensor either
    const out2 = new BatchOutput();
    expect(p2.run([envelope('site/c', T0)], out2, true)).toBe(1);
    // closing a partition gives its slots back
    p.close();
    expect(budget.held).toBe(0);
    expect(p2.run([envelope('site/c', T0 + 1)], new BatchOutput(), true)).toBe(0);
    expect(budget.held).toBe(1);
    p2.close();
  });

  it('a replayed reading refused by the cap leaves no dead letter (it was set aside when first consumed)', () => {
    const budget = new SensorBudget(1);
    const p = pipeline({ nowMs: T0 }, budget);
    const replayed = [envelope('a', T0), { ...envelope('b', T0), live: false }];
    const out = new BatchOutput();
    expect(p.run(replayed, out, false)).toBe(1);
    expect(out.deadLetters).toEqual([]);
    p.close();
  });
});
