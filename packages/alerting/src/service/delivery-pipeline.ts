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
import { formatPostableAlerts } from '../format/postable-alerts.js';
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
  /** The URL, when the receiver has several (an Alertmanager HA pair). */
  target: 'delivery.target',
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
  /** `deliver`: an alert from the topic; `resend`: a firing alert re-sent to an Alertmanager (best effort). */
  readonly kind: 'deliver' | 'resend';
  readonly receiver: ReceiverRuntime;
  readonly alert: Alert;
  readonly source: SourceRecord;
  /** The request body, fixed for webhooks; Alertmanager bodies are rendered per attempt (endsAt moves on). */
  readonly body: string | undefined;
  readonly acceptedAtMs: number;
  attempts: number;
  /** Completion callbacks of every record waiting on this delivery (the first and any redeliveries). */
  readonly waiters: (() => void)[];
}

/** One target of a receiver: its URL (an Alertmanager of an HA pair is one target), queue, pool and dedup. */
interface ReceiverRuntime {
  /** The receiver's name, with `#n` when it has several targets: the label of its metrics and queue depth. */
  readonly id: string;
  readonly config: ReceiverConfig;
  readonly context: FormatContext;
  readonly queue: KeyedWorkQueue<Job>;
  readonly sender: WebhookSender;
  readonly dedup: DedupWindow;
  readonly inflight: Map<string, Job>;
  /** `alertmanager`: the firing alerts by fingerprint, re-sent every resend interval. */
  readonly firing: Map<string, Alert>;
  readonly log: Logger;
}

export class DeliveryPipeline {
  private readonly options: DeliveryPipelineOptions;
  private readonly log: Logger;
  private readonly routes: RouteNode;
  /** Receiver name → its targets (one, or one per Alertmanager). */
  private readonly receivers = new Map<string, ReceiverRuntime[]>();
  private readonly resendTimers: NodeJS.Timeout[] = [];
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
    for (const receiver of options.config.receivers) {
      const runtimes = receiver.targets.map((url, i) => {
        const id = receiver.targets.length > 1 ? `${receiver.name}#${i + 1}` : receiver.name;
        const runtime = this.createRuntime(id, { ...receiver, url });
        options.metrics?.queueDepth.set({ receiver: id }, 0);
        if (receiver.type === 'alertmanager') {
          const timer = setInterval(() => this.resend(runtime), receiver.resendIntervalMs);
          timer.unref();
          this.resendTimers.push(timer);
        }
        return runtime;
      });
      this.receivers.set(receiver.name, runtimes);
    }
  }

  private createRuntime(id: string, config: ReceiverConfig): ReceiverRuntime {
    const options = this.options;
    const runtime: ReceiverRuntime = {
      id,
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
          this.log.error({ err, receiver: id, eventId: job.alert.eventId }, 'delivery job failed unexpectedly'),
        onFinished: () => {
          options.metrics?.queueDepth.set({ receiver: id }, runtime.queue.depth);
          options.onProgress?.();
        },
      }),
      sender: (options.createSender ?? createWebhookSender)(config),
      dedup: new DedupWindow({
        windowMs: options.config.dedup.windowMs,
        maxEntries: options.config.dedup.maxEntries,
      }),
      inflight: new Map(),
      firing: new Map(),
      log: this.log.child(config.targets.length > 1 ? { receiver: id, url: config.url } : { receiver: id }),
    };
    return runtime;
  }

  /** True when a receiver that pauses on a full queue has `queueSize` alerts or more. */
  get overloaded(): boolean {
    for (const r of this.runtimes())
      if (r.config.onQueueFull === 'pause' && r.queue.depth >= r.config.queueSize) return true;
    return false;
  }

  /** True when every receiver that pauses on a full queue is down to half its `queueSize`. */
  get relieved(): boolean {
    for (const r of this.runtimes())
      if (r.config.onQueueFull === 'pause' && r.queue.depth > Math.floor(r.config.queueSize / 2)) return false;
    return true;
  }

  /** Alerts not finished per receiver (queued, in flight, waiting to retry). */
  depths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.runtimes()) out[r.id] = r.queue.depth;
    return out;
  }

  private *runtimes(): Iterable<ReceiverRuntime> {
    for (const list of this.receivers.values()) yield* list;
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
    const targets = routeAlert(this.routes, alert).flatMap((name) => {
      const runtimes = this.receivers.get(name);
      // compileRoutes only yields configured receivers; keep the invariant loud
      if (!runtimes) this.log.error({ receiver: name }, 'route names an unknown receiver');
      return runtimes ?? [];
    });
    let remaining = targets.length;
    const one = (): void => {
      remaining -= 1;
      if (remaining === 0) onDone();
    };
    if (remaining === 0) {
      onDone();
      return;
    }
    const nowMs = this.now();
    for (const receiver of targets) {
      const name = receiver.id;
      if (receiver.config.type === 'alertmanager') trackFiring(receiver.firing, alert);
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
          deliveryHeaders(receiver, eventId, 0, 'queue-full', undefined),
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
        kind: 'deliver',
        receiver,
        alert,
        source: record,
        body:
          receiver.config.type === 'webhook'
            ? formatPayload(receiver.config.format, alert, receiver.context)
            : undefined,
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
      const runtimes = [...this.runtimes()];
      await Promise.all([...runtimes.map((r) => r.queue.idle()), ...this.direct]);
      if (this.direct.size === 0 && runtimes.every((r) => r.queue.depth === 0)) return;
    }
  }

  /**
   * Stops: no new attempts, retry timers cancelled, requests in flight aborted, connection pools closed.
   * Unfinished alerts never call their `onDone`, so their offsets stay uncommitted.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.resendTimers) clearInterval(timer);
    const runtimes = [...this.runtimes()];
    for (const r of runtimes) r.queue.close();
    await Promise.all(runtimes.map((r) => r.sender.close()));
  }

  /**
   * Re-sends every firing alert to one Alertmanager, each behind whatever its fingerprint has queued (so a
   * RESOLVED is never overtaken by an older FIRING), skipping fingerprints with work already queued (that
   * work carries a fresh endsAt itself). Best effort: a failed resend is logged and left to the next one.
   */
  private resend(receiver: ReceiverRuntime): void {
    if (this.closing) return;
    let queued = 0;
    for (const alert of receiver.firing.values()) {
      if (receiver.queue.hasKey(alert.fingerprint)) continue;
      receiver.queue.push({
        kind: 'resend',
        receiver,
        alert,
        source: RESEND_SOURCE,
        body: undefined,
        acceptedAtMs: this.now(),
        attempts: 0,
        waiters: [],
      });
      queued += 1;
    }
    if (queued > 0) {
      this.options.metrics?.queueDepth.set({ receiver: receiver.id }, receiver.queue.depth);
      receiver.log.debug({ alerts: queued }, 're-sending firing alerts');
    }
  }

  /** One attempt of one job: sign → send → classify → finish, retry later, or dead-letter. */
  private async attempt(job: Job): Promise<JobStep> {
    const { receiver, alert } = job;
    const name = receiver.id;
    job.attempts += 1;
    const nowMs = this.now();
    const body = job.body ?? formatPostableAlerts([alert], receiver.context, nowMs, receiver.config.resendIntervalMs);
    const headers = signWebhook({
      id: alert.eventId,
      timestampSeconds: Math.floor(nowMs / 1_000),
      body,
      keys: receiver.config.signingKeys.reveal(),
    });
    const startedAt = performance.now();
    const result = await receiver.sender.send(body, headers);
    this.options.metrics?.requestDuration.observe({ receiver: name }, (performance.now() - startedAt) / 1_000);
    const verdict: AttemptVerdict =
      result.kind === 'response'
        ? classifyResponse(result.response, this.now())
        : { kind: 'failed', error: result.error };
    this.options.metrics?.attempts.inc({ receiver: name, result: attemptResult(verdict) });

    if (job.kind === 'resend') {
      if (verdict.kind !== 'delivered')
        receiver.log.info(
          { eventId: alert.eventId, code: verdict.error.code, status: verdict.error.status },
          're-sending a firing alert failed; the next resend tries again',
        );
      return undefined;
    }
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
      deliveryHeaders(receiver, alert.eventId, job.attempts, outcome, error.status),
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

/** A resend is not a record of the alerts topic: it has no source and is never dead-lettered. */
const RESEND_SOURCE: SourceRecord = { topic: '', partition: -1, offset: '-1', key: null, value: null };

/** Keeps an Alertmanager target's firing set: the newest FIRING per fingerprint, gone once RESOLVED. */
function trackFiring(firing: Map<string, Alert>, alert: Alert): void {
  if (alert.status === 'RESOLVED') firing.delete(alert.fingerprint);
  else firing.set(alert.fingerprint, alert);
}

function deliveryHeaders(
  receiver: ReceiverRuntime,
  eventId: string,
  attempts: number,
  outcome: string,
  status: number | undefined,
): Record<string, string> {
  return {
    [DELIVERY_HEADERS.receiver]: receiver.config.name,
    ...(receiver.config.targets.length > 1 ? { [DELIVERY_HEADERS.target]: receiver.config.url } : {}),
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
