/**
 * The pipeline's health from the last two scrapes of each service's `/metrics`, pure: readings/s produced
 * (acknowledged by the broker) and processed, consumer lag, dead-lettered readings by reason, webhook
 * deliveries by outcome and failed attempts by result, and which services answer. Rates are the change of
 * a counter between this console's own consecutive scrapes (a service never computes a rate per scrape).
 */
import type { Sample } from '@sensor-pipeline/shared';
import { sumBy, sumSamples } from './sample-sums.js';

export interface TargetScrape {
  readonly name: string;
  readonly url: string;
  readonly atMs: number;
  readonly up: boolean;
  readonly error: string | undefined;
  readonly samples: readonly Sample[];
  /** The previous successful scrape, for rates. */
  readonly previous: { readonly atMs: number; readonly samples: readonly Sample[] } | undefined;
}

export interface TargetStatus {
  readonly name: string;
  readonly url: string;
  readonly up: boolean;
  readonly error?: string;
  readonly lastScrapeMs: number;
}

export interface PipelineHealth {
  readonly targets: readonly TargetStatus[];
  readonly producedPerSecond?: number;
  readonly processedPerSecond?: number;
  /** Readings behind the end of the readings topic, summed over partitions. */
  readonly consumerLag?: number;
  readonly readingsTotal: Readonly<Record<string, number>>;
  readonly dlqByCode: Readonly<Record<string, number>>;
  readonly deliveriesByOutcome: Readonly<Record<string, number>>;
  readonly attemptsByResult: Readonly<Record<string, number>>;
  readonly deadLettersByCode: Readonly<Record<string, number>>;
  readonly alertingQueueDepth?: number;
  readonly alertingPaused?: boolean;
  readonly sinkReceived?: number;
}

type Where = Parameters<typeof sumSamples>[2];

/** Per-second change of a counter over a target's last two scrapes; a reset counts from zero. */
function ratePerSecond(scrape: TargetScrape, name: string, where?: Where): number | undefined {
  if (!scrape.up || !scrape.previous) return undefined;
  const now = sumSamples(scrape.samples, name, where);
  if (now === undefined) return undefined;
  const before = sumSamples(scrape.previous.samples, name, where) ?? 0;
  const seconds = (scrape.atMs - scrape.previous.atMs) / 1_000;
  if (seconds <= 0) return undefined;
  const delta = now >= before ? now - before : now;
  return delta / seconds;
}

function addRates(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}

function mergeCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function pipelineHealth(scrapes: readonly TargetScrape[]): PipelineHealth {
  const up = scrapes.filter((s) => s.up);
  const readingsTotal: Record<string, number> = {};
  const dlqByCode: Record<string, number> = {};
  const deliveriesByOutcome: Record<string, number> = {};
  const attemptsByResult: Record<string, number> = {};
  const deadLettersByCode: Record<string, number> = {};
  let lag: number | undefined;
  let queueDepth: number | undefined;
  let paused: boolean | undefined;
  let sinkReceived: number | undefined;
  for (const s of up) {
    mergeCounts(readingsTotal, sumBy(s.samples, 'processor_readings_total', 'outcome'));
    mergeCounts(dlqByCode, sumBy(s.samples, 'processor_dlq_total', 'code'));
    mergeCounts(deliveriesByOutcome, sumBy(s.samples, 'alerting_deliveries_total', 'outcome'));
    mergeCounts(attemptsByResult, sumBy(s.samples, 'alerting_delivery_attempts_total', 'result'));
    mergeCounts(deadLettersByCode, sumBy(s.samples, 'alerting_dead_letters_total', 'code'));
    const l = sumSamples(s.samples, 'processor_consumer_lag');
    if (l !== undefined) lag = (lag ?? 0) + l;
    const q = sumSamples(s.samples, 'alerting_queue_depth');
    if (q !== undefined) queueDepth = (queueDepth ?? 0) + q;
    const p = sumSamples(s.samples, 'alerting_consumer_paused');
    if (p !== undefined) paused = (paused ?? false) || p > 0;
    const r = sumSamples(s.samples, 'sink_webhooks_total', { result: 'accepted' });
    if (r !== undefined) sinkReceived = (sinkReceived ?? 0) + r;
  }
  const produced = addRates(scrapes.map((s) => ratePerSecond(s, 'simulator_readings_acked_total')));
  const processed = addRates(
    scrapes.map((s) => ratePerSecond(s, 'processor_readings_total', { outcome: 'processed' })),
  );
  return {
    targets: scrapes.map((s) => ({
      name: s.name,
      url: s.url,
      up: s.up,
      lastScrapeMs: s.atMs,
      ...(s.error ? { error: s.error } : {}),
    })),
    ...(produced !== undefined ? { producedPerSecond: produced } : {}),
    ...(processed !== undefined ? { processedPerSecond: processed } : {}),
    ...(lag !== undefined ? { consumerLag: lag } : {}),
    readingsTotal,
    dlqByCode,
    deliveriesByOutcome,
    attemptsByResult,
    deadLettersByCode,
    ...(queueDepth !== undefined ? { alertingQueueDepth: queueDepth } : {}),
    ...(paused !== undefined ? { alertingPaused: paused } : {}),
    ...(sinkReceived !== undefined ? { sinkReceived } : {}),
  };
}
