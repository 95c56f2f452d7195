import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createProcessorMetrics } from '../../src/service/processor-metrics.js';

async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('processor metrics', () => {
  it('export reading outcomes, dead-letter codes and late reasons at 0 from the start', async () => {
    const registry = new Registry();
    createProcessorMetrics(registry);
    const text = await lines(registry);
    for (const outcome of ['processed', 'dead_lettered', 'late', 'replayed'])
      expect(text).toContain(`processor_readings_total{outcome="${outcome}"} 0`);
    expect(text).toContain('processor_dlq_total{code="DECODE_BAD_MAGIC"} 0');
    expect(text).toContain('processor_late_readings_total{reason="beyond_grace"} 0');
  });

  it("export each registered rule's alert counters and firing gauge at 0", async () => {
    const registry = new Registry();
    const metrics = createProcessorMetrics(registry);
    metrics.registerRules(['temperature-high', 'device-silent']);
    const text = await lines(registry);
    for (const rule of ['temperature-high', 'device-silent']) {
      expect(text).toContain(`processor_alerts_total{status="FIRING",rule="${rule}"} 0`);
      expect(text).toContain(`processor_alerts_total{status="RESOLVED",rule="${rule}"} 0`);
      expect(text).toContain(`processor_alerts_firing{rule="${rule}"} 0`);
    }
  });

  it('read consumer lag from the lag source at scrape time, keeping the last values when it fails', async () => {
    const registry = new Registry();
    const metrics = createProcessorMetrics(registry);
    let high = 100;
    let answers = true;
    metrics.setLagSource(async () => (answers ? [{ topic: 'r', partition: 0, lag: high - 40 }] : undefined));
    expect(await lines(registry)).toContain('processor_consumer_lag{topic="r",partition="0"} 60');
    high = 250; // the producers went on, the processor did not: the lag grows at the next scrape
    expect(await lines(registry)).toContain('processor_consumer_lag{topic="r",partition="0"} 210');
    answers = false;
    expect(await lines(registry)).toContain('processor_consumer_lag{topic="r",partition="0"} 210');
    answers = true;
    metrics.setLagSource(async () => []); // partitions revoked: no series left
    expect((await lines(registry)).filter((l) => l.startsWith('processor_consumer_lag'))).toEqual([]);
  });
});
