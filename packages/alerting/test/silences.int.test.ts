/**
 * Silences through the real broker: a silence written to the silences topic (as `alerting silence add`
 * does) mutes matching alerts in a service started after it — so a restart sees it — while other alerts
 * are delivered; once it is expired (same id, earlier end) and the service has read that, matching alerts
 * are delivered again. Waits poll for conditions; the service's own silence set says when it has caught up.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertCodec } from '@sensor-pipeline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import {
  committedTotal,
  createTopics,
  deleteTopics,
  kafkaSettings,
  produceRaw,
  testLogger,
  uniqueName,
  waitFor,
} from '../../../test/kafka.js';
import { startAlertingService } from '../src/service/alerting-service.js';
import type { Silence } from '../src/silences/silence-set.js';
import { writeSilence } from '../src/silences/silence-store.js';
import { sampleAlert } from './alert-fixture.js';
import { alertingConfig, receiverConfig } from './harness.js';

const codec = alertCodec();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('silences (real broker)', () => {
  it('mutes matching alerts from the topic, across a restart, until expired', async () => {
    const ids: string[] = [];
    const server = createServer((req, res) => {
      ids.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

    const [alertsTopic, dlq] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')]);
    const silencesTopic = uniqueName('silences');
    cleanups.push(() => deleteTopics([silencesTopic]));
    const kafka = kafkaSettings('alerting-silences-test');
    const now = Date.now();
    const maintenance: Silence = {
      id: 'sil_test',
      matchers: ['rule=device-silent', 'device=site-a/*'],
      startsAt: now,
      endsAt: now + 3_600_000,
      createdBy: 'test',
      comment: 'maintenance',
    };
    await writeSilence(kafka, testLogger, silencesTopic, maintenance);

    const groupId = uniqueName('alerting');
    const config = alertingConfig([receiverConfig('hooks', url)]);
    const service = await startAlertingService({
      config: { ...config, consumer: { ...config.consumer, groupId } },
      kafka,
      logger: testLogger,
      topics: { alerts: alertsTopic!, deliveriesDlq: dlq!, silences: silencesTopic },
    });
    cleanups.push(() => service.stop());
    expect(service.silences?.active(Date.now()).map((s) => s.id)).toEqual(['sil_test']); // loaded before consuming

    const muted = sampleAlert({ eventId: 'muted', fingerprint: 'f1', rule: 'device-silent', deviceId: 'site-a/dev-1' });
    const other = sampleAlert({ eventId: 'other', fingerprint: 'f2', rule: 'device-silent', deviceId: 'site-b/dev-1' });
    await produceRaw(
      alertsTopic!,
      [muted, other].map((a) => ({ key: a.deviceId, value: codec.encode(a) })),
    );
    await waitFor(async () => (await committedTotal(groupId, alertsTopic!)) === 2, { message: 'both records done' });
    expect(ids).toEqual(['other']);

    await writeSilence(kafka, testLogger, silencesTopic, { ...maintenance, endsAt: Date.now() });
    await waitFor(() => service.silences?.active(Date.now()).length === 0, { message: 'expiry seen by the service' });
    const after = sampleAlert({ eventId: 'after', fingerprint: 'f1', rule: 'device-silent', deviceId: 'site-a/dev-1' });
    await produceRaw(alertsTopic!, [{ key: after.deviceId, value: codec.encode(after) }]);
    await waitFor(() => ids.includes('after'), { message: 'delivered after the expiry' });
    expect(ids).toEqual(['other', 'after']);
  });
});
