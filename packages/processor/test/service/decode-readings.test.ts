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

  it('dead-letters each hostile record with its own reason and the dlq.* headers', () => {
    const good = reading(0);
    const encoded = codec.encode(good);
    // a valid header and body whose labels map claims 2^31 entries (the empty map's 0x00 replaced)
    const labelsBomb = Buffer.concat([
      encoded.subarray(0, encoded.length - 1),
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
    ]);
    const hostile: [string, Buffer | string | null, Buffer][] = [
      ['DECODE_BAD_LENGTH', 'site/dev-1', labelsBomb],
      ['READING_DEVICE_ID_TOO_LONG', 'x', codec.encode({ ...good, deviceId: 'x'.repeat(900_000) })],
      ['READING_TIMESTAMP_IN_FUTURE', 'site/dev-1', codec.encode({ ...good, timestamp: NOW + 23 * 3_600_000 })],
      ['READING_KEY_MISMATCH', 'site/dev-2', encoded],
      ['READING_KEY_MISMATCH', null, encoded],
      ['READING_VALUE_OUT_OF_RANGE', 'site/dev-1', codec.encode({ ...good, value: 150 })],
      [
        'READING_TOO_MANY_LABELS',
        'site/dev-1',
        codec.encode({ ...good, labels: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`l${i}`, 'v'])) }),
      ],
      ['DECODE_TRUNCATED', 'site/dev-1', encoded.subarray(0, encoded.length - 3)],
      ['DECODE_BAD_MAGIC', 'site/dev-1', Buffer.from('{"deviceId":"site/dev-1"}')],
    ];
    const recs = hostile.map(([, key, value], i) => ({ offset: 100 + i, key, value }));
    const envelopes: ReadingEnvelope[] = [];
    const out = new BatchOutput();
    expect(decodeReadings(recs, 0, recs.length, context(), envelopes, out)).toBe(hostile.length);
    expect(envelopes).toEqual([]);
    expect(out.deadLetters.map((d) => d.code)).toEqual(hostile.map(([code]) => code));
    for (const [i, d] of out.deadLetters.entries()) {
      expect(d.headers[DLQ_HEADERS.errorCode]).toBe(hostile[i]![0]);
      expect(d.headers[DLQ_HEADERS.sourceOffset]).toBe(String(100 + i));
      expect(d.headers[DLQ_HEADERS.sourceTopic]).toBe('readings');
      expect(d.headers[DLQ_HEADERS.errorMessage]!.length).toBeLessThanOrEqual(2_000);
    }
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
