/**
 * The processor's Prometheus metrics. Counters are totals (rates come from `rate()`); gauges describe now.
 *
 * Counters are exported at 0 for each label value known in advance — reading outcomes, dead-letter codes and
 * late reasons from the start, alert statuses per rule once the rules are registered — so `increase()` sees
 * the first event. The firing gauge is per rule. Consumer lag is asked of the broker at scrape time (each
 * assigned partition's high watermark minus the next offset to process), so it grows while the processor
 * stalls instead of keeping the last batch's value.
 */
import { ERROR_CODES } from '@sensor-pipeline/shared';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Every reason a record can be set aside to the DLQ: decoding, validation, lateness, the sensor cap, an output
 * too large or refused. Their counter series exist at 0 from the start, so `increase()` sees the first one.
 */
export const DEAD_LETTER_CODES: readonly string[] = Object.keys(ERROR_CODES).filter(
  (code) => code.startsWith('DECODE_') || code.startsWith('READING_') || code.startsWith('OUTPUT_'),
);

/** The `outcome` label of `processor_readings_total`. */
export const READING_OUTCOMES = ['processed', 'dead_lettered', 'late', 'replayed'] as const;
/** The `reason` label of `processor_late_readings_total`. */
export const LATE_REASONS: readonly string[] = DEAD_LETTER_CODES.filter((c) => c.startsWith('READING_LATE_')).map((c) =>
  c.slice('READING_LATE_'.length).toLowerCase(),
);

/** One assigned partition's lag, as the lag source reports it. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export function createProcessorMetrics(registry: Registry) {
  const registers = [registry];
  let lagSource: (() => Promise<readonly PartitionLag[] | undefined>) | undefined;
  const metrics = {
    readings: new Counter({
      name: 'processor_readings_total',
      help: 'Readings consumed, by outcome: processed (windowed), dead_lettered (undecodable/invalid), late (beyond grace), replayed (rebuilding windows)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    alerts: new Counter({
      name: 'processor_alerts_total',
      help: 'Alert events produced, by status',
      labelNames: ['status', 'rule'] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: 'processor_dlq_total',
      help: 'Records set aside to the readings DLQ, by error code (OUTPUT_TOO_LARGE: alert, stats or state records over the output size limit)',
      labelNames: ['code'] as const,
      registers,
    }),
    lateReadings: new Counter({
      name: 'processor_late_readings_total',
      help: 'Readings that arrived beyond the allowed lateness (sent to the DLQ)',
      labelNames: ['reason'] as const,
      registers,
    }),
    statsProduced: new Counter({
      name: 'processor_stats_total',
      help: 'Window stats records produced to the stats topic',
      registers,
    }),
    windowsHeld: new Gauge({ name: 'processor_windows_held', help: 'Per-sensor windows held in memory', registers }),
    alertsFiring: new Gauge({
      name: 'processor_alerts_firing',
      help: 'Alerts currently firing on the partitions this instance owns, by rule',
      labelNames: ['rule'] as const,
      registers,
    }),
    lag: new Gauge({
      name: 'processor_consumer_lag',
      help: "Readings between each assigned partition's high watermark, asked of the broker at scrape time, and the next offset to process",
      labelNames: ['topic', 'partition'] as const,
      registers,
      async collect() {
        const lags = await lagSource?.().catch(() => undefined);
        if (!lags) return; // no source yet, or the broker did not answer: keep the last values
        this.reset();
        for (const l of lags) this.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    }),
    partitions: new Gauge({
      name: 'processor_assigned_partitions',
      help: 'Readings partitions assigned to this instance',
      registers,
    }),
    latency: new Histogram({
      name: 'processor_processing_latency_seconds',
      help: 'From a reading being appended to Kafka to its batch results being acknowledged',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'CPU-side time to decode and process one batch (not waiting for acknowledgements)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    rebuildSeconds: new Histogram({
      name: 'processor_state_rebuild_seconds',
      help: 'Time to rebuild window and alert state for a newly assigned partition',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    committedOffsetLag: new Gauge({
      name: 'processor_committed_offset_lag',
      help: 'Readings acknowledged (outputs produced) but not yet committed, per partition; stays above 0 when commits do not take effect',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    commitFailures: new Counter({
      name: 'processor_commit_failures_total',
      help: 'Offset commits or transactions that failed and are retried (commits) or rewound (transactions)',
      registers,
    }),
    commits: new Counter({
      name: 'processor_commits_total',
      help: 'Offset commits (or transactions) completed',
      registers,
    }),
    producerReplacements: new Counter({
      name: 'processor_producer_replacements_total',
      help: 'Times the output producer client was replaced because its records in flight got no delivery report for producerStallReplaceMs (a client that stopped reconnecting); its records were produced again',
      registers,
    }),
    sensorsHeld: new Gauge({
      name: 'processor_sensors_held',
      help: 'Sensors (device × metric) held by this instance, over its partitions',
      registers,
    }),
    sensorsLimit: new Gauge({
      name: 'processor_sensors_limit',
      help: 'Most sensors this instance holds (maxSensors); readings of new sensors past it go to the DLQ',
      registers,
    }),
    sensorsRefused: new Counter({
      name: 'processor_sensor_limit_refused_total',
      help: 'Readings of new sensors refused because the instance holds maxSensors sensors (READING_SENSOR_LIMIT)',
      registers,
    }),
  };
  for (const code of DEAD_LETTER_CODES) metrics.deadLettered.inc({ code }, 0);
  metrics.sensorsRefused.inc(0);
  metrics.producerReplacements.inc(0);
  for (const outcome of READING_OUTCOMES) metrics.readings.inc({ outcome }, 0);
  for (const reason of LATE_REASONS) metrics.lateReadings.inc({ reason }, 0);
  return {
    ...metrics,
    /** Exports each rule's alert counters and firing gauge at 0; call once with the rules' names. */
    registerRules(rules: readonly string[]): void {
      for (const rule of rules) {
        for (const status of ['FIRING', 'RESOLVED']) metrics.alerts.inc({ status, rule }, 0);
        metrics.alertsFiring.set({ rule }, 0);
      }
    },
    /** Where `processor_consumer_lag` comes from at scrape time (undefined: the broker did not answer). */
    setLagSource(source: () => Promise<readonly PartitionLag[] | undefined>): void {
      lagSource = source;
    },
  };
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;
