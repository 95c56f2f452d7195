/**
 * Rules reload through the rules runtime and two partitions' pipelines, in process: windows are added and
 * dropped with the rules, a device-scope series gets its RESOLVED, a site (group) series shared by the
 * partitions is resolved once, and a change of grace is refused.
 */
import { createLogger, type SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';

const T0 = 1_700_000_000_000;
const quiet = createLogger({ service: 'test', level: 'silent' });

const HOT = `
  - name: hot
    metric: temperature
    window: 10s
    statistic: mean
    above: 50
    severity: critical`;
const DEVICE_SILENT = `
  - name: device-silent
    absent: 5s
    scope: device
    severity: warning`;
const SITE_SILENT = `
  - name: site-silent
    absent: 5s
    by: [site]
    severity: critical`;
const rules = (grace: string, ...parts: string[]) =>
  parseRules(`grace: ${grace}\nrules:${parts.join('')}`, 'rules.yaml');

function envelope(deviceId: string, offset: number, t: number, value: number): ReadingEnvelope {
  const reading: SensorReading = {
    deviceId,
    metric: 'temperature',
    value,
    timestamp: T0 + t * 1_000,
    seq: offset,
    labels: { site: 'b' },
  };
  return { reading, sensor: '', offset, key: null, value: null, evaluate: true, live: true };
}

describe('rules runtime reload', () => {
  it('resolves device and site series of removed rules (the site once for the instance) and swaps windows', () => {
    const runtime = createRulesRuntime(rules('0s', HOT, DEVICE_SILENT, SITE_SILENT));
    const partitions = [0, 1].map((partition) => {
      const partitionRules = runtime.createPartitionRules(new Map(), quiet);
      const pipeline = new PartitionPipeline({
        topic: 'readings',
        partition,
        windows: runtime.windows,
        rules: partitionRules,
        idleEvictMs: 60_000,
        statsIntervalMs: 0,
        now: () => T0 + 3_600_000,
      });
      return { partitionRules, pipeline };
    });
    const [p0, p1] = partitions as [(typeof partitions)[0], (typeof partitions)[0]];
    const out = new BatchOutput();
    p0.pipeline.run([envelope('b/dev-1', 0, 0, 60)], out, true);
    p1.pipeline.run([envelope('b/dev-2', 0, 0, 20)], out, true);
    // both partitions' clocks pass the silence: dev-1, dev-2 and site b fire
    p0.pipeline.idle(T0 + 10_000, out, true);
    p1.pipeline.idle(T0 + 10_000, out, true);
    expect(out.alerts.map((a) => `${a.rule} ${a.status} ${a.deviceId}`).sort()).toEqual([
      'device-silent FIRING b/dev-1',
      'device-silent FIRING b/dev-2',
      'hot FIRING b/dev-1',
      'site-silent FIRING ',
    ]);
    expect(p0.pipeline.windowsHeld).toBe(1);

    // hot kept on another window, both absence rules removed
    const change = runtime.reload(rules('0s', HOT.replace('window: 10s', 'window: 20s')));
    expect(change).toMatchObject({ changed: ['hot'], removed: ['device-silent', 'site-silent'] });
    const reloaded = partitions.map(({ partitionRules, pipeline }) => {
      const o = new BatchOutput();
      const windows = runtime.update(partitionRules, o);
      expect(windows?.map((w) => w.key)).toEqual(['time:20s']);
      pipeline.setWindows(windows!);
      expect(runtime.update(partitionRules, new BatchOutput())).toBeUndefined(); // up to date now
      return o;
    });
    const summaries = reloaded.flatMap((o) => o.alerts.map((a) => `${a.status} ${a.summary}`)).sort();
    expect(summaries).toEqual([
      'RESOLVED device-silent on b/dev-1: resolved by a rules reload (rule removed)',
      'RESOLVED device-silent on b/dev-2: resolved by a rules reload (rule removed)',
      'RESOLVED hot on b/dev-1/temperature: resolved by a rules reload (rule changed)',
      'RESOLVED site-silent on site=b: resolved by a rules reload (rule removed)',
    ]);
    const deviceResolved = reloaded.flatMap((o) => o.alerts).find((a) => a.rule === 'device-silent')!;
    expect(deviceResolved.labels).toMatchObject({ site: 'b' }); // the device's labels, as its FIRING had them
    const siteFiring = out.alerts.find((a) => a.rule === 'site-silent')!;
    const siteResolved = reloaded.flatMap((o) => o.alerts).find((a) => a.rule === 'site-silent')!;
    expect(siteResolved.fingerprint).toBe(siteFiring.fingerprint);
    expect(siteResolved.labels).toMatchObject({ site: 'b' });
    // the windows held were released: the changed rule starts on an empty 20s window
    expect(p0.pipeline.windowsHeld).toBe(0);
    expect(partitions.map((p) => p.partitionRules.firing)).toEqual([0, 0]);
  });

  it('refuses a change of grace and keeps the rules', () => {
    const runtime = createRulesRuntime(rules('2s', HOT));
    expect(() => runtime.reload(rules('5s', HOT))).toThrow(
      'grace changed from 2s to 5s: the windows held keep the allowed lateness they were made with, so a change of grace takes a restart of the processor',
    );
    expect(runtime.generation).toBe(1);
  });
});
