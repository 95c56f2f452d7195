/**
 * A receiver down for 10 minutes (500s, then 200) with the shipped parked-retry schedule (5 m, 30 m, ...,
 * a 1-day horizon), against the real broker and real HTTP receivers: the alerts consumer is never held
 * (the healthy receiver has every alert before the flaky one accepts its first), and once the flaky one is
 * back it gets every alert exactly once per event id, FIRING before RESOLVED in every series, with nothing
 * dead-lettered.
 *
 * Scaled: the service runs on a clock 120 times faster than the wall clock (one real second is two
 * minutes), so the 10-minute outage lasts 5 s and the 5 m and 30 m steps 2.5 s and 15 s; the receiver's
 * outage is decided on that same clock. Quick in-memory retries are 3 attempts 10–20 ms apart (shipped:
 * 8, from 500 ms). Waits poll for the condition; nothing asserts on time.
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
import { DEFAULT_PARKED_RETRY_POLICY } from '../src/delivery/parked-retry-schedule.js';
import { startAlertingService } from '../src/service/alerting-service.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const SPEED = 120;
const MINUTE_MS = 60_000;

interface Receiver {
  readonly url: string;
  readonly accepted: { id: string; fingerprint: string; status: string }[];
  failures(): number;
  /** How many alerts the other receiver had when this one accepted its first. */
  otherAtFirstAccept: number | undefined;
}

async function receiver(up: () => boolean, other?: () => number): Promise<Receiver> {
  let failures = 0;
  const self: Receiver = { url: '', accepted: [], failures: () => failures, otherAtFirstAccept: undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up()) {
        failures += 1;
        res.writeHead(500).end();
        return;
      }
      const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Alert };
      if (self.accepted.length === 0 && other) self.otherAtFirstAccept = other();
      self.accepted.push({ id: String(req.headers['webhook-id']), fingerprint: data.fingerprint, status: data.status });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return Object.assign(self, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
}

describe('a receiver down for 10 minutes (real broker, clock ×120)', () => {
  it('gets every alert once per id after it recovers, in order per series; the healthy one never waits', async () => {
    const t0 = Date.now();
    const now = () => t0 + (Date.now() - t0) * SPEED;
    const healthy = await receiver(() => true);
    const flaky = await receiver(
      () => now() >= t0 + 10 * MINUTE_MS,
      () => healthy.accepted.length,
    );
    const [alertsTopic, dlq, retry] = await createTopics(
      [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
      { partitions: 3 },
    );
    const state = uniqueName('alerting-state');
    cleanups.push(() => deleteTopics([state]));
    const groupId = uniqueName('alerting');
    const base = alertingConfig(
      [
        receiverConfig('flaky', flaky.url, {
          retry: { initialMs: 10, multiplier: 2, maxMs: 20, maxAttempts: 3, jitter: 'none', maxRetryAfterMs: 1_000 },
          parkedRetry: DEFAULT_PARKED_RETRY_POLICY,
        }),
        receiverConfig('healthy', healthy.url),
      ],
      { receiver: 'flaky', routes: [{ receiver: 'healthy', continue: true }, { receiver: 'flaky' }] },
    );
    const service = await startAlertingService({
      config: { ...base, consumer: { ...base.consumer, groupId } },
      kafka: kafkaSettings('alerting-long-outage'),
      logger: testLogger,
      topics: { alerts: alertsTopic!, deliveriesDlq: dlq!, deliveriesRetry: retry!, state },
      now,
    });
    cleanups.push(() => service.stop());

    const series = 8;
    const list: Alert[] = [];
    for (let i = 0; i < series; i++) {
      const one = { fingerprint: `fp-${i}`, deviceId: `site-a/dev-${i}` };
      list.push(sampleAlert({ ...one, eventId: `fire-${i}` }));
      list.push(sampleAlert({ ...one, eventId: `resolve-${i}`, status: 'RESOLVED', endsAt: t0 }));
    }
    await produceRaw(
      alertsTopic!,
      list.map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );

    await waitFor(() => healthy.accepted.length === list.length, { message: 'the healthy receiver got every alert' });
    await waitFor(async () => (await committedTotal(groupId, alertsTopic!)) === list.length, {
      timeoutMs: 60_000,
      message: 'every alerts-topic record done while the receiver is down',
    });
    await waitFor(() => new Set(flaky.accepted.map((r) => r.id)).size === list.length, {
      timeoutMs: 120_000,
      message: () => `flaky receiver got ${flaky.accepted.length} of ${list.length} (failures ${flaky.failures()})`,
    });
    expect(flaky.otherAtFirstAccept).toBe(list.length); // the healthy receiver had everything first
    expect(healthy.accepted).toHaveLength(list.length);
    expect(flaky.failures()).toBeGreaterThanOrEqual(3 * series); // quick attempts, then the 5 m step, failed
    const ids = flaky.accepted.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 0; i < series; i++)
      expect(flaky.accepted.filter((r) => r.fingerprint === `fp-${i}`).map((r) => r.status)).toEqual([
        'FIRING',
        'RESOLVED',
      ]);
    await service.stop();
    expect(await consumeMessages(dlq!, { idleMs: 1_000, timeoutMs: 5_000 })).toEqual([]);
  });
});
