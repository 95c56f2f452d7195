/**
 * The simulator's Prometheus metrics, read from the live counters at scrape time (no work per reading):
 * readings produced, acknowledged and failed (counters), in flight, the newest event time, and poison records
 * by kind. Every series is there at 0 from the start. No rate is computed here: a rate per scrape would
 * change with who scrapes and how often (two scrapers would spoil each other's); Prometheus computes
 * `rate(simulator_readings_acked_total[1m])`.
 *
 * They are registered as collector objects in prom-client's metric shape (`get()` returning the values),
 * because prom-client itself is a dependency of shared and not importable from this package.
 */
import type { createMetricsRegistry } from '@sensor-pipeline/shared';
import { POISON_KINDS } from '../core/poison.js';
import { inFlight, type SimulationStats } from './simulation-stats.js';

type Registry = ReturnType<typeof createMetricsRegistry>;
type RegisteredMetric = Parameters<Registry['registerMetric']>[0];

interface MetricValue {
  readonly value: number;
  readonly labels?: Record<string, string>;
}

function collector(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  values: () => MetricValue[],
): RegisteredMetric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  return metric as unknown as RegisteredMetric;
}

export function registerSimulatorMetrics(registry: Registry, stats: () => SimulationStats | undefined): void {
  const read = (pick: (s: SimulationStats) => number) => () => {
    const s = stats();
    return [{ value: s ? pick(s) : 0 }];
  };
  registry.registerMetric(
    collector(
      'simulator_readings_produced_total',
      'Readings handed to the Kafka client (poison records included).',
      'counter',
      read((s) => s.produced),
    ),
  );
  registry.registerMetric(
    collector(
      'simulator_readings_acked_total',
      'Readings the broker acknowledged (acks=all).',
      'counter',
      read((s) => s.acked),
    ),
  );
  registry.registerMetric(
    collector(
      'simulator_readings_failed_total',
      'Readings that failed after the client retried.',
      'counter',
      read((s) => s.failed),
    ),
  );
  registry.registerMetric(
    collector(
      'simulator_readings_in_flight',
      'Readings produced and not yet acknowledged or failed.',
      'gauge',
      read(inFlight),
    ),
  );
  registry.registerMetric(
    collector(
      'simulator_event_time_seconds',
      'Event time of the newest reading produced (Unix seconds).',
      'gauge',
      read((s) => s.eventTimeMs / 1_000),
    ),
  );
  registry.registerMetric(
    collector('simulator_poison_records_total', 'Poison records produced, by kind.', 'counter', () => {
      const s = stats();
      return POISON_KINDS.map((kind) => ({ value: s ? s.poison[kind] : 0, labels: { kind } }));
    }),
  );
}
