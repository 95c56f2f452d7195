/**
 * SensorReadingDecoder against the codec it stands in for: on valid readings, on readings it has seen before
 * (its fast path), and on mutated and hostile bytes, every result — value or DecodeError code and message —
 * must be the codec's. Then what it is for: one string per device id, one frozen object per labels encoding,
 * bounded tables whatever the input.
 */
import type avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvroCodec, loadSchema, type SensorReading, SensorReadingDecoder, sensorReadingCodec } from '../src/index.js';
import { zigzagVarint } from './support/zigzag-varint.js';

const metric = fc.constantFrom<SensorReading['metric']>('temperature', 'cpu', 'memory');
const reading: fc.Arbitrary<SensorReading> = fc.record({
  deviceId: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 80 })),
  metric,
  value: fc.double(),
  timestamp: fc.oneof(
    fc.integer({ min: 0, max: 2 ** 42 }),
    fc.integer({ min: 2 ** 50, max: 2 ** 52 }),
    fc.integer({ min: -(2 ** 52), max: 0 }),
  ),
  seq: fc.oneof(fc.nat(), fc.integer({ min: 2 ** 50, max: 2 ** 52 })),
  labels: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 4 }),
});

/** Both results alike: the same value (deeply), or an error with the same code and message. */
function expectSame(
  got: ReturnType<SensorReadingDecoder['safeDecode']>,
  want: ReturnType<AvroCodec<SensorReading>['safeDecode']>,
): void {
  expect(got.ok).toBe(want.ok);
  if (got.ok && want.ok) {
    expect(got.value).toStrictEqual(want.value);
    expect(Object.keys(got.value)).toEqual(Object.keys(want.value));
    expect(Object.is(got.value.value, want.value.value)).toBe(true); // -0 and NaN too
  } else if (!got.ok && !want.ok) {
    expect(got.error.code).toBe(want.error.code);
    expect(got.error.message).toBe(want.error.message);
  }
}

describe('SensorReadingDecoder', () => {
  it('decodes every valid reading as the codec does, first sight and again (the fast path)', () => {
    const codec = sensorReadingCodec();
    const decoder = new SensorReadingDecoder(codec);
    fc.assert(
      fc.property(reading, (r) => {
        const bytes = codec.encode(r);
        expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
        expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
        expectSame(decoder.safeDecode(Buffer.from(bytes)), codec.safeDecode(bytes));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses and accepts mutated bytes exactly as the codec does, also once the original was seen', () => {
    const codec = sensorReadingCodec();
    const decoder = new SensorReadingDecoder(codec);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
      }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
    );
    fc.assert(
      fc.property(reading, fc.array(mutation, { minLength: 1, maxLength: 3 }), (r, mutations) => {
        const original = codec.encode(r);
        decoder.safeDecode(original); // its id and labels are now known: mutants reach the fast path
        let bytes = Buffer.from(original);
        for (const m of mutations) {
          if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length]! ^= 1 << m.bit;
          else if (m.kind === 'cut') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
          else if (m.kind === 'insert') {
            const at = m.at % (bytes.length + 1);
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
          } else if (m.kind === 'append') bytes = Buffer.concat([bytes, Buffer.from(m.bytes)]);
        }
        expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees with the codec on longs at and beyond 2^53, negative lengths, bad enum indexes and empty input', () => {
    const codec = sensorReadingCodec();
    const decoder = new SensorReadingDecoder(codec);
    const r: SensorReading = { deviceId: 'd', metric: 'cpu', value: 1, timestamp: 5, seq: 1, labels: {} };
    const good = codec.encode(r);
    decoder.safeDecode(good);
    const header = good.subarray(0, 10);
    const body = (timestamp: bigint, { id = [2, 0x64], metricByte = 2 } = {}) =>
      Buffer.from([...header, ...id, metricByte, ...Buffer.alloc(8), ...zigzagVarint(timestamp), 2, 0]);
    const cases = [
      body(2n ** 52n),
      body(2n ** 53n - 1n),
      body(2n ** 53n),
      body(2n ** 53n + 1n),
      body(-(2n ** 53n)),
      body(2n ** 62n),
      body(2n ** 70n),
      body(5n, { id: [1, 0x64] }), // negative length
      body(5n, { id: [0x80, 0x80, 0x01] }), // a three-byte length
      body(5n, { metricByte: 6 }), // enum index 3 of 3 symbols
      body(5n, { metricByte: 1 }), // a negative enum index
      Buffer.alloc(0),
      header,
    ];
    for (const bytes of cases) expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
    expectSame(decoder.safeDecode(null), codec.safeDecode(null));
  });

  it('hands out one string per device id and one frozen labels object per labels encoding', () => {
    const codec = sensorReadingCodec();
    const decoder = new SensorReadingDecoder(codec);
    const decode = (r: SensorReading): SensorReading => {
      const result = decoder.safeDecode(codec.encode(r));
      if (!result.ok) throw result.error;
      return result.value;
    };
    const base: SensorReading = {
      deviceId: 'site-a/dev-0001',
      metric: 'temperature',
      value: 20,
      timestamp: 1_700_000_000_000,
      seq: 1,
      labels: { site: 'site-a' },
    };
    const first = decode(base);
    const second = decode({ ...base, metric: 'cpu', value: 50, seq: 2 });
    const third = decode({ ...base, seq: 3, value: 21 });
    expect(third.labels).toBe(second.labels);
    expect(Object.isFrozen(third.labels)).toBe(true);
    expect(third.deviceId).toBe(second.deviceId);
    expect(first.labels).toEqual({ site: 'site-a' });
    // another device with the same labels shares them; other labels are another object
    const other = decode({ ...base, deviceId: 'site-a/dev-0002' });
    expect(decode({ ...base, deviceId: 'site-a/dev-0002', seq: 9 }).labels).toBe(other.labels);
    expect(decode({ ...base, labels: { site: 'site-b' } }).labels).toEqual({ site: 'site-b' });
  });

  it('stays correct when the tables overflow (more devices and label sets than entries)', () => {
    const codec = sensorReadingCodec();
    const decoder = new SensorReadingDecoder(codec);
    for (let i = 0; i < 50_000; i++) {
      const r: SensorReading = {
        deviceId: `dev-${i % 40_000}`,
        metric: 'memory',
        value: i,
        timestamp: i,
        seq: i,
        labels: { site: `s-${i % 5_000}` },
      };
      const bytes = codec.encode(r);
      const got = decoder.safeDecode(bytes);
      expect(got.ok && got.value).toStrictEqual(codec.decode(bytes));
    }
  });

  it('takes the codec path for every record when the reader schema is not the one it reads', () => {
    const schema = loadSchema('SensorReading') as avro.schema.RecordType;
    const reordered: avro.schema.RecordType = { ...schema, fields: [...schema.fields].reverse() };
    const codec = new AvroCodec<SensorReading>(reordered);
    const decoder = new SensorReadingDecoder(codec);
    const r: SensorReading = { deviceId: 'd', metric: 'cpu', value: 1, timestamp: 5, seq: 1, labels: { a: 'b' } };
    const bytes = codec.encode(r);
    expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
    expectSame(decoder.safeDecode(bytes), codec.safeDecode(bytes));
  });
});
