/**
 * `processor test-rules` in process: the shipped tests of the default rules pass (CI runs them here), a
 * broken copy fails with a diff, a bad test file is refused with its location; and the series notation.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandSeries } from '../../src/rules-testing/expand-series.js';
import { testRulesCommand } from '../../src/rules-testing/test-rules-command.js';

const SHIPPED = fileURLToPath(new URL('../../../../config/rules.test.yaml', import.meta.url));
const RULES = fileURLToPath(new URL('../../../../config/rules.yaml', import.meta.url));

function run(files: string[]): { status: number; out: string; err: string } {
  let out = '';
  let err = '';
  const status = testRulesCommand(files, { write: (t) => void (out += t) }, { write: (t) => void (err += t) });
  return { status, out, err };
}

/** A copy of the shipped tests in a directory of its own, edited by `edit`, naming the shipped rules. */
function copyOfShipped(edit: (text: string) => string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rules-test-')), 'broken.test.yaml');
  const text = readFileSync(SHIPPED, 'utf8').replace('rule_files: [rules.yaml]', `rule_files: [${RULES}]`);
  writeFileSync(file, edit(text));
  return file;
}

describe('processor test-rules', () => {
  it('passes on the shipped tests of the default rules', () => {
    const { status, out, err } = run([SHIPPED]);
    expect(err).toBe('');
    expect(out).not.toContain('FAIL');
    expect(out).toMatch(/^7 tests: 7 passed, 0 failed$/m);
    expect(status).toBe(0);
  });

  it('fails with a diff of expected and got on a broken copy', () => {
    const file = copyOfShipped((text) =>
      text.replace('value: 84\n', 'value: 85\n').replace('- eval_time: 19s', '- eval_time: 21s'),
    );
    const { status, out } = run([file]);
    expect(status).toBe(1);
    expect(out).toMatch(/^7 tests: 5 passed, 2 failed$/m);
    expect(out).toContain('  FAIL  temperature-high fires once its 30s mean held above 80 for 10s');
    expect(out).toContain('        alertname temperature-high at eval_time 30s:\n');
    expect(out).toContain(
      '          - FIRING {deviceId="site-a/dev-1", metric="temperature", severity="critical", site="a"} value=85 summary=',
    );
    expect(out).toContain(
      '          + FIRING {deviceId="site-a/dev-1", metric="temperature", rule="temperature-high", severity="critical", site="a"} value=84 startsAt=30s published at 30s',
    );
    // an alert that was not expected at all
    expect(out).toContain('        alertname temperature-low at eval_time 21s:\n');
    expect(out).toContain('          (expected no alert of this rule)');
  });

  it('refuses a bad test file with file:line:col and field (exit 2), and goes on with the other files', () => {
    const file = copyOfShipped((text) => text.replace('values: "15x9 5x59"', 'values: "15x9 5+x59"'));
    const { status, out, err } = run([file, SHIPPED]);
    expect(status).toBe(2);
    expect(err).toContain(
      `${file}:51:17 tests[2].input_series[0].values: "5+x59" is not a sample: expected a number, _ (missing), a+bxn, a-bxn, axn or _xn`,
    );
    expect(out).toMatch(/^7 tests: 7 passed, 0 failed$/m);
  });
});

describe('expandSeries (promtool notation)', () => {
  it('expands runs, repeats and missing samples', () => {
    expect(expandSeries('20+5x3')).toEqual([20, 25, 30, 35]);
    expect(expandSeries('10-2.5x2 0x2')).toEqual([10, 7.5, 5, 0, 0, 0]);
    expect(expandSeries(' 1 _ -3  _x2 4 ')).toEqual([1, undefined, -3, undefined, undefined, 4]);
    expect(() => expandSeries('')).toThrow('at least one sample');
    expect(() => expandSeries('1x2000000')).toThrow('longer than 1000000 samples');
  });
});
