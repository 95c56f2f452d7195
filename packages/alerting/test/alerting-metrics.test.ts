import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAlertingMetrics } from '../src/service/alerting-metrics.js';

async function series(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('alerting metrics', () => {
  it('exports the record results and the paused gauge at 0 from the start', async () => {
    const registry = new Registry();
    createAlertingMetrics(registry);
    const lines = await series(registry);
    for (const result of ['routed', 'undecodable', 'redelivered'])
      expect(lines).toContain(`alerting_records_total{result="${result}"} 0`);
    expect(lines).toContain('alerting_consumer_paused 0');
    expect(lines).toContain('alerting_consumer_pauses_total 0');
  });

  it("exports a registered receiver's outcomes, attempt results and dead-letter codes at 0", async () => {
    const registry = new Registry();
    const metrics = createAlertingMetrics(registry);
    metrics.registerReceiver('ops');
    const lines = await series(registry);
    expect(lines).toContain('alerting_queue_depth{receiver="ops"} 0');
    for (const outcome of ['delivered', 'dead_lettered', 'duplicate'])
      expect(lines).toContain(`alerting_deliveries_total{receiver="ops",outcome="${outcome}"} 0`);
    for (const result of ['2xx', '4xx', '5xx', 'timeout', 'network', 'blocked'])
      expect(lines).toContain(`alerting_delivery_attempts_total{receiver="ops",result="${result}"} 0`);
    expect(lines).toContain('alerting_dead_letters_total{receiver="ops",code="WEBHOOK_NETWORK"} 0');
    metrics.deliveries.inc({ receiver: 'ops', outcome: 'delivered' });
    expect(await series(registry)).toContain('alerting_deliveries_total{receiver="ops",outcome="delivered"} 1');
  });
});
