/**
 * The delivery pipeline, Alertmanager's notify pipeline in stages: decode → route → dedup → format →
 * (per receiver queue) sign → send with retry → dead-letter when exhausted. Kafka-agnostic: records come
 * in through `accept` with a completion callback, which fires once the alert is *done* for every receiver
 * it routes to (delivered, dead-lettered or a duplicate of one that is), so the caller can commit offsets
 * only behind finished work.
 *
 * Isolation: every receiver has its own queue, concurrency and connection pool; a fingerprint waiting for
 * a retry holds back only its own later alerts at that receiver. `overloaded` tells the consumer to pause
 * when a receiver with `onQueueFull: pause` holds `queueSize` alerts; `relieved` when all are at half.
 *
 * Dedup: a receiver remembers finished event ids for `dedup.window`; a redelivered alert still in flight
 * joins the delivery under way instead of starting another.
 */
import {
  type Alert,
  type AvroCodec,
  alertCodec,
  dlqHeaders,
  type Logger,
  type PipelineError,
} from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import { type AttemptVerdict, classifyResponse } from '../delivery/classify-response.js';
import { DedupWindow } from '../delivery/dedup-window.js';
import { DeliveryError } from '../delivery/delivery-error.js';
import { type JobStep, KeyedWorkQueue } from '../delivery/keyed-work-queue.js';
import { retryDelayMs } from '../delivery/retry-schedule.js';
import { createWebhookSender, type WebhookSender } from '../delivery/webhook-sender.js';
import { formatPayload } from '../format/format-payload.js';
import type { FormatContext } from '../format/payload-format.js';
import { compileRoutes, type RouteNode, routeAlert } from '../routing/route-tree.js';
import { signWebhook } from '../signing/sign-webhook.js';
import type { AlertingMetrics } from './alerting-metrics.js';

/** A record of the alerts topic, as consumed. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A record for the deliveries DLQ: the original bytes, keyed by device, with `dlq.*` and `delivery.*` headers. */
export interface DeadLetterRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Headers a dead-lettered delivery carries besides `dlqHeaders`. */
export const DELIVERY_HEADERS = {
  receiver: 'delivery.receiver',
  attempts: 'delivery.attempts',
  eventId: 'delivery.event-id',
  lastStatus: 'delivery.last-status',
  /** `retries-exhausted`, `not-retriable` or `queue-full`. */
  outcome: 'delivery.outcome',
} as const;

export interface DeliveryPipelineOptions {
  readonly config: AlertingConfig;
  readonly logger: Logger;
  /** Writes one record to the deliveries DLQ; resolves when the broker acknowledged it. */
  readonly deadLetter: (record: DeadLetterRecord) => Promise<void>;
  readonly metrics?: AlertingMetrics;
  /** One sender per receiver; defaults to undici (`createWebhookSender`). */
  readonly createSender?: (receiver: ReceiverConfig) => WebhookSender;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly codec?: AvroCodec<Alert>;
  /** Called whenever an alert finished at a receiver (queues shrank). */
  readonly onProgress?: () => void;
}

interface Job {
  readonly receiver: ReceiverRuntime;
  readonly alert: Alert;
  readonly source: SourceRecord;
  readonly body: string;
  readonly acceptedAtMs: number;
  attempts: number;
  /** Completion callbacks of every record waiting on this delivery (the first and any redeliveries). */
  readonly waiters: (() => void)[];
}

interface ReceiverRuntime {
  readonly config: ReceiverConfig;
  readonly context: FormatContext;
  readonly queue: KeyedWorkQueue<Job>;
  readonly sender: WebhookSender;
  readonly dedup: DedupWindow;
  readonly inflight: Map<string, Job>;
  readonly log: Logger;
}

export class DeliveryPipeline {
  private readonly options: DeliveryPipelineOptions;
  private readonly log: Logger;
  private readonly routes: RouteNode;
  private readonly receivers = new Map<string, ReceiverRuntime>();
  private readonly codec: AvroCodec<Alert>;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Dead letters written outside a receiver queue (undecodable records, full queues). */
  private readonly direct = new Set<Promise<void>>();
  private closing = false;

  constructor(options: DeliveryPipelineOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'delivery' });
    this.routes = compileRoutes(options.config.route);
    this.codec = options.codec ?? alertCodec();
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    for (const config of options.config.receivers) {
      const runtime: ReceiverRuntime = {
        config,
        context: {
          receiver: config.name,
          externalURL: options.config.links.externalURL,
          generatorURL: options.config.links.generatorURL,
        },
        queue: new KeyedWorkQueue<Job>({
          concurrency: config.concurrency,
          keyOf: (job) => job.alert.fingerprint,
          run: (job) => this.attempt(job),
          onError: (err, job) =>
            this.log.error(
              { err, receiver: config.name, eventId: job.alert.eventId },
              'delivery job failed unexpectedly',
            ),
          onFinished: () => {
            this.options.metrics?.queueDepth.set({ receiver: config.name }, runtime.queue.depth);
            this.options.onProgress?.();
          },
        }),
        sender: (options.createSender ?? createWebhookSender)(config),
        dedup: new DedupWindow({
          windowMs: options.config.dedup.windowMs,
          maxEntries: options.config.dedup.maxEntries,
        }),
        inflight: new Map(),
        log: this.log.child({ receiver: config.name }),
      };
      this.receivers.set(config.name, runtime);
      options.metrics?.queueDepth.set({ receiver: config.name }, 0);
    }
  }

  /** True when a receiver that pauses on a full queue has `queueSize` alerts or more. */
  get overloaded(): boolean {
    for (const r of this.receivers.values())
      if (r.config.onQueueFull === 'pause' && r.queue.depth >= r.config.queueSize) return true;
    return false;
  }

  /** True when every receiver that pauses on a full queue is down to half its `queueSize`. */
  get relieved(): boolean {
    for (const r of this.receivers.values())
      if (r.config.onQueueFull === 'pause' && r.queue.depth > Math.floor(r.config.queueSize / 2)) return false;
    return true;
  }

  /** Alerts not finished per receiver (queued, in flight, waiting to retry). */
  depths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, r] of this.receivers) out[name] = r.queue.depth;
    return out;
  }

  /**
   * Takes one record of the alerts topic. `onDone` is called once it is finished for every receiver it
   * routes to (or dead-lettered as undecodable). Never throws.
   */
  accept(record: SourceRecord, onDone: () => void): void {
    const decoded = this.codec.safeDecode(record.value);
    if (!decoded.ok) {
      this.options.metrics?.records.inc({ result: 'undecodable' });
      this.log.warn(
        { topic: record.topic, partition: record.partition, offset: record.offset, err: decoded.error },
        'undecodable alert record; dead-lettering it',
      );
      this.deadLetterDirect(record, decoded.error, 'alerting/decode', {}, onDone, undefined);
      return;
    }
    const alert = decoded.value;
    this.options.metrics?.records.inc({ result: 'routed' });
    const names = routeAlert(this.routes, alert);
    let remaining = names.length;
    const one = (): void => {
      remaining -= 1;
      if (remaining === 0) onDone();
    };
    if (remaining === 0) {
      onDone();
      return;
    }
    const nowMs = this.now();
    for (const name of names) {
      const receiver = this.receivers.get(name);
      if (!receiver) {
        // compileRoutes only yields configured receivers; keep the invariant loud
        this.log.error({ receiver: name }, 'route names an unknown receiver');
        one();
        continue;
      }
      const eventId = alert.eventId;
      if (receiver.dedup.has(eventId, nowMs)) {
        this.options.metrics?.deliveries.inc({ receiver: name, outcome: 'duplicate' });
        receiver.log.debug(
          { eventId, offset: record.offset, partition: record.partition },
          'already delivered; skipping duplicate',
        );
        one();
        continue;
      }
      const running = receiver.inflight.get(eventId);
      if (running) {
        running.waiters.push(one);
        continue;
      }
      if (receiver.config.onQueueFull === 'dead-letter' && receiver.queue.depth >= receiver.config.queueSize) {
        const error = new DeliveryError(
          'WEBHOOK_QUEUE_FULL',
          `receiver queue is full (${receiver.config.queueSize} alerts); not delivered`,
          { retriable: false },
        );
        this.deadLetterDirect(
          record,
          error,
          'alerting/deliver',
          deliveryHeaders(receiver.config.name, eventId, 0, 'queue-full', undefined),
          () => {
            receiver.dedup.remember(eventId, this.now());
            this.options.metrics?.deliveries.inc({ receiver: name, outcome: 'dead_lettered' });
            one();
          },
          receiver.config.name,
        );
        continue;
      }
      const job: Job = {
        receiver,
        alert,
        source: record,
        body: formatPayload(receiver.config.format, alert, receiver.context),
        acceptedAtMs: nowMs,
        attempts: 0,
        waiters: [one],
      };
      receiver.inflight.set(eventId, job);
      receiver.queue.push(job);
      this.options.metrics?.queueDepth.set({ receiver: name }, receiver.queue.depth);
    }
  }

  /** Resolves when nothing is queued, in flight, waiting to retry or being dead-lettered. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...[...this.receivers.values()].map((r) => r.queue.idle()), ...this.direct]);
      if (this.direct.size === 0 && [...this.receivers.values()].every((r) => r.queue.depth === 0)) return;
    }
  }

  /**
   * Stops: no new attempts, retry timers cancelled, requests in flight aborted, connection pools closed.
   * Unfinished alerts never call their `onDone`, so their offsets stay uncommitted.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const r of this.receivers.values()) r.queue.close();
    await Promise.all([...this.receivers.values()].map((r) => r.sender.close()));
  }

  /** One attempt of one job: sign → send → classify → finish, retry later, or dead-letter. */
  private async attempt(job: Job): Promise<JobStep> {
    const { receiver, alert } = job;
    const name = receiver.config.name;
    job.attempts += 1;
    const headers = signWebhook({
      id: alert.eventId,
      timestampSeconds: Math.floor(this.now() / 1_000),
      body: job.body,
      keys: receiver.config.signingKeys.reveal(),
    });
    const startedAt = performance.now();
    const result = await receiver.sender.send(job.body, headers);
    this.options.metrics?.requestDuration.observe({ receiver: name }, (performance.now() - startedAt) / 1_000);
    const verdict: AttemptVerdict =
      result.kind === 'response'
        ? classifyResponse(result.response, this.now())
        : { kind: 'failed', error: result.error };
    this.options.metrics?.attempts.inc({ receiver: name, result: attemptResult(verdict) });

    if (verdict.kind === 'delivered') {
      this.options.metrics?.deliveries.inc({ receiver: name, outcome: 'delivered' });
      this.options.metrics?.deliveryLatency.observe(
        { receiver: name },
        Math.max(0, this.now() - job.acceptedAtMs) / 1_000,
      );
      receiver.log.debug({ eventId: alert.eventId, attempts: job.attempts }, 'delivered');
      this.finish(job);
      return undefined;
    }
    const error = verdict.error;
    if (this.closing) return { retryInMs: 0 }; // left unfinished: redelivered after the restart
    if (error.retriable) {
      const delayMs = retryDelayMs(receiver.config.retry, job.attempts, this.random, error.retryAfterMs);
      if (delayMs !== undefined) {
        receiver.log.info(
          {
            eventId: alert.eventId,
            attempt: job.attempts,
            delayMs,
            code: error.code,
            status: error.status,
            reason: error.message,
          },
          'delivery failed; will retry',
        );
        return { retryInMs: delayMs };
      }
    }
    const outcome = error.retriable ? 'retries-exhausted' : 'not-retriable';
    receiver.log.warn(
      {
        eventId: alert.eventId,
        attempts: job.attempts,
        code: error.code,
        status: error.status,
        reason: error.message,
        outcome,
      },
      'delivery failed; dead-lettering',
    );
    const written = await this.writeDeadLetter(
      job.source,
      error,
      'alerting/deliver',
      deliveryHeaders(name, alert.eventId, job.attempts, outcome, error.status),
      alert.deviceId,
    );
    if (!written) return { retryInMs: 0 }; // shutting down before the DLQ acknowledged
    this.options.metrics?.deliveries.inc({ receiver: name, outcome: 'dead_lettered' });
    this.options.metrics?.deadLetters.inc({ receiver: name, code: error.code });
    this.finish(job);
    return undefined;
  }

  private finish(job: Job): void {
    const { receiver, alert } = job;
    receiver.inflight.delete(alert.eventId);
    receiver.dedup.remember(alert.eventId, this.now());
    for (const waiter of job.waiters) waiter();
  }

  private deadLetterDirect(
    record: SourceRecord,
    error: Pick<PipelineError, 'code' | 'message'>,
    stage: string,
    extra: Record<string, string>,
    onDone: () => void,
    receiver: string | undefined,
  ): void {
    const key = record.key;
    const promise = this.writeDeadLetter(record, error, stage, extra, key).then((written) => {
      if (!written) return;
      this.options.metrics?.deadLetters.inc({ receiver: receiver ?? '', code: error.code });
      onDone();
    });
    this.direct.add(promise);
    void promise.finally(() => this.direct.delete(promise));
  }

  /** Writes to the DLQ, retrying with backoff until acknowledged; false when closing first. */
  private async writeDeadLetter(
    record: SourceRecord,
    error: Pick<PipelineError, 'code' | 'message'>,
    stage: string,
    extra: Record<string, string>,
    key: Buffer | string | null,
  ): Promise<boolean> {
    const headers = dlqHeaders(
      { topic: record.topic, partition: record.partition, offset: record.offset },
      error,
      stage,
      this.now(),
      extra,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.deadLetter({ key, value: record.value, headers });
        return true;
      } catch (err) {
        if (this.closing) return false;
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.log.error(
          { err, attempt, delayMs, topic: record.topic, partition: record.partition, offset: record.offset },
          'writing to the deliveries DLQ failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}

function deliveryHeaders(
  receiver: string,
  eventId: string,
  attempts: number,
  outcome: string,
  status: number | undefined,
): Record<string, string> {
  return {
    [DELIVERY_HEADERS.receiver]: receiver,
    [DELIVERY_HEADERS.eventId]: eventId,
    [DELIVERY_HEADERS.attempts]: String(attempts),
    [DELIVERY_HEADERS.outcome]: outcome,
    ...(status !== undefined ? { [DELIVERY_HEADERS.lastStatus]: String(status) } : {}),
  };
}

function attemptResult(verdict: AttemptVerdict): string {
  if (verdict.kind === 'delivered') return '2xx';
  const { error } = verdict;
  if (error.status !== undefined) return `${Math.floor(error.status / 100)}xx`;
  switch (error.code) {
    case 'WEBHOOK_TIMEOUT':
      return 'timeout';
    case 'WEBHOOK_DESTINATION_BLOCKED':
      return 'blocked';
    default:
      return 'network';
  }
}
