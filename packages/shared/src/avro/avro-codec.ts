/**
 * Encodes and decodes one Avro record type with a framing that tells readers which schema wrote it.
 *
 * - `single-object` (default): the Avro specification's single-object encoding, `C3 01` + the 8-byte
 *   little-endian CRC-64-AVRO fingerprint of the writer schema's canonical form + the Avro binary body.
 *   Any Avro library can decode it from the published `.avsc` file alone.
 * - `confluent`: Confluent Schema Registry framing, `00` + 4-byte big-endian schema id + body, for
 *   deployments that register the schema (the id is given; registration is the operator's step).
 *
 * Decoding never throws past `safeDecode`: a bad record comes back as a `DecodeError` with a code.
 * Decoding work is bounded by the record's size, never by what it claims: a record over `maxRecordBytes`
 * is refused at once (`DECODE_TOO_LARGE`), and a bounded pre-pass (`avroBoundsCheck`) walks the writer
 * schema over the bytes before avsc builds the value, refusing lengths and block counts that the remaining
 * bytes could not hold (`DECODE_BAD_LENGTH`).
 * Older or newer writer schemas can be added with `addWriterSchema`; their records are resolved into
 * this codec's (reader) schema by Avro's schema-resolution rules.
 */
import avro, { type Resolver } from 'avsc';
import { DecodeError } from '../errors.js';
import {
  type AvroBoundsCheck,
  avroBoundsCheck,
  DEFAULT_MAX_EMPTY_ITEMS,
  DEFAULT_MAX_RECORD_BYTES,
} from './avro-bounds-check.js';
import { rabinFingerprintBytes } from './rabin-fingerprint.js';

export type Framing = { readonly kind: 'single-object' } | { readonly kind: 'confluent'; readonly schemaId: number };

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError };

export interface AvroCodecOptions {
  /** Largest framed record `decode` accepts, bytes (header included). Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Most array/map items of a zero-byte type (null, empty record) per record. Default 10,000. */
  readonly maxEmptyItems?: number;
}

const SINGLE_OBJECT_MAGIC_0 = 0xc3;
const SINGLE_OBJECT_MAGIC_1 = 0x01;
const SINGLE_OBJECT_HEADER_BYTES = 10;
const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER_BYTES = 5;

interface WriterEntry {
  readonly type: avro.Type;
  readonly resolver: Resolver | undefined;
  /** The bounded pre-pass over bytes written with `type`. */
  readonly check: AvroBoundsCheck;
}

export class AvroCodec<T> {
  readonly type: avro.Type;
  readonly framing: Framing;
  /** The 8 little-endian fingerprint bytes of this codec's schema. */
  readonly fingerprint: Buffer;
  /** The schema's Parsing Canonical Form. */
  readonly canonicalSchema: string;
  /** Largest framed record `decode` accepts, bytes. */
  readonly maxRecordBytes: number;
  private readonly maxEmptyItems: number;
  /** The frame header of records written with this codec's schema (magic and fingerprint, or schema id). */
  readonly header: Buffer;
  private readonly writers = new Map<string, WriterEntry>();
  private readonly ownWriter: WriterEntry;
  private scratch = Buffer.allocUnsafe(1024);

  constructor(schema: avro.Schema, framing: Framing = { kind: 'single-object' }, options: AvroCodecOptions = {}) {
    this.type = avro.Type.forSchema(schema);
    this.framing = framing;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.maxEmptyItems = options.maxEmptyItems ?? DEFAULT_MAX_EMPTY_ITEMS;
    if (!Number.isInteger(this.maxRecordBytes) || this.maxRecordBytes < 1) {
      throw new RangeError(`maxRecordBytes must be a positive integer, got ${options.maxRecordBytes}`);
    }
    this.canonicalSchema = JSON.stringify(this.type.schema()); // avsc's default export is the Parsing Canonical Form
    this.fingerprint = rabinFingerprintBytes(this.canonicalSchema);
    if (framing.kind === 'single-object') {
      this.header = Buffer.concat([Buffer.from([SINGLE_OBJECT_MAGIC_0, SINGLE_OBJECT_MAGIC_1]), this.fingerprint]);
    } else {
      if (!Number.isInteger(framing.schemaId) || framing.schemaId < 0 || framing.schemaId > 0x7fffffff) {
        throw new RangeError(`confluent schemaId must be a non-negative 32-bit integer, got ${framing.schemaId}`);
      }
      this.header = Buffer.alloc(CONFLUENT_HEADER_BYTES);
      this.header.writeUInt8(CONFLUENT_MAGIC, 0);
      this.header.writeUInt32BE(framing.schemaId, 1);
    }
    this.ownWriter = {
      type: this.type,
      resolver: undefined,
      check: avroBoundsCheck(this.type, this.checkOptions()),
    };
    this.writers.set(this.header.toString('latin1'), this.ownWriter);
  }

  /**
   * Also accept records written with `writerSchema` (an older or newer version of this record), resolving
   * them into this codec's schema. For confluent framing, give the writer's registry id.
   */
  addWriterSchema(writerSchema: avro.Schema, confluentSchemaId?: number): this {
    const writer = avro.Type.forSchema(writerSchema);
    let key: Buffer;
    if (this.framing.kind === 'single-object') {
      key = Buffer.concat([
        Buffer.from([SINGLE_OBJECT_MAGIC_0, SINGLE_OBJECT_MAGIC_1]),
        rabinFingerprintBytes(JSON.stringify(writer.schema())),
      ]);
    } else {
      if (confluentSchemaId === undefined) throw new TypeError('confluent framing needs the writer schema id');
      key = Buffer.alloc(CONFLUENT_HEADER_BYTES);
      key.writeUInt32BE(confluentSchemaId, 1);
    }
    this.writers.set(key.toString('latin1'), {
      type: writer,
      resolver: this.type.createResolver(writer),
      check: avroBoundsCheck(writer, this.checkOptions()),
    });
    return this;
  }

  /** Frames and encodes `value`. Throws a TypeError naming the bad field if `value` does not fit the schema. */
  encode(value: T): Buffer {
    const headerBytes = this.header.length;
    for (;;) {
      const end = this.type.encode(value, this.scratch, headerBytes);
      if (end >= 0) {
        const out = Buffer.allocUnsafe(end);
        this.header.copy(out, 0);
        this.scratch.copy(out, headerBytes, headerBytes, end);
        return out;
      }
      // avsc returns -(bytes missing) when the buffer is too small
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, headerBytes - end));
    }
  }

  /** Checks `value` against the schema; returns the paths of offending fields (empty when valid). */
  invalidPaths(value: unknown): string[] {
    const paths: string[] = [];
    this.type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.') || '(root)') });
    return paths;
  }

  /** Decodes a framed record; throws `DecodeError` when it cannot. Prefer `safeDecode` on a stream. */
  decode(buf: Buffer | null | undefined): T {
    if (!buf || buf.length === 0) throw new DecodeError('DECODE_EMPTY', 'record value is empty (null or zero bytes)');
    if (buf.length > this.maxRecordBytes) {
      throw new DecodeError(
        'DECODE_TOO_LARGE',
        `record is ${buf.length} bytes, larger than the ${this.maxRecordBytes}-byte limit (maxRecordBytes)`,
      );
    }
    const headerBytes = this.framing.kind === 'single-object' ? SINGLE_OBJECT_HEADER_BYTES : CONFLUENT_HEADER_BYTES;
    if (buf.length < headerBytes) {
      throw new DecodeError(
        'DECODE_TRUNCATED',
        `record is ${buf.length} bytes, shorter than the ${headerBytes}-byte ${this.framing.kind} header`,
      );
    }
    if (this.framing.kind === 'single-object') {
      if (buf[0] !== SINGLE_OBJECT_MAGIC_0 || buf[1] !== SINGLE_OBJECT_MAGIC_1) {
        throw new DecodeError(
          'DECODE_BAD_MAGIC',
          `not Avro single-object encoding: first bytes are ${buf.subarray(0, 2).toString('hex')}, expected c301`,
        );
      }
    } else if (buf[0] !== CONFLUENT_MAGIC) {
      throw new DecodeError('DECODE_BAD_MAGIC', `not Confluent framing: magic byte is ${buf[0]}, expected 0`);
    }
    const writer = this.lookupWriter(buf, headerBytes);
    if (!writer) {
      const id =
        this.framing.kind === 'single-object'
          ? `fingerprint ${buf.subarray(2, 10).toString('hex')}`
          : `schema id ${buf.readUInt32BE(1)}`;
      throw new DecodeError(
        'DECODE_UNKNOWN_SCHEMA',
        `written with an unknown schema (${id}); this reader knows ${this.type.name ?? 'its schema'} ${this.fingerprint.toString('hex')}`,
      );
    }
    // bounded pre-pass over the writer's bytes: refuses impossible lengths and counts before avsc reads them
    const bodyEnd = writer.check(buf, headerBytes);
    if (bodyEnd !== buf.length) {
      throw new DecodeError('DECODE_TRAILING_BYTES', `${buf.length - bodyEnd} unexpected bytes after the Avro body`);
    }
    let decoded: { value: unknown; offset: number };
    try {
      // a resolver is applied by the reader type: it reads the writer's bytes into the reader's shape
      decoded = writer.resolver
        ? this.type.decode(buf, headerBytes, writer.resolver)
        : this.type.decode(buf, headerBytes);
    } catch (err) {
      throw new DecodeError('DECODE_INVALID', `Avro body does not decode: ${(err as Error).message}`, { cause: err });
    }
    if (decoded.offset < 0) throw new DecodeError('DECODE_TRUNCATED', `Avro body is truncated (${buf.length} bytes)`);
    if (decoded.offset !== buf.length) {
      throw new DecodeError(
        'DECODE_TRAILING_BYTES',
        `${buf.length - decoded.offset} unexpected bytes after the Avro body`,
      );
    }
    return decoded.value as T;
  }

  safeDecode(buf: Buffer | null | undefined): DecodeResult<T> {
    try {
      return { ok: true, value: this.decode(buf) };
    } catch (err) {
      if (err instanceof DecodeError) return { ok: false, error: err };
      return {
        ok: false,
        error: new DecodeError('DECODE_INVALID', String((err as Error)?.message ?? err), { cause: err }),
      };
    }
  }

  private checkOptions(): { maxEmptyItems: number; maxRecordBytes: number } {
    return { maxEmptyItems: this.maxEmptyItems, maxRecordBytes: this.maxRecordBytes };
  }

  private lookupWriter(buf: Buffer, headerBytes: number): WriterEntry | undefined {
    // fast path: this codec's own schema
    if (buf.compare(this.header, 0, headerBytes, 0, headerBytes) === 0) return this.ownWriter;
    return this.writers.get(buf.toString('latin1', 0, headerBytes));
  }
}
