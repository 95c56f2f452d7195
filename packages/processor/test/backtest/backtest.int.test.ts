/**
 * `processor backtest` against the real broker: readings produced, the processor run over them to publish
 * alerts, then a backtest over the same span with the same rules reproduces the published alerts exactly
 * (`--compare` finds no difference), and with an edited rule it shows the difference, both ways.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrapServers, createTopics, produceRaw, uniqueName } from '../../../../test/kafka.js';
import { backtestCommand } from '../../src/backtest/backtest-command.js';
import {
  fleet,
  readAlertsUntilSentinel,
  readingCodec,
  rep,
  rulesFile,
  sentinelRecords,
  series,
  startInProcess,
  stopAll,
  topicsFor,
} from '../service/processor-fixtures.js';

afterEach(stopAll);

async function backtest(args: { rules: string; compare?: boolean; json?: boolean }, env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const status = await backtestCommand(
    { from: '30m', bootstrapServers: bootstrapServers(), ...args },
    {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: false },
      env,
    },
  );
  return { status, stdout, stderr };
}

describe('processor backtest', () => {
  it('reproduces the published alerts with the same rules and shows the difference with an edited rule', async () => {
    const topics = topicsFor('backtest');
    await createTopics([topics.readings], { partitions: 2 });
    await createTopics([topics.alerts], { partitions: 1 });
    const readings = fleet(
      series('site-a/dev-1', 'temperature', rep(15, 70).concat(rep(20, 90), rep(20, 60))),
      series('site-a/dev-2', 'cpu', rep(10, 50).concat(rep(10, 93), rep(10, 40))),
      series('site-b/dev-3', 'cpu', rep(10, 50).concat(rep(10, 99), rep(10, 40))),
    );
    await produceRaw(
      topics.readings,
      readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })),
    );
    await produceRaw(topics.readings, sentinelRecords(2, 100));
    const rules = rulesFile(false);
    const service = startInProcess(topics, uniqueName('backtest-group'), rules);
    await service.start();
    const published = await readAlertsUntilSentinel(topics.alerts, 2);
    expect(published.map((a) => `${a.rule} ${a.deviceId} ${a.status}`).sort()).toEqual([
      'cpu-high site-a/dev-2 FIRING',
      'cpu-high site-a/dev-2 RESOLVED',
      'cpu-high site-b/dev-3 FIRING',
      'cpu-high site-b/dev-3 RESOLVED',
      'temp-high site-a/dev-1 FIRING',
      'temp-high site-a/dev-1 RESOLVED',
    ]);
    await stopAll();

    const env = { READINGS_TOPIC: topics.readings, ALERTS_TOPIC: topics.alerts };
    const same = await backtest({ rules, compare: true }, env);
    expect(same.stderr).toMatch(/^evaluating .*\d+\/\d+ readings \(100\.0%\)/m);
    expect(same.stdout).toContain('cpu-high site-b/dev-3/cpu value=99 id=');
    // the 6 alerts above and the two sentinels' FIRING
    expect(same.stdout).toContain('would have published 8 alerts (5 FIRING, 3 RESOLVED)');
    expect(same.stdout).toContain('8 alerts alike, 0 only in the backtest, 0 only published');
    expect(same.status).toBe(0);

    // cpu-high at 95: site-a/dev-2 (93 %) would not fire any more
    const edited = `${rules.replace('.yaml', '-edited.yaml')}`;
    writeFileSync(edited, readFileSync(rules, 'utf8').replace('above: 90', 'above: 95'));
    const diff = await backtest({ rules: edited, compare: true }, env);
    expect(diff.stdout).toContain('6 alerts alike, 0 only in the backtest, 2 only published');
    expect(diff.stdout).toMatch(/^- \S+ FIRING {3}cpu-high site-a\/dev-2\/cpu value=93 id=[0-9a-f]{32}$/m);
    expect(diff.stdout).toMatch(/^- \S+ RESOLVED cpu-high site-a\/dev-2\/cpu /m);
    expect(diff.status).toBe(1);

    const json = await backtest({ rules: edited, json: true }, env);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; deviceId: string });
    expect(lines).toHaveLength(6);
    expect(lines.some((a) => a.deviceId === 'site-a/dev-2')).toBe(false);
  });
});
