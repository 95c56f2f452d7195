import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  booleanField,
  ConfigError,
  checkGlob,
  durationMs,
  enumField,
  formatDuration,
  globList,
  integerField,
  loadConfigFile,
  MAX_CONFIG_BYTES,
  MAX_GLOB_LENGTH,
  MAX_YAML_FLOW_DEPTH,
  numberField,
  parseConfig,
  parseDuration,
  stringField,
} from '../src/index.js';

const Schema = z.strictObject({
  service: z.strictObject({
    name: z.string(),
    port: z.coerce.number().int().positive(),
    timeout: durationMs({ max: 3_600_000 }).default(5_000),
  }),
  receivers: z.array(z.strictObject({ name: z.string(), url: z.url(), secret: z.string().optional() })).default([]),
});

function errorOf(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(text, 'config/test.yaml', Schema, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads a valid file, applying defaults, durations and ${VAR} substitution', () => {
    const text =
      'service:\n  name: processor\n  port: ${PORT}\n  timeout: 1m30s\nreceivers:\n  - name: ops\n    url: ${URL:-http://example.com/hook}\n    secret: ${SECRET}\n';
    const config = parseConfig(text, 'x.yaml', Schema, { env: { PORT: '8080', SECRET: 'whsec_abc' } });
    expect(config).toEqual({
      service: { name: 'processor', port: 8080, timeout: 90_000 },
      receivers: [{ name: 'ops', url: 'http://example.com/hook', secret: 'whsec_abc' }],
    });
  });

  it('names file, line and column for bad YAML', () => {
    const err = errorOf('service:\n  name: [unclosed\n  port: 1\n');
    expect(err.issues[0]).toMatchObject({ file: 'config/test.yaml', line: expect.any(Number) });
    expect(err.message).toMatch(/^config\/test\.yaml:\d+:\d+: invalid YAML/);
  });

  it('names the field and the line for a missing field', () => {
    const err = errorOf('service:\n  name: processor\n');
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 2, field: 'service.port' });
    expect(err.message).toContain('config/test.yaml:2:3 service.port: missing required field "port"');
  });

  it('names the field, the line and what was expected for a wrong type', () => {
    const err = errorOf('service:\n  name: processor\n  port: eighty\n');
    expect(err.issues[0]).toMatchObject({ line: 3, column: 9, field: 'service.port' });
    expect(err.message).toMatch(/expected number/);
  });

  it('names an unknown key, its line, and suggests the right one', () => {
    const err = errorOf('service:\n  name: processor\n  port: 80\n  timout: 5s\n');
    expect(err.issues[0]).toMatchObject({ line: 4, column: 3, field: 'service.timout' });
    expect(err.message).toContain('unknown field "timout" — did you mean "timeout"?');
  });

  it('names the field and line of an unset ${VAR}, and never proceeds', () => {
    const err = errorOf(
      'service:\n  name: processor\n  port: 80\nreceivers:\n  - name: a\n    url: http://x.example\n    secret: ${WEBHOOK_SECRET}\n',
    );
    expect(err.issues[0]).toMatchObject({ line: 7, field: 'receivers[0].secret' });
    expect(err.message).toContain('environment variable WEBHOOK_SECRET is not set');
  });

  it('keeps $${ as a literal ${', () => {
    const config = parseConfig('service:\n  name: "$${NOT_A_VAR}"\n  port: 1\n', 'x.yaml', Schema, { env: {} });
    expect(config.service.name).toBe('${NOT_A_VAR}');
  });

  it('reports every problem at once', () => {
    const err = errorOf('service:\n  name: 5\n  port: -1\n  extra: true\n');
    expect(err.issues.map((i) => i.field).sort()).toEqual(['service.extra', 'service.name', 'service.port']);
  });

  it('locates errors inside lists and bad durations', () => {
    const err = errorOf(
      'service:\n  name: p\n  port: 1\n  timeout: soon\nreceivers:\n  - name: a\n    url: not a url\n',
    );
    expect(err.issues.map((i) => `${i.line} ${i.field}`).sort()).toEqual(['4 service.timeout', '7 receivers[0].url']);
    expect(err.message).toContain('expected a duration like 500ms');
  });

  it('says so when the file is missing or empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    expect(() => loadConfigFile(join(dir, 'nope.yaml'), Schema)).toThrow(
      /nope\.yaml: cannot read config file: file not found/,
    );
    writeFileSync(join(dir, 'empty.yaml'), '');
    expect(() => loadConfigFile(join(dir, 'empty.yaml'), Schema)).toThrow(/empty\.yaml/);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['0', 0],
    [1_000, 1_000],
  ])('parses %s', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', '5 minutes', '-1s', '1x', 's', '250', '5'])('rejects %j', (input) =>
    expect(() => parseDuration(input)).toThrow(RangeError),
  );

  it('formats compactly', () => {
    expect([60_000, 30_000, 1_500, 86_400_000].map(formatDuration)).toEqual(['1m', '30s', '1500ms', '1d']);
  });
});

describe('loadConfig messages', () => {
  it('says what type it got', () => {
    const err = errorOf('service:\n  name: 5\n  port: 1\n');
    expect(err.message).toContain('service.name: expected string, got number');
  });

  it("says what was given where zod only says 'Invalid input'", () => {
    const Either = z.strictObject({ mode: z.union([z.literal('a'), z.number()]) });
    expect(() => parseConfig('mode: b\n', 'e.yaml', Either, { env: {} })).toThrow(
      'e.yaml:1:7 mode: not a valid value here, got "b"',
    );
  });

  it('suggests the right key inside lists too', () => {
    const err = errorOf(
      'service:\n  name: a\n  port: 1\nreceivers:\n  - name: x\n    url: http://x.example\n    secrte: y\n',
    );
    expect(err.message).toContain('receivers[0].secrte: unknown field "secrte" — did you mean "secret"?');
  });
});

describe('hostile and broken files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-hostile-'));
  const file = (name: string, content: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const refusal = (path: string, options: { maxBytes?: number; maxAliasCount?: number } = {}): ConfigError => {
    try {
      loadConfigFile(path, z.unknown(), options);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error(`expected ${path} to be refused`);
  };

  it('refuses a file over the size limit without reading it all', () => {
    const big = file('big.yaml', `a: ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(refusal(big).message).toBe(
      `${big}: config file is larger than 1 MiB (the limit for a config file); is this the right file?`,
    );
    const small = file('small.yaml', 'a: 12345\n');
    expect(refusal(small, { maxBytes: 5 }).message).toContain('larger than 5 bytes');
    expect(loadConfigFile(small, z.unknown(), { maxBytes: 9 })).toEqual({ a: 12_345 });
    // text handed in directly gets the same limit (in bytes: é is two)
    expect(() => parseConfig(`a: ${'x'.repeat(MAX_CONFIG_BYTES)}`, 'text.yaml', z.unknown())).toThrow(
      'text.yaml: config file is larger than 1 MiB',
    );
    expect(() => parseConfig('a: éé', 'text.yaml', z.unknown(), { maxBytes: 6 })).toThrow('larger than 6 bytes');
    expect(parseConfig('a: éé', 'text.yaml', z.unknown(), { maxBytes: 7 })).toEqual({ a: 'éé' });
  });

  it.each(['/dev/zero', '/dev/urandom'])('refuses %s (endless) as a config path', (path) => {
    expect(refusal(path).message).toBe(
      `${path}: cannot read config file: it is a character device, not a regular file`,
    );
  });

  it('refuses a directory', () => {
    expect(refusal(dir).message).toContain('it is a directory, not a regular file');
  });

  it('refuses an alias bomb with the line and column of its first alias', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = file('bomb.yaml', `${levels.join('\n')}\n`);
    const err = refusal(bomb);
    expect(err.issues[0]).toMatchObject({ file: bomb, line: 2, column: 8 });
    expect(err.message).toContain('YAML aliases expand more than 100 times (an alias bomb?)');
  });

  it('still expands a few aliases', () => {
    const ok = file('aliases.yaml', 'base: &base { a: 1 }\none: *base\ntwo: *base\n');
    expect(loadConfigFile(ok, z.unknown())).toEqual({ base: { a: 1 }, one: { a: 1 }, two: { a: 1 } });
    expect(refusal(ok, { maxAliasCount: 1 }).message).toContain('more than 1 times');
  });

  it('refuses text that is not UTF-8, naming the line and column of the first bad byte', () => {
    const latin1 = file('latin1.yaml', Buffer.concat([Buffer.from('name: ok\nsite: caf'), Buffer.from([0xe9, 0x0a])]));
    const err = refusal(latin1);
    expect(err.issues[0]).toMatchObject({ line: 2, column: 10 });
    expect(err.message).toContain('not UTF-8 text: byte 0xe9 at offset 18');
    // an overlong encoding and a lone surrogate are not UTF-8 either
    expect(refusal(file('overlong.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf]))).issues[0]).toMatchObject({
      line: 1,
      column: 4,
    });
    expect(refusal(file('surrogate.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xed, 0xa0, 0x80]))).message).toContain(
      'byte 0xed at offset 3',
    );
  });

  it('refuses collections nested absurdly deep, at the first one too deep', () => {
    const deep = file('deep.yaml', `a: 1\nb: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`);
    const err = refusal(deep);
    expect(err.issues[0]).toMatchObject({ line: 2, column: 4 + MAX_YAML_FLOW_DEPTH });
    expect(err.message).toContain(`collections nested more than ${MAX_YAML_FLOW_DEPTH} deep`);
    // brackets in comments, quotes and globs are not nesting
    const sane = file(
      'sane.yaml',
      `# ${'['.repeat(2_000)}\nq: "${'{'.repeat(2_000)}"\ng: site-[a${'['.repeat(10)}\nl: [[1], {a: [2]}]\n`,
    );
    expect(loadConfigFile(sane, z.unknown())).toMatchObject({ l: [[1], { a: [2] }] });
  });

  it('reads UTF-8 with a byte order mark and multi-byte characters', () => {
    const bom = file('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: café 🌡\n')]));
    expect(loadConfigFile(bom, z.unknown())).toEqual({ name: 'café 🌡' });
  });
});

describe('duration fields', () => {
  const Durations = z.strictObject({
    window: durationMs({ min: 1_000, max: 86_400_000 }).optional(),
    offset: durationMs({ max: 3_600_000, signed: true }).optional(),
  });
  const issue = (text: string): string => {
    try {
      parseConfig(text, 'd.yaml', Durations, { env: {} });
    } catch (err) {
      return (err as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('refuses a bare number, naming the units', () => {
    expect(issue('window: 5\n')).toBe(
      'd.yaml:1:9 window: a bare number is not a duration: got 5, write it with a unit — ms, s, m, h or d (e.g. 5s or 5ms)',
    );
    expect(issue('window: "90000"\n')).toContain('a bare number is not a duration: got "90000"');
  });

  it('accepts 0 without a unit', () => {
    expect(parseConfig('offset: 0\n', 'd.yaml', Durations, { env: {} })).toEqual({ offset: 0 });
  });

  it('names the upper and lower bounds', () => {
    expect(issue('window: 100000000h\n')).toBe('d.yaml:1:9 window: expected a duration of at most 1d, got 100000000h');
    expect(issue('window: 500ms\n')).toBe('d.yaml:1:9 window: expected a duration of at least 1s, got 500ms');
    expect(issue(`window: ${'9'.repeat(400)}d\n`)).toContain('expected a duration like 500ms');
  });

  it('takes a sign where a direction makes sense, bounded by magnitude', () => {
    expect(parseConfig('offset: -5m\n', 'd.yaml', Durations, { env: {} })).toEqual({ offset: -300_000 });
    expect(parseConfig('offset: +1m30s\n', 'd.yaml', Durations, { env: {} })).toEqual({ offset: 90_000 });
    expect(issue('offset: -2h\n')).toContain('at most 1h');
    expect(issue('window: -5s\n')).toContain('expected a duration like 500ms, 30s, 5m, 1h or 1m30s, got "-5s"');
  });

  it('says a required duration is missing', () => {
    const Required = z.strictObject({ every: durationMs({ max: 60_000 }) });
    expect(() => parseConfig('{}\n', 'd.yaml', Required, { env: {} })).toThrow(
      /d\.yaml:1:1 every: missing required field "every"/,
    );
  });
});

describe('globs', () => {
  it.each([
    ['site-[a/**', '"[" at character 6 is never closed by "]"'],
    ['{a,b', '"{" at character 1 is never closed by "}"'],
    ['a,b}', '"}" at character 4 closes nothing'],
    ['@(a|b', '"(" at character 2 is never closed by ")"'],
    ['{a)', '")" at character 3 closes nothing (the "{" at character 1 needs "}")'],
    ['dev\\', 'ends with a lone'],
    ['', 'a glob cannot be empty'],
    ['x'.repeat(MAX_GLOB_LENGTH + 1), `a glob of at most ${MAX_GLOB_LENGTH} characters`],
  ])('refuses %j', (pattern, problem) => expect(checkGlob(pattern)).toContain(problem));

  it.each(['site-a/*', 'site-[ab]/**', '[!a]*', '[]]x', 'dev-{1,2}', '@(a|b)', 'literal\\[bracket', 'a/**/b?'])(
    'accepts %j',
    (pattern) => expect(checkGlob(pattern)).toBeUndefined(),
  );

  it('locates a bad glob inside a list', () => {
    const Selector = z.strictObject({ match: globList() });
    expect(parseConfig('match: site-a/*\n', 'g.yaml', Selector, { env: {} })).toEqual({ match: ['site-a/*'] });
    expect(() => parseConfig('match:\n  - site-a/*\n  - site-[a/**\n', 'g.yaml', Selector, { env: {} })).toThrow(
      'g.yaml:3:5 match[1]: invalid glob "site-[a/**": "[" at character 6 is never closed by "]"',
    );
    expect(() => parseConfig('match: []\n', 'g.yaml', Selector, { env: {} })).toThrow('an empty list of globs');
  });
});

describe('field coercions', () => {
  const Fields = z.strictObject({
    count: integerField({ min: 1, max: 100 }).optional(),
    ratio: numberField({ min: 0, max: 1 }).optional(),
    level: numberField().optional(),
    on: booleanField().optional(),
    color: enumField(['red', 'green'], { field: 'color' }),
    name: stringField({ min: 1, max: 8, pattern: /^[a-z]+$/, patternMessage: 'lowercase letters only' }).optional(),
  });
  const parse = (text: string, env: Record<string, string> = {}) => parseConfig(text, 'f.yaml', Fields, { env });
  const issue = (text: string): string => {
    try {
      parse(text);
    } catch (err) {
      return (err as ConfigError).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('reads numbers, switches and words, also from ${VAR} text', () => {
    expect(
      parse('count: ${N}\nratio: "0.5"\nlevel: -3.5\non: ${ON}\ncolor: red\nname: abc\n', { N: '7', ON: 'true' }),
    ).toEqual({ count: 7, ratio: 0.5, level: -3.5, on: true, color: 'red', name: 'abc' });
  });

  it('says what was expected', () => {
    expect(issue('count: 0\ncolor: red\n')).toBe('f.yaml:1:8 count: expected a whole number from 1 to 100, got 0');
    expect(issue('count: 2.5\ncolor: red\n')).toContain('expected a whole number from 1 to 100, got 2.5');
    expect(issue('ratio: 2\ncolor: red\n')).toContain('ratio: expected a number from 0 to 1, got 2');
    expect(issue('level: .nan\ncolor: red\n')).toContain('level: expected a finite number, got NaN');
    expect(issue('level: [1]\ncolor: red\n')).toContain('level: expected a finite number, got a list');
    expect(issue('on: yes\ncolor: red\n')).toContain('on: expected true or false, got "yes"');
    expect(issue('color: blue\n')).toContain('color: expected one of red, green, got "blue"');
    expect(issue('name: abc\n')).toContain('missing required field "color" (one of red, green)');
    expect(issue('color: red\nname: ""\n')).toContain('name: expected a non-empty text');
    expect(issue('color: red\nname: abcdefghi\n')).toContain('name: expected at most 8 characters, got 9');
    expect(issue('color: red\nname: ABC\n')).toContain('name: lowercase letters only');
  });
});
