/**
 * The per-rule `firing` gauge of an instance, through the rules runtime and its partitions' pipelines in
 * process: a site or fleet series is counted once per instance however its partitions come and go — fired by
 * one partition's idle step and resolved by another's reading, a partition revoked, state restored from
 * several partitions' records, rules reloaded.
 */
import { createLogger, type SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { firingByRule } from '../../src/service/firing-by-rule.js';
import type { PartitionRules } from '../../src/service/partition-pipeline.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime, type ReloadableRulesRuntime } from '../../src/service/rules-runtime.js';

const T0 = 1_767_225_600_000;
const quiet = createLogger({ service: 'test', level: 'silent' });
const RULES_TEXT = [
  'grace: 1s',
  'rules:',
  '  - { name: device-silent, absent: 10s, scope: device, severity: warning }',
  '  - { name: site-silent, absent: 10s, by: [site], severity: critical }',
  '  - { name: fleet-silent, absent: 10s, scope: fleet, severity: critical }',
].join('\n');
const RULES = parseRules(RULES_TEXT, 'rules.yaml');

let offset = 0;
function envelope(deviceId: string, timestamp: number): ReadingEnvelope {
  const reading: SensorReading = { deviceId, metric: 'cpu', value: 20, timestamp, seq: offset, labels: { site: 's' } };
  return { reading, sensor: '', offset: offset++, key: null, value: null, evaluate: true, live: true };
}

interface Lane {
  readonly rules: PartitionRules;
  readonly pipeline: PartitionPipeline;
  /** The partition's state topic partition, as the sinks would write it. */
  readonly state: Map<string, string>;
}

function lane(runtime: ReloadableRulesRuntime, partition: number, restored = new Map<string, string>()): Lane {
  const rules = runtime.createPartitionRules(restored, quiet);
  const pipeline = new PartitionPipeline({
    topic: 'readings',
    partition,
    windows: runtime.windows,
    rules,
    idleEvictMs: 120_000,
    statsIntervalMs: 0,
    now: () => T0 + 3_600_000,
  });
  return { rules, pipeline, state: new Map(restored) };
}

function keep(l: Lane, out: BatchOutput): BatchOutput {
  for (const [k, v] of out.stateChanges) l.state.set(k, v);
  return out;
}
const run = (l: Lane, ...envelopes: ReadingEnvelope[]) => keep(l, runOut(l, envelopes));
function runOut(l: Lane, envelopes: ReadingEnvelope[]): BatchOutput {
  const out = new BatchOutput();
  l.pipeline.run(envelopes, out, true);
  return out;
}
const idle = (l: Lane, nowMs: number) => {
  const out = new BatchOutput();
  l.pipeline.idle(nowMs, out, true);
  return keep(l, out);
};

const gauge = (runtime: ReloadableRulesRuntime, lanes: readonly Lane[]) =>
  Object.fromEntries(
    firingByRule(
      runtime.ruleNames ?? [],
      lanes.map((l) => l.rules),
      runtime,
    ),
  );
const fired = (out: BatchOutput) => out.alerts.map((a) => `${a.status} ${a.rule} ${a.deviceId || '*'}`).sort();

describe('firing gauge of group and fleet series', () => {
  it('fired on one partition, resolved on another that stays after the first is revoked: 0, never −1', () => {
    const runtime = createRulesRuntime(RULES);
    const a = lane(runtime, 0);
    const b = lane(runtime, 1);
    run(a, envelope('dev-a', T0));
    run(b, envelope('dev-b', T0));
    idle(b, T0 + 20_000); // b's step: dev-b silent; the site and fleet wait for a
    expect(fired(idle(a, T0 + 20_000))).toEqual([
      'FIRING device-silent dev-a',
      'FIRING fleet-silent *',
      'FIRING site-silent *',
    ]);
    expect(gauge(runtime, [a, b])).toEqual({ 'device-silent': 2, 'site-silent': 1, 'fleet-silent': 1 });
    a.pipeline.close(); // revoked: its device goes with it; the site and fleet are still firing here
    expect(gauge(runtime, [b])).toEqual({ 'device-silent': 1, 'site-silent': 1, 'fleet-silent': 1 });
    expect(fired(run(b, envelope('dev-b', T0 + 21_000)))).toEqual([
      'RESOLVED device-silent dev-b',
      'RESOLVED fleet-silent *',
      'RESOLVED site-silent *',
    ]);
    expect(gauge(runtime, [b])).toEqual({ 'device-silent': 0, 'site-silent': 0, 'fleet-silent': 0 });
  });

  it('restored from two partitions whose records differ (fired on one, resolved on the other): counted as the newest', () => {
    const first = createRulesRuntime(RULES);
    const a = lane(first, 0);
    const b = lane(first, 1);
    run(a, envelope('dev-a', T0));
    run(b, envelope('dev-b', T0));
    idle(b, T0 + 20_000);
    idle(a, T0 + 20_000); // a's state partition: site and fleet FIRING
    run(b, envelope('dev-b', T0 + 21_000)); // b's: site and fleet ok (newer)
    // a restart: both partitions restored from their state partitions
    const second = createRulesRuntime(RULES);
    const a2 = lane(second, 0, a.state);
    const b2 = lane(second, 1, b.state);
    expect(gauge(second, [a2, b2])).toEqual({ 'device-silent': 1, 'site-silent': 0, 'fleet-silent': 0 });
    // still firing after a restore: counted once, not once per partition that holds its record
    const third = createRulesRuntime(RULES);
    const a3 = lane(third, 0, a.state);
    const b3 = lane(third, 1, a.state); // (both state partitions hold the FIRING records)
    expect(gauge(third, [a3, b3])).toEqual({ 'device-silent': 2, 'site-silent': 1, 'fleet-silent': 1 });
  });

  it('a reload that keeps the rules: each firing site and fleet series still counted once', () => {
    const runtime = createRulesRuntime(RULES);
    const a = lane(runtime, 0);
    const b = lane(runtime, 1);
    run(a, envelope('dev-a', T0));
    run(b, envelope('dev-b', T0));
    idle(a, T0 + 20_000);
    idle(b, T0 + 20_000);
    expect(gauge(runtime, [a, b])).toEqual({ 'device-silent': 2, 'site-silent': 1, 'fleet-silent': 1 });
    runtime.reload(parseRules(RULES_TEXT, 'rules.yaml'));
    for (const l of [a, b]) runtime.update(l.rules, new BatchOutput());
    expect(gauge(runtime, [a, b])).toEqual({ 'device-silent': 2, 'site-silent': 1, 'fleet-silent': 1 });
  });
});
