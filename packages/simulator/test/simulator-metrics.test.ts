import { createMetricsRegistry } from '@sensor-pipeline/shared';
import { describe, expect, it } from 'vitest';
import { POISON_KINDS } from '../src/core/poison.js';
import { registerSimulatorMetrics } from '../src/kafka/simulator-metrics.js';

describe('simulator metrics', () => {
  it('are exported at 0 before the first reading, poison kinds included, and compute no rate per scrape', async () => {
    const registry = createMetricsRegistry('simulator');
    registerSimulatorMetrics(registry, () => undefined);
    const text = await registry.metrics();
    for (const name of ['produced', 'acked', 'failed'])
      expect(text).toContain(`simulator_readings_${name}_total{service="simulator"} 0`);
    for (const kind of POISON_KINDS)
      expect(text).toContain(`simulator_poison_records_total{kind="${kind}",service="simulator"} 0`);
    expect(text).not.toMatch(/per_second/);
  });
});
