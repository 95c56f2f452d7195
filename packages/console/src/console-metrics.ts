/**
 * The console's own Prometheus metrics, exported at 0 for every known label value from the start: records
 * applied and skipped per topic, scrapes per target and result, and pages connected for live updates.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ConsoleMetrics {
  /** `console_records_total{topic, result}`: alerts and stats records applied to the view or skipped. */
  readonly records: Counter<'topic' | 'result'>;
  /** `console_skipped_records_total{topic, code}`: undecodable records, by decode error code. */
  readonly skipped: Counter<'topic' | 'code'>;
  /** `console_scrapes_total{target, result}`: scrapes of the services' /metrics (`ok`, `failed`). */
  readonly scrapes: Counter<'target' | 'result'>;
  /** `console_live_clients`: pages connected to the live update stream. */
  readonly liveClients: Gauge;
  /** `console_alerts_firing`: alerts firing now, as the console sees them. */
  readonly firing: Gauge;
}

export function createConsoleMetrics(registry: Registry, targets: readonly string[]): ConsoleMetrics {
  const registers = [registry];
  const metrics: ConsoleMetrics = {
    records: new Counter({
      name: 'console_records_total',
      help: 'Alerts and stats records consumed by the console, by topic and result (applied, skipped)',
      labelNames: ['topic', 'result'],
      registers,
    }),
    skipped: new Counter({
      name: 'console_skipped_records_total',
      help: 'Records the console could not decode and skipped, by topic and error code',
      labelNames: ['topic', 'code'],
      registers,
    }),
    scrapes: new Counter({
      name: 'console_scrapes_total',
      help: "Scrapes of the services' /metrics, by target and result",
      labelNames: ['target', 'result'],
      registers,
    }),
    liveClients: new Gauge({
      name: 'console_live_clients',
      help: 'Pages connected to the live update stream',
      registers,
    }),
    firing: new Gauge({
      name: 'console_alerts_firing',
      help: 'Alerts firing now, as the console sees them',
      registers,
    }),
  };
  for (const topic of ['alerts', 'stats']) {
    for (const result of ['applied', 'skipped']) metrics.records.inc({ topic, result }, 0);
  }
  for (const target of targets) {
    for (const result of ['ok', 'failed']) metrics.scrapes.inc({ target, result }, 0);
  }
  return metrics;
}
