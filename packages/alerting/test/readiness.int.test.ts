/**
 * `/readyz` of the alerting service follows the partitions it holds (real broker): of two instances in
 * one group on a one-partition alerts topic, the one holding the partition is ready and the other is not
 * (no grace here); when the holder stops, the other takes the partition over and becomes ready.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics, kafkaSettings, testLogger, uniqueName, waitFor } from '../../../test/kafka.js';
import { type AlertingService, startAlertingService } from '../src/service/alerting-service.js';
import { alertingConfig, receiverConfig } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('alerting readiness (real broker)', () => {
  it('is not ready while holding no partition of the alerts topic', async () => {
    const [alertsTopic, dlq] = await createTopics([uniqueName('alerts'), uniqueName('deliveries-dlq')], {
      partitions: 1,
    });
    const groupId = uniqueName('alerting');
    const config = alertingConfig([receiverConfig('hooks', 'http://127.0.0.1:9/hook')]);
    const start = async (): Promise<AlertingService> => {
      const service = await startAlertingService({
        config: { ...config, consumer: { ...config.consumer, groupId } },
        kafka: kafkaSettings('alerting-ready-test'),
        logger: testLogger,
        topics: { alerts: alertsTopic!, deliveriesDlq: dlq! },
        noPartitionsGraceMs: 0,
      });
      cleanups.push(() => service.stop());
      return service;
    };
    const a = await start();
    const b = await start();
    const [holder, idle] = await waitFor(
      () => {
        const ra = a.readiness();
        const rb = b.readiness();
        if (ra.ready === rb.ready) return undefined;
        return ra.ready ? [a, b] : [b, a];
      },
      { timeoutMs: 60_000, message: 'exactly one of two instances ready' },
    );
    expect(holder.readiness().details).toMatchObject({ partitions: [0] });
    expect(idle.readiness().details).toMatchObject({ partitions: [] });
    await holder.stop();
    await waitFor(() => idle.readiness().ready, { timeoutMs: 90_000, message: 'the other instance took over' });
    expect(idle.readiness().details).toMatchObject({ partitions: [0] });
  });
});
