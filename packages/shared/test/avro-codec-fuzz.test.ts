/**
 * Fuzzing the codec: arbitrary bytes, and mutations of valid readings and alerts (bit flips, truncation,
 * inserted bytes, huge varints spliced in where lengths and counts sit). Every input must end in a value or
 * a coded `DecodeError` — never another exception — and the work avsc does is bounded by the record's size:
 * the strings it reads are counted (an operation count, not wall time) and may never exceed the bytes.
 */
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  type AvroCodec,
  alertCodec,
  DecodeError,
  type DecodeErrorCode,
  type SensorReading,
  sensorReadingCodec,
} from '../src/index.js';
import { zigzagVarint } from './support/zigzag-varint.js';

const CODES: readonly DecodeErrorCode[] = [
  'DECODE_EMPTY',
  'DECODE_BAD_MAGIC',
  'DECODE_UNKNOWN_SCHEMA',
  'DECODE_TRUNCATED',
  'DECODE_TRAILING_BYTES',
  'DECODE_TOO_LARGE',
  'DECODE_BAD_LENGTH',
  'DECODE_INVALID',
];

const stringProto = (avro.types as unknown as Record<string, { prototype: { _read: (tap: unknown) => unknown } }>)
  .StringType!.prototype;

/** Decodes `bytes`, counting avsc's string reads; more than the record's bytes throws out of the decode. */
function boundedDecode<T>(codec: AvroCodec<T>, bytes: Buffer): ReturnType<AvroCodec<T>['safeDecode']> {
  const original = stringProto._read;
  let reads = 0;
  stringProto._read = function (this: unknown, tap: unknown) {
    reads += 1;
    if (reads > bytes.length) throw new Error(`decode work exceeds the record's ${bytes.length} bytes`);
    return original.call(this, tap);
  };
  try {
    return codec.safeDecode(bytes);
  } finally {
    stringProto._read = original;
  }
}

function expectValueOrCodedError<T>(codec: AvroCodec<T>, bytes: Buffer): void {
  const result = boundedDecode(codec, bytes);
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(DecodeError);
    expect(CODES).toContain(result.error.code);
    // the work bound held: the refusal is ours, not the counter's
    expect(result.error.message).not.toMatch(/decode work exceeds/);
  }
}

// avsc builds maps as plain objects, where a `__proto__` key is not an own property: such a label does not
// round-trip (it is dropped; a string cannot become a prototype), so the generator leaves it out
const labelsArb = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__'),
  fc.string({ maxLength: 12 }),
  { maxKeys: 8 },
);

const readingArb: fc.Arbitrary<SensorReading> = fc.record({
  deviceId: fc.string({ maxLength: 40 }),
  metric: fc.constantFrom('temperature', 'cpu', 'memory'),
  value: fc.double(),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  seq: fc.integer({ min: 0, max: 2 ** 40 }),
  labels: labelsArb,
});

const alertArb: fc.Arbitrary<Alert> = fc.record({
  eventId: fc.string({ maxLength: 20 }),
  fingerprint: fc.string({ maxLength: 20 }),
  status: fc.constantFrom('FIRING', 'RESOLVED'),
  rule: fc.string({ maxLength: 12 }),
  severity: fc.constantFrom('critical', 'warning', 'info'),
  deviceId: fc.string({ maxLength: 20 }),
  metric: fc.constantFrom('temperature', 'cpu', 'memory'),
  statistic: fc.constantFrom('mean', 'max', 'silence'),
  condition: fc.constantFrom('above', 'below', 'absent'),
  value: fc.double(),
  threshold: fc.double(),
  startsAt: fc.integer({ min: 0, max: 2 ** 45 }),
  endsAt: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: null }),
  window: fc.record({
    spec: fc.constantFrom('time:60s', 'count:10'),
    start: fc.integer({ min: 0, max: 2 ** 45 }),
    end: fc.integer({ min: 0, max: 2 ** 45 }),
    count: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    mean: fc.double(),
    median: fc.double(),
    min: fc.double(),
    max: fc.double(),
  }),
  labels: labelsArb,
  summary: fc.string({ maxLength: 40 }),
});

/** Varints that claim absurd lengths and counts, positive and negative, and ones that never end. */
const hugeVarint: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constant(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f])), // 2^31 - 1
  fc.constant(Buffer.from([0xfd, 0xff, 0xff, 0xff, 0x0f])), // -(2^31 - 1)
  fc.constant(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), // 2^63 - 1
  fc.constant(Buffer.alloc(12, 0xff)), // no end within 10 bytes
  fc.bigInt({ min: 1n, max: 2n ** 62n }).map((n) => zigzagVarint(n)),
);

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Buffer }
  | { readonly kind: 'splice'; readonly at: number; readonly drop: number; readonly bytes: Buffer };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b)),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    drop: fc.integer({ min: 0, max: 5 }),
    bytes: hugeVarint,
  }),
);

/** Applies mutations after the 10-byte header (mostly: some flips may hit the header too). */
function mutate(valid: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(valid);
  for (const m of mutations) {
    const at = 10 + (m.at % Math.max(1, out.length - 10));
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) {
          const i = m.at % out.length;
          out[i] = out[i]! ^ (1 << m.bit);
        }
        break;
      case 'truncate':
        out = out.subarray(0, Math.min(out.length, at));
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
        break;
      case 'splice':
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(Math.min(out.length, at + m.drop))]);
        break;
    }
  }
  return out;
}

describe('codec fuzzing: every input ends in a value or a coded DecodeError, with work bounded by its size', () => {
  const readings = sensorReadingCodec();
  const alerts = alertCodec();

  it('arbitrary bytes, with and without a valid header', () => {
    const header = readings
      .encode({ deviceId: '', metric: 'cpu', value: 0, timestamp: 0, seq: 0, labels: {} })
      .subarray(0, 10);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, withHeader) => {
        const bytes = withHeader ? Buffer.concat([header, body]) : Buffer.from(body);
        expectValueOrCodedError(readings, bytes);
      }),
      { numRuns: 3_000 },
    );
  });

  it('mutations of valid readings', () => {
    fc.assert(
      fc.property(readingArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (reading, mutations) => {
        expectValueOrCodedError(readings, mutate(readings.encode(reading), mutations));
      }),
      { numRuns: 3_000 },
    );
  });

  it('mutations of valid alerts', () => {
    fc.assert(
      fc.property(alertArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (alert, mutations) => {
        expectValueOrCodedError(alerts, mutate(alerts.encode(alert), mutations));
      }),
      { numRuns: 3_000 },
    );
  });

  it('a huge varint spliced in at every position of a reading and an alert', () => {
    const reading: SensorReading = {
      deviceId: 'site-a/dev-1',
      metric: 'cpu',
      value: 1,
      timestamp: 1_767_225_600_000,
      seq: 7,
      labels: { site: 'site-a', model: 'x1' },
    };
    const samples: [AvroCodec<never>, Buffer][] = [
      [readings as AvroCodec<never>, readings.encode(reading)],
      [
        alerts as AvroCodec<never>,
        alerts.encode({
          eventId: 'e',
          fingerprint: 'f',
          status: 'FIRING',
          rule: 'r',
          severity: 'critical',
          deviceId: 'd',
          metric: 'cpu',
          statistic: 'mean',
          condition: 'above',
          value: 1,
          threshold: 0,
          startsAt: 1,
          endsAt: 2,
          window: { spec: 'count:1', start: 1, end: 2, count: 1, mean: 1, median: 1, min: 1, max: 1 },
          labels: { a: 'b' },
          summary: 's',
        }),
      ],
    ];
    for (const [codec, valid] of samples) {
      for (let at = 10; at <= valid.length; at++) {
        for (const drop of [0, 1]) {
          for (const varint of [
            Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
            Buffer.from([0xfd, 0xff, 0xff, 0xff, 0x0f]),
            Buffer.alloc(11, 0xff),
          ]) {
            const bytes = Buffer.concat([
              valid.subarray(0, at),
              varint,
              valid.subarray(Math.min(valid.length, at + drop)),
            ]);
            expectValueOrCodedError(codec, bytes);
          }
        }
      }
    }
  });

  it('valid records still round-trip through the bounded decoder', () => {
    fc.assert(
      fc.property(readingArb, alertArb, (reading, alert) => {
        const r = readings.safeDecode(readings.encode(reading));
        expect(r.ok && r.value).toEqual(reading);
        const a = alerts.safeDecode(alerts.encode(alert));
        expect(a.ok && a.value).toEqual(alert);
      }),
      { numRuns: 1_000 },
    );
  });
});
