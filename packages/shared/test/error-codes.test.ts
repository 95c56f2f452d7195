import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  asUsageError,
  ConfigError,
  DecodeError,
  ERROR_CODES,
  exitStatusOf,
  isErrorCode,
  KafkaClientError,
  PipelineError,
  StartupError,
  UsageError,
} from '../src/errors.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_DIRS = [
  'packages/shared/src',
  'packages/simulator/src',
  'packages/processor/src',
  'packages/alerting/src',
  'infra/src',
];

const CODE = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'";
/** Where a code is written in a source: `new XError('CODE'`, `xError('CODE'`, `super('CODE'`, `code = 'CODE'`. */
const CODE_SITES = [
  new RegExp(String.raw`\b\w*(?:Error|error)\(\s*${CODE}`, 'g'),
  new RegExp(String.raw`\bsuper\(\s*${CODE}`, 'g'),
  new RegExp(String.raw`\bcode\s*=\s*${CODE}`, 'g'),
];

function codesWritten(text: string): string[] {
  return CODE_SITES.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the error code catalogue', () => {
  it('lists every code written in the sources', () => {
    const missing: string[] = [];
    let seen = 0;
    for (const dir of SOURCE_DIRS) {
      for (const file of sourceFiles(join(REPO, dir))) {
        for (const code of codesWritten(readFileSync(file, 'utf8'))) {
          seen++;
          if (!isErrorCode(code)) missing.push(`${relative(REPO, file)}: ${code}`);
        }
      }
    }
    expect(seen).toBeGreaterThan(20); // the scan found the throw sites at all
    expect(missing, 'add these codes to packages/shared/src/errors/error-codes.ts').toEqual([]);
  });

  it('lists the codes the processor builds from window verdicts (READING_LATE_<reason>, READING_<reason>)', () => {
    const file = join(REPO, 'packages/processor/src/window/add-result.ts');
    const verdicts = [...readFileSync(file, 'utf8').matchAll(/status: '(late|invalid)', reason: '([a-z-]+)'/g)];
    expect(verdicts.length).toBeGreaterThan(0);
    for (const [, status, reason] of verdicts) {
      const suffix = reason!.toUpperCase().replaceAll('-', '_');
      const code = status === 'late' ? `READING_LATE_${suffix}` : `READING_${suffix}`;
      expect(isErrorCode(code), `${code} (from ${status} reason "${reason}")`).toBe(true);
    }
  });

  it('finds a code that is not catalogued (the scan can fail)', () => {
    const planted = [
      "throw new PipelineError('NOT_A_REAL_CODE', 'x');",
      "super('ANOTHER_FAKE_CODE', message);",
      "readonly code = 'THIRD_FAKE_CODE';",
      "fail(librdkafkaError('FOURTH_FAKE_CODE', 'what', err));",
    ].join('\n');
    const found = codesWritten(planted);
    expect(found).toEqual(['NOT_A_REAL_CODE', 'FOURTH_FAKE_CODE', 'ANOTHER_FAKE_CODE', 'THIRD_FAKE_CODE']);
    expect(found.filter(isErrorCode)).toEqual([]);
  });

  it('gives each code a meaning and a default retriability', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      expect(info.meaning.length, code).toBeGreaterThan(10);
      expect(typeof info.retriable, code).toBe('boolean');
    }
  });
});

describe('PipelineError', () => {
  it("takes the code's default retriability unless told otherwise", () => {
    expect(new PipelineError('WEBHOOK_TIMEOUT', 'x').retriable).toBe(true);
    expect(new PipelineError('CONFIG_INVALID', 'x').retriable).toBe(false);
    expect(new PipelineError('WEBHOOK_TIMEOUT', 'x', { retriable: false }).retriable).toBe(false);
    expect(new KafkaClientError('x', { retriable: true }).retriable).toBe(true);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new DecodeError('DECODE_INVALID', 'x', { cause }).cause).toBe(cause);
  });
});

describe('exit status', () => {
  it('is 2 for a command line or config file to fix, 1 for anything else', () => {
    expect(exitStatusOf(new UsageError('--port: expected a number'))).toBe(2);
    expect(exitStatusOf(new ConfigError([{ file: 'a.yaml', line: 1, column: 1, message: 'bad' }]))).toBe(2);
    expect(
      exitStatusOf(Object.assign(new TypeError('Unknown option'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })),
    ).toBe(2);
    expect(exitStatusOf(new StartupError('port 9092 is taken'))).toBe(1);
    expect(exitStatusOf(new Error('boom'))).toBe(1);
    expect(exitStatusOf(undefined)).toBe(1);
  });

  it("turns node's parseArgs refusals into the one UsageError", () => {
    const refusal = Object.assign(new TypeError("Unknown option '--nope'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    const usage = asUsageError(refusal);
    expect(usage).toBeInstanceOf(UsageError);
    expect(usage?.code).toBe('USAGE');
    expect(usage?.message).toBe("Unknown option '--nope'");
    expect(asUsageError(new Error('boom'))).toBeUndefined();
  });
});
