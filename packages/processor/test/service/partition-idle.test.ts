/**
 * A partition's idle step (what the shell calls when the partition is caught up and idle), in process with an
 * injected wall clock: its event clock follows the wall clock, never back, and the instance's group and fleet
 * series are judged on the slowest partition; what fires goes to the step's output like a batch's.
 */
import { createLogger, type SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';

const T0 = 1_767_225_600_000;
const quiet = createLogger({ service: 'test', level: 'silent' });
const RULES = parseRules(
  [
    'grace: 1s',
    'rules:',
    '  - { name: device-silent, absent: 10s, scope: device, severity: warning }',
    '  - { name: fleet-silent, absent: 10s, scope: fleet, severity: critical }',
  ].join('\n'),
  'rules.yaml',
);

let offset = 0;
function envelope(deviceId: string, timestamp: number): ReadingEnvelope {
  const reading: SensorReading = { deviceId, metric: 'cpu', value: 20, timestamp, seq: offset, labels: {} };
  return { reading, sensor: '', offset: offset++, key: null, value: null, evaluate: true, live: true };
}

function partitions(count: number, clock: { nowMs: number }): PartitionPipeline[] {
  const runtime = createRulesRuntime(RULES); // one instance: its partitions share the group tracker
  return Array.from(
    { length: count },
    (_, partition) =>
      new PartitionPipeline({
        topic: 'readings',
        partition,
        windows: runtime.windows,
        rules: runtime.createPartitionRules(new Map(), quiet),
        idleEvictMs: 120_000,
        statsIntervalMs: 0,
        now: () => clock.nowMs,
      }),
  );
}

const fired = (out: BatchOutput) => out.alerts.map((a) => `${a.status} ${a.rule} ${a.deviceId || '*'}`).sort();

describe('partition pipeline: idle steps', () => {
  it('the clock follows the wall clock while idle and never goes back; silence fires from the idle step', () => {
    const clock = { nowMs: T0 };
    const [p] = partitions(1, clock);
    p!.run([envelope('dev-1', T0)], new BatchOutput(), true);
    clock.nowMs = T0 + 11_000;
    const quietYet = new BatchOutput();
    expect(p!.idle(clock.nowMs, quietYet, true)).toBe(T0 + 11_000);
    expect(fired(quietYet)).toEqual([]); // 11 s − 1 s grace is not more than 10 s
    const out = new BatchOutput();
    p!.idle(T0 + 11_001, out, true);
    expect(fired(out)).toEqual(['FIRING device-silent dev-1', 'FIRING fleet-silent *']);
    expect(out.stateChanges.size).toBe(2);
    expect(p!.idle(T0 + 5_000, new BatchOutput(), true)).toBe(T0 + 11_001); // never back
  });

  it('a partition that has not moved holds the fleet back; judged once it idles too', () => {
    const clock = { nowMs: T0 };
    const [a, b] = partitions(2, clock);
    a!.run([envelope('dev-1', T0)], new BatchOutput(), true);
    b!.run([envelope('dev-2', T0)], new BatchOutput(), true);
    const aOut = new BatchOutput();
    a!.idle(T0 + 60_000, aOut, true); // b is still at T0 (say, catching up on a backlog)
    expect(fired(aOut)).toEqual(['FIRING device-silent dev-1']);
    const bOut = new BatchOutput();
    b!.idle(T0 + 60_000, bOut, true);
    expect(fired(bOut)).toEqual(['FIRING device-silent dev-2', 'FIRING fleet-silent *']);
  });

  it('a closed partition no longer holds the fleet back', () => {
    const clock = { nowMs: T0 };
    const [a, b] = partitions(2, clock);
    a!.run([envelope('dev-1', T0)], new BatchOutput(), true);
    b!.close(); // revoked before it read anything
    const out = new BatchOutput();
    a!.idle(T0 + 60_000, out, true);
    expect(fired(out)).toEqual(['FIRING device-silent dev-1', 'FIRING fleet-silent *']);
  });
});
