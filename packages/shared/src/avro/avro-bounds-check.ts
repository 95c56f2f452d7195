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
 *
 * The walker is generated per schema as straight-line JavaScript (as avsc generates its readers), with the
 * position in a local variable and the one-byte varint inlined: it costs a fraction of the decode it guards
 * (packages/shared/bench/codec-decode.bench.ts).
 */
import type avro from 'avsc';
import { DecodeError } from '../errors.js';

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

/** What one check shares with the generated code's helpers (checks are synchronous: one per checker). */
interface CheckState {
  /** Where a slow-path varint ended. */
  pos: number;
  /** Items of zero-byte types still allowed in this record. */
  emptyBudget: number;
  /** Claims reaching past this offset could not be held by any record within the size limit. */
  limit: number;
}

type Entry = (buf: Buffer, pos: number, end: number, st: CheckState) => number;

export function avroBoundsCheck(type: avro.Type, options: AvroBoundsCheckOptions = {}): AvroBoundsCheck {
  const maxEmptyItems = options.maxEmptyItems ?? DEFAULT_MAX_EMPTY_ITEMS;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const entry = generate(type);
  const st: CheckState = { pos: 0, emptyBudget: 0, limit: 0 };
  return (buf, offset) => {
    st.emptyBudget = maxEmptyItems;
    st.limit = Math.max(maxRecordBytes, buf.length);
    return entry(buf, offset, buf.length, st);
  };
}

/** The helpers generated code calls: the varint slow path and every refusal. */
const HELPERS = {
  /** A varint of two or more bytes starting at `start` (its first byte is known to have the high bit). */
  slowLong(buf: Buffer, start: number, end: number, st: CheckState): number {
    let pos = start;
    let b = buf[pos++]!;
    let n = b & 0x7f;
    let scale = 128;
    let bytes = 1;
    while (b & 0x80) {
      if (bytes === MAX_VARINT_BYTES) {
        throw new DecodeError('DECODE_INVALID', `varint at byte ${start} is longer than ${MAX_VARINT_BYTES} bytes`);
      }
      if (pos >= end) HELPERS.truncated(end);
      b = buf[pos++]!;
      n += (b & 0x7f) * scale;
      scale *= 128;
      bytes += 1;
    }
    st.pos = pos;
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2; // exact up to 2^53; larger values only need to compare as large
  },
  truncated(end: number): never {
    throw new DecodeError('DECODE_TRUNCATED', `Avro body is truncated (${end} bytes)`);
  },
  negative(pos: number, what: string, claimed: number): never {
    throw new DecodeError('DECODE_BAD_LENGTH', `${what} at byte ${pos} is negative (${claimed})`);
  },
  /** A claim of `need` bytes from `pos` that the record does not hold: impossible, or cut short. */
  overrun(pos: number, end: number, limit: number, what: string, need: number): never {
    if (need > limit - pos) {
      throw new DecodeError(
        'DECODE_BAD_LENGTH',
        `${what} at byte ${pos} needs ${need} bytes; ${end - pos} are left and no record may exceed ${limit}`,
      );
    }
    throw new DecodeError(
      'DECODE_TRUNCATED',
      `Avro body is truncated (${end} bytes): ${what} at byte ${pos} needs ${need} bytes, ${end - pos} are left`,
    );
  },
  /** A block that declared its byte size holds fewer items than it claims: impossible, not cut short. */
  overfullBlock(pos: number, what: string, count: number, size: number, minItemBytes: number): never {
    throw new DecodeError(
      'DECODE_BAD_LENGTH',
      `${what} at byte ${pos} claims ${count} items in ${size} bytes (each needs at least ${minItemBytes})`,
    );
  },
  tooManyEmpty(pos: number, what: string, count: number): never {
    throw new DecodeError(
      'DECODE_BAD_LENGTH',
      `${what} at byte ${pos} claims ${count} zero-byte items, more than a record may hold (maxEmptyItems)`,
    );
  },
  badIndex(kind: string, pos: number, index: number, count: number): never {
    throw new DecodeError('DECODE_INVALID', `${kind} index ${index} before byte ${pos} is not one of ${count}`);
  },
};

/**
 * Generates the walker for `root`: one function per record type (records may refer to themselves), every
 * other type inlined. Each function takes the buffer, the position, the end and the state, and returns
 * the position after the value.
 */
function generate(root: avro.Type): Entry {
  const functions: string[] = [];
  const names = new Map<avro.Type, string>();
  let temp = 0;
  const fresh = (prefix: string): string => `${prefix}${temp++}`;

  /** Statements that read a zig-zag varint into the (declared) variable `v`. */
  const readLong = (v: string): string =>
    `if (pos >= end) H.truncated(end); ${v} = buf[pos++]; ` +
    `if (${v} > 127) { ${v} = H.slowLong(buf, pos - 1, end, st); pos = st.pos; } else ${v} = (${v} >>> 1) ^ -(${v} & 1);`;

  const lengthPrefixed = (what: string): string => {
    const v = fresh('len');
    return (
      `{ let ${v}; ${readLong(v)} ` +
      `if (${v} < 0) H.negative(pos, '${what} length', ${v}); ` +
      `if (${v} > end - pos) H.overrun(pos, end, st.limit, '${what} of length ' + ${v}, ${v}); ` +
      `pos += ${v}; }`
    );
  };

  const fixed = (size: number): string =>
    size === 0 ? '' : `if (end - pos < ${size}) H.truncated(end); pos += ${size};`;

  const recordFunction = (type: avro.Type, t: TypeShape): string => {
    const existing = names.get(type);
    if (existing) return existing;
    const name = `r${names.size}`;
    names.set(type, name); // before the fields: a field may be this record again
    const fields = (t.fields ?? []).map((f) => emit(f.type)).join('\n  ');
    functions.push(`function ${name}(buf, pos, end, st) {\n  ${fields}\n  return pos;\n}`);
    return name;
  };

  const blocks = (itemType: avro.Type, isMap: boolean): string => {
    // a map entry is a key (at least its length byte) and a value
    const minItemBytes = minEncodedBytes(itemType, new Set()) + (isMap ? 1 : 0);
    const what = isMap ? 'map block' : 'array block';
    const [n, size, i] = [fresh('n'), fresh('size'), fresh('i')];
    const fits =
      minItemBytes > 0
        ? `if (${n} > (end - pos) / ${minItemBytes}) H.overrun(pos, end, st.limit, '${what} of ' + ${n} + ' items (each at least ${minItemBytes} bytes)', ${n} * ${minItemBytes});`
        : `st.emptyBudget -= ${n}; if (st.emptyBudget < 0) H.tooManyEmpty(pos, '${what}', ${n});`;
    const sizedFits =
      minItemBytes > 0
        ? `if (${n} > ${size} / ${minItemBytes}) H.overfullBlock(pos, '${what}', ${n}, ${size}, ${minItemBytes});`
        : '';
    return [
      `for (;;) {`,
      `  let ${n}; ${readLong(n)}`,
      `  if (${n} === 0) break;`,
      `  if (${n} < 0) {`,
      `    ${n} = -${n}; let ${size}; ${readLong(size)}`,
      `    if (${size} < 0) H.negative(pos, '${what} byte size', ${size});`,
      `    if (${size} > end - pos) H.overrun(pos, end, st.limit, '${what} of ' + ${size} + ' bytes', ${size});`,
      `    ${sizedFits}`,
      `  }`,
      `  ${fits}`,
      `  for (let ${i} = 0; ${i} < ${n}; ${i}++) { ${isMap ? lengthPrefixed('string') : ''} ${emit(itemType)} }`,
      `}`,
    ].join(' ');
  };

  function emit(type: avro.Type): string {
    const t = type as unknown as TypeShape;
    switch (t.typeName) {
      case 'null':
        return '';
      case 'boolean':
        return fixed(1);
      case 'int':
      case 'long':
        return `if (pos >= end) H.truncated(end); if (buf[pos++] > 127) { H.slowLong(buf, pos - 1, end, st); pos = st.pos; }`;
      case 'float':
        return fixed(4);
      case 'double':
        return fixed(8);
      case 'string':
        return lengthPrefixed('string');
      case 'bytes':
        return lengthPrefixed('bytes');
      case 'fixed':
        return fixed(t.size ?? 0);
      case 'enum': {
        const v = fresh('sym');
        const count = t.symbols?.length ?? 0;
        return `{ let ${v}; ${readLong(v)} if (${v} < 0 || ${v} >= ${count}) H.badIndex('enum', pos, ${v}, ${count}); }`;
      }
      case 'record':
      case 'error':
        return `pos = ${recordFunction(type, t)}(buf, pos, end, st);`;
      case 'array':
        return blocks(t.itemsType!, false);
      case 'map':
        return blocks(t.valuesType!, true);
      default: {
        if (t.typeName.startsWith('union')) {
          const branches = t.types ?? [];
          const v = fresh('branch');
          const cases = branches.map((b, k) => `case ${k}: { ${emit(b)} break; }`).join(' ');
          return `{ let ${v}; ${readLong(v)} switch (${v}) { ${cases} default: H.badIndex('union', pos, ${v}, ${branches.length}); } }`;
        }
        if (t.underlyingType) return emit(t.underlyingType); // a logical type
        throw new TypeError(`cannot bound-check Avro type ${t.typeName}`);
      }
    }
  }

  const rootShape = root as unknown as TypeShape;
  const entry =
    rootShape.typeName === 'record' || rootShape.typeName === 'error'
      ? recordFunction(root, rootShape)
      : (() => {
          const name = 'top';
          functions.push(`function top(buf, pos, end, st) {\n  ${emit(root)}\n  return pos;\n}`);
          return name;
        })();
  const source = `'use strict';\n${functions.join('\n')}\nreturn ${entry};`;
  return new Function('H', source)(HELPERS) as Entry;
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
