/**
 * The alerting service (real broker) pushing to a real Prometheus Alertmanager (Debian's
 * prometheus-alertmanager, see test/alertmanager.ts) across a restart of the alerting service: the FIRING
 * is active in Alertmanager's API once delivered; while the alerting service is restarted it stays active
 * past the endsAt of the last push before the restart plus Alertmanager's resolve_timeout, because the new
 * instance reads the firing set back from the state topic and keeps re-sending; our RESOLVED resolves it;
 * Alertmanager's own webhook delivers the firing and the resolved notification to a local receiver. Waits
 * poll Alertmanager's API or the receiver; the only clock compared is Alertmanager's own `endsAt`.
 *
 * Scaled: resendInterval 3 s (Prometheus re-sends every minute), resolve_timeout 1 s (shipped: 5 m).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertCodec } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertmanagerApiAlert, alertmanagerInstalled, startAlertmanager } from '../../../test/alertmanager.js';
import {
  createTopics,
  deleteTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import type { AlertingConfig } from '../src/config/alerting-config.js';
import { alertmanagerAlertsUrl } from '../src/config/receiver-kind.js';
import { type AlertingTopics, startAlertingService } from '../src/service/alerting-service.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Notification {
  readonly status: string;
  readonly alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

describe.skipIf(!alertmanagerInstalled())('alerting restart with a real Alertmanager', () => {
  it('keeps a firing alert active across a restart of the alerting service, then resolves it', async () => {
    const notifications: Notification[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        notifications.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const am = await startAlertmanager({
      webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/am`,
      resolveTimeout: '1s',
      groupWait: '0s',
      groupInterval: '1s',
    });
    cleanups.push(() => am.stop());

    const [alerts, dlq, retry] = await createTopics(
      [uniqueName('alerts'), uniqueName('deliveries-dlq'), uniqueName('deliveries-retry')],
      { partitions: 2 },
    );
    const state = uniqueName('alerting-state');
    cleanups.push(() => deleteTopics([state]));
    const topics: AlertingTopics = { alerts: alerts!, deliveriesDlq: dlq!, deliveriesRetry: retry!, state };
    const base = alertingConfig([
      receiverConfig('am', alertmanagerAlertsUrl(am.url), {
        type: 'alertmanager',
        targets: [alertmanagerAlertsUrl(am.url)],
        resendIntervalMs: 3_000,
      }),
    ]);
    const config: AlertingConfig = { ...base, consumer: { ...base.consumer, groupId: uniqueName('alerting') } };
    const start = async (clientId: string) => {
      const service = await startAlertingService({
        config,
        kafka: kafkaSettings(clientId),
        logger: testLogger,
        topics,
      });
      cleanups.push(() => service.stop());
      return service;
    };

    const startsAt = Date.now();
    const device = `site-a/dev-${startsAt}`;
    const ours = (list: AlertmanagerApiAlert[]) => list.find((a) => a.labels['device'] === device);
    const firing = sampleAlert({ eventId: 'evt-firing', fingerprint: `fp-${startsAt}`, deviceId: device, startsAt });
    const first = await start('alerting-am-1');
    await produceRaw(alerts!, [{ key: device, value: codec.encode(firing) }]);
    const seen = await waitFor(async () => ours(await am.alerts()), { message: 'FIRING active in Alertmanager' });
    expect(seen.status.state).toBe('active');
    expect(Date.parse(seen.startsAt)).toBe(startsAt);
    expect(seen.annotations['eventId']).toBe('evt-firing');

    await first.stop();
    // the endsAt of the last push before the restart (read after the stop, so nothing moves it any more)
    const before = ours(await am.alerts());
    expect(before?.status.state).toBe('active');
    const lastEndsAtMs = Date.parse(before!.endsAt);

    await start('alerting-am-2');
    let missing = 0; // polls that did not find it active (a throw would only make waitFor poll again)
    const after = await waitFor(
      async () => {
        const checkedAt = Date.now();
        const alert = ours(await am.alerts({ active: true }));
        if (!alert) {
          missing += 1;
          return undefined;
        }
        return checkedAt > lastEndsAtMs + 1_000 ? alert : undefined;
      },
      { timeoutMs: 60_000, message: 'still active past the last endsAt before the restart plus resolve_timeout' },
    );
    expect(missing).toBe(0);
    expect(after.status.state).toBe('active');
    expect(Date.parse(after.endsAt)).toBeGreaterThan(lastEndsAtMs);
    expect(Date.parse(after.startsAt)).toBe(startsAt);

    const endsAt = Date.now();
    await produceRaw(alerts!, [
      { key: device, value: codec.encode({ ...firing, eventId: 'evt-resolved', status: 'RESOLVED', endsAt }) },
    ]);
    await waitFor(async () => ours(await am.alerts()) === undefined, { message: 'resolved in Alertmanager' });
    const resolvedNote = await waitFor(
      () => notifications.find((n) => n.status === 'resolved' && n.alerts.some((a) => a.labels['device'] === device)),
      { message: 'Alertmanager webhook delivered the resolution' },
    );
    // compared as instants: Alertmanager prints RFC 3339 without trailing zeros of the fraction (…56.59Z)
    const note = resolvedNote.alerts[0]!;
    expect(note.status).toBe('resolved');
    expect(Date.parse(note.startsAt)).toBe(startsAt);
    expect(Date.parse(note.endsAt)).toBe(endsAt);
    expect(
      notifications.some((n) => n.status === 'firing' && n.alerts.some((a) => a.labels['device'] === device)),
    ).toBe(true);
    // what the test saw, for the record
    testLogger.info({ firstSeen: seen, beforeRestart: before, afterRestart: after, resolvedNote }, 'alertmanager view');
  });
});
