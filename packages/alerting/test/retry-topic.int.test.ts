/**
 * Non-blocking retries end to end (real broker, real HTTP receivers): a receiver answering 500 until the
 * test releases it — "a while" counted in failures, not minutes — while a healthy one answers 200. The
 * alerts consumer is never held: every alert reaches the healthy receiver and every alerts-topic offset is
 * committed while the flaky one still fails, its deliveries parked in the retry topic; once it answers
 * 200 it gets every alert exactly once per event id, FIRING before RESOLVED in each series, and nothing
 * is dead-lettered.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Alert, alertCodec } from '@sensor-pipeline/shared';
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
import { redriveDeliveries } from '../src/redrive/redrive-deliveries.js';
import { startAlertingService } from '../src/service/alerting-service.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Received {
  readonly id: string;
  readonly fingerprint: string;
  readonly status: string;
}

/** A receiver that answers `status()` and records what it accepted. */
async function receiver(status: () => number): Promise<{ url: string; accepted: Received[]; failures: () => number }> {
  const accepted: Received[] = [];
  let failures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code >= 200 && code < 300) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Alert };
        accepted.push({
          id: header(req.headers, 'webhook-id'),
          fingerprint: body.data.fingerprint,
          status: body.data.status,
        });
      } else failures += 1;
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, accepted, failures: () => failures };
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

describe('non-blocking retries through the retry topic (real broker)', () => {
  it('parks a failing receiver’s deliveries without holding the consumer, then delivers each once, in order', async () => {
    let released = false;
    const flaky = await receiver(() => (released ? 200 : 500));
    const healthy = await receiver(() => 200);
    const [alertsTopic, dlq, retry] = await createTopics(
      [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
      { partitions: 3 },
    );
    const groupId = uniqueName('alerting');
    const config = alertingConfig(
      [
        receiverConfig('flaky', flaky.url, {
          retry: { initialMs: 10, multiplier: 2, maxMs: 20, maxAttempts: 2, jitter: 'none', maxRetryAfterMs: 1_000 },
          parkedRetry: { scheduleMs: [50, 100], horizonMs: 600_000 },
        }),
        receiverConfig('healthy', healthy.url),
      ],
      { receiver: 'flaky', routes: [{ receiver: 'healthy', continue: true }, { receiver: 'flaky' }] },
    );
    const service = await startAlertingService({
      config: { ...config, consumer: { ...config.consumer, groupId } },
      kafka: kafkaSettings('alerting-retry-test'),
      logger: testLogger,
      topics: { alerts: alertsTopic!, deliveriesDlq: dlq!, deliveriesRetry: retry! },
    });
    cleanups.push(() => service.stop());

    const series = 8;
    const list: Alert[] = [];
    for (let i = 0; i < series; i++) {
      const base = { fingerprint: `fp-${i}`, deviceId: `site-a/dev-${i}` };
      list.push(sampleAlert({ ...base, eventId: `fire-${i}` }));
      list.push(sampleAlert({ ...base, eventId: `resolve-${i}`, status: 'RESOLVED', endsAt: Date.now() }));
    }
    await produceRaw(
      alertsTopic!,
      list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );

    // while the flaky receiver fails: the healthy one has everything and the alerts consumer committed everything
    await waitFor(() => new Set(healthy.accepted.map((r) => r.id)).size === list.length, {
      timeoutMs: 60_000,
      message: () => `healthy receiver got ${healthy.accepted.length} of ${list.length}`,
    });
    await waitFor(async () => (await committedTotal(groupId, alertsTopic!)) === list.length, {
      timeoutMs: 60_000,
      message: 'alerts-topic offsets committed while a receiver is down',
    });
    await waitFor(() => flaky.failures() >= 3 * list.length, {
      timeoutMs: 60_000,
      message: () => `flaky receiver failed ${flaky.failures()} times`,
    });
    expect(flaky.accepted).toEqual([]);
    expect(healthy.accepted).toHaveLength(list.length); // once each

    released = true;
    await waitFor(() => new Set(flaky.accepted.map((r) => r.id)).size === list.length, {
      timeoutMs: 60_000,
      message: () => `flaky receiver got ${flaky.accepted.length} of ${list.length} after recovering`,
    });
    // exactly once per id, and each series' FIRING before its RESOLVED
    const ids = flaky.accepted.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 0; i < series; i++) {
      const order = flaky.accepted.filter((r) => r.fingerprint === `fp-${i}`).map((r) => r.status);
      expect(order).toEqual(['FIRING', 'RESOLVED']);
    }
    await service.stop();
    const dead = await consumeMessages(dlq!, { idleMs: 1_000, timeoutMs: 10_000 });
    expect(dead).toEqual([]);
  });

  it('redrive delivers what a 400-answering receiver refused, once it is fixed, with progress', async () => {
    let fixed = false;
    const picky = await receiver(() => (fixed ? 200 : 400));
    const other = await receiver(() => 200);
    const [alertsTopic, dlq, retry] = await createTopics(
      [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
      { partitions: 2 },
    );
    const groupId = uniqueName('alerting');
    const config = alertingConfig([receiverConfig('picky', picky.url), receiverConfig('other', other.url)], {
      receiver: 'picky',
      routes: [{ receiver: 'other', continue: true }, { receiver: 'picky' }],
    });
    const service = await startAlertingService({
      config: { ...config, consumer: { ...config.consumer, groupId } },
      kafka: kafkaSettings('alerting-redrive-test'),
      logger: testLogger,
      topics: { alerts: alertsTopic!, deliveriesDlq: dlq!, deliveriesRetry: retry! },
    });
    cleanups.push(() => service.stop());
    const list = Array.from({ length: 6 }, (_, i) =>
      sampleAlert({ eventId: `refused-${i}`, fingerprint: `fp-${i}`, deviceId: `site-b/dev-${i}` }),
    );
    await produceRaw(
      alertsTopic!,
      list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );
    const dead = await consumeMessages(dlq!, { count: list.length, timeoutMs: 60_000 });
    expect(dead.map((d) => d.headers['delivery.receiver'])).toEqual(list.map(() => 'picky'));
    expect(picky.accepted).toEqual([]);

    fixed = true;
    const progress: number[] = [];
    const result = await redriveDeliveries({
      kafka: kafkaSettings('alerting-redrive-cli'),
      logger: testLogger,
      config,
      topics: { deliveriesDlq: dlq!, deliveriesRetry: retry! },
      filter: { receiver: 'picky', sinceMs: Date.now() - 3_600_000 },
      onProgress: (p) => progress.push(p.scanned),
    });
    expect(result).toEqual({ scanned: list.length, matched: list.length, redriven: list.length, unknownReceiver: 0 });
    expect(progress.length).toBeGreaterThan(0);
    await waitFor(() => new Set(picky.accepted.map((r) => r.id)).size === list.length, {
      timeoutMs: 60_000,
      message: () => `picky receiver got ${picky.accepted.length} of ${list.length} after the redrive`,
    });
    expect(picky.accepted.map((r) => r.id).sort()).toEqual(list.map((a) => a.eventId).sort());
    expect(other.accepted).toHaveLength(list.length); // the healthy receiver is not sent anything again
  });
});
