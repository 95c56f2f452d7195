/**
 * The rules runtime with a partition's RxJS pipeline, in process: which windows the processor holds for the
 * rules, and that rules sharing a window each keep their own evaluation cadence.
 */
import type { SensorReading } from '@sensor-pipeline/shared';
import { createLogger } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';

const T0 = 1_700_000_000_000; // a multiple of every hop below, so hop intervals start at T0 + k s
const quiet = createLogger({ service: 'test', level: 'silent' });

/** Two rules on the same one-second window of device temperature; `hopped` looks at it once per second. */
const RULES = parseRules(
  [
    'grace: 0s',
    'rules:',
    '  - name: every',
    '    metric: temperature',
    '    window: 1s',
    '    statistic: max',
    '    above: 50',
    '    severity: info',
    '  - name: hopped',
    '    metric: temperature',
    '    window: { size: 1s, hop: 1s }',
    '    statistic: max',
    '    above: 50',
    '    severity: info',
  ].join('\n'),
  'rules.yaml',
);

function envelope(deviceId: string, offset: number, timestamp: number, value: number): ReadingEnvelope {
  const reading: SensorReading = { deviceId, metric: 'temperature', value, timestamp, seq: offset, labels: {} };
  return { reading, sensor: '', offset, key: null, value: null, evaluate: true, live: true };
}

describe('rules runtime: one window per distinct window', () => {
  it('holds ONE window per sensor for two rules that differ only by hop, each with its own cadence', () => {
    const runtime = createRulesRuntime(RULES);
    expect(runtime.windows.map((w) => w.key)).toEqual(['time:1s']);

    const pipeline = new PartitionPipeline({
      topic: 'readings',
      partition: 0,
      windows: runtime.windows,
      rules: runtime.createPartitionRules(new Map(), quiet),
      idleEvictMs: 60_000,
      statsIntervalMs: 0,
      now: () => T0,
    });
    // every 100 ms from T0 to T0 + 3.5 s, one spike of 90 at T0 + 1.3 s, 10 otherwise; two devices
    const envelopes: ReadingEnvelope[] = [];
    for (let i = 0; i <= 35; i++) {
      const t = T0 + i * 100;
      const value = i === 13 ? 90 : 10;
      envelopes.push(envelope('dev-1', 2 * i, t, value), envelope('dev-2', 2 * i + 1, t, value));
    }
    const out = new BatchOutput();
    pipeline.run(envelopes, out, true);

    expect(pipeline.windowsHeld).toBe(2); // one per sensor, not one per rule
    const seen = out.alerts
      .filter((a) => a.deviceId === 'dev-1')
      .map(
        (a) => `${a.rule} ${a.status} ${a.window.spec} ${a.startsAt - T0} ${a.endsAt === null ? '-' : a.endsAt - T0}`,
      );
    expect(seen).toEqual([
      // on every reading: the spike enters at 1.3 s and leaves the window (t − 1 s, t] at 2.3 s
      'every FIRING time:1s 1300 -',
      // once per second: looked at on the first reading of 2 s (spike inside) and of 3 s (gone)
      'hopped FIRING time:1s,hop:1s 2000 -',
      'every RESOLVED time:1s 1300 2300',
      'hopped RESOLVED time:1s,hop:1s 2000 3000',
    ]);
    expect(out.alerts.filter((a) => a.deviceId === 'dev-2')).toHaveLength(4);
    pipeline.close();
    expect(pipeline.windowsHeld).toBe(0);
  });
});
