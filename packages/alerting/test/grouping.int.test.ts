/**
 * Grouped webhooks over real HTTP, without Kafka: a site outage of 12 sensors reaches a grouped receiver
 * as one notification after group_wait (exact body), its recovery as one more; each record finishes only
 * once the notification carrying it was delivered, and a redelivered record joins it instead of adding
 * another. Waits poll for the condition; group timings are the only clocks and nothing asserts on them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/kafka.js';
import { DeliveryPipeline } from '../src/service/delivery-pipeline.js';
import { STARTS_AT, sampleAlert } from './alert-fixture.js';
import { alertingConfig, alertRecord, deadLetters, receiverConfig } from './harness.js';

const logger = createLogger({ service: 'test', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(): Promise<{ url: string; bodies: unknown[]; ids: string[] }> {
  const bodies: unknown[] = [];
  const ids: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      ids.push(String(req.headers['webhook-id']));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, ids };
}

const outage = (status: 'FIRING' | 'RESOLVED') =>
  Array.from({ length: 12 }, (_, i) =>
    sampleAlert({
      eventId: `${status.toLowerCase()}-${i}`,
      fingerprint: `fp-${i}`,
      rule: 'device-silent',
      metric: 'temperature',
      deviceId: `site-a/dev-${String(i).padStart(2, '0')}`,
      status,
      ...(status === 'RESOLVED' ? { endsAt: STARTS_AT + 600_000 } : {}),
      labels: { site: 'a' },
    }),
  );

describe('grouped webhooks (real HTTP)', () => {
  it('sends a site outage as one notification and its recovery as one more', async () => {
    const hook = await receiver();
    const grouped = receiverConfig('ops', hook.url, {
      format: 'alertmanager',
      group: { by: ['alertname', 'site'], waitMs: 200, intervalMs: 300, repeatMs: 3_600_000, maxAlerts: 10 },
    });
    const dlq = deadLetters();
    const p = new DeliveryPipeline({ config: alertingConfig([grouped]), logger, deadLetter: dlq.write });
    cleanups.push(() => p.close());

    const done = new Set<string>();
    const firing = outage('FIRING');
    firing.forEach((a, i) => {
      p.accept(alertRecord(a, i), () => done.add(a.eventId));
    });
    p.accept(alertRecord(firing[3]!, 3), () => done.add('redelivered-3')); // joins, does not add
    await waitFor(() => done.size === 13, { message: () => `finished ${done.size} of 13` });
    expect(hook.bodies).toHaveLength(1);
    const first = hook.bodies[0] as { alerts: { labels: Record<string, string> }[] };
    expect({ ...first, alerts: first.alerts.map((a) => a.labels['device']) }).toEqual({
      receiver: 'ops',
      status: 'firing',
      alerts: firing.slice(0, 10).map((a) => a.deviceId),
      groupLabels: { alertname: 'device-silent', site: 'a' },
      commonLabels: {
        alertname: 'device-silent',
        metric: 'temperature',
        severity: 'critical',
        site: 'a',
      },
      commonAnnotations: {
        condition: 'above',
        statistic: 'mean',
        summary: 'CPU pegged on site-a/dev-0042',
        threshold: '90',
        value: '97.5',
        window: 'time:60s',
      },
      externalURL: 'http://alerting.test',
      version: '4',
      groupKey: '{}:{alertname="device-silent", site="a"}',
      truncatedAlerts: 2,
    });
    expect(hook.ids[0]).toMatch(/^grp_[0-9a-f]{24}$/);

    const resolved = outage('RESOLVED');
    resolved.forEach((a, i) => {
      p.accept(alertRecord(a, 100 + i), () => done.add(a.eventId));
    });
    await waitFor(() => done.size === 25, { message: () => `finished ${done.size} of 25` });
    expect(hook.bodies).toHaveLength(2);
    expect(hook.bodies[1]).toMatchObject({ status: 'resolved', truncatedAlerts: 2 });
    expect(dlq.records).toEqual([]);
  });
});
