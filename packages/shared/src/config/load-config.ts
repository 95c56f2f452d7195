/**
 * Loads a YAML config file, substitutes `${VAR}` from the environment, and validates it with a zod schema.
 * Every problem becomes a `ConfigError` issue naming the file, line, column and field and saying what was
 * expected, so a process can refuse to start before it touches Kafka.
 *
 * Substitution applies to values, not keys: `${VAR}` (must be set), `${VAR:-fallback}` (fallback when unset
 * or empty), and `$${` for a literal `${`. Substituted values are strings; numeric fields accept them when
 * their schema coerces.
 */
import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';

export interface LoadConfigOptions {
  /** Variables for `${VAR}`; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Path = readonly (string | number)[];

const VARIABLE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function loadConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options: LoadConfigOptions = {},
): z.output<S> {
  return parseConfig(readConfigText(file), file, schema, options);
}

/** A config file's text; a missing or unreadable file is a `ConfigError` naming it. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([{ file, message: `cannot read config file: ${reason}` }], { cause: err });
  }
}

export function parseConfig<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: LoadConfigOptions = {},
): z.output<S> {
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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

  const data: unknown = doc.toJS() ?? undefined;
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
    const missing = issue.code === 'invalid_type' && path.length > 0 && !hasPath(data, path);
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
