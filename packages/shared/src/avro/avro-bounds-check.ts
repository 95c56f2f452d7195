/**
 * A bounded pre-pass over an Avro binary body: walks the writer schema over the bytes without building any
 * value, checking every declared length and block count against the bytes that remain, and returns where
 * the body ends. avsc's `decode` trusts what a record claims (a map block that claims 2^31 entries is read
 * 2^31 times, whatever the record's size); run this first and the decode's work is bounded by the bytes.
 *
 * Rules, each refused with a coded `DecodeError`:
 * - a string or bytes length, or an array/map block byte size, that is negative: `DECODE_BAD_LENGTH`;
 * - a string or bytes length longer than the bytes left, or an array or map block whose item count cannot
 *   fit in them (each item needs at least its type's smallest encoding; a map entry its key's length byte
 *   too): `DECODE_BAD_LENGTH` when no record within `maxRecordBytes` could hold the claim (2^31 map
 *   entries), `DECODE_TRUNCATED` when a longer record could (the record was cut short);
 * - more array/map items of a type whose encoding can be empty (null, empty records) than `maxEmptyItems`
 *   per record: `DECODE_BAD_LENGTH`;
 * - a varint longer than 10 bytes, an enum or union index out of range: `DECODE_INVALID`;
 * - running out of bytes anywhere else: `DECODE_TRUNCATED`.
 * The walk is O(bytes): every step consumes at least one byte, except empty items, which the budget caps.
 */
import type avro from 'avsc';
import { DecodeError } from '../errors.js';

/** Walks one value of the compiled type starting at `cursor.pos`, leaving `cursor.pos` after it. */
type Walk = (cursor: Cursor) => void;

interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  /** Items of zero-byte types still allowed in this record. */
  emptyBudget: number;
  /** Claims reaching past this offset could not be held by any record within the size limit. */
  limit: number;
}

export interface AvroBoundsCheckOptions {
  /** The largest record a reader accepts, bytes: claims beyond it are impossible, not truncated. */
  readonly maxRecordBytes?: number;
  /** Most array/map items of a type that can encode to zero bytes (null, `{}`), per record. */
  readonly maxEmptyItems?: number;
}

/** Checks the body at `buf[offset..]` and returns the offset just after it; throws `DecodeError`. */
export type AvroBoundsCheck = (buf: Buffer, offset: number) => number;

const MAX_VARINT_BYTES = 10;
export const DEFAULT_MAX_EMPTY_ITEMS = 10_000;
export const DEFAULT_MAX_RECORD_BYTES = 1_048_576; // 1 MiB, the broker's default message size limit

interface TypeShape {
  readonly typeName: string;
  readonly fields?: readonly { readonly type: avro.Type }[];
  readonly valuesType?: avro.Type;
  readonly itemsType?: avro.Type;
  readonly types?: readonly avro.Type[];
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly underlyingType?: avro.Type;
}

const EMPTY = Buffer.alloc(0);

export function avroBoundsCheck(type: avro.Type, options: AvroBoundsCheckOptions = {}): AvroBoundsCheck {
  const maxEmptyItems = options.maxEmptyItems ?? DEFAULT_MAX_EMPTY_ITEMS;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const walk = compile(type, new Map());
  const cursor: Cursor = { buf: EMPTY, pos: 0, end: 0, emptyBudget: 0, limit: 0 };
  return (buf, offset) => {
    cursor.buf = buf;
    cursor.pos = offset;
    cursor.end = buf.length;
    cursor.emptyBudget = maxEmptyItems;
    cursor.limit = Math.max(maxRecordBytes, buf.length);
    try {
      walk(cursor);
    } catch (err) {
      cursor.buf = EMPTY;
      throw err;
    }
    cursor.buf = EMPTY; // do not keep the record alive
    return cursor.pos;
  };
}

function truncated(c: Cursor): never {
  throw new DecodeError('DECODE_TRUNCATED', `Avro body is truncated (${c.end} bytes)`);
}

function negativeLength(c: Cursor, what: string, claimed: number): never {
  throw new DecodeError('DECODE_BAD_LENGTH', `${what} at byte ${c.pos} is negative (${claimed})`);
}

/** A claim of `needBytes` from `c.pos` that the record does not hold: impossible, or cut short. */
function overrun(c: Cursor, what: string, needBytes: number): never {
  if (needBytes > c.limit - c.pos) {
    throw new DecodeError(
      'DECODE_BAD_LENGTH',
      `${what} at byte ${c.pos} needs ${needBytes} bytes; ${c.end - c.pos} are left and no record may exceed ${c.limit}`,
    );
  }
  throw new DecodeError(
    'DECODE_TRUNCATED',
    `Avro body is truncated (${c.end} bytes): ${what} at byte ${c.pos} needs ${needBytes} bytes, ${c.end - c.pos} are left`,
  );
}

/** Reads a zig-zag varint as a number (exact up to 2^53; larger values only need to compare as large). */
function readLong(c: Cursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  if (pos >= end) truncated(c);
  let b = buf[pos++]!;
  if (b < 0x80) {
    c.pos = pos; // one byte: the common case for lengths, counts and indexes
    return (b >>> 1) ^ -(b & 1);
  }
  let n = b & 0x7f;
  let scale = 128;
  let bytes = 1;
  while (b & 0x80) {
    if (bytes === MAX_VARINT_BYTES) {
      throw new DecodeError('DECODE_INVALID', `varint at byte ${c.pos} is longer than ${MAX_VARINT_BYTES} bytes`);
    }
    if (pos >= end) truncated(c);
    b = buf[pos++]!;
    n += (b & 0x7f) * scale;
    scale *= 128;
    bytes += 1;
  }
  c.pos = pos;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function skipFixed(c: Cursor, size: number): void {
  if (c.end - c.pos < size) truncated(c);
  c.pos += size;
}

function skipLengthPrefixed(c: Cursor, what: string): void {
  const len = readLong(c);
  if (len < 0) negativeLength(c, `${what} length`, len);
  if (len > c.end - c.pos) overrun(c, `${what} of length ${len}`, len);
  c.pos += len;
}

const walkString: Walk = (c) => skipLengthPrefixed(c, 'string');
const walkBytes: Walk = (c) => skipLengthPrefixed(c, 'bytes');
const walkLong: Walk = (c) => void readLong(c);
const walkNull: Walk = () => undefined;
const walkBoolean: Walk = (c) => skipFixed(c, 1);
const walkFloat: Walk = (c) => skipFixed(c, 4);
const walkDouble: Walk = (c) => skipFixed(c, 8);

function compile(type: avro.Type, cache: Map<avro.Type, Walk>): Walk {
  const cached = cache.get(type);
  if (cached) return cached;
  const t = type as unknown as TypeShape;
  switch (t.typeName) {
    case 'null':
      return walkNull;
    case 'boolean':
      return walkBoolean;
    case 'int':
    case 'long':
      return walkLong;
    case 'float':
      return walkFloat;
    case 'double':
      return walkDouble;
    case 'string':
      return walkString;
    case 'bytes':
      return walkBytes;
    case 'fixed': {
      const size = t.size ?? 0;
      return (c) => skipFixed(c, size);
    }
    case 'enum': {
      const count = t.symbols?.length ?? 0;
      return (c) => {
        const at = c.pos;
        const index = readLong(c);
        if (index < 0 || index >= count) {
          throw new DecodeError('DECODE_INVALID', `enum index ${index} at byte ${at} is not one of ${count} symbols`);
        }
      };
    }
    case 'record':
    case 'error': {
      // named types can refer to themselves: register a forwarder before compiling the fields
      let body: Walk = walkNull;
      const forward: Walk = (c) => body(c);
      cache.set(type, forward);
      body = sequence((t.fields ?? []).map((f) => compile(f.type, cache)));
      cache.set(type, body);
      return body;
    }
    case 'array':
      return compileBlocks(type, t.itemsType!, false, cache);
    case 'map':
      return compileBlocks(type, t.valuesType!, true, cache);
    default:
      if (t.typeName.startsWith('union')) {
        const branches = (t.types ?? []).map((b) => compile(b, cache));
        return (c) => {
          const at = c.pos;
          const index = readLong(c);
          if (index < 0 || index >= branches.length) {
            throw new DecodeError(
              'DECODE_INVALID',
              `union index ${index} at byte ${at} is not one of ${branches.length} branches`,
            );
          }
          branches[index]!(c);
        };
      }
      if (t.underlyingType) return compile(t.underlyingType, cache); // a logical type
      throw new TypeError(`cannot bound-check Avro type ${t.typeName}`);
  }
}

/**
 * One walker that runs `walks` in order, as straight-line code: each call site then sees one function, which
 * the JIT inlines (a loop over an array of walkers is a megamorphic call, several times slower).
 */
function sequence(walks: readonly Walk[]): Walk {
  const names = walks.map((_, i) => `w${i}`);
  const source = `return function walkRecord(c) { ${names.map((n) => `${n}(c);`).join(' ')} };`;
  return new Function(...names, source)(...walks) as Walk;
}

function compileBlocks(type: avro.Type, itemType: avro.Type, isMap: boolean, cache: Map<avro.Type, Walk>): Walk {
  let item: Walk = walkNull;
  // a map entry is a key (at least its length byte) and a value
  const minItemBytes = minEncodedBytes(itemType, new Set()) + (isMap ? 1 : 0);
  const what = isMap ? 'map block' : 'array block';
  const walk: Walk = (c) => {
    for (;;) {
      let count = readLong(c);
      if (count === 0) return;
      let blockEnd = c.end;
      const sized = count < 0;
      if (sized) {
        count = -count;
        const size = readLong(c);
        if (size < 0) negativeLength(c, `${what} byte size`, size);
        if (size > c.end - c.pos) overrun(c, `${what} of ${size} bytes`, size);
        blockEnd = c.pos + size;
      }
      if (minItemBytes > 0) {
        if (count > (blockEnd - c.pos) / minItemBytes) {
          // a block that declared its byte size holds fewer items than it claims: impossible, not cut short
          if (sized) {
            throw new DecodeError(
              'DECODE_BAD_LENGTH',
              `${what} at byte ${c.pos} claims ${count} items in ${blockEnd - c.pos} bytes (each needs at least ${minItemBytes})`,
            );
          }
          overrun(c, `${what} of ${count} items (each at least ${minItemBytes} bytes)`, count * minItemBytes);
        }
      } else {
        c.emptyBudget -= count;
        if (c.emptyBudget < 0) {
          throw new DecodeError(
            'DECODE_BAD_LENGTH',
            `${what} at byte ${c.pos} claims ${count} zero-byte items, more than a record may hold (maxEmptyItems)`,
          );
        }
      }
      for (let i = 0; i < count; i++) {
        if (isMap) walkString(c);
        item(c);
      }
    }
  };
  cache.set(type, walk);
  item = compile(itemType, cache);
  return walk;
}

/** The fewest bytes a value of `type` can encode to (0 for null and for records of such fields). */
function minEncodedBytes(type: avro.Type, visiting: Set<avro.Type>): number {
  const t = type as unknown as TypeShape;
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error': {
      if (visiting.has(type)) return 0; // a recursive reference: 0 is a safe lower bound
      visiting.add(type);
      let sum = 0;
      for (const f of t.fields ?? []) sum += minEncodedBytes(f.type, visiting);
      visiting.delete(type);
      return sum;
    }
    default:
      if (t.typeName.startsWith('union')) {
        // the branch index is one byte, then the smallest branch
        let min = Number.POSITIVE_INFINITY;
        for (const b of t.types ?? []) min = Math.min(min, minEncodedBytes(b, visiting));
        return 1 + (Number.isFinite(min) ? min : 0);
      }
      if (t.underlyingType) return minEncodedBytes(t.underlyingType, visiting);
      return 1; // boolean, int, long, string, bytes, enum, array, map: at least one byte
  }
}
