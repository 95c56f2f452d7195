/**
 * Bounded decoding: records whose declared lengths or block counts exceed what their bytes could hold are
 * refused with a coded `DecodeError` before any work proportional to the claim. Each crafted case counts
 * the item reads avsc performs (an instrumented map/array item type), so "work bounded by the record's
 * size" is asserted as an operation count, never as wall time; the old, unbounded decoder trips the count.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  AvroCodec,
  alertCodec,
  DecodeError,
  type SensorReading,
  sensorReadingCodec,
} from '../src/index.js';

const reading: SensorReading = {
  deviceId: 'd',
  metric: 'cpu',
  value: 50,
  timestamp: 1_767_225_600_123,
  seq: 1,
  labels: {},
};

const alert: Alert = {
  eventId: 'e1',
  fingerprint: 'f1',
  status: 'FIRING',
  rule: 'cpu-high',
  severity: 'critical',
  deviceId: 'd',
  metric: 'cpu',
  statistic: 'mean',
  condition: 'above',
  value: 95,
  threshold: 90,
  startsAt: 1_767_225_600_000,
  endsAt: null,
  window: { spec: 'count:10', start: 1, end: 2, count: 10, mean: 95, median: 95, min: 90, max: 99 },
  labels: {},
  summary: '',
};

/** Avro long 2^31 - 1 as a zig-zag varint: the block count the crafted records claim. */
const CLAIM_2_31 = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]);
/** Avro long -(2^31 - 1): a negative block count (a block byte size follows). */
const CLAIM_MINUS_2_31 = Buffer.from([0xfd, 0xff, 0xff, 0xff, 0x0f]);
/** A 10-byte varint with the continuation bit on every byte: never ends inside a long. */
const ENDLESS_VARINT = Buffer.alloc(11, 0xff);

/**
 * Runs `fn` while counting the strings avsc reads (every map value of our schemas is one), throwing once
 * they exceed `limit`: an unbounded decode of a claimed 2^31 entries stops there instead of running for
 * minutes. avsc freezes its type instances, so the count wraps the string type's prototype for the call.
 */
function countStringReads<R>(limit: number, fn: () => R): { readonly result: R; readonly reads: number } {
  const proto = (avro.types as unknown as Record<string, { prototype: { _read: (tap: unknown) => unknown } }>)
    .StringType!.prototype;
  const original = proto._read;
  let reads = 0;
  proto._read = function (this: unknown, tap: unknown) {
    reads += 1;
    if (reads > limit) throw new Error(`more than ${limit} string reads for one record`);
    return original.call(this, tap);
  };
  try {
    return { result: fn(), reads };
  } finally {
    proto._read = original;
  }
}

function expectRefused(codec: AvroCodec<unknown>, bytes: Buffer, code: string): void {
  const { result, reads } = countStringReads(bytes.length, () => codec.safeDecode(bytes));
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(DecodeError);
    expect(result.error.code).toBe(code);
    expect(result.error.retriable).toBe(false);
  }
  // refused before avsc read a single value
  expect(reads).toBe(0);
}

function readingWithLabelsBlock(block: Buffer): Buffer {
  const clean = sensorReadingCodec().encode(reading);
  expect(clean[clean.length - 1]).toBe(0); // labels: empty map, one 0 block count
  return Buffer.concat([clean.subarray(0, clean.length - 1), block]);
}

function alertWithLabelsBlock(block: Buffer): Buffer {
  const clean = alertCodec().encode(alert);
  expect(clean.subarray(clean.length - 2)).toEqual(Buffer.from([0, 0])); // labels {} then summary ''
  return Buffer.concat([clean.subarray(0, clean.length - 2), block]);
}

describe('bounded decoding: crafted records', () => {
  it('refuses the 33-byte reading whose labels map claims 2^31 entries', () => {
    const bytes = readingWithLabelsBlock(CLAIM_2_31);
    expect(bytes.length).toBe(33);
    expect(bytes.subarray(bytes.length - 5).toString('hex')).toBe('feffffff0f');
    expectRefused(sensorReadingCodec() as AvroCodec<unknown>, bytes, 'DECODE_BAD_LENGTH');
  });

  it("refuses an alert whose labels map claims 2^31 entries (the alert schema's map)", () => {
    expectRefused(alertCodec() as AvroCodec<unknown>, alertWithLabelsBlock(CLAIM_2_31), 'DECODE_BAD_LENGTH');
  });

  it('refuses a negative block count of 2^31 entries, whatever block byte size it declares', () => {
    const codec = sensorReadingCodec() as AvroCodec<unknown>;
    // block size 2 bytes: within what remains, but 2^31 entries cannot fit in it
    expectRefused(
      codec,
      readingWithLabelsBlock(Buffer.concat([CLAIM_MINUS_2_31, Buffer.from([4, 0, 0])])),
      'DECODE_BAD_LENGTH',
    );
    // block size 2^31: more than what remains
    expectRefused(codec, readingWithLabelsBlock(Buffer.concat([CLAIM_MINUS_2_31, CLAIM_2_31])), 'DECODE_BAD_LENGTH');
  });

  it('calls a block count the bytes left cannot hold, but a longer record could, truncated', () => {
    // 3 entries claimed, 4 bytes of entries follow: 2 bytes each would need 6
    const block = Buffer.from([6, 0, 0, 0, 0]);
    expectRefused(sensorReadingCodec() as AvroCodec<unknown>, readingWithLabelsBlock(block), 'DECODE_TRUNCATED');
    // the same claim inside a block that declared its byte size (4) is impossible, whatever follows
    const sized = Buffer.from([5, 8, 0, 0, 0, 0]);
    expectRefused(sensorReadingCodec() as AvroCodec<unknown>, readingWithLabelsBlock(sized), 'DECODE_BAD_LENGTH');
  });

  it('refuses string lengths beyond the record and negative ones', () => {
    const codec = sensorReadingCodec();
    const clean = codec.encode(reading);
    // deviceId's length varint sits right after the 10-byte header
    const huge = Buffer.concat([clean.subarray(0, 10), CLAIM_2_31, clean.subarray(11)]);
    expectRefused(codec as AvroCodec<unknown>, huge, 'DECODE_BAD_LENGTH');
    const negative = Buffer.concat([clean.subarray(0, 10), Buffer.from([0x03]), clean.subarray(11)]);
    expectRefused(codec as AvroCodec<unknown>, negative, 'DECODE_BAD_LENGTH');
  });

  it('refuses a varint that never ends', () => {
    const codec = sensorReadingCodec();
    const clean = codec.encode(reading);
    const bytes = Buffer.concat([clean.subarray(0, 10), ENDLESS_VARINT, clean.subarray(11)]);
    expectRefused(codec as AvroCodec<unknown>, bytes, 'DECODE_INVALID');
  });

  it('refuses an enum or union index out of range', () => {
    const codec = sensorReadingCodec();
    const clean = codec.encode(reading);
    // metric enum index after deviceId 'd' (2 bytes): 3 symbols, index 5 does not exist
    const badEnum = Buffer.from(clean);
    badEnum[12] = 10; // zig-zag 5
    expectRefused(codec as AvroCodec<unknown>, badEnum, 'DECODE_INVALID');
  });

  it('refuses a record larger than the configured maximum before reading its body', () => {
    const codec = sensorReadingCodec(undefined, { maxRecordBytes: 64 });
    const big = codec.encode({ ...reading, deviceId: 'x'.repeat(100) });
    expectRefused(codec as AvroCodec<unknown>, big, 'DECODE_TOO_LARGE');
    expect(codec.safeDecode(codec.encode(reading)).ok).toBe(true);
    // the default is 1 MiB
    const defaults = sensorReadingCodec();
    expect(defaults.maxRecordBytes).toBe(1_048_576);
    const oneMiB = defaults.encode({ ...reading, deviceId: 'y'.repeat(1_048_576) });
    expectRefused(defaults as AvroCodec<unknown>, oneMiB, 'DECODE_TOO_LARGE');
  });

  it('still decodes records with many labels: the bound is what the bytes can hold, not a fixed count', () => {
    const codec = sensorReadingCodec();
    const labels = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, '']));
    const bytes = codec.encode({ ...reading, labels });
    const { result, reads } = countStringReads(bytes.length, () => codec.decode(bytes));
    expect(result).toEqual({ ...reading, labels });
    expect(reads).toBe(5_001); // deviceId and the 5,000 label values
  });

  it('bounds items that encode to zero bytes (null) by maxEmptyItems, not by the bytes', () => {
    const schema = {
      type: 'record',
      name: 'Nulls',
      fields: [{ name: 'items', type: { type: 'array', items: 'null' } }],
    };
    const codec = new AvroCodec<{ items: null[] }>(schema as never, undefined, { maxEmptyItems: 100 });
    expect(codec.decode(codec.encode({ items: Array(100).fill(null) })).items).toHaveLength(100);
    const header = codec.encode({ items: [] }).subarray(0, 10);
    const claim = Buffer.concat([header, CLAIM_2_31, Buffer.from([0])]); // 2^31 nulls in one byte
    const result = codec.safeDecode(claim);
    expect(result.ok || result.error.code).toBe('DECODE_BAD_LENGTH');
    const tooMany = codec.encode({ items: Array(101).fill(null) });
    expect(codec.safeDecode(tooMany).ok).toBe(false);
  });

  it('walks recursive schemas (a linked list) and still bounds what they claim', () => {
    const schema = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'string' },
        { name: 'next', type: ['null', 'Node'] },
        { name: 'tags', type: { type: 'map', values: 'Node' } },
      ],
    };
    type Node = { value: string; next: Node | null; tags: Record<string, Node> };
    const codec = new AvroCodec<Node>(schema as never);
    const list: Node = {
      value: 'a',
      next: { value: 'b', next: null, tags: {} },
      tags: { x: { value: 'c', next: null, tags: {} } },
    };
    expect(codec.decode(codec.encode(list))).toEqual(list);
    const leaf = codec.encode({ value: 'z', next: null, tags: {} });
    // z's tags map: replace its 0 block count with a 2^31 claim
    const claim = Buffer.concat([leaf.subarray(0, leaf.length - 1), CLAIM_2_31]);
    const { result, reads } = countStringReads(claim.length, () => codec.safeDecode(claim));
    expect(result.ok || result.error.code).toBe('DECODE_BAD_LENGTH');
    expect(reads).toBe(0);
  });
});
