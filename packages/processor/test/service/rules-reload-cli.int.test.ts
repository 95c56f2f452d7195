/**
 * The processor CLI reloads its rules on SIGHUP (a real signal to the real process, against the real
 * broker): a removed rule's FIRING gets its RESOLVED, a broken file is refused and the process goes on with
 * the rules it had; with --workers the reload reaches every worker. Needs `pnpm build` (it runs dist/).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parsePrometheusText } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createTopics, produceRaw, uniqueName, waitFor } from '../../../../test/kafka.js';
import {
  children,
  readAlerts,
  readingCodec,
  rep,
  rulesFile,
  series,
  startCli,
  stopAll,
  topicsFor,
} from './processor-fixtures.js';

afterEach(stopAll);

const RULES = `grace: 2s
rules:
  - name: temp-high
    metric: temperature
    window: 10s
    statistic: mean
    above: 80
    severity: critical
  - name: cpu-high
    metric: cpu
    window: 5s
    statistic: mean
    above: 90
    severity: warning
`;

const produce = (topic: string, readings: ReturnType<typeof series>) =>
  produceRaw(
    topic,
    readings.map((r) => ({ key: r.deviceId, value: readingCodec.encode(r) })),
  );

describe('processor CLI: SIGHUP reloads the rules', () => {
  it('resolves a removed rule on SIGHUP, refuses a broken file and keeps running with its rules', async () => {
    const topics = topicsFor('reload-cli');
    await createTopics([topics.readings, topics.alerts], { partitions: 1 });
    const file = rulesFile(false);
    writeFileSync(file, RULES);
    const child = startCli(topics, uniqueName('reload-cli-group'), file, '0');
    await produce(topics.readings, series('site-a/dev-a', 'temperature', rep(3, 90)));
    await produce(topics.readings, series('site-b/dev-b', 'cpu', rep(3, 99)));
    const firing = await readAlerts(topics.alerts, 2);
    expect(firing.map((a) => `${a.rule} ${a.status}`)).toEqual(['temp-high FIRING', 'cpu-high FIRING']);

    writeFileSync(file, RULES.slice(0, RULES.indexOf('  - name: cpu-high')));
    child.kill('SIGHUP');
    const resolved = (await readAlerts(topics.alerts, 3))[2]!;
    expect(resolved).toMatchObject({
      rule: 'cpu-high',
      status: 'RESOLVED',
      deviceId: 'site-b/dev-b',
      startsAt: firing[1]!.startsAt,
      summary: 'cpu-high on site-b/dev-b/cpu: resolved by a rules reload (rule removed)',
    });

    // a file that does not load: refused, the process goes on with temp-high
    writeFileSync(file, 'grace: 2s\nrules: [');
    child.kill('SIGHUP');
    await produce(topics.readings, series('site-a/dev-a', 'temperature', rep(10, 10), 3));
    const last = (await readAlerts(topics.alerts, 4))[3]!;
    expect(`${last.rule} ${last.status}`).toBe('temp-high RESOLVED');
    expect(last.startsAt).toBe(firing[0]!.startsAt);
    expect(child.exitCode).toBeNull();
  });

  it('--workers 2: POST /-/reload reaches every worker; a refused file shows as 0 on the supervisor', async () => {
    const topics = topicsFor('reload-workers');
    await createTopics([topics.readings, topics.alerts], { partitions: 2 });
    const file = rulesFile(false);
    writeFileSync(file, RULES);
    const port = await freePort();
    const supervisor = startCli(topics, uniqueName('reload-workers-group'), file, '0', [
      '--workers',
      '2',
      '--metrics-port',
      String(port),
    ]);
    // stopped with SIGTERM, so that it stops its workers (stopAll's SIGKILL would leave them running)
    children.splice(children.indexOf(supervisor), 1);
    onTestFinished(async () => {
      if (supervisor.exitCode !== null) return;
      const exited = new Promise((resolve) => supervisor.once('exit', resolve));
      supervisor.kill('SIGTERM');
      await exited;
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok, { timeoutMs: 60_000 });

    writeFileSync(file, RULES.slice(0, RULES.indexOf('  - name: cpu-high')));
    const ok = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(await ok.text()).toBe(
      `rules reloaded from ${file}: 1 rule: 1 removed (cpu-high), 1 unchanged (2 workers)\n`,
    );
    expect(ok.status).toBe(200);

    writeFileSync(file, 'grace: 2s\nrules: [');
    const refused = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toMatch(new RegExp(`^failed to reload config: ${file}:2:9: invalid YAML`));
    const gauge = parsePrometheusText(await (await fetch(`${url}/metrics`)).text()).find(
      (s) => s.name === 'processor_config_last_reload_successful',
    );
    expect(gauge?.value).toBe(0);
  });
});

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
