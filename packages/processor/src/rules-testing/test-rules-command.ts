/**
 * `processor test-rules FILE...`: runs rules unit tests (format: rules-test-schema.ts) and prints, per test,
 * PASS or FAIL with a readable diff of expected and got alerts (`-` expected but not published, `+` published
 * but not expected, the matched ones as context). Exit status: 0 every test passed, 1 some test failed,
 * 2 a test file or a rules file it names cannot be used (the error names file, line, column and field).
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, formatDuration, loadConfigFile } from '@sensor-pipeline/shared';
import { loadRules } from '../rules/load-rules.js';
import type { RulesConfig } from '../rules/rules-schema.js';
import { type ExpectedAlert, type RulesTestFile, rulesTestFileSchema } from './rules-test-schema.js';
import { type PublishedAlert, type RulesCheckOutcome, runRulesTest } from './run-rules-test.js';

export interface TestRulesOutput {
  write(text: string): void;
}

/** Runs every file's tests; returns the exit status. */
export function testRulesCommand(files: readonly string[], out: TestRulesOutput, err: TestRulesOutput): number {
  let status = 0;
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    let spec: RulesTestFile;
    let rules: RulesConfig;
    try {
      spec = loadConfigFile(file, rulesTestFileSchema);
      rules = loadRuleFiles(file, spec.rule_files);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err.write(`${file}: cannot run its tests\n${e.message}\n`);
      status = 2;
      continue;
    }
    out.write(`${file} (rules: ${spec.rule_files.join(', ')})\n`);
    spec.tests.forEach((test, i) => {
      const name = test.name ?? `test ${i + 1}`;
      const outcome = runRulesTest(rules, test, test.interval ?? spec.evaluation_interval);
      if (outcome.ok) {
        passed++;
        out.write(`  PASS  ${name} (${outcome.checks.length} check${outcome.checks.length === 1 ? '' : 's'})\n`);
        return;
      }
      failed++;
      status = Math.max(status, 1);
      out.write(`  FAIL  ${name}\n`);
      for (const check of outcome.checks) if (!check.ok) out.write(formatCheckDiff(check));
    });
  }
  out.write(`${passed + failed} test${passed + failed === 1 ? '' : 's'}: ${passed} passed, ${failed} failed\n`);
  return status;
}

/** The rules of a test file's `rule_files` (relative to it), as one rules config. */
function loadRuleFiles(testFile: string, ruleFiles: readonly string[]): RulesConfig {
  const configs = ruleFiles.map((f) => ({ file: f, config: loadRules(resolve(dirname(testFile), f)) }));
  const first = configs[0]!;
  const names = new Set<string>();
  for (const { file, config } of configs) {
    if (config.graceMs !== first.config.graceMs)
      throw new ConfigError([
        {
          file: testFile,
          field: 'rule_files',
          message: `${file} has grace ${formatDuration(config.graceMs)} but ${first.file} has ${formatDuration(first.config.graceMs)}: the rules of one test run with one grace`,
        },
      ]);
    for (const rule of config.rules) {
      if (names.has(rule.name))
        throw new ConfigError([
          { file: testFile, field: 'rule_files', message: `rule ${rule.name} is in more than one rules file` },
        ]);
      names.add(rule.name);
    }
  }
  return { graceMs: first.config.graceMs, rules: configs.flatMap((c) => c.config.rules) };
}

/** One failed check, as a diff of expected (−) and got (+) alerts. */
export function formatCheckDiff(check: RulesCheckOutcome): string {
  const lines = [`        alertname ${check.alertname} at eval_time ${formatDuration(check.evalTimeMs)}:`];
  const missing = new Set(check.missing);
  const unexpected = new Set(check.unexpected);
  for (const e of check.expected) if (!missing.has(e)) lines.push(`            ${describeExpected(e)}`);
  for (const e of check.missing) lines.push(`          - ${describeExpected(e)}`);
  for (const p of check.got) if (unexpected.has(p)) lines.push(`          + ${describeGot(p)}`);
  if (check.expected.length === 0) lines.push('          (expected no alert of this rule)');
  if (check.got.length === 0) lines.push('          (got no alert of this rule)');
  return `${lines.join('\n')}\n`;
}

function describeExpected(e: ExpectedAlert): string {
  return [
    e.status,
    formatLabels(e.labels),
    ...(e.value === undefined ? [] : [`value=${e.value}`]),
    ...(e.summary === undefined ? [] : [`summary=${JSON.stringify(e.summary)}`]),
  ].join(' ');
}

function describeGot({ alert, atMs }: PublishedAlert): string {
  return [
    alert.status,
    formatLabels(alert.labels),
    `value=${formatValue(alert.value)}`,
    `startsAt=${formatDuration(alert.startsAt)}`,
    ...(alert.endsAt === null ? [] : [`endsAt=${formatDuration(alert.endsAt)}`]),
    `published at ${formatDuration(atMs)}`,
    `summary=${JSON.stringify(alert.summary)}`,
  ].join(' ');
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
}
