/**
 * Rules reload of a running processor against the real broker, in both delivery modes: the rules file is
 * rewritten and `POST /-/reload` asked of a real ops server. An unchanged rule keeps its window and alert
 * state, a new rule on a window already held starts from it, a removed rule's FIRING gets a RESOLVED that
 * says why, and a broken file is refused (500 with file:line:col, the gauge at 0) while the rules stay.
 */
import { writeFileSync } from 'node:fs';
import {
  configReloader,
  createMetricsRegistry,
  type OpsServer,
  parsePrometheusText,
  reloadGauges,
  startOpsServer,
} from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, kafkaSettings, produceRaw, testLogger, uniqueName } from '../../../../test/kafka.js';
import { loadRules } from '../../src/rules/index.js';
import { ProcessorService } from '../../src/service/processor-service.js';
import { rulesReloadFunction } from '../../src/service/rules-reload.js';
import { createRulesRuntime } from '../../src/service/rules-runtime.js';
import {
  type Alert,
  readAlerts,
  readingCodec,
  rep,
  rulesFile,
  series,
  services,
  stopAll,
  topicsFor,
} from './processor-fixtures.js';

let ops: OpsServer | undefined;
afterEach(async () => {
  await ops?.close();
  ops = undefined;
  await stopAll();
});

const TEMP_HIGH = `  - name: temp-high
    metric: temperature
    window: 10s
    statistic: mean
    above: 80
    severity: critical
`;
const CPU_HIGH = `  - name: cpu-high
    metric: cpu
    window: 5s
    statistic: mean
    above: 90
    severity: warning
`;
const TEMP_PEAK = `  - name: temp-peak
    metric: temperature
    window: 10s
    statistic: max
    above: 92
    severity: warning
`;

const produce = (topic: string, readings: ReturnType<typeof series>) =>
  produceRaw(
    topic,
    readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })),
  );
const brief = (a: Alert) => `${a.rule} ${a.deviceId} ${a.status}`;

describe('processor rules reload', () => {
  it.each(['at-least-once', 'exactly-once'] as const)(
    '%s: keeps unchanged rules, resolves removed ones with the reason, starts new ones from held windows, refuses a broken file',
    async (delivery) => {
      const topics = topicsFor('reload');
      await createTopics([topics.readings, topics.alerts], { partitions: 1 });
      const file = rulesFile(false);
      writeFileSync(file, `grace: 2s\nrules:\n${TEMP_HIGH}${CPU_HIGH}`);
      const runtime = createRulesRuntime(loadRules(file));
      const registry = createMetricsRegistry('processor-test');
      const reloader = configReloader({
        reload: rulesReloadFunction(file, runtime),
        logger: testLogger,
        gauges: reloadGauges(registry, 'processor'),
      });
      const service = new ProcessorService({
        delivery,
        kafka: kafkaSettings('processor-test'),
        topics,
        groupId: uniqueName('reload-group'),
        rules: runtime,
        logger: testLogger,
        registry,
        commitIntervalMs: 200,
      });
      services.push(service);
      ops = await startOpsServer({
        port: 0,
        host: '127.0.0.1',
        registry,
        logger: testLogger,
        reload: () => reloader.request('http'),
      });
      await service.start();

      // before the reload: dev-a's temperature and dev-b's cpu fire
      await produce(topics.readings, series('site-a/dev-a', 'temperature', rep(5, 90)));
      await produce(topics.readings, series('site-b/dev-b', 'cpu', rep(3, 99)));
      const before = await readAlerts(topics.alerts, 2);
      expect(before.map(brief)).toEqual(['temp-high site-a/dev-a FIRING', 'cpu-high site-b/dev-b FIRING']);

      // temp-high unchanged, cpu-high removed, temp-peak added on the window temp-high holds
      writeFileSync(file, `grace: 2s\nrules:\n${TEMP_HIGH}${TEMP_PEAK}`);
      const answer = await fetch(`${ops.url}/-/reload`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe(
        `rules reloaded from ${file}: 2 rules: 1 added (temp-peak), 1 removed (cpu-high), 1 unchanged\n`,
      );

      // one reading of 95 at t = 5 s: temp-peak fires from the window held before the reload (6 readings);
      // then 10 °C at t = 6 s: temp-high resolves the series it started before the reload
      await produce(topics.readings, series('site-a/dev-a', 'temperature', [95, 10], 5));
      const all = await readAlerts(topics.alerts, 5);
      const after = all.slice(2);
      expect(after.map(brief)).toEqual([
        'cpu-high site-b/dev-b RESOLVED',
        'temp-peak site-a/dev-a FIRING',
        'temp-high site-a/dev-a RESOLVED',
      ]);
      const [cpuResolved, peak, tempResolved] = after as [Alert, Alert, Alert];
      expect(cpuResolved.summary).toBe('cpu-high on site-b/dev-b/cpu: resolved by a rules reload (rule removed)');
      expect(cpuResolved.eventId).not.toBe(before[1]!.eventId);
      expect(cpuResolved.fingerprint).toBe(before[1]!.fingerprint);
      expect(cpuResolved.startsAt).toBe(before[1]!.startsAt);
      expect(peak.window).toMatchObject({ spec: 'time:10s', count: 6, max: 95 });
      // no second FIRING for temp-high: its RESOLVED closes the FIRING from before, over a window holding
      // the readings from before the reload (90 × 5, 95, 10)
      expect(tempResolved.startsAt).toBe(before[0]!.startsAt);
      expect(tempResolved.window).toMatchObject({ count: 7, max: 95, min: 10 });

      // a broken file is refused: 500 naming file:line:col and field, the gauge at 0, the rules stay
      writeFileSync(file, `grace: 2s\nrules:\n${TEMP_HIGH.replace('above: 80', 'above: lots')}`);
      const refused = await fetch(`${ops.url}/-/reload`, { method: 'POST' });
      expect(refused.status).toBe(500);
      expect(await refused.text()).toBe(
        `failed to reload config: ${file}:7:12 rules[0].above: expected a finite number, got "lots"\n`,
      );
      const metrics = parsePrometheusText(await (await fetch(`${ops.url}/metrics`)).text());
      expect(metrics.find((s) => s.name === 'processor_config_last_reload_successful')?.value).toBe(0);
      expect(runtime.ruleNames).toEqual(['temp-high', 'temp-peak']);
      // still in force: temp-peak resolves once 95 leaves its window
      await produce(topics.readings, series('site-a/dev-a', 'temperature', [10], 16));
      const last = await readAlerts(topics.alerts, 6);
      expect(brief(last[5]!)).toBe('temp-peak site-a/dev-a RESOLVED');
    },
  );
});
