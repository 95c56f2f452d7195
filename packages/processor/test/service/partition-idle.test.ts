/**
 * A partition's idle step (what the shell calls when the partition is caught up and idle), in process with an
 * injected wall clock: its event clock follows the wall clock while it stays idle, and the instance's group and
 * fleet series are judged on the slowest partition; what fires goes to the step's output like a batch's. The
 * wall clock only stands in for event time while the partition is idle: readings dated behind it (a backfill,
 * a fast simulator run) are judged on their own event time again, so they raise no false silence.
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
function envelope(
  deviceId: string,
  timestamp: number,
  value = 20,
  labels: Record<string, string> = {},
): ReadingEnvelope {
  const reading: SensorReading = { deviceId, metric: 'cpu', value, timestamp, seq: offset, labels };
  return { reading, sensor: '', offset: offset++, key: null, value: null, evaluate: true, live: true };
}

/** Readings of `devices`, each every second of event time from `fromMs` to `toMs`, interleaved. */
function burst(devices: readonly string[], fromMs: number, toMs: number, value = 20): ReadingEnvelope[] {
  const out: ReadingEnvelope[] = [];
  for (let t = fromMs; t <= toMs; t += 1_000) for (const d of devices) out.push(envelope(d, t, value));
  return out;
}

/** Runs `envelopes` in batches of `size` (as a consumer would hand them over); every output in one. */
function runInBatches(p: PartitionPipeline, envelopes: readonly ReadingEnvelope[], size: number): BatchOutput {
  const all = new BatchOutput();
  for (let i = 0; i < envelopes.length; i += size) {
    const out = new BatchOutput();
    p.run(envelopes.slice(i, i + size), out, true);
    all.alerts.push(...out.alerts);
  }
  return all;
}

function partitions(count: number, clock: { nowMs: number }, rules = RULES): PartitionPipeline[] {
  const runtime = createRulesRuntime(rules); // one instance: its partitions share the group tracker
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
  it('the clock follows the wall clock while idle and never goes back while idle; silence fires from the idle step', () => {
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
    expect(p!.idle(T0 + 5_000, new BatchOutput(), true)).toBe(T0 + 11_001); // never back while idle
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

  it('readings dated behind the idle clock are judged on their own event time: no silence between them', () => {
    const clock = { nowMs: T0 + 600_000 };
    const [p] = partitions(1, clock);
    p!.run([envelope('dev-0', T0)], new BatchOutput(), true);
    const idleOut = new BatchOutput();
    expect(p!.idle(clock.nowMs, idleOut, true)).toBe(T0 + 600_000);
    expect(fired(idleOut)).toEqual(['FIRING device-silent dev-0', 'FIRING fleet-silent *']); // a real silence
    // a fast run: three devices, one reading a second each, dated the last five minutes
    const out = runInBatches(p!, burst(['dev-1', 'dev-2', 'dev-3'], T0 + 300_000, T0 + 599_000), 50);
    expect(fired(out)).toEqual(['RESOLVED fleet-silent *']); // dev-0 stays firing until it reports
    expect(p!.clockMs).toBe(T0 + 599_000); // the readings' event time, behind where the idle clock had got to
    // idle again: the wall clock stands in once more, and the run's own end is a real silence
    clock.nowMs = T0 + 620_000;
    const after = new BatchOutput();
    expect(p!.idle(clock.nowMs, after, true)).toBe(T0 + 620_000);
    expect(fired(after)).toEqual([
      'FIRING device-silent dev-1',
      'FIRING device-silent dev-2',
      'FIRING device-silent dev-3',
      'FIRING fleet-silent *',
    ]);
    // startsAt = last reading + absent, whatever clock noticed it: the id a reading-driven clock gives
    expect(after.alerts.map((a) => a.startsAt)).toEqual(after.alerts.map(() => T0 + 609_000));
    const back = runInBatches(p!, [envelope('dev-0', T0 + 619_000)], 1);
    expect(fired(back)).toEqual(['RESOLVED device-silent dev-0', 'RESOLVED fleet-silent *']);
  });

  it('a gap longer than absent in the readings themselves still fires, at its event time', () => {
    const clock = { nowMs: T0 + 600_000 };
    const [p] = partitions(1, clock);
    p!.run([envelope('dev-1', T0)], new BatchOutput(), true);
    p!.idle(clock.nowMs, new BatchOutput(), true);
    const out = runInBatches(
      p!,
      [...burst(['dev-1', 'dev-2'], T0 + 300_000, T0 + 310_000), ...burst(['dev-2'], T0 + 311_000, T0 + 330_000)],
      7,
    );
    // dev-1 stops at +310 s while dev-2 goes on: silent once dev-2's readings pass +310 s + absent + grace
    expect(fired(out)).toEqual([
      'FIRING device-silent dev-1',
      'RESOLVED device-silent dev-1',
      'RESOLVED fleet-silent *',
    ]);
    const firing = out.alerts.filter((a) => a.status === 'FIRING' && a.deviceId === 'dev-1');
    expect(firing.map((a) => a.startsAt)).toEqual([T0 + 320_000]);
  });

  it('old-dated readings on one partition while another stays idle: the fleet is judged on the slower clock', () => {
    const clock = { nowMs: T0 + 600_000 };
    const [a, b] = partitions(2, clock);
    a!.run([envelope('dev-a0', T0)], new BatchOutput(), true);
    b!.run([envelope('dev-b0', T0)], new BatchOutput(), true);
    const idleOut = new BatchOutput();
    a!.idle(clock.nowMs, idleOut, true);
    b!.idle(clock.nowMs, idleOut, true);
    expect(fired(idleOut)).toEqual([
      'FIRING device-silent dev-a0',
      'FIRING device-silent dev-b0',
      'FIRING fleet-silent *',
    ]);
    const out = runInBatches(a!, burst(['dev-a1', 'dev-a2'], T0 + 300_000, T0 + 599_000), 25);
    expect(fired(out)).toEqual(['RESOLVED fleet-silent *']);
    // b, still idle at the wall clock, holds nothing back; its idle steps fire nothing new either
    clock.nowMs = T0 + 601_000;
    const bOut = new BatchOutput();
    b!.idle(clock.nowMs, bOut, true);
    expect(fired(bOut)).toEqual([]);
  });

  it('a pending for duration is judged on the readings event time too: a short spike dated in the past fires nothing', () => {
    const rules = parseRules(
      [
        'grace: 1s',
        'rules:',
        '  - { name: cpu-high, metric: cpu, window: 5s, statistic: max, above: 90, for: 10s, severity: warning }',
        '  - { name: device-silent, absent: 10s, scope: device, severity: warning }',
      ].join('\n'),
      'rules.yaml',
    );
    const clock = { nowMs: T0 + 600_000 };
    const [p] = partitions(1, clock, rules);
    p!.run([envelope('dev-0', T0)], new BatchOutput(), true);
    p!.idle(clock.nowMs, new BatchOutput(), true);
    // cpu above 90 for 4 s of event time (less than for: 10s), then normal again; 8 readings per batch
    const spike = [
      ...burst(['dev-1'], T0 + 300_000, T0 + 303_000, 99),
      ...burst(['dev-1'], T0 + 304_000, T0 + 330_000, 20),
    ];
    const out = runInBatches(p!, spike, 8);
    expect(fired(out)).toEqual([]);
  });
});
