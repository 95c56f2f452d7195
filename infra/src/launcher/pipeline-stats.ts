/**
 * What the launcher's live view shows, gathered once per tick: each service's Prometheus `/metrics`
 * (readings produced and processed, readings set aside to the DLQ and why, alerts produced, deliveries) and each consumer group's lag from the
 * broker (committed offsets against partition ends). Rates are computed between two snapshots.
 * Metric names are tried in order, so a service that names a counter differently still shows up.
 */
import type { createAdmin } from '@sensor-pipeline/shared';
import { parsePrometheusText, type Sample } from '@sensor-pipeline/shared';
import type { ServiceName, ServiceSpec } from '../pipeline-services.js';
import { sumOf } from './sum-of.js';
import { sumsByLabel } from './sums-by-label.js';

type Admin = ReturnType<typeof createAdmin>;

/** Candidate metric names per figure, first present wins. */
export const METRIC_NAMES = {
  produced: ['simulator_readings_acked_total', 'simulator_readings_produced_total'],
  processed: ['processor_readings_total'],
  processorDlq: ['processor_dlq_total'],
  alerts: ['processor_alerts_total'],
  firingNow: ['processor_alerts_firing'],
  deliveries: ['alerting_deliveries_total'],
  queueDepth: ['alerting_queue_depth'],
} as const;

export interface PipelineSnapshot {
  readonly atMs: number;
  readonly produced?: number;
  readonly processed?: number;
  readonly processorDlq?: number;
  /** Readings set aside to the DLQ per reason (the error code of their `dlq.error.code` header), non-zero only. */
  readonly processorDlqByReason?: Readonly<Record<string, number>>;
  readonly alertsFiring?: number;
  readonly alertsResolved?: number;
  readonly firingNow?: number;
  readonly delivered?: number;
  readonly deadLettered?: number;
  readonly duplicates?: number;
  readonly retrying?: number;
  /** Consumer lag per service with a consumer group; undefined when unknown (no commit yet). */
  readonly lag: Readonly<Partial<Record<ServiceName, number>>>;
}

export interface PipelineRates {
  readonly producedPerSec?: number;
  readonly processedPerSec?: number;
}

export async function scrapeMetrics(port: number, timeoutMs = 1_000): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return parsePrometheusText(await res.text());
  } catch {
    return undefined;
  }
}

/** Total lag of `group` on `topic`: sum over partitions of (high watermark − committed), or undefined. */
export async function groupLag(admin: Admin, group: string, topic: string): Promise<number | undefined> {
  try {
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId: group, topics: [topic], timeout: 2_000 }),
      admin.fetchTopicOffsets(topic, { timeout: 2_000, isolationLevel: 1 as never /* READ_COMMITTED */ }),
    ]);
    const byPartition = new Map<number, number>();
    for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, Number(p.offset));
    let lag = 0;
    for (const end of ends) {
      const high = Number(end.high);
      const low = Number(end.low);
      const at = byPartition.get(end.partition);
      if (at === undefined || at < 0) {
        lag += high - low; // nothing committed: everything retained is still to read
      } else {
        lag += Math.max(0, high - at);
      }
    }
    return lag;
  } catch {
    return undefined;
  }
}

/** One snapshot of the whole pipeline. `admin` may be undefined (no lag then). */
export async function snapshotPipeline(
  services: readonly ServiceSpec[],
  admin: Admin | undefined,
  topicOf: (spec: ServiceSpec) => string | undefined,
): Promise<PipelineSnapshot> {
  const port = (name: ServiceName): number | undefined => services.find((s) => s.name === name && s.metrics)?.opsPort;
  const scrape = (name: ServiceName): Promise<Sample[] | undefined> => {
    const p = port(name);
    return p === undefined ? Promise.resolve(undefined) : scrapeMetrics(p);
  };
  const lagOf = async (spec: ServiceSpec): Promise<[ServiceName, number | undefined]> => {
    const topic = topicOf(spec);
    if (!admin || !spec.consumerGroup || !topic) return [spec.name, undefined];
    return [spec.name, await groupLag(admin, spec.consumerGroup, topic)];
  };
  const [simulator, processor, alerting, lags] = await Promise.all([
    scrape('simulator'),
    scrape('processor'),
    scrape('alerting'),
    Promise.all(services.filter((s) => s.consumerGroup).map(lagOf)),
  ]);
  const lag: Partial<Record<ServiceName, number>> = {};
  for (const [name, value] of lags) if (value !== undefined) lag[name] = value;
  const s = simulator ?? [];
  const p = processor ?? [];
  const a = alerting ?? [];
  // a labelled counter has no samples until its first increment: a service that answered counts as 0
  const zero = (scraped: Sample[] | undefined): number | undefined => (scraped ? 0 : undefined);
  return dropUndefined({
    atMs: Date.now(),
    produced: sumOf(s, METRIC_NAMES.produced),
    processed: sumOf(p, METRIC_NAMES.processed, { outcome: /^(processed|dead_lettered|late)$/ }) ?? zero(processor),
    processorDlq: sumOf(p, METRIC_NAMES.processorDlq) ?? zero(processor),
    processorDlqByReason: sumsByLabel(p, METRIC_NAMES.processorDlq, 'code') ?? (processor ? {} : undefined),
    alertsFiring: sumOf(p, METRIC_NAMES.alerts, { status: 'FIRING' }) ?? zero(processor),
    alertsResolved: sumOf(p, METRIC_NAMES.alerts, { status: 'RESOLVED' }) ?? zero(processor),
    firingNow: sumOf(p, METRIC_NAMES.firingNow),
    delivered: sumOf(a, METRIC_NAMES.deliveries, { outcome: 'delivered' }) ?? zero(alerting),
    deadLettered: sumOf(a, METRIC_NAMES.deliveries, { outcome: 'dead_lettered' }) ?? zero(alerting),
    duplicates: sumOf(a, METRIC_NAMES.deliveries, { outcome: 'duplicate' }) ?? zero(alerting),
    retrying: sumOf(a, METRIC_NAMES.queueDepth) ?? zero(alerting),
    lag,
  });
}

/** `current`, with what it could not see (a service that finished or is restarting) kept from `previous`. */
export function carryForward(previous: PipelineSnapshot | undefined, current: PipelineSnapshot): PipelineSnapshot {
  if (!previous) return current;
  return { ...previous, ...current, lag: { ...previous.lag, ...current.lag } };
}

export function ratesBetween(previous: PipelineSnapshot | undefined, current: PipelineSnapshot): PipelineRates {
  if (!previous) return {};
  const seconds = (current.atMs - previous.atMs) / 1000;
  if (seconds <= 0) return {};
  const rate = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : Math.max(0, (b - a) / seconds);
  return dropUndefined({
    producedPerSec: rate(previous.produced, current.produced),
    processedPerSec: rate(previous.processed, current.processed),
  });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
