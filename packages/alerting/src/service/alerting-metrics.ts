/**
 * The service's Prometheus metrics: deliveries by receiver and outcome, attempts by result, delivery and
 * request latency histograms, queue depth, dead letters, consumed records and consumer pauses.
 *
 * Every counter is exported at 0 for each label value known in advance — the record results from the start,
 * and a receiver's outcomes, attempt results and dead-letter codes as soon as the pipeline registers the
 * receiver (`registerReceiver`) — so `increase()` and `rate()` see the first event instead of a series that
 * appears with it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DeliveryOutcome = 'delivered' | 'dead_lettered' | 'duplicate';

export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'dead_lettered', 'duplicate'];
/** The `result` label of an HTTP attempt: the status class, or why there was no status. */
export const ATTEMPT_RESULTS = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'blocked'] as const;
/** The error codes a delivery is dead-lettered with. */
export const DEAD_LETTER_CODES = [
  'WEBHOOK_HTTP_STATUS',
  'WEBHOOK_REDIRECT',
  'WEBHOOK_TIMEOUT',
  'WEBHOOK_NETWORK',
  'WEBHOOK_DESTINATION_BLOCKED',
  'WEBHOOK_QUEUE_FULL',
] as const;
/** The `result` label of a consumed alerts topic record. */
export const RECORD_RESULTS = ['routed', 'undecodable', 'redelivered'] as const;

export interface AlertingMetrics {
  /** `alerting_deliveries_total{receiver, outcome}`: final outcome per alert and receiver. */
  readonly deliveries: Counter<'receiver' | 'outcome'>;
  /** `alerting_delivery_attempts_total{receiver, result}`: every HTTP attempt (`2xx`, `4xx`, `5xx`, `timeout`, `network`, ...). */
  readonly attempts: Counter<'receiver' | 'result'>;
  /** `alerting_delivery_latency_seconds{receiver}`: alert consumed → receiver answered 2xx, retries included. */
  readonly deliveryLatency: Histogram<'receiver'>;
  /** `alerting_request_duration_seconds{receiver}`: one HTTP attempt. */
  readonly requestDuration: Histogram<'receiver'>;
  /** `alerting_queue_depth{receiver}`: alerts queued, in flight or waiting to retry. */
  readonly queueDepth: Gauge<'receiver'>;
  /** `alerting_dead_letters_total{receiver, code}`: records written to the deliveries DLQ. */
  readonly deadLetters: Counter<'receiver' | 'code'>;
  /** `alerting_records_total{result}`: alerts topic records consumed (`routed`, `undecodable`, `redelivered`). */
  readonly records: Counter<'result'>;
  /** `alerting_consumer_paused`: 1 while consumption is paused because a queue is full. */
  readonly paused: Gauge;
  /** `alerting_consumer_pauses_total`: how often consumption paused for a full queue. */
  readonly pauses: Counter;
  /** `alerting_committed_offset{partition}`: last committed offset per partition of the alerts topic. */
  readonly committedOffset: Gauge<'partition'>;
  /** Exports a receiver's series at 0 (queue depth, deliveries, attempts, dead letters); call once per receiver. */
  registerReceiver(receiver: string): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createAlertingMetrics(registry: Registry): AlertingMetrics {
  const registers = [registry];
  const metrics: Omit<AlertingMetrics, 'registerReceiver'> = {
    deliveries: new Counter({
      name: 'alerting_deliveries_total',
      help: 'Alert deliveries by receiver and final outcome',
      labelNames: ['receiver', 'outcome'],
      registers,
    }),
    attempts: new Counter({
      name: 'alerting_delivery_attempts_total',
      help: 'HTTP delivery attempts by receiver and result',
      labelNames: ['receiver', 'result'],
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'alerting_delivery_latency_seconds',
      help: 'Time from consuming an alert to its successful delivery, retries included',
      labelNames: ['receiver'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'alerting_request_duration_seconds',
      help: 'Duration of one webhook HTTP attempt',
      labelNames: ['receiver'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'alerting_queue_depth',
      help: 'Alerts queued, in flight or waiting to retry, per receiver',
      labelNames: ['receiver'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'alerting_dead_letters_total',
      help: 'Records written to the deliveries DLQ, by receiver and error code',
      labelNames: ['receiver', 'code'],
      registers,
    }),
    records: new Counter({
      name: 'alerting_records_total',
      help: 'Records consumed from the alerts topic, by result',
      labelNames: ['result'],
      registers,
    }),
    paused: new Gauge({
      name: 'alerting_consumer_paused',
      help: '1 while consumption is paused because a receiver queue is full',
      registers,
    }),
    pauses: new Counter({
      name: 'alerting_consumer_pauses_total',
      help: 'How often consumption paused because a receiver queue was full',
      registers,
    }),
    committedOffset: new Gauge({
      name: 'alerting_committed_offset',
      help: 'Last committed offset (next to read) per alerts topic partition',
      labelNames: ['partition'],
      registers,
    }),
  };
  for (const result of RECORD_RESULTS) metrics.records.inc({ result }, 0);
  metrics.paused.set(0);
  return {
    ...metrics,
    registerReceiver(receiver) {
      metrics.queueDepth.set({ receiver }, 0);
      for (const outcome of DELIVERY_OUTCOMES) metrics.deliveries.inc({ receiver, outcome }, 0);
      for (const result of ATTEMPT_RESULTS) metrics.attempts.inc({ receiver, result }, 0);
      for (const code of DEAD_LETTER_CODES) metrics.deadLetters.inc({ receiver, code }, 0);
    },
  };
}
