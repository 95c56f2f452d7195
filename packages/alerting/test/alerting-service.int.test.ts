/**
 * The alerting service against the real broker, in-process, with real HTTP receivers on loopback:
 * routing and fan-out end to end, retries until a flaky receiver recovers, the deliveries DLQ, isolation
 * from a hanging receiver, backpressure, undecodable records, the send-time SSRF guard, and commits that
 * only cover finished alerts.
 */
import { type Alert, alertCodec, DLQ_HEADERS } from '@sensor-pipeline/shared';
import { Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedTotal,
  consumeMessages,
  createTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import {
  type AlertingConfig,
  type AlertingService,
  createAlertingMetrics,
  startAlertingService,
  startWebhookSink,
  type WebhookSink,
} from '../src/index.js';
import { alertingConfig, alerts, newSecret, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function sink(options: Parameters<typeof startWebhookSink>[0] = {}): Promise<WebhookSink> {
  const s = await startWebhookSink(options);
  cleanups.push(() => s.close());
  return s;
}

async function topics(partitions = 3): Promise<{ alerts: string; deliveriesDlq: string }> {
  const [alertsTopic, dlq] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], { partitions });
  return { alerts: alertsTopic!, deliveriesDlq: dlq! };
}

async function start(
  config: AlertingConfig,
  t: { alerts: string; deliveriesDlq: string },
  registry = new Registry(),
): Promise<{ service: AlertingService; groupId: string }> {
  const groupId = uniqueName('alerting');
  const service = await startAlertingService({
    config: { ...config, consumer: { ...config.consumer, groupId } },
    kafka: kafkaSettings('alerting-test'),
    logger: testLogger,
    topics: t,
    metrics: createAlertingMetrics(registry),
  });
  cleanups.push(() => service.stop());
  return { service, groupId };
}

async function produceAlerts(topic: string, list: readonly Alert[]): Promise<void> {
  await produceRaw(
    topic,
    list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
  );
}

describe('alerting service (real broker, real HTTP receivers)', () => {
  it('routes and fans out alerts from the topic to signed webhooks, then commits everything', async () => {
    const secret = newSecret();
    const receiver = await sink({ secrets: secret });
    const t = await topics();
    const config = alertingConfig(
      [
        receiverConfig('native', `${receiver.url}/native`, { secret }),
        receiverConfig('am', `${receiver.url}/am`, { secret, format: 'alertmanager' }),
      ],
      {
        receiver: 'native',
        routes: [
          { match: { severity: ['critical'] }, receiver: 'am', continue: true },
          { match: { severity: ['critical', 'warning'] }, receiver: 'native' },
        ],
      },
    );
    const { service, groupId } = await start(config, t);
    await waitFor(() => service.readiness().ready, { timeoutMs: 30_000, message: 'joined the group' });
    const list = [
      ...alerts(20, 20, { severity: 'critical' }),
      ...alerts(10, 10, { severity: 'warning' }).map((a) => ({
        ...a,
        eventId: `w-${a.eventId}`,
        fingerprint: `w-${a.fingerprint}`,
      })),
    ];
    await produceAlerts(t.alerts, list);

    await waitFor(() => receiver.counts().accepted === 50, {
      timeoutMs: 60_000,
      message: () => `received ${JSON.stringify(receiver.counts())}`,
    });
    const am = receiver.requests.filter((r) => r.path === '/am');
    const native = receiver.requests.filter((r) => r.path === '/native');
    expect(am.map((r) => r.id).sort()).toEqual(
      list
        .filter((a) => a.severity === 'critical')
        .map((a) => a.eventId)
        .sort(),
    );
    expect(native.map((r) => r.id).sort()).toEqual(list.map((a) => a.eventId).sort());
    for (const r of receiver.requests) {
      expect(() =>
        new Webhook(secret).verify(
          r.body,
          Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])),
        ),
      ).not.toThrow();
    }
    expect((am[0]!.json as { version: string }).version).toBe('4');

    await service.stop();
    expect(service.readiness().ready).toBe(false);
    // every record is done, so the group committed the end of every partition
    expect(await committedTotal(groupId, t.alerts)).toBe(30);
    expect(receiver.counts().duplicates).toBe(0);
  });

  it('a receiver that returns 500 for a while then 200 gets every alert once per event id; offsets follow', async () => {
    let failing = true;
    const receiver = await sink({ respond: () => (failing ? 500 : 204) });
    const t = await topics(2);
    const config = alertingConfig([
      receiverConfig('flaky', `${receiver.url}/hook`, {
        retry: { initialMs: 50, multiplier: 2, maxMs: 300, maxAttempts: 50, jitter: 'full', maxRetryAfterMs: 1_000 },
      }),
    ]);
    const { service, groupId } = await start(config, t);
    const list = alerts(40, 8);
    await produceAlerts(t.alerts, list);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.counts().accepted).toBe(0);
    await service.commit();
    expect(await committedTotal(groupId, t.alerts)).toBe(0); // nothing done, nothing committed
    failing = false;
    await waitFor(() => receiver.counts().accepted === 40, {
      timeoutMs: 60_000,
      message: () => JSON.stringify(receiver.counts()),
    });
    expect(receiver.counts()).toEqual({ accepted: 40, unique: 40, duplicates: 0, rejected: 0 });
    await waitFor(async () => (await committedTotal(groupId, t.alerts)) === 40, {
      timeoutMs: 20_000,
      message: 'offsets committed to the end',
    });
  });

  it('a receiver that returns 400 gets no retries; the alert is in the deliveries DLQ with the reason', async () => {
    let calls = 0;
    const receiver = await sink({
      respond: () => {
        calls++;
        return 400;
      },
    });
    const t = await topics(1);
    await start(alertingConfig([receiverConfig('strict', `${receiver.url}/hook`)]), t);
    const alert = alerts(1)[0]!;
    await produceAlerts(t.alerts, [alert]);
    const [dead] = await consumeMessages(t.deliveriesDlq, { count: 1, timeoutMs: 60_000 });
    expect(calls).toBe(1);
    expect(dead!.key?.toString()).toBe(alert.deviceId);
    expect(codec.decode(dead!.value)).toMatchObject({ eventId: alert.eventId });
    expect(dead!.headers).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: t.alerts,
      [DLQ_HEADERS.sourcePartition]: '0',
      [DLQ_HEADERS.sourceOffset]: '0',
      [DLQ_HEADERS.errorCode]: 'WEBHOOK_HTTP_STATUS',
      [DLQ_HEADERS.stage]: 'alerting/deliver',
      'delivery.receiver': 'strict',
      'delivery.attempts': '1',
      'delivery.last-status': '400',
      'delivery.outcome': 'not-retriable',
      'delivery.event-id': alert.eventId,
    });
    expect(dead!.headers[DLQ_HEADERS.errorMessage]).toMatch(/^HTTP 400/);
  });

  it('a receiver that hangs does not delay a healthy one', async () => {
    const hanging = await sink({ respond: () => new Promise<number>(() => undefined) });
    const healthy = await sink();
    const t = await topics(3);
    await start(
      alertingConfig(
        [
          receiverConfig('healthy', `${healthy.url}/ok`),
          receiverConfig('hanging', `${hanging.url}/stuck`, { timeoutMs: 60_000, concurrency: 2 }),
        ],
        {
          receiver: 'healthy',
          routes: [
            { match: {}, receiver: 'hanging', continue: true },
            { match: {}, receiver: 'healthy' },
          ],
        },
      ),
      t,
    );
    const list = alerts(200, 50);
    await produceAlerts(t.alerts, list);
    // the hanging receiver's attempts time out only after 60 s, longer than this wait: were the healthy
    // receiver queued behind it, its 200 alerts could not all arrive here
    await waitFor(() => healthy.counts().accepted === 200, {
      timeoutMs: 30_000,
      message: () => JSON.stringify(healthy.counts()),
    });
  });

  it('pauses when a queue fills up and resumes; undecodable records go to the DLQ; private destinations are refused at send time', async () => {
    const slow = await sink({ respond: () => new Promise<number>((r) => setTimeout(() => r(204), 5)) });
    const t = await topics(1);
    const registry = new Registry();
    await start(
      alertingConfig(
        [
          receiverConfig('slow', `${slow.url}/slow`, { queueSize: 20, concurrency: 2 }),
          receiverConfig('rebinding', `http://localhost:${slow.port}/private`, { allowPrivateNetwork: false }),
        ],
        { receiver: 'slow', routes: [{ match: { rule: ['ssrf'] }, receiver: 'rebinding' }] },
      ),
      t,
      registry,
    );
    const list = alerts(300, 300);
    await produceRaw(t.alerts, [{ key: 'junk', value: Buffer.from('this is not an Avro alert') }]);
    await produceAlerts(t.alerts, [...list, { ...list[0]!, eventId: 'ssrf-1', rule: 'ssrf' }]);
    await waitFor(() => slow.counts().accepted === 300, {
      timeoutMs: 60_000,
      message: () => JSON.stringify(slow.counts()),
    });
    expect(slow.requests.filter((r) => r.path === '/private')).toEqual([]);
    const dead = await consumeMessages(t.deliveriesDlq, { count: 2, timeoutMs: 30_000 });
    const codes = dead.map((d) => d.headers[DLQ_HEADERS.errorCode]).sort();
    expect(codes).toEqual(['DECODE_BAD_MAGIC', 'WEBHOOK_DESTINATION_BLOCKED']);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/alerting_deliveries_total\{receiver="slow",outcome="delivered"\} 300/);
    expect(metrics).toMatch(/alerting_dead_letters_total\{receiver="rebinding",code="WEBHOOK_DESTINATION_BLOCKED"\} 1/);
    expect(metrics).toMatch(/alerting_records_total\{result="undecodable"\} 1/);
    expect(metrics).toContain('alerting_queue_depth{receiver="slow"} 0');
    expect(metrics).toContain('alerting_delivery_latency_seconds_bucket');
    expect(metrics).toMatch(/alerting_consumer_pauses_total(\{[^}]*\})? [1-9]/);
    expect(metrics).toMatch(/alerting_consumer_paused(\{[^}]*\})? 0/);
  });

  it('loses nothing under repeated backpressure across many partitions with a warm prefetch cache', async () => {
    const receiver = await sink({ respond: () => new Promise<number>((r) => setTimeout(() => r(204), 2)) });
    const t = await topics(6);
    const list = alerts(3_000, 300);
    await produceAlerts(t.alerts, list); // before the service starts: its client prefetches from every partition
    const registry = new Registry();
    const { groupId } = await start(
      alertingConfig([receiverConfig('r', `${receiver.url}/r`, { queueSize: 40, concurrency: 4 })]),
      t,
      registry,
    );
    await waitFor(() => receiver.counts().unique === 3_000, {
      timeoutMs: 120_000,
      message: () => JSON.stringify(receiver.counts()),
    });
    expect(receiver.counts().duplicates).toBe(0);
    await waitFor(async () => (await committedTotal(groupId, t.alerts)) === 3_000, {
      timeoutMs: 20_000,
      message: 'offsets committed to the end',
    });
    expect(await registry.metrics()).toMatch(/alerting_consumer_pauses_total(\{[^}]*\})? ([2-9]|\d\d+)/);
  });

  it('drains in-flight deliveries on stop and commits what is done', async () => {
    const receiver = await sink({ respond: () => new Promise<number>((r) => setTimeout(() => r(204), 200)) });
    const t = await topics(1);
    const config = alertingConfig([receiverConfig('r', `${receiver.url}/hook`, { concurrency: 10 })]);
    const groupId = uniqueName('alerting');
    const service = await startAlertingService({
      config: { ...config, consumer: { ...config.consumer, groupId } },
      kafka: kafkaSettings('alerting-test'),
      logger: testLogger,
      topics: t,
    });
    await produceAlerts(t.alerts, alerts(10, 10));
    await waitFor(() => service.pipeline.depths()['r'] === 10, { timeoutMs: 30_000, message: 'alerts in flight' });
    await service.stop();
    expect(receiver.counts().accepted).toBe(10);
    expect(await committedTotal(groupId, t.alerts)).toBe(10);
  });
});
