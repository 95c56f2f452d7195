import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  AvroCodec,
  alertCodec,
  DecodeError,
  loadSchema,
  rabinFingerprint,
  type SensorReading,
  sensorReadingCodec,
  windowStatsCodec,
} from '../src/index.js';

const reading: SensorReading = {
  deviceId: 'site-a/dev-0042',
  metric: 'temperature',
  value: 21.625,
  timestamp: 1_767_225_600_123,
  seq: 42,
  labels: { site: 'site-a', model: 'x1' },
};

const alert: Alert = {
  eventId: 'e1',
  fingerprint: 'f1',
  status: 'RESOLVED',
  rule: 'temperature-high',
  severity: 'critical',
  deviceId: 'site-a/dev-0042',
  metric: 'temperature',
  statistic: 'mean',
  condition: 'above',
  value: 74.5,
  threshold: 80,
  startsAt: 1_767_225_600_000,
  endsAt: 1_767_225_660_000,
  window: {
    spec: 'time:30s',
    start: 1_767_225_630_000,
    end: 1_767_225_660_000,
    count: 30,
    mean: 74.5,
    median: 74,
    min: 70,
    max: 81,
  },
  labels: { team: 'facilities' },
  summary: 'site-a/dev-0042 temperature back to normal',
};

describe('rabinFingerprint (CRC-64-AVRO)', () => {
  it('matches the Avro specification test vectors', () => {
    // from the Avro project's schema fingerprint test vectors (signed 64-bit)
    expect(BigInt.asIntN(64, rabinFingerprint('"null"'))).toBe(7195948357588979594n);
    expect(BigInt.asIntN(64, rabinFingerprint('"boolean"'))).toBe(-6970731678124411036n);
    expect(BigInt.asIntN(64, rabinFingerprint('"int"'))).toBe(8247732601305521295n);
  });
});

describe('AvroCodec single-object encoding', () => {
  const codec = sensorReadingCodec();

  it('round-trips every field and writes the C3 01 marker and the schema fingerprint', () => {
    const bytes = codec.encode(reading);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.readBigUInt64LE(2)).toBe(rabinFingerprint(codec.canonicalSchema));
    expect(codec.decode(bytes)).toEqual(reading);
  });

  it('round-trips alerts (both statuses) and window stats', () => {
    const alerts = alertCodec();
    expect(alerts.decode(alerts.encode(alert))).toEqual(alert);
    const firing: Alert = { ...alert, status: 'FIRING', endsAt: null };
    expect(alerts.decode(alerts.encode(firing))).toEqual(firing);
    const stats = windowStatsCodec();
    const ws = {
      deviceId: 'd',
      metric: 'cpu',
      window: 'count:10',
      windowStart: 1,
      windowEnd: 2,
      count: 10,
      mean: 1.5,
      median: 1.5,
      min: 1,
      max: 2,
      stddev: 0.5,
    };
    expect(stats.decode(stats.encode(ws))).toEqual(ws);
  });

  it('canonical form strips docs and logical types, as the specification requires', () => {
    expect(codec.canonicalSchema).not.toContain('doc');
    expect(codec.canonicalSchema).not.toContain('logicalType');
    expect(codec.canonicalSchema.startsWith('{"name":"sensorpipeline.v1.SensorReading","type":"record"')).toBe(true);
  });

  it('encodes exactly what a plain Avro binary encoder writes after the header', () => {
    const plain = avro.Type.forSchema(loadSchema('SensorReading')).toBuffer(reading);
    expect(codec.encode(reading).subarray(10)).toEqual(plain);
  });

  it('grows its scratch buffer for large records', () => {
    const big = {
      ...reading,
      labels: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'.repeat(20)])),
    };
    expect(codec.decode(codec.encode(big))).toEqual(big);
  });

  it('rejects a value that does not fit the schema, naming the field', () => {
    expect(codec.invalidPaths({ ...reading, metric: 'humidity' })).toEqual(['metric']);
    expect(() => codec.encode({ ...reading, value: 'hot' as unknown as number })).toThrow();
  });

  it.each([
    ['empty', Buffer.alloc(0), 'DECODE_EMPTY'],
    ['null', null, 'DECODE_EMPTY'],
    ['random bytes', Buffer.from('hello world, not avro'), 'DECODE_BAD_MAGIC'],
    ['header only, too short', Buffer.from([0xc3, 0x01, 1, 2]), 'DECODE_TRUNCATED'],
    [
      'unknown fingerprint',
      Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([0])]),
      'DECODE_UNKNOWN_SCHEMA',
    ],
  ])('reports %s as a DecodeError, never throwing past safeDecode', (_name, bytes, code) => {
    const result = codec.safeDecode(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(DecodeError);
      expect(result.error.code).toBe(code);
      expect(result.error.retriable).toBe(false);
    }
  });

  it('detects a truncated body and trailing bytes', () => {
    const bytes = codec.encode(reading);
    const truncated = codec.safeDecode(bytes.subarray(0, bytes.length - 3));
    expect(truncated.ok || truncated.error.code).toBe('DECODE_TRUNCATED');
    const trailing = codec.safeDecode(Buffer.concat([bytes, Buffer.from([1, 2])]));
    expect(trailing.ok || trailing.error.code).toBe('DECODE_TRAILING_BYTES');
  });

  it('decodes records written with an older writer schema once it is added (schema resolution)', () => {
    const v0 = {
      type: 'record',
      name: 'SensorReading',
      namespace: 'sensorpipeline.v1',
      fields: [
        { name: 'deviceId', type: 'string' },
        { name: 'metric', type: { type: 'enum', name: 'Metric', symbols: ['temperature', 'cpu', 'memory'] } },
        { name: 'value', type: 'double' },
        { name: 'timestamp', type: 'long' },
        { name: 'seq', type: 'long' },
      ],
    } as const;
    const oldWriter = new AvroCodec<Omit<SensorReading, 'labels'>>(v0 as never);
    const { labels: _labels, ...old } = reading;
    const bytes = oldWriter.encode(old);
    expect(codec.safeDecode(bytes).ok).toBe(false);
    const reader = sensorReadingCodec().addWriterSchema(v0 as never);
    expect(reader.decode(bytes)).toEqual({ ...old, labels: {} });
  });
});

describe('AvroCodec confluent framing', () => {
  it('writes magic 0 and the big-endian schema id, and checks both on decode', () => {
    const codec = sensorReadingCodec({ kind: 'confluent', schemaId: 1234 });
    const bytes = codec.encode(reading);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(1234);
    expect(codec.decode(bytes)).toEqual(reading);
    const other = sensorReadingCodec({ kind: 'confluent', schemaId: 99 });
    expect(() => other.decode(bytes)).toThrow(/schema id 1234/);
    expect(() => sensorReadingCodec({ kind: 'confluent', schemaId: -1 })).toThrow(RangeError);
  });
});
