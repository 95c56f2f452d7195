/**
 * Restarts of the alerting service against the real broker and real HTTP receivers: what it knew before
 * comes back from the alerting state topic and the silences topic. A grouped receiver is not re-notified
 * of what it was notified (exact bodies: the next notification carries the old alerts with the new one,
 * then the resolution), a silence keeps muting; a FIRING parked in the retry topic keeps its place, so the
 * RESOLVED consumed after the restart waits behind it even though the receiver is back by then. Waits poll
 * for conditions (notifications, committed offsets, receiver counts); no wall-clock bound is asserted.
 *
 * Scaled: group wait/interval are 300 ms/500 ms (Alertmanager's 30 s/5 m); the parked retry schedule is one
 * 15 s step (the shipped one starts at 5 m) with a 10-minute horizon (shipped: 1 d).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Alert, alertCodec } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
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
import { type AlertingTopics, startAlertingService } from '../src/service/alerting-service.js';
import { writeSilence } from '../src/silences/silence-store.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Hook {
  readonly url: string;
  readonly bodies: { id: string; body: string }[];
  failures(): number;
}

/** A receiver answering `status()`; keeps the raw body and webhook-id of what it accepted. */
async function hook(status: () => number = () => 200): Promise<Hook> {
  const bodies: { id: string; body: string }[] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code >= 200 && code < 300)
        bodies.push({ id: String(req.headers['webhook-id']), body: Buffer.concat(chunks).toString('utf8') });
      else failures += 1;
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, failures: () => failures };
}

async function topicsWithState(partitions: number): Promise<Required<AlertingTopics>> {
  const [alerts, dlq, retry] = await createTopics(
    [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
    { partitions },
  );
  const state = uniqueName('alerting-state');
  const silences = uniqueName('silences');
  cleanups.push(() => deleteTopics([state, silences]));
  return { alerts: alerts!, deliveriesDlq: dlq!, deliveriesRetry: retry!, state, silences };
}

async function start(config: AlertingConfig, topics: AlertingTopics, clientId: string) {
  const service = await startAlertingService({ config, kafka: kafkaSettings(clientId), logger: testLogger, topics });
  cleanups.push(() => service.stop());
  await waitFor(() => service.readiness().ready, {
    timeoutMs: 60_000,
    message: `${clientId} joined and holds partitions`,
  });
  return service;
}

const produce = (topic: string, list: readonly Alert[]) =>
  produceRaw(
    topic,
    list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
  );

describe('alerting restarts (real broker, real HTTP receivers)', () => {
  it('keeps group state and silences: the next notification carries the old alerts, nothing is re-notified', async () => {
    const receiver = await hook();
    const topics = await topicsWithState(2);
    const silent = (i: number, extra: Partial<Alert> = {}) =>
      sampleAlert({
        eventId: `fire-${i}`,
        fingerprint: `fp-${i}`,
        rule: 'device-silent',
        metric: 'temperature',
        deviceId: `site-a/dev-${i}`,
        labels: { site: 'a' },
        ...extra,
      });
    const now = Date.now();
    await writeSilence(kafkaSettings('silence-writer'), testLogger, topics.silences, {
      id: 'sil_dev9',
      matchers: ['device=site-a/dev-9'],
      startsAt: now,
      endsAt: now + 3_600_000,
      createdBy: 'test',
      comment: 'maintenance',
    });
    const base = alertingConfig([
      receiverConfig('ops', receiver.url, {
        format: 'alertmanager',
        group: { by: ['alertname', 'site'], waitMs: 300, intervalMs: 500, repeatMs: 3_600_000, maxAlerts: 0 },
      }),
    ]);
    const groupId = uniqueName('alerting');
    const config: AlertingConfig = { ...base, consumer: { ...base.consumer, groupId } };
    const context = { receiver: 'ops', externalURL: 'http://alerting.test', generatorURL: '' };
    const key = groupKeyOf({ alertname: 'device-silent', site: 'a' });
    const expected = (alerts: Alert[]) =>
      JSON.parse(
        formatGroup(
          'alertmanager',
          { key, labels: { alertname: 'device-silent', site: 'a' }, alerts, newEventIds: [], atMs: 0 },
          context,
        ),
      );

    const first = await start(config, topics, 'alerting-before-restart');
    await produce(topics.alerts, [silent(0), silent(1), silent(2), silent(9)]);
    await waitFor(() => receiver.bodies.length === 1, { message: 'first group notification' });
    expect(JSON.parse(receiver.bodies[0]!.body)).toEqual(expected([silent(0), silent(1), silent(2)]));
    await waitFor(async () => (await committedTotal(groupId, topics.alerts)) === 4, { message: 'all 4 records done' });
    await first.stop();

    const second = await start(config, topics, 'alerting-after-restart');
    expect(second.silences?.get('sil_dev9')).toBeDefined();
    // a new alert, a second (still silenced) alert of dev-9, and the same dev-1 FIRING again (a replay)
    await produce(topics.alerts, [silent(3), silent(9, { eventId: 'fire-9b' }), silent(1)]);
    await waitFor(() => receiver.bodies.length === 2, { message: 'notification after the restart' });
    expect(JSON.parse(receiver.bodies[1]!.body)).toEqual(expected([silent(0), silent(1), silent(2), silent(3)]));

    // the resolution of dev-0 is the next change, and the only other notification
    const resolved = silent(0, { eventId: 'resolve-0', status: 'RESOLVED', endsAt: Date.now() });
    await produce(topics.alerts, [resolved]);
    await waitFor(() => receiver.bodies.length === 3, { message: 'notification of the resolution' });
    expect(JSON.parse(receiver.bodies[2]!.body)).toEqual(expected([silent(1), silent(2), silent(3), resolved]));
    await waitFor(async () => (await committedTotal(groupId, topics.alerts)) === 8, { message: 'all 8 records done' });
    expect(receiver.bodies).toHaveLength(3);
    expect(receiver.bodies.some((b) => b.body.includes('site-a/dev-9'))).toBe(false); // silenced throughout
  });

  it('a FIRING parked in the retry topic keeps its place across a restart: its RESOLVED waits behind it', async () => {
    let down = true;
    const flaky = await hook(() => (down ? 500 : 200));
    const healthy = await hook();
    const topics = await topicsWithState(2);
    const base = alertingConfig(
      [
        receiverConfig('flaky', flaky.url, {
          retry: { initialMs: 10, multiplier: 2, maxMs: 20, maxAttempts: 2, jitter: 'none', maxRetryAfterMs: 1_000 },
          parkedRetry: { scheduleMs: [15_000], horizonMs: 600_000 },
        }),
        receiverConfig('healthy', healthy.url),
      ],
      { receiver: 'flaky', routes: [{ receiver: 'healthy', continue: true }, { receiver: 'flaky' }] },
    );
    const groupId = uniqueName('alerting');
    const config: AlertingConfig = { ...base, consumer: { ...base.consumer, groupId } };
    const series = 6;
    const firing = Array.from({ length: series }, (_, i) =>
      sampleAlert({ eventId: `fire-${i}`, fingerprint: `fp-${i}`, deviceId: `site-a/dev-${i}` }),
    );

    const first = await start(config, topics, 'alerting-parking');
    await produce(topics.alerts, firing);
    // parked: every alerts-topic record is done for both receivers while the flaky one still fails
    await waitFor(async () => (await committedTotal(groupId, topics.alerts)) === series, {
      timeoutMs: 60_000,
      message: 'FIRINGs parked and committed',
    });
    expect(healthy.bodies).toHaveLength(series);
    expect(flaky.bodies).toEqual([]);
    await first.stop();

    const second = await start(config, topics, 'alerting-restarted');
    down = false; // the receiver is back before the parked FIRINGs' next attempt
    const resolved = firing.map((a, i) => ({
      ...a,
      eventId: `resolve-${i}`,
      status: 'RESOLVED' as const,
      endsAt: Date.now(),
    }));
    await produce(topics.alerts, resolved);
    await waitFor(() => healthy.bodies.length === 2 * series, { message: 'healthy receiver got the RESOLVEDs' });
    await waitFor(() => new Set(flaky.bodies.map((b) => b.id)).size === 2 * series, {
      timeoutMs: 90_000,
      message: () => `flaky receiver got ${flaky.bodies.length} of ${2 * series}`,
    });
    const ids = flaky.bodies.map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length); // once per id
    for (let i = 0; i < series; i++)
      expect(ids.filter((id) => id.endsWith(`-${i}`))).toEqual([`fire-${i}`, `resolve-${i}`]);
    await second.stop();
    expect(await consumeMessages(topics.deliveriesDlq, { idleMs: 1_000, timeoutMs: 5_000 })).toEqual([]);
  });
});
