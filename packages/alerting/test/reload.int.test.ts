/**
 * Reloading the alerting configuration while it runs, against the real broker and real HTTP receivers. In
 * process: a receiver whose settings did not change keeps its group state (its next notification carries
 * what it notified before the reload), a removed receiver gets nothing new, an added one gets what the new
 * routes send it, and new inhibition rules apply. As operators run it: SIGHUP with a file that fails
 * validation is refused — the error names file, line and column, alerting_config_last_reload_successful
 * turns 0, and alerts keep going where the old file said — then `POST /-/reload` with a fixed file applies
 * it (200, the gauge back at 1) and alerts go where the new file says. A removed receiver's deliveries
 * parked in the retry topic are dead-lettered under its name when their turn comes, and `redrive` sends
 * them once it is configured again. Waits poll for conditions; the parked step is scaled to 3 s.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, alertCodec } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bootstrapServers,
  committedTotal,
  consumeMessages,
  createTopics,
  deleteTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import type { AlertingConfig } from '../src/config/alerting-config.js';
import { formatGroup } from '../src/grouping/format-group.js';
import { groupKeyOf } from '../src/grouping/group-state.js';
import { redriveDeliveries } from '../src/redrive/redrive-deliveries.js';
import { parseLabelMatcher } from '../src/routing/label-matcher.js';
import { startAlertingService } from '../src/service/alerting-service.js';
import { sampleAlert } from './alert-fixture.js';
import { type CliProcess, spawnCli } from './cli-process.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hook(up: () => boolean = () => true): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up()) {
        res.writeHead(500).end();
        return;
      }
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

const produce = (topic: string, list: readonly Alert[]) =>
  produceRaw(
    topic,
    list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
  );

const cpu = (i: number, extra: Partial<Alert> = {}) =>
  sampleAlert({ eventId: `cpu-${i}`, fingerprint: `fp-cpu-${i}`, deviceId: `site-a/dev-${i}`, ...extra });

describe('alerting config reload (real broker, real HTTP receivers)', () => {
  it('keeps an unchanged receiver’s group state, stops a removed one, starts an added one, applies new inhibition', async () => {
    const grouped = await hook();
    const old = await hook();
    const fresh = await hook();
    const [alerts, dlq] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], { partitions: 2 });
    const state = uniqueName('alerting-state');
    cleanups.push(() => deleteTopics([state]));
    const groupedReceiver = receiverConfig('grouped', grouped.url, {
      format: 'alertmanager',
      group: { by: ['alertname', 'site'], waitMs: 200, intervalMs: 300, repeatMs: 3_600_000, maxAlerts: 0 },
    });
    const before = alertingConfig([groupedReceiver, receiverConfig('old', old.url)], {
      receiver: 'grouped',
      routes: [{ receiver: 'old', continue: true }, { receiver: 'grouped' }],
    });
    const groupId = uniqueName('alerting');
    const config: AlertingConfig = { ...before, consumer: { ...before.consumer, groupId } };
    const service = await startAlertingService({
      config,
      kafka: kafkaSettings('alerting-reload'),
      logger: testLogger,
      topics: { alerts: alerts!, deliveriesDlq: dlq!, state },
    });
    cleanups.push(() => service.stop());

    await produce(alerts!, [cpu(0), cpu(1)]);
    await waitFor(() => grouped.bodies.length === 1 && old.bodies.length === 2, { message: 'delivered before reload' });

    const report = await service.reload({
      ...config,
      receivers: [groupedReceiver, receiverConfig('fresh', fresh.url)],
      route: { receiver: 'grouped', routes: [{ receiver: 'fresh', continue: true }, { receiver: 'grouped' }] },
      inhibitRules: [
        {
          sourceMatchers: [parseLabelMatcher('alertname="device-silent"')],
          targetMatchers: [parseLabelMatcher('alertname!="device-silent"')],
          equal: ['device'],
        },
      ],
    });
    expect(report).toBe('alerting configuration reloaded; added: fresh; removed: old; unchanged: grouped');

    const silent5 = sampleAlert({
      eventId: 'silent-5',
      fingerprint: 'fp-silent-5',
      rule: 'device-silent',
      deviceId: 'site-a/dev-5',
    });
    await produce(alerts!, [silent5, cpu(5), cpu(2)]); // cpu-5 comes after its device's silence: inhibited
    await waitFor(async () => (await committedTotal(groupId, alerts!)) === 5, { message: 'all records done' });
    await waitFor(() => grouped.bodies.length === 3, { message: 'grouped notifications after the reload' });
    const context = { receiver: 'grouped', externalURL: 'http://alerting.test', generatorURL: '' };
    const cpuGroup = grouped.bodies
      .map((b) => JSON.parse(b))
      .find((b) => b.groupLabels.alertname === 'cpu-high' && b.alerts.length === 3);
    // the unchanged receiver kept its group: the new alert comes with the two notified before the reload
    expect(cpuGroup).toEqual(
      JSON.parse(
        formatGroup(
          'alertmanager',
          {
            key: groupKeyOf({ alertname: 'cpu-high', site: 'a' }),
            labels: { alertname: 'cpu-high', site: 'a' },
            alerts: [cpu(0), cpu(1), cpu(2)],
            newEventIds: [],
            atMs: 0,
          },
          context,
        ),
      ),
    );
    expect(old.bodies).toHaveLength(2); // removed: nothing new
    await waitFor(() => fresh.bodies.length === 2, { message: 'the added receiver got the new alerts' });
    expect(fresh.bodies.map((b) => JSON.parse(b).data.eventId).sort()).toEqual(['cpu-2', 'silent-5']);
    const delivered = grouped.bodies.flatMap((b) =>
      (JSON.parse(b) as { alerts: { annotations: { eventId: string } }[] }).alerts.map((a) => a.annotations.eventId),
    );
    expect(delivered).toContain('silent-5');
    expect(delivered).not.toContain('cpu-5'); // inhibited by its device's silence

    // a changed receiver (another group interval) starts with what its predecessor notified
    const changed = await service.reload({
      ...config,
      receivers: [
        { ...groupedReceiver, group: { ...groupedReceiver.group!, intervalMs: 400 } },
        receiverConfig('fresh', fresh.url),
      ],
      route: { receiver: 'grouped', routes: [{ receiver: 'fresh', continue: true }, { receiver: 'grouped' }] },
    });
    expect(changed).toBe('alerting configuration reloaded; changed: grouped; unchanged: fresh');
    await produce(alerts!, [cpu(3)]);
    await waitFor(() => grouped.bodies.length === 4, { message: 'notification of the changed receiver' });
    expect(JSON.parse(grouped.bodies[3]!)).toEqual(
      JSON.parse(
        formatGroup(
          'alertmanager',
          {
            key: groupKeyOf({ alertname: 'cpu-high', site: 'a' }),
            labels: { alertname: 'cpu-high', site: 'a' },
            alerts: [cpu(0), cpu(1), cpu(2), cpu(3)],
            newEventIds: [],
            atMs: 0,
          },
          context,
        ),
      ),
    );
    await waitFor(async () => (await committedTotal(groupId, alerts!)) === 6, { message: 'all records done' });
    expect(grouped.bodies).toHaveLength(4);
  });

  it('a removed receiver’s parked deliveries are dead-lettered under its name, and redrive sends them once it is back', async () => {
    let up = false;
    const flaky = await hook(() => up);
    const steady = await hook();
    const [alerts, dlq, retry] = await createTopics(
      [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
      { partitions: 2 },
    );
    const state = uniqueName('alerting-state');
    cleanups.push(() => deleteTopics([state]));
    const flakyReceiver = receiverConfig('flaky', flaky.url, {
      retry: { initialMs: 10, multiplier: 2, maxMs: 20, maxAttempts: 2, jitter: 'none', maxRetryAfterMs: 1_000 },
      parkedRetry: { scheduleMs: [3_000], horizonMs: 600_000 },
    });
    const base = alertingConfig([flakyReceiver, receiverConfig('steady', steady.url)], {
      receiver: 'flaky',
      routes: [{ receiver: 'steady', continue: true }, { receiver: 'flaky' }],
    });
    const groupId = uniqueName('alerting');
    const config: AlertingConfig = { ...base, consumer: { ...base.consumer, groupId } };
    const topics = { alerts: alerts!, deliveriesDlq: dlq!, deliveriesRetry: retry!, state };
    const service = await startAlertingService({
      config,
      kafka: kafkaSettings('alerting-reload-removed'),
      logger: testLogger,
      topics,
    });
    cleanups.push(() => service.stop());
    await produce(alerts!, [cpu(0), cpu(1)]);
    await waitFor(async () => (await committedTotal(groupId, alerts!)) === 2, {
      message: 'parked for flaky, sent to steady',
    });

    const report = await service.reload({
      ...config,
      receivers: [receiverConfig('steady', steady.url)],
      route: { receiver: 'steady' },
    });
    expect(report).toBe('alerting configuration reloaded; removed: flaky; unchanged: steady');
    const dead = await consumeMessages(dlq!, { count: 2, timeoutMs: 60_000 });
    expect(
      dead.map((d) => [d.headers['delivery.receiver'], d.headers['delivery.event-id'], d.headers['dlq.stage']]).sort(),
    ).toEqual([
      ['flaky', 'cpu-0', 'alerting/retry'],
      ['flaky', 'cpu-1', 'alerting/retry'],
    ]);
    expect(dead.map((d) => d.headers['dlq.error.code'])).toEqual([
      'DELIVERY_RECEIVER_REMOVED',
      'DELIVERY_RECEIVER_REMOVED',
    ]);

    up = true;
    await service.reload(config); // the receiver is back
    const result = await redriveDeliveries({
      kafka: kafkaSettings('alerting-reload-redrive'),
      logger: testLogger,
      config,
      topics: { deliveriesDlq: dlq!, deliveriesRetry: retry! },
      filter: { receiver: 'flaky' },
    });
    expect(result).toMatchObject({ matched: 2, redriven: 2 });
    await waitFor(() => flaky.bodies.length === 2, {
      timeoutMs: 60_000,
      message: 'redriven to the receiver once back',
    });
    expect(flaky.bodies.map((b) => JSON.parse(b).data.eventId).sort()).toEqual(['cpu-0', 'cpu-1']);
    expect(steady.bodies).toHaveLength(2);
  });

  it('SIGHUP with an invalid file is refused with file:line:col; POST /-/reload with a fixed one applies it', async () => {
    const first = await hook();
    const second = await hook();
    const [alerts, dlq] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')]);
    const state = uniqueName('alerting-state');
    const silences = uniqueName('silences');
    const retry = uniqueName('deliveries-retry');
    cleanups.push(() => deleteTopics([state, silences, retry]));
    const groupId = uniqueName('alerting');
    const dir = mkdtempSync(join(tmpdir(), 'alerting-reload-'));
    const file = join(dir, 'alerting.yaml');
    const yaml = (routeTo: string) =>
      [
        'receivers:',
        '  - name: first',
        `    url: ${first.url}`,
        '    allowPrivateNetwork: true',
        '  - name: second',
        `    url: ${second.url}`,
        '    allowPrivateNetwork: true',
        'route:',
        `  receiver: ${routeTo}`,
        'consumer:',
        `  groupId: ${groupId}`,
        '  commitInterval: 200ms',
      ].join('\n');
    writeFileSync(file, yaml('first'));
    const cli: CliProcess = spawnCli(['run', '--config', file], {
      KAFKA_BOOTSTRAP_SERVERS: bootstrapServers(),
      ALERTS_TOPIC: alerts!,
      DELIVERIES_DLQ_TOPIC: dlq!,
      DELIVERIES_RETRY_TOPIC: retry,
      SILENCES_TOPIC: silences,
      ALERTING_STATE_TOPIC: state,
      METRICS_PORT: '0',
    });
    cleanups.push(async () => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
    });
    const opsUrl = await waitFor(
      () => /"url":"(http:\/\/[^"]+)","host"[^\n]*ops server listening/.exec(cli.output())?.[1],
      {
        timeoutMs: 60_000,
        message: () => `ops server address in the output:\n${cli.output()}`,
      },
    );
    await waitFor(async () => (await fetch(`${opsUrl}/readyz`)).ok, {
      timeoutMs: 60_000,
      message: () => `ready\n${cli.output().slice(-3_000)}`,
    });
    const gauge = async () =>
      /^alerting_config_last_reload_successful(?:\{[^}]*\})? (\d)/m.exec(
        await (await fetch(`${opsUrl}/metrics`)).text(),
      )?.[1];
    expect(await gauge()).toBe('1');

    writeFileSync(file, yaml('nobody')); // line 9, column 13: an unknown receiver
    cli.child.kill('SIGHUP');
    await waitFor(() => cli.output().includes('configuration reload refused'), {
      message: () => `reload refused\n${cli.output().slice(-3_000)}`,
    });
    expect(cli.output()).toContain(`${file}:9:13 route.receiver: unknown receiver \\"nobody\\"`);
    expect(await gauge()).toBe('0');
    expect(cli.child.exitCode).toBeNull(); // still running
    await produce(alerts!, [cpu(0)]);
    await waitFor(() => first.bodies.length === 1, { message: 'the old file is still in force' });

    writeFileSync(file, yaml('second'));
    const res = await fetch(`${opsUrl}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe(
      'alerting configuration reloaded; changed: first, second'.replace(
        'changed: first, second',
        'unchanged: first, second',
      ),
    );
    expect(await gauge()).toBe('1');
    await produce(alerts!, [cpu(1)]);
    await waitFor(() => second.bodies.length === 1, { message: 'the new route is in force' });
    expect(first.bodies).toHaveLength(1);
  });
});
