/**
 * The fault-injection suite's CI subset: a few short scenarios against the built processor CLI and the suite's
 * own broker — SIGKILL twice in each delivery mode and two clean broker restarts at-least-once. Each waits on
 * conditions (committed progress, /readyz, committed offsets at the end of the readings), never on elapsed
 * time; the deadlines are last-resort failure messages. `pnpm chaos` runs every scenario.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChaosOptions, DEFAULT_CHAOS_OPTIONS } from './chaos-options.js';
import { formatReport } from './chaos-report.js';
import { chaosScenarios } from './chaos-scenarios.js';
import { compareAlerts, verdict } from './compare-alerts.js';
import { runChaos } from './run-chaos.js';

/** CHAOS_PROCESSOR_CLI runs another build (e.g. an older one, to see what the suite catches). */
const CLI = resolve(
  process.env['CHAOS_PROCESSOR_CLI'] ?? `${import.meta.dirname}/../../packages/processor/dist/cli.js`,
);
const CI_SUBSET = ['sigkill-alo', 'sigkill-eos', 'broker-restart-alo'];

describe('fault injection (CI subset)', () => {
  it('loses no alert, invents none, repeats none exactly-once, and leaves no committed-offset gap', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run pnpm build first`).toBe(true);
    const options: ChaosOptions = {
      ...DEFAULT_CHAOS_OPTIONS,
      devices: 20,
      workloadSeconds: 240, // 20 devices × 2 metrics × 240 s ≈ 9,000 readings
      runDir: mkdtempSync(join(tmpdir(), 'sensor-pipeline-chaos-ci-')),
      processorCli: CLI,
      progress: (line) => process.stderr.write(`[chaos] ${line}\n`),
    };
    const scenarios = chaosScenarios(2).filter((s) => CI_SUBSET.includes(s.name));
    expect(scenarios.map((s) => s.name).sort()).toEqual([...CI_SUBSET].sort());

    const run = await runChaos(options, scenarios);
    const report = formatReport(run.results);
    process.stderr.write(`${report}\n`);
    expect(
      run.oracles.every((o) => o.alerts.length > 0),
      'the oracle published alerts',
    ).toBe(true);
    expect(
      run.results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.failures.join('; ')}`),
      report,
    ).toEqual([]);
  });
});

describe('compareAlerts', () => {
  const event = (eventId: string) => ({ eventId, rule: 'r', deviceId: 'd', status: 'FIRING', startsAt: 1 });

  it('counts lost, duplicated and unexpected ids against the oracle', () => {
    const c = compareAlerts(
      [event('a'), event('b'), event('c')],
      [event('a'), event('a'), event('c'), event('x'), event('x')],
    );
    expect(c.lost.map((e) => e.eventId)).toEqual(['b']);
    expect(c.duplicated.map((e) => e.eventId)).toEqual(['a', 'x']);
    expect(c.unexpected.map((e) => e.eventId)).toEqual(['x']);
  });

  it('allows duplicates at-least-once only, and never an offset gap', () => {
    const dup = compareAlerts([event('a')], [event('a'), event('a')]);
    expect(verdict(dup, 0, 'at-least-once')).toEqual([]);
    expect(verdict(dup, 0, 'exactly-once')).toEqual(['1 duplicated in exactly-once mode']);
    expect(verdict(compareAlerts([event('a')], [event('a')]), 3, 'at-least-once')).toEqual([
      'committed offsets 3 behind the readings',
    ]);
  });
});
