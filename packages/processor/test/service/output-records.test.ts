/**
 * Output records against the producer's message limit: an alert larger than it (a 900 KB device id makes a
 * device-silent alert larger than the broker accepts) is set aside to the DLQ as OUTPUT_TOO_LARGE instead of
 * failing the batch, and an input too large to dead-letter whole keeps its headers without its value.
 */
import { alertCodec, createLogger, DLQ_HEADERS, type RawRecord, type SensorReading } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/rules/load-rules.js';
import { BatchOutput } from '../../src/service/batch-output.js';
import { OutputRecords } from '../../src/service/output-records.js';
import { PartitionPipeline, type ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';

const T0 = 1_767_225_600_000;
const TOPICS = {
  readings: 'r',
  alerts: 'alerts',
  stats: 'stats',
  readingsDlq: 'dlq',
  alertState: 'state',
  deliveriesDlq: 'ddlq',
  deliveriesRetry: 'dretry',
};
const RULES = parseRules(
  'grace: 0s\nrules:\n  - { name: silent, metric: temperature, absent: 10s, severity: warning }\n',
  'rules.yaml',
);
const HUGE = 'x'.repeat(900_000);

function headerMap(record: RawRecord): Record<string, string> {
  return Object.assign({}, ...(record.headers ?? []).map((h) => ({ ...h })));
}

/** What a partition produces when a huge device and a normal one go silent: two device-silent alerts. */
function silentAlerts(): BatchOutput {
  const runtime = createRulesRuntime(RULES);
  const pipeline = new PartitionPipeline({
    topic: 'r',
    partition: 0,
    windows: runtime.windows,
    rules: runtime.createPartitionRules(new Map(), createLogger({ service: 'test', level: 'silent' })),
    idleEvictMs: 60_000,
    statsIntervalMs: 0,
    now: () => T0 + 60_000,
  });
  const env = (deviceId: string, offset: number, timestamp: number): ReadingEnvelope => {
    const reading: SensorReading = { deviceId, metric: 'temperature', value: 20, timestamp, seq: offset, labels: {} };
    return { reading, sensor: '', offset, key: null, value: null, evaluate: true, live: true };
  };
  const out = new BatchOutput();
  pipeline.run([env(HUGE, 0, T0), env('small', 1, T0), env('other', 2, T0 + 30_000)], out, true);
  return out;
}

describe('OutputRecords and the message size limit', () => {
  it('sets an alert larger than the limit aside as OUTPUT_TOO_LARGE, keeps the others', () => {
    const out = silentAlerts();
    expect(out.alerts.map((a) => a.deviceId.length)).toEqual([900_000, 5]);
    const tooLarge: number[] = [];
    const encoder = new OutputRecords(
      TOPICS,
      1_000_000,
      () => T0,
      () => tooLarge.push(1),
    );
    const records: RawRecord[] = [];
    encoder.appendOutputs(out, records, { topic: 'r', partition: 0, offset: '2' });
    expect(records.map((r) => r.topic)).toEqual(['dlq', 'alerts']);
    const setAside = headerMap(records[0]!);
    expect(records[0]!.value).toBeNull();
    expect(setAside[DLQ_HEADERS.errorCode]).toBe('OUTPUT_TOO_LARGE');
    expect(setAside[DLQ_HEADERS.sourceOffset]).toBe('2');
    expect(setAside['dlq.output.topic']).toBe('alerts');
    expect(setAside['dlq.output.event-id']).toBe(out.alerts[0]!.eventId);
    expect(Number(setAside['dlq.output.bytes'])).toBeGreaterThan(1_000_000);
    expect(alertCodec().decode(records[1]!.value!).deviceId).toBe('small');
    expect(tooLarge).toHaveLength(1);
    // a state record over the limit is not kept (its series starts afresh after a restore); the checkpoint is
    const state: RawRecord[] = [];
    new OutputRecords(TOPICS, 100_000).appendState('r', 0, out, 2, 0, state);
    expect(state.every((r) => (r.value?.length ?? 0) < 1_000)).toBe(true);
    expect(state.length).toBe(out.stateChanges.size); // the huge series' record left out, the checkpoint added
  });

  it('dead-letters a reading too large to copy with its headers and without its value', () => {
    const out = new BatchOutput();
    out.deadLetters.push({
      key: Buffer.from('k'),
      value: Buffer.alloc(1_040_000),
      code: 'DECODE_TOO_LARGE',
      headers: { [DLQ_HEADERS.errorCode]: 'DECODE_TOO_LARGE', [DLQ_HEADERS.sourceOffset]: '7' },
    });
    const records: RawRecord[] = [];
    new OutputRecords(TOPICS).appendOutputs(out, records);
    expect(records).toHaveLength(1);
    expect(records[0]!.value).toBeNull();
    expect(headerMap(records[0]!)).toMatchObject({
      [DLQ_HEADERS.errorCode]: 'DECODE_TOO_LARGE',
      [DLQ_HEADERS.sourceOffset]: '7',
    });
    expect(Number(headerMap(records[0]!)['dlq.value.dropped-bytes'])).toBeGreaterThan(1_040_000);
  });
});
