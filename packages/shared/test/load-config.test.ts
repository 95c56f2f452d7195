import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, durationMs, formatDuration, loadConfigFile, parseConfig, parseDuration } from '../src/index.js';

const Schema = z.strictObject({
  service: z.strictObject({
    name: z.string(),
    port: z.coerce.number().int().positive(),
    timeout: durationMs().default(5_000),
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
    ['250', 250],
    [1_000, 1_000],
  ])('parses %s', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', '5 minutes', '-1s', '1x', 's'])('rejects %j', (input) =>
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

  it('suggests the right key inside lists too', () => {
    const err = errorOf(
      'service:\n  name: a\n  port: 1\nreceivers:\n  - name: x\n    url: http://x.example\n    secrte: y\n',
    );
    expect(err.message).toContain('receivers[0].secrte: unknown field "secrte" — did you mean "secret"?');
  });
});
