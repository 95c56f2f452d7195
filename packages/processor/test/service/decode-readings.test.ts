import { DLQ_HEADERS, type SensorReading, sensorReadingCodec } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { BatchOutput } from '../../src/service/batch-output.js';
import { type DecodeContext, decodeReadings, releaseRecordBytes } from '../../src/service/decode-readings.js';
import type { ReadingEnvelope } from '../../src/service/partition-pipeline.js';
import { DEFAULT_READING_LIMITS } from '../../src/service/reading-validation.js';
import { ReplayCheckpoints } from '../../src/state/replay-checkpoints.js';

const codec = sensorReadingCodec();
const NOW = 1_767_225_600_000;

function reading(seq: number, value = 50): SensorReading {
  return { deviceId: 'site/dev-1', metric: 'cpu', value, timestamp: NOW - 60_000 + seq * 1_000, seq, labels: {} };
}

function context(overrides: Partial<DecodeContext> = {}): DecodeContext {
  return {
    topic: 'readings',
    partition: 3,
    codec,
    limits: DEFAULT_READING_LIMITS,
    nowMs: NOW,
    checkpoints: new ReplayCheckpoints(10_000),
    evaluateAfter: -1,
    live: true,
    deadLetterAfter: -1,
    ...overrides,
  };
}

describe('decodeReadings', () => {
  const records = [
    { offset: 10, key: Buffer.from('site/dev-1'), value: codec.encode(reading(0)) },
    { offset: 11, key: Buffer.from('x'), value: Buffer.from('not avro at all, clearly') },
    { offset: 12, key: 'site/dev-1', value: codec.encode(reading(2, Number.NaN)) },
    { offset: 13, key: Buffer.from('site/dev-1'), value: codec.encode(reading(3)) },
  ];

  it('turns good records into envelopes and bad ones into dead letters that say where they came from and why', () => {
    const envelopes: ReadingEnvelope[] = [];
    const out = new BatchOutput();
    const setAside = decodeReadings(records, 0, records.length, context(), envelopes, out);
    expect(setAside).toBe(2);
    expect(envelopes.map((e) => [e.offset, e.reading.seq, e.evaluate, e.live])).toEqual([
      [10, 0, true, true],
      [13, 3, true, true],
    ]);
    expect(out.deadLetters.map((d) => [d.code, d.headers[DLQ_HEADERS.sourceOffset]])).toEqual([
      ['DECODE_BAD_MAGIC', '11'],
      ['READING_NON_FINITE_VALUE', '12'],
    ]);
    expect(out.deadLetters[1]!.key).toEqual(Buffer.from('site/dev-1'));
    expect(out.deadLetters[0]!.headers[DLQ_HEADERS.sourcePartition]).toBe('3');
  });

  it('evaluates rules only after `evaluateAfter` and dead-letters only after `deadLetterAfter`; a slice of the batch only', () => {
    const envelopes: ReadingEnvelope[] = [];
    const out = new BatchOutput();
    decodeReadings(records, 1, 4, context({ evaluateAfter: 12, deadLetterAfter: 11 }), envelopes, out);
    expect(envelopes.map((e) => [e.offset, e.evaluate])).toEqual([[13, true]]);
    expect(out.deadLetters.map((d) => d.code)).toEqual(['READING_NON_FINITE_VALUE']);
  });

  it('while replaying, skips bad records without dead letters, and still observes replay points', () => {
    const envelopes: ReadingEnvelope[] = [];
    const checkpoints = new ReplayCheckpoints(10_000);
    decodeReadings(
      records,
      0,
      records.length,
      context({ live: false, deadLetterAfter: undefined, evaluateAfter: Number.POSITIVE_INFINITY, checkpoints }),
      envelopes,
    );
    expect(envelopes.map((e) => [e.offset, e.evaluate, e.live])).toEqual([
      [10, false, false],
      [13, false, false],
    ]);
    expect(checkpoints.replayFrom()).toBe(10);
  });

  it('releaseRecordBytes lets go of key and value once the batch has run', () => {
    const envelopes: ReadingEnvelope[] = [];
    decodeReadings(records, 0, 1, context(), envelopes, new BatchOutput());
    expect(envelopes[0]!.value).not.toBeNull();
    releaseRecordBytes(envelopes);
    expect([envelopes[0]!.key, envelopes[0]!.value]).toEqual([null, null]);
    expect(envelopes[0]!.reading.seq).toBe(0);
  });
});
