/**
 * `SensorReadingDecoder`: decodes readings as {@link AvroCodec.safeDecode} does — the same values, the same
 * errors — with a fast path for the records a consumer sees millions of times: written with the codec's own
 * schema, by a device it has seen before. On that path it reads the fields straight from the buffer and
 * hands out interned strings: a device's id is the same string object for every reading of that device, and
 * identical label maps are one frozen object. No string or labels object is allocated per reading, and maps
 * and sets keyed by the device id hash it once.
 *
 * The fast path only takes what it can read unambiguously (the header of the codec's own schema, lengths and
 * counts that fit, longs within 2^53, an enum index in range, a labels map it has seen decoded before, and
 * nothing after it); anything else — a first sight, another writer schema, a truncated, oversized or hostile
 * record — goes to the codec, whose result (value or DecodeError) is returned as is. So the semantics are
 * the codec's; the caches only remember what the codec already decoded. Both caches are direct-mapped
 * tables of fixed size (a colliding entry replaces the older one): memory stays bounded whatever the input
 * (about 2.6 MB), and a fleet larger than the table still decodes correctly, only with more misses.
 *
 * Labels are shared between readings and frozen: treat a decoded reading's `labels` as read-only.
 */
import type avro from 'avsc';
import type { AvroCodec, DecodeResult } from './avro-codec.js';
import type { SensorReading } from './types.generated.js';

/** Entries of the device id table, and the longest id it keeps, UTF-8 bytes. */
const ID_ENTRIES = 1 << 15;
const ID_MAX_BYTES = 64;
/** Entries of the labels table, and the longest labels encoding it keeps, bytes. */
const LABELS_ENTRIES = 1 << 12;
const LABELS_MAX_BYTES = 128;

type RecordConstructor = new (
  deviceId: string,
  metric: string,
  value: number,
  timestamp: number,
  seq: number,
  labels: Readonly<Record<string, string>>,
) => SensorReading;

/** The reader schema's fields, in order, that the fast path reads. */
const EXPECTED_FIELDS = ['deviceId:string', 'metric:enum', 'value:double', 'timestamp:long', 'seq:long', 'labels:map'];

/** A direct-mapped table from byte strings (up to `maxBytes`) to values. */
class ByteTable<V> {
  private readonly bytes: Uint8Array;
  /** Stored length + 1 per entry; 0 = empty. */
  private readonly lengths: Uint16Array;
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  constructor(
    entries: number,
    private readonly maxBytes: number,
  ) {
    this.bytes = new Uint8Array(entries * maxBytes);
    this.lengths = new Uint16Array(entries);
    this.values = new Array<V | undefined>(entries).fill(undefined);
    this.mask = entries - 1;
  }

  get(buf: Uint8Array, start: number, end: number): V | undefined {
    const length = end - start;
    if (length > this.maxBytes) return undefined;
    const index = hashBytes(buf, start, end) & this.mask;
    if (this.lengths[index] !== length + 1) return undefined;
    const base = index * this.maxBytes;
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) if (bytes[base + i] !== buf[start + i]) return undefined;
    return this.values[index];
  }

  set(buf: Uint8Array, start: number, end: number, value: V): void {
    const length = end - start;
    if (length > this.maxBytes) return;
    const index = hashBytes(buf, start, end) & this.mask;
    this.bytes.set(buf.subarray(start, end), index * this.maxBytes);
    this.lengths[index] = length + 1;
    this.values[index] = value;
  }
}

/** FNV-1a over the bytes. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

export class SensorReadingDecoder {
  private readonly header: Buffer;
  private readonly maxRecordBytes: number;
  private readonly symbols: readonly string[];
  private readonly Reading: RecordConstructor | undefined;
  private readonly ids = new ByteTable<string>(ID_ENTRIES, ID_MAX_BYTES);
  private readonly labels = new ByteTable<Readonly<Record<string, string>>>(LABELS_ENTRIES, LABELS_MAX_BYTES);
  /** Set by `fast` when it gave up after the fixed fields: where the labels map starts (else −1). */
  private labelsStart = -1;

  constructor(private readonly codec: AvroCodec<SensorReading>) {
    this.header = codec.header;
    this.maxRecordBytes = codec.maxRecordBytes;
    const type = codec.type as avro.types.RecordType;
    const fields = type.fields.map((f) => `${f.name}:${f.type.typeName}`);
    const metric = type.fields[1]?.type as avro.types.EnumType | undefined;
    const labels = type.fields[5]?.type as avro.types.MapType | undefined;
    const readable =
      fields.join(',') === EXPECTED_FIELDS.join(',') && labels?.valuesType.typeName === 'string' && metric;
    // a reader schema this file does not know: every record takes the codec's path
    this.symbols = readable ? metric.symbols : [];
    this.Reading = readable ? (type.recordConstructor as unknown as RecordConstructor) : undefined;
  }

  /** As {@link AvroCodec.safeDecode}, with interned device ids and labels (see the file comment). */
  safeDecode(buf: Buffer | null | undefined): DecodeResult<SensorReading> {
    if (buf && this.Reading) {
      const reading = this.fast(buf);
      if (reading !== undefined) return { ok: true, value: reading };
    }
    const labelsStart = this.labelsStart;
    this.labelsStart = -1;
    const result = this.codec.safeDecode(buf);
    // remember the labels the codec decoded, for the next record of this device
    if (result.ok && labelsStart >= 0 && buf) {
      const labels = Object.freeze(result.value.labels);
      this.labels.set(buf, labelsStart, buf.length, labels);
    }
    return result;
  }

  /** The fast path: the reading, or undefined to take the codec's path. */
  private fast(buf: Buffer): SensorReading | undefined {
    const end = buf.length;
    const header = this.header;
    const headerBytes = header.length;
    if (end > this.maxRecordBytes || end <= headerBytes) return undefined;
    for (let i = 0; i < headerBytes; i++) if (buf[i] !== header[i]) return undefined;
    let pos = headerBytes;

    // deviceId: a length (zigzag varint) and UTF-8 bytes
    let b = buf[pos++]!;
    let n = b & 0x7f;
    if (b & 0x80) {
      if (pos >= end) return undefined;
      b = buf[pos++]!;
      if (b & 0x80) return undefined; // ids longer than 8 KB: the codec's path
      n |= b << 7;
    }
    if (n & 1) return undefined; // a negative length
    const idLength = n >>> 1;
    const idEnd = pos + idLength;
    if (idEnd > end) return undefined;
    let deviceId = this.ids.get(buf, pos, idEnd);
    if (deviceId === undefined) {
      deviceId = buf.toString('utf8', pos, idEnd); // as the codec reads strings
      this.ids.set(buf, pos, idEnd, deviceId);
    }
    pos = idEnd;

    // metric: an enum index (one byte for any schema of up to 64 symbols)
    if (pos >= end) return undefined;
    b = buf[pos++]!;
    if (b & 0x80 || b & 1) return undefined;
    const metric = this.symbols[b >>> 1];
    if (metric === undefined) return undefined; // out of range: the codec's error

    // value: a little-endian double
    if (pos + 8 > end) return undefined;
    const value = buf.readDoubleLE(pos);
    pos += 8;

    // timestamp and seq: longs (zigzag varints), within ±2^53 as the codec requires
    const timestamp = this.readLong(buf, pos, end);
    if (timestamp === undefined) return undefined;
    pos = this.longEnd;
    const seq = this.readLong(buf, pos, end);
    if (seq === undefined) return undefined;
    pos = this.longEnd;

    // labels: the last field, so its encoding runs to the end; known only if decoded before
    const labels = pos < end ? this.labels.get(buf, pos, end) : undefined;
    if (labels === undefined) {
      this.labelsStart = pos;
      return undefined;
    }
    return new this.Reading!(deviceId, metric, value, timestamp, seq, labels);
  }

  /** Where the last `readLong` ended. */
  private longEnd = 0;

  /** A zigzag varint long as the codec reads it; undefined if truncated or beyond ±2^53. */
  private readLong(buf: Buffer, start: number, end: number): number | undefined {
    let pos = start;
    let f = 0;
    let scale = 1;
    let b: number;
    do {
      if (pos >= end || scale > 2 ** 49) return undefined; // 8 bytes carry 56 bits: more is the codec's to judge
      b = buf[pos++]!;
      f += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    if (f > 2 ** 53) return undefined; // inexact in a double: the codec's to judge
    this.longEnd = pos;
    return f % 2 ? -(f + 1) / 2 : f / 2;
  }
}
