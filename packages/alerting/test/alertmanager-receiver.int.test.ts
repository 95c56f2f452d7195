/**
 * The `alertmanager` receiver against real Prometheus Alertmanagers (Debian's prometheus-alertmanager, one
 * per target, each on a free loopback port with its own data dir, see test/alertmanager.ts): a FIRING shows
 * as active in each one's API, stays active past Alertmanager's resolve_timeout and past the endsAt of the
 * first push while it keeps firing (the resends move endsAt on), and is resolved after our RESOLVED; each
 * Alertmanager's own webhook delivers the firing and the resolved notification to a local receiver. Every
 * wait polls Alertmanager's API or the receiver for the condition itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AlertmanagerApiAlert,
  alertmanagerInstalled,
  type RunningAlertmanager,
  startAlertmanager,
} from '../../../test/alertmanager.js';
import { waitFor } from '../../../test/kafka.js';
import { alertmanagerAlertsUrl } from '../src/config/receiver-kind.js';
import { DeliveryPipeline } from '../src/service/delivery-pipeline.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, alertRecord, deadLetters, receiverConfig } from './harness.js';

const logger = createLogger({ service: 'test', level: process.env['LOG_LEVEL'] ?? 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Notification {
  readonly status: string;
  readonly alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** A local receiver of Alertmanager's webhook: keeps every notification. */
async function notificationReceiver(): Promise<{ url: string; notifications: Notification[] }> {
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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`, notifications };
}

async function alertmanager(webhookUrl: string): Promise<RunningAlertmanager> {
  const am = await startAlertmanager({ webhookUrl, resolveTimeout: '1s', groupWait: '0s', groupInterval: '1s' });
  cleanups.push(() => am.stop());
  return am;
}

const ours = (alerts: AlertmanagerApiAlert[], device: string): AlertmanagerApiAlert | undefined =>
  alerts.find((a) => a.labels['alertname'] === 'cpu-high' && a.labels['device'] === device);

describe.skipIf(!alertmanagerInstalled())('alertmanager receiver (real Alertmanager)', () => {
  it('keeps a firing alert active past resolve_timeout in each Alertmanager of a pair, then resolves it', async () => {
    const hook = await notificationReceiver();
    const pair = [await alertmanager(hook.url), await alertmanager(hook.url)];
    const resendIntervalMs = 250;
    const receiver = receiverConfig('am', alertmanagerAlertsUrl(pair[0]!.url), {
      type: 'alertmanager',
      targets: pair.map((am) => alertmanagerAlertsUrl(am.url)),
      resendIntervalMs,
    });
    const dlq = deadLetters();
    const p = new DeliveryPipeline({ config: alertingConfig([receiver]), logger, deadLetter: dlq.write });
    cleanups.push(() => p.close());

    const startsAt = Date.now();
    const device = `site-a/dev-${startsAt}`;
    const firing = sampleAlert({ eventId: 'evt-firing', fingerprint: `fp-${startsAt}`, deviceId: device, startsAt });
    let firingDone = false;
    p.accept(alertRecord(firing, 0), () => {
      firingDone = true;
    });
    await waitFor(() => firingDone, { message: 'FIRING delivered to both Alertmanagers' });

    // active in both; remember the endsAt of the first push
    const first = await Promise.all(
      pair.map((am) =>
        waitFor(async () => ours(await am.alerts(), device), { message: () => `alert active in ${am.url}` }),
      ),
    );
    for (const a of first) {
      expect(a.status.state).toBe('active');
      expect(Date.parse(a.startsAt)).toBe(startsAt); // an instant: Alertmanager drops trailing zeros of the fraction
      expect(a.annotations['eventId']).toBe('evt-firing');
    }
    const firstEndsAtMs = Math.max(...first.map((a) => Date.parse(a.endsAt)));

    // still active once the first push's endsAt and resolve_timeout (1 s) are both behind us: the resends moved it on
    for (const am of pair) {
      let missing = 0; // polls that did not find it active (a throw would only make waitFor poll again)
      const later = await waitFor(
        async () => {
          const seenAt = Date.now();
          const alert = ours(await am.alerts({ active: true }), device);
          if (!alert) {
            missing += 1;
            return undefined;
          }
          return seenAt > firstEndsAtMs + 1_000 ? alert : undefined;
        },
        { message: () => `alert still active in ${am.url} past its first endsAt` },
      );
      expect(missing).toBe(0);
      expect(later.status.state).toBe('active');
      expect(Date.parse(later.endsAt)).toBeGreaterThan(firstEndsAtMs);
    }
    // Alertmanager's own webhook fired for it (one notification from each instance at least)
    await waitFor(
      () =>
        hook.notifications.filter((n) => n.status === 'firing' && n.alerts.some((a) => a.labels['device'] === device))
          .length >= 2,
      { message: 'firing notifications from both Alertmanagers' },
    );

    const resolvedAt = Date.now();
    const resolved = { ...firing, status: 'RESOLVED' as const, eventId: 'evt-resolved', endsAt: resolvedAt };
    let resolvedDone = false;
    p.accept(alertRecord(resolved, 1), () => {
      resolvedDone = true;
    });
    await waitFor(() => resolvedDone, { message: 'RESOLVED delivered to both Alertmanagers' });
    for (const am of pair)
      await waitFor(async () => ours(await am.alerts(), device) === undefined, {
        message: () => `alert resolved in ${am.url}`,
      });
    const resolvedNotes = await waitFor(
      () => {
        const found = hook.notifications.filter(
          (n) => n.status === 'resolved' && n.alerts.some((a) => a.labels['device'] === device),
        );
        return found.length >= 2 ? found : undefined;
      },
      { message: 'resolved notifications from both Alertmanagers' },
    );
    expect(resolvedNotes[0]!.alerts[0]).toMatchObject({
      status: 'resolved',
      labels: { alertname: 'cpu-high', device, metric: 'cpu', severity: 'critical', site: 'a', model: 'x1' },
    });
    expect(dlq.records).toEqual([]);

    // no resend brings it back: after several more resend intervals it is still not active
    const quietFrom = Date.now();
    let reappeared = false;
    await waitFor(async () => {
      for (const am of pair) if (ours(await am.alerts(), device)) reappeared = true;
      return Date.now() > quietFrom + 4 * resendIntervalMs;
    });
    expect(reappeared).toBe(false);
  });

  it('sends a RESOLVED whose endsAt precedes its startsAt as ending at its start, which Alertmanager accepts', async () => {
    const hook = await notificationReceiver();
    const am = await alertmanager(hook.url);
    const receiver = receiverConfig('am', alertmanagerAlertsUrl(am.url), {
      type: 'alertmanager',
      targets: [alertmanagerAlertsUrl(am.url)],
    });
    const dlq = deadLetters();
    const p = new DeliveryPipeline({ config: alertingConfig([receiver]), logger, deadLetter: dlq.write });
    cleanups.push(() => p.close());
    // Alertmanager refuses (400) an alert that ends before it starts; such a record is clamped, not lost
    const bad = sampleAlert({
      status: 'RESOLVED',
      eventId: 'evt-bad',
      startsAt: Date.now(),
      endsAt: Date.now() - 60_000,
    });
    let done = false;
    p.accept(alertRecord(bad, 0), () => {
      done = true;
    });
    await waitFor(() => done);
    expect(dlq.records).toHaveLength(0);
  });
});
