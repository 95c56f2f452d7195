/**
 * Loads a YAML config file, substitutes `${VAR}` from the environment, and validates it with a zod schema.
 * Every problem becomes a `ConfigError` issue naming the file, line, column and field and saying what was
 * expected, so a process can refuse to start before it touches Kafka.
 *
 * Substitution applies to values, not keys: `${VAR}` (must be set), `${VAR:-fallback}` (fallback when unset
 * or empty), and `$${` for a literal `${`. Substituted values are strings; numeric fields accept them when
 * their schema coerces.
 *
 * Hostile or broken files get the same located answer, never a hang or a stack trace: a file must be a
 * regular file of at most `maxBytes` (1 MiB by default; at most that many bytes are ever read, so
 * `/dev/zero` or a growing file ends at once), UTF-8 text (the first invalid byte is located), and YAML
 * whose aliases expand at most `maxAliasCount` times (an alias bomb is refused, not expanded).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { describeInput } from './config-fields.js';

/** Largest config file read, in bytes: config files are small; anything bigger is the wrong file. */
export const MAX_CONFIG_BYTES = 1_048_576; // 1 MiB
/** Most alias expansions a config file may need (YAML anchors `&a` used as `*a`); more is an alias bomb. */
export const MAX_YAML_ALIAS_COUNT = 100;
/** Deepest nesting of `[`/`{` collections: a file of 500,000 `[` takes the YAML parser seconds, then its stack. */
export const MAX_YAML_FLOW_DEPTH = 1_000;

export interface LoadConfigOptions {
  /** Variables for `${VAR}`; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Largest file read, in bytes (default {@link MAX_CONFIG_BYTES}). */
  readonly maxBytes?: number;
  /** Most alias expansions (default {@link MAX_YAML_ALIAS_COUNT}). */
  readonly maxAliasCount?: number;
}

type Path = readonly (string | number)[];

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function loadConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options: LoadConfigOptions = {},
): z.output<S> {
  return parseConfig(readConfigText(file, options), file, schema, options);
}

/**
 * A config file's text: a regular file of at most `maxBytes`, in UTF-8. Anything else (missing, unreadable,
 * a device or a directory, too large, not UTF-8) is a `ConfigError` naming the file, and the line and column
 * of the first byte that is not UTF-8.
 */
export function readConfigText(file: string, options: { readonly maxBytes?: number } = {}): string {
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const refuse = (message: string, cause?: unknown): never => {
    throw new ConfigError([{ file, message }], cause === undefined ? {} : { cause });
  };
  let bytes: Buffer;
  try {
    // stat before opening (devices are never opened), and open without blocking: a FIFO swapped in
    // between would otherwise wait for a writer; what was opened is checked again
    const notRegular = (stats: Stats) => {
      const kind = fileKind(stats);
      if (kind !== 'file') refuse(`cannot read config file: it is ${kind}, not a regular file`);
    };
    notRegular(statSync(file));
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = fstatSync(fd);
      notRegular(stats);
      if (stats.size > maxBytes) refuse(tooLarge(maxBytes));
      bytes = readAtMost(fd, maxBytes + 1); // the file may grow, or report no size (/proc)
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return refuse(`cannot read config file: ${reason}`, err);
  }
  if (bytes.length > maxBytes) refuse(tooLarge(maxBytes));
  return decodeUtf8(bytes, file);
}

function tooLarge(maxBytes: number): string {
  return `config file is larger than ${formatBytes(maxBytes)} (the limit for a config file); is this the right file?`;
}

function formatBytes(n: number): string {
  if (n >= 1_048_576 && n % 1_048_576 === 0) return `${n / 1_048_576} MiB`;
  if (n >= 1_024 && n % 1_024 === 0) return `${n / 1_024} KiB`;
  return `${n} bytes`;
}

function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** Reads until end of file or `limit` bytes, whichever comes first. */
function readAtMost(fd: number, limit: number): Buffer {
  const buffer = Buffer.allocUnsafe(Math.min(limit, 65_536));
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, limit - total), null);
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/** Strict UTF-8 decoding; the first invalid byte becomes a located issue. A leading BOM is dropped. */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    const at = firstInvalidUtf8(bytes);
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, at));
    const lines = prefix.split('\n');
    throw new ConfigError(
      [
        {
          file,
          line: lines.length,
          column: [...lines[lines.length - 1]!].length + 1,
          message: `not UTF-8 text: byte 0x${bytes[at]?.toString(16).padStart(2, '0') ?? '??'} at offset ${at} is not valid UTF-8; save the file as UTF-8`,
        },
      ],
      { cause: err },
    );
  }
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

export function parseConfig<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: LoadConfigOptions = {},
): z.output<S> {
  const env = options.env ?? process.env;
  // text handed in directly (parseRules, parseAlertingConfig...) gets the same limit as a file
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) {
    throw new ConfigError([{ file, message: tooLarge(maxBytes) }]);
  }
  const lineCounter = new LineCounter();
  const deep = flowDepthOverflow(text, MAX_YAML_FLOW_DEPTH);
  if (deep !== undefined) {
    throw new ConfigError([
      {
        file,
        line: text.slice(0, deep).split('\n').length,
        column: deep - text.lastIndexOf('\n', deep - 1),
        message: `invalid YAML: collections nested more than ${MAX_YAML_FLOW_DEPTH} deep`,
      },
    ]);
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // the parser's own limits (e.g. nesting too deep for the stack): still a config error, not a crash
    throw new ConfigError([{ file, message: `invalid YAML: ${(err as Error).message}` }], { cause: err });
  }
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  const syntax: ConfigIssue[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    ...(e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : at(e.pos[0])),
    message: `invalid YAML: ${e.message.split('\n')[0]}`,
  }));
  if (syntax.length > 0) throw new ConfigError(syntax);

  const substitution: ConfigIssue[] = [];
  substitute(
    doc.contents as YamlNode | null,
    [],
    (node, path, name) => {
      substitution.push({
        file,
        ...at(node.range?.[0]),
        field: formatPath(path),
        message: `environment variable ${name} is not set (referenced as \${${name}})`,
      });
    },
    env,
  );
  if (substitution.length > 0) throw new ConfigError(substitution);

  const data = toData(doc, file, options.maxAliasCount ?? MAX_YAML_ALIAS_COUNT, at);
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;

  const issues = result.error.issues.flatMap((issue): ConfigIssue[] => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        ...at(keyNode(doc, path, key)?.range?.[0]),
        field: formatPath([...path, key]),
        message: `unknown field "${key}"${suggest(key, knownKeys(schema, path))}`,
      }));
    }
    const node = nodeAt(doc, path);
    if (node) return [{ file, ...at(node.range?.[0]), field: formatPath(path), message: describe(issue) }];
    // a missing field: point at the closest enclosing node that exists
    const parent = closestNode(doc, path);
    const missing =
      path.length > 0 &&
      !hasPath(data, path) &&
      (issue.code === 'invalid_type' || (issue as { input?: unknown }).input === undefined);
    return [
      {
        file,
        ...at(parent?.range?.[0]),
        field: formatPath(path),
        message:
          missing && !describe(issue).startsWith('missing required field')
            ? `missing required field "${String(path[path.length - 1] ?? '(document)')}" (${describe(issue)})`
            : describe(issue),
      },
    ];
  });
  throw new ConfigError(issues);
}

/**
 * The document as plain data, with aliases expanded at most `maxAliasCount` times: an alias bomb (a few
 * lines that expand to billions of nodes) is refused at its first alias instead of eating memory and time.
 */
function toData(
  doc: Document,
  file: string,
  maxAliasCount: number,
  at: (offset: number | undefined) => { line?: number; column?: number },
): unknown {
  try {
    return doc.toJS({ maxAliasCount }) ?? undefined;
  } catch (err) {
    let firstAlias: YamlNode | undefined;
    visit(doc, {
      Alias: (_key, node) => {
        firstAlias = node as unknown as YamlNode;
        return visit.BREAK;
      },
    });
    const aliasy = firstAlias !== undefined && /alias/i.test((err as Error).message);
    throw new ConfigError(
      [
        {
          file,
          ...at(firstAlias?.range?.[0]),
          message: aliasy
            ? `YAML aliases expand more than ${maxAliasCount} times (an alias bomb?); write the repeated parts out or use fewer aliases`
            : `invalid YAML: ${(err as Error).message}`,
        },
      ],
      { cause: err },
    );
  }
}

/**
 * Offset of the first `[` or `{` nested deeper than `limit`, or undefined. A linear scan that skips comments
 * and quoted text (a quote never spans lines here: at worst the scan undercounts, it never refuses a sane file).
 */
function flowDepthOverflow(text: string, limit: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      quote = undefined;
    } else if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n')) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/** `receivers[0].url` */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(document)';
}

function hasPath(data: unknown, path: Path): boolean {
  let current = data;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !(part in (current as object))) return false;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current !== undefined;
}

function describe(issue: z.core.$ZodIssue): string {
  // a schema's own message wins; zod's default ("Invalid input: ...") is replaced by a plainer one
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    const input = (issue as { input?: unknown }).input;
    const got =
      input === undefined
        ? 'nothing'
        : input === null
          ? 'null'
          : Array.isArray(input)
            ? 'a list'
            : Number.isNaN(input)
              ? 'not a number'
              : typeof input;
    return `expected ${issue.expected}, got ${got}`;
  }
  if (issue.message === 'Invalid input') {
    // zod's bare default (e.g. a union none of whose options fit): at least say what was given
    return `not a valid value here, got ${describeInput((issue as { input?: unknown }).input)}`;
  }
  return issue.message;
}

function substitute(
  node: YamlNode | null,
  path: (string | number)[],
  onUnset: (node: YamlNode, path: Path, name: string) => void,
  env: Readonly<Record<string, string | undefined>>,
): void {
  if (!node) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      substitute(pair.value as YamlNode | null, [...path, key], onUnset, env);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      substitute(item as YamlNode, [...path, i], onUnset, env);
    });
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
    node.value = node.value.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const value = env[name!];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      if (value === '') return '';
      onUnset(node, path, name!);
      return match;
    });
  }
}

function nodeAt(doc: Document, path: Path): YamlNode | undefined {
  if (path.length === 0) return (doc.contents as YamlNode | null) ?? undefined;
  const node = doc.getIn(path, true);
  return node && typeof node === 'object' && 'range' in (node as object) ? (node as YamlNode) : undefined;
}

function closestNode(doc: Document, path: Path): YamlNode | undefined {
  for (let n = path.length - 1; n >= 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node) return node;
  }
  return undefined;
}

function keyNode(doc: Document, path: Path, key: string): YamlNode | undefined {
  const map = nodeAt(doc, path);
  if (!map || !isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  return (pair?.key as YamlNode | undefined) ?? undefined;
}

/** The keys a (strict) object schema allows at `path`, for "did you mean" hints. Best effort. */
function knownKeys(schema: z.ZodType, path: Path): string[] {
  const unwrap = (schemaNode: unknown): Record<string, unknown> | undefined => {
    let def = (schemaNode as { def?: Record<string, unknown> } | undefined)?.def;
    // unwrap wrappers (optional, default, pipe/transform, ...) without using up a path part
    for (let i = 0; def && i < 10; i++) {
      if (def['innerType']) def = (def['innerType'] as { def?: Record<string, unknown> }).def;
      else if (def['type'] === 'pipe' && def['in']) def = (def['in'] as { def?: Record<string, unknown> }).def;
      else break;
    }
    return def;
  };
  let def = unwrap(schema);
  for (const part of path) {
    if (!def) return [];
    def = unwrap(
      typeof part === 'number' ? def['element'] : (def['shape'] as Record<string, unknown> | undefined)?.[part],
    );
  }
  return def?.['shape'] ? Object.keys(def['shape'] as object) : [];
}

function suggest(key: string, known: string[]): string {
  if (known.length === 0) return '';
  const best = known
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), key.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0]!;
  const hint = best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? ` — did you mean "${best.k}"?` : '';
  return `${hint} (allowed: ${known.join(', ')})`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
