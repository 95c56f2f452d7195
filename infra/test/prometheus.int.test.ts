/**
 * Prometheus as code: `promtool` (Debian's `prometheus` package, installed by scripts/install.sh) accepts the
 * scrape config and the rule files, and the rules' unit tests (infra/prometheus/tests) pass. Runs a child
 * process, so it lives in the integration tier.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const prometheusDir = fileURLToPath(new URL('../prometheus/', import.meta.url));

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: prometheusDir, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool could not run (${result.error.message}); scripts/install.sh installs it (apt-get install prometheus)`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('infra/prometheus', () => {
  const ruleFiles = readdirSync(`${prometheusDir}rules`)
    .filter((f) => f.endsWith('.rules.yml'))
    .map((f) => `rules/${f}`);
  const testFiles = readdirSync(`${prometheusDir}tests`)
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => `tests/${f}`);

  it('has rule files and rule tests', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
  });

  it('promtool check config accepts prometheus.yml and the rule files it names', () => {
    const { status, output } = promtool('check', 'config', 'prometheus.yml');
    expect(status, output).toBe(0);
    expect(output).toContain(`${ruleFiles.length} rule files found`);
  });

  it('promtool check rules accepts every rule file', () => {
    const { status, output } = promtool('check', 'rules', ...ruleFiles);
    expect(status, output).toBe(0);
  });

  it('promtool test rules: the rules fire and stay quiet where their unit tests say', () => {
    const { status, output } = promtool('test', 'rules', ...testFiles);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });
});
