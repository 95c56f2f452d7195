/**
 * The delivery pipeline, Alertmanager's notify pipeline as stages (src/stages, one file each): decode →
 * inhibit → silence → route, then per receiver target dedup → group/wait (grouped webhooks) → (the target's queue)
 * format → sign → send → retry → finish, park in the retry topic, or dead-letter; Alertmanager targets add
 * the resend stage. Kafka-agnostic: records come in through `accept`
 * with a completion callback, which fires once the alert is *done* for every target it routes to
 * (delivered, dead-lettered or a duplicate of one that is), so the caller can commit offsets only behind
 * finished work.
 *
 * Isolation: every target has its own queue, concurrency and connection pool; a fingerprint waiting for
 * a retry holds back only its own later alerts at that target. `overloaded` tells the consumer to pause
 * when a receiver with `onQueueFull: pause` holds `queueSize` alerts; `relieved` when all are at half.
 */
import { type Alert, type AvroCodec, alertCodec, type Logger, type PipelineError } from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import { DedupWindow } from '../delivery/dedup-window.js';
import { DeliveryError } from '../delivery/delivery-error.js';
import { type JobStep, KeyedWorkQueue } from '../delivery/keyed-work-queue.js';
import { nextParkedAttemptAtMs } from '../delivery/parked-retry-schedule.js';
import { createWebhookSender, type WebhookSender } from '../delivery/webhook-sender.js';
import { GroupState } from '../grouping/group-state.js';
import { compileRoutes } from '../routing/route-tree.js';
import type { SilenceSet } from '../silences/silence-set.js';
import { type DeadLetterRecord, DeadLetterStage, deliveryHeaders } from '../stages/dead-letter-stage.js';
import { dedupStage } from '../stages/dedup-stage.js';
import type { Delivery, ReceiverTarget, SourceRecord } from '../stages/delivery.js';
import { formatStage } from '../stages/format-stage.js';
import { Inhibitor } from '../stages/inhibit-stage.js';
import { type ParkedState, parkStage } from '../stages/park-stage.js';
import { releaseFiring, resendStage, trackFiring } from '../stages/resend-stage.js';
import { retryStage } from '../stages/retry-stage.js';
import { routeStage } from '../stages/route-stage.js';
import { sendStage } from '../stages/send-stage.js';
import { signStage } from '../stages/sign-stage.js';
import type { AlertingMetrics } from './alerting-metrics.js';

export { DELIVERY_HEADERS, type DeadLetterRecord } from '../stages/dead-letter-stage.js';
export type { SourceRecord } from '../stages/delivery.js';

export interface DeliveryPipelineOptions {
  readonly config: AlertingConfig;
  readonly logger: Logger;
  /** Writes one record to the deliveries DLQ; resolves when the broker acknowledged it. */
  readonly deadLetter: (record: DeadLetterRecord) => Promise<void>;
  readonly metrics?: AlertingMetrics;
  /** One sender per receiver target; defaults to undici (`createWebhookSender`). */
  readonly createSender?: (receiver: ReceiverConfig) => WebhookSender;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly codec?: AvroCodec<Alert>;
  /** Called whenever an alert finished at a receiver (queues shrank). */
  readonly onProgress?: () => void;
  /**
   * Writes one record to the retry topic; resolves when acknowledged. With it, deliveries whose quick
   * attempts are used up are parked for the retry worker (`deliverParked`) instead of dead-lettered.
   */
  readonly park?: (record: DeadLetterRecord) => Promise<void>;
  /** Silences in force mute the alerts they match (read from the silences topic by the service). */
  readonly silences?: SilenceSet;
}

/** What became of one parked attempt: finished (delivered or dead-lettered), or due again at `atMs`. */
export type ParkedOutcome = { readonly kind: 'done' } | { readonly kind: 'later'; readonly atMs: number };

/** A record of the retry topic as the worker hands it over. */
export interface ParkedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** The source of a group notification whose records are gone (never dead-lettered from). */
const NO_SOURCE: SourceRecord = { topic: '', partition: -1, offset: '-1', key: null, value: null };

export class DeliveryPipeline {
  private readonly options: DeliveryPipelineOptions;
  private readonly log: Logger;
  private readonly route: (alert: Alert) => ReceiverTarget[];
  /** Receiver name → its targets (one, or one per Alertmanager). */
  private readonly receivers = new Map<string, ReceiverTarget[]>();
  private readonly targetsById = new Map<string, ReceiverTarget>();
  private readonly resendTimers: NodeJS.Timeout[] = [];
  private readonly codec: AvroCodec<Alert>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly deadLetters: DeadLetterStage;
  private readonly inhibitor: Inhibitor;
  /** Dead letters written outside a target queue (undecodable records, full queues). */
  private readonly direct = new Set<Promise<void>>();
  private closing = false;

  constructor(options: DeliveryPipelineOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'delivery' });
    this.codec = options.codec ?? alertCodec();
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.deadLetters = new DeadLetterStage({
      write: options.deadLetter,
      log: this.log,
      now: this.now,
      closing: () => this.closing,
    });
    for (const receiver of options.config.receivers) {
      const targets = receiver.targets.map((url, i) => {
        const id = receiver.targets.length > 1 ? `${receiver.name}#${i + 1}` : receiver.name;
        const target = this.createTarget(id, { ...receiver, url });
        this.targetsById.set(id, target);
        options.metrics?.registerReceiver(id);
        if (receiver.type === 'alertmanager') {
          const timer = setInterval(() => this.resend(target), receiver.resendIntervalMs);
          timer.unref();
          this.resendTimers.push(timer);
        }
        return target;
      });
      this.receivers.set(receiver.name, targets);
    }
    this.inhibitor = new Inhibitor(options.config.inhibitRules ?? []);
    this.route = routeStage(compileRoutes(options.config.route), this.receivers, this.log);
  }

  /** True when a receiver that pauses on a full queue has `queueSize` alerts or more. */
  get overloaded(): boolean {
    for (const t of this.targets())
      if (t.config.onQueueFull === 'pause' && t.queue.depth >= t.config.queueSize) return true;
    return false;
  }

  /** True when every receiver that pauses on a full queue is down to half its `queueSize`. */
  get relieved(): boolean {
    for (const t of this.targets())
      if (t.config.onQueueFull === 'pause' && t.queue.depth > Math.floor(t.config.queueSize / 2)) return false;
    return true;
  }

  /** Alerts not finished per target (queued, in flight, waiting to retry). */
  depths(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.targets()) out[t.id] = t.queue.depth;
    return out;
  }

  /**
   * Takes one record of the alerts topic. `onDone` is called once it is finished for every target it
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
    this.inhibitor.observe(alert);
    const inhibited = this.inhibitor.inhibitedBy(alert);
    if (inhibited) {
      this.options.metrics?.records.inc({ result: 'inhibited' });
      this.log.info(
        { eventId: alert.eventId, fingerprint: alert.fingerprint, rule: inhibited.rule, by: inhibited.source },
        'alert inhibited; not delivered',
      );
      onDone();
      return;
    }
    const silence = this.options.silences?.silencedBy(alert, this.now());
    if (silence) {
      this.options.metrics?.records.inc({ result: 'silenced' });
      this.log.info(
        { eventId: alert.eventId, fingerprint: alert.fingerprint, silence },
        'alert silenced; not delivered',
      );
      onDone();
      return;
    }
    this.options.metrics?.records.inc({ result: 'routed' });
    const targets = this.route(alert);
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
    for (const target of targets) {
      trackFiring(target, alert, record.partition);
      const dedup = dedupStage(target, alert.eventId, nowMs);
      if (dedup.kind === 'duplicate') {
        this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'duplicate' });
        target.log.debug(
          { eventId: alert.eventId, offset: record.offset, partition: record.partition },
          'already delivered; skipping duplicate',
        );
        one();
      } else if (dedup.kind === 'joined') {
        dedup.delivery.waiters.push(one);
      } else if (target.grouping) {
        const waiting = target.grouping.waiters.get(alert.eventId);
        if (waiting) {
          waiting.push(one); // redelivered while its group notification is pending: finishes with it
          continue;
        }
        target.grouping.state.add(alert, nowMs);
        target.grouping.waiters.set(alert.eventId, [one]);
        target.grouping.sources.set(alert.eventId, record);
        this.scheduleGroups(target);
      } else if (target.config.onQueueFull === 'dead-letter' && target.queue.depth >= target.config.queueSize) {
        const error = new DeliveryError(
          'WEBHOOK_QUEUE_FULL',
          `receiver queue is full (${target.config.queueSize} alerts); not delivered`,
          { retriable: false },
        );
        this.deadLetterDirect(
          record,
          error,
          'alerting/deliver',
          deliveryHeaders(target, alert.eventId, 0, 'queue-full', undefined),
          () => {
            target.dedup.remember(alert.eventId, this.now());
            this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'dead_lettered' });
            one();
          },
          target.id,
        );
      } else {
        const delivery: Delivery = {
          kind: 'deliver',
          target,
          alert,
          source: record,
          acceptedAtMs: nowMs,
          attempts: 0,
          waiters: [one],
        };
        target.inflight.set(alert.eventId, delivery);
        target.queue.push(delivery);
        this.options.metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
      }
    }
  }

  /** The consumer gave these alerts-topic partitions away: their firing alerts are the new owner's to re-send. */
  releasePartitions(partitions: readonly number[]): void {
    for (const target of this.targets()) releaseFiring(target, partitions);
  }

  /** Resolves when nothing is queued, in flight, waiting to retry or being dead-lettered. */
  async idle(): Promise<void> {
    for (;;) {
      const targets = [...this.targets()];
      await Promise.all([...targets.map((t) => t.queue.idle()), ...this.direct]);
      if (this.direct.size === 0 && targets.every((t) => t.queue.depth === 0)) return;
    }
  }

  /**
   * Stops: no new attempts, retry and resend timers cancelled, requests in flight aborted, connection pools
   * closed. Unfinished alerts never call their `onDone`, so their offsets stay uncommitted.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.resendTimers) clearInterval(timer);
    const targets = [...this.targets()];
    for (const t of targets) if (t.grouping) clearTimeout(t.grouping.timer);
    for (const t of targets) t.queue.close();
    await Promise.all(targets.map((t) => t.sender.close()));
  }

  private *targets(): Iterable<ReceiverTarget> {
    for (const list of this.receivers.values()) yield* list;
  }

  private createTarget(id: string, config: ReceiverConfig): ReceiverTarget {
    const options = this.options;
    const target: ReceiverTarget = {
      id,
      config,
      context: {
        receiver: config.name,
        externalURL: options.config.links.externalURL,
        generatorURL: options.config.links.generatorURL,
      },
      queue: new KeyedWorkQueue<Delivery>({
        concurrency: config.concurrency,
        keyOf: (delivery) => delivery.notification?.key ?? delivery.alert.fingerprint,
        run: (delivery) => this.attempt(delivery),
        onError: (err, delivery) =>
          this.log.error({ err, receiver: id, eventId: delivery.alert.eventId }, 'delivery job failed unexpectedly'),
        onFinished: () => {
          options.metrics?.queueDepth.set({ receiver: id }, target.queue.depth);
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
      parked: new Map(),
      ...(config.group && config.type === 'webhook'
        ? {
            grouping: {
              state: new GroupState(config.group),
              waiters: new Map<string, (() => void)[]>(),
              sources: new Map<string, SourceRecord>(),
              timer: undefined,
            },
          }
        : {}),
      log: this.log.child(config.targets.length > 1 ? { receiver: id, url: config.url } : { receiver: id }),
    };
    return target;
  }

  /** Arms the target's group timer for its next due group. */
  private scheduleGroups(target: ReceiverTarget): void {
    const grouping = target.grouping;
    if (!grouping || this.closing) return;
    clearTimeout(grouping.timer);
    const next = grouping.state.nextDueMs();
    if (next === undefined) return;
    grouping.timer = setTimeout(() => this.flushGroups(target), Math.max(0, next - this.now()));
  }

  /** Queues a notification for every due group; its records finish once it is delivered or dead-lettered. */
  private flushGroups(target: ReceiverTarget): void {
    const grouping = target.grouping;
    if (!grouping || this.closing) return;
    for (const notification of grouping.state.due(this.now())) {
      const first = notification.alerts[0];
      if (!first) continue;
      const waiters = notification.newEventIds.map((id) => () => {
        for (const waiter of grouping.waiters.get(id) ?? []) waiter();
        grouping.waiters.delete(id);
        grouping.sources.delete(id);
      });
      target.queue.push({
        kind: 'deliver',
        target,
        alert: first,
        source: grouping.sources.get(notification.newEventIds[0] ?? '') ?? NO_SOURCE,
        acceptedAtMs: this.now(),
        attempts: 0,
        waiters,
        notification,
      });
      this.options.metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
      target.log.debug({ groupKey: notification.key, alerts: notification.alerts.length }, 'group notification queued');
    }
    this.scheduleGroups(target);
  }

  private resend(target: ReceiverTarget): void {
    if (this.closing) return;
    const queued = resendStage(target, this.now());
    if (queued > 0) {
      this.options.metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
      target.log.debug({ alerts: queued }, 're-sending firing alerts');
    }
  }

  /** One attempt of one delivery: format → sign → send → retry decision → finish, retry later, or dead-letter. */
  private async attempt(delivery: Delivery): Promise<JobStep> {
    const { target, alert } = delivery;
    if (
      delivery.kind === 'deliver' &&
      !delivery.notification &&
      this.options.park &&
      (target.parked.get(alert.fingerprint) ?? 0) > 0
    )
      return this.parkDelivery(delivery, this.now(), 'parked behind an earlier alert of its series', undefined);
    delivery.attempts += 1;
    const nowMs = this.now();
    const body = formatStage(delivery, nowMs);
    const headers = signStage(delivery, body, nowMs);
    const verdict = await sendStage(delivery, body, headers, this.now, this.options.metrics);

    if (delivery.kind === 'resend') {
      if (verdict.kind !== 'delivered')
        target.log.info(
          { eventId: alert.eventId, code: verdict.error.code, status: verdict.error.status },
          're-sending a firing alert failed; the next resend tries again',
        );
      return undefined;
    }
    const decision = retryStage(verdict, delivery.attempts, target.config.retry, this.random);
    if (decision.kind === 'delivered') {
      this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'delivered' });
      this.options.metrics?.deliveryLatency.observe(
        { receiver: target.id },
        Math.max(0, this.now() - delivery.acceptedAtMs) / 1_000,
      );
      target.log.debug({ eventId: alert.eventId, attempts: delivery.attempts }, 'delivered');
      this.finish(delivery);
      return undefined;
    }
    const { error } = decision;
    if (this.closing) return { retryInMs: 0 }; // left unfinished: redelivered after the restart
    if (decision.kind === 'retry') {
      target.log.info(
        {
          eventId: alert.eventId,
          attempt: delivery.attempts,
          delayMs: decision.delayMs,
          code: error.code,
          status: error.status,
          reason: error.message,
        },
        'delivery failed; will retry',
      );
      return { retryInMs: decision.delayMs };
    }
    if (decision.outcome === 'retries-exhausted' && this.options.park && !delivery.notification) {
      const atMs = nextParkedAttemptAtMs(
        target.config.parkedRetry,
        0,
        delivery.acceptedAtMs,
        this.now(),
        error.retryAfterMs,
      );
      if (atMs !== undefined) {
        target.log.info(
          {
            eventId: alert.eventId,
            attempts: delivery.attempts,
            nextAttemptAt: new Date(atMs).toISOString(),
            code: error.code,
          },
          'quick attempts used up; parking the delivery in the retry topic',
        );
        return this.parkDelivery(delivery, atMs, error.message, error.status);
      }
    }
    target.log.warn(
      {
        eventId: alert.eventId,
        attempts: delivery.attempts,
        code: error.code,
        status: error.status,
        reason: error.message,
        outcome: decision.outcome,
      },
      'delivery failed; dead-lettering',
    );
    // a group notification dead-letters each alert it was the first to carry, from its own record
    const letters: [string, SourceRecord, Buffer | string | null][] = delivery.notification
      ? delivery.notification.newEventIds.flatMap((id) => {
          const source = target.grouping?.sources.get(id);
          return source ? [[id, source, source.key] as [string, SourceRecord, Buffer | null]] : [];
        })
      : [[alert.eventId, delivery.source, alert.deviceId]];
    for (const [eventId, source, key] of letters) {
      const written = await this.deadLetters.write(
        source,
        error,
        'alerting/deliver',
        deliveryHeaders(target, eventId, delivery.attempts, decision.outcome, error.status),
        key,
      );
      if (!written) return { retryInMs: 0 }; // shutting down before the DLQ acknowledged
    }
    this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'dead_lettered' });
    this.options.metrics?.deadLetters.inc({ receiver: target.id, code: error.code });
    this.finish(delivery);
    return undefined;
  }

  /** Writes the delivery to the retry topic; once acknowledged it is finished here (the worker owns it). */
  private async parkDelivery(
    delivery: Delivery,
    atMs: number,
    reason: string,
    status: number | undefined,
  ): Promise<JobStep> {
    const park = this.options.park!;
    const record = parkStage(delivery, atMs, reason, status);
    for (let attempt = 1; ; attempt++) {
      try {
        await park(record);
        break;
      } catch (err) {
        if (this.closing) return { retryInMs: 0 }; // unfinished: redelivered after the restart
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.log.error({ err, attempt, delayMs }, 'writing to the retry topic failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    const { target, alert } = delivery;
    target.parked.set(alert.fingerprint, (target.parked.get(alert.fingerprint) ?? 0) + 1);
    this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'parked' });
    this.finish(delivery);
    return undefined;
  }

  /**
   * One attempt of a parked delivery, for the retry worker: delivered, or dead-lettered (a final answer, or
   * the horizon passed), or due again later on the parked schedule. `state` is updated in place.
   */
  async deliverParked(record: ParkedRecord, state: ParkedState): Promise<ParkedOutcome> {
    const source: SourceRecord = { ...state.source, key: record.key, value: record.value };
    const target = this.targetsById.get(state.target);
    const decoded = this.codec.safeDecode(record.value);
    if (!target || !decoded.ok) {
      const error = new DeliveryError(
        'WEBHOOK_NETWORK',
        !target ? `receiver ${state.target} is no longer configured` : 'parked record is not an alert',
        { retriable: false },
      );
      this.log.warn(
        { target: state.target, eventId: state.eventId, reason: error.message },
        'dead-lettering a parked delivery',
      );
      const written = await this.deadLetters.write(source, error, 'alerting/retry', {}, record.key);
      return written ? { kind: 'done' } : { kind: 'later', atMs: this.now() };
    }
    const alert = decoded.value;
    const delivery: Delivery = {
      kind: 'deliver',
      target,
      alert,
      source,
      acceptedAtMs: state.firstAttemptAtMs,
      attempts: state.attempts,
      waiters: [],
    };
    delivery.attempts += 1;
    state.attempts += 1;
    const nowMs = this.now();
    const body = formatStage(delivery, nowMs);
    const verdict = await sendStage(delivery, body, signStage(delivery, body, nowMs), this.now, this.options.metrics);
    const unpark = (): void => {
      if (state.redrive) return;
      const left = (target.parked.get(alert.fingerprint) ?? 1) - 1;
      if (left > 0) target.parked.set(alert.fingerprint, left);
      else target.parked.delete(alert.fingerprint);
    };
    if (verdict.kind === 'delivered') {
      this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'delivered' });
      this.options.metrics?.deliveryLatency.observe(
        { receiver: target.id },
        Math.max(0, nowMs - state.firstAttemptAtMs) / 1_000,
      );
      target.log.info({ eventId: alert.eventId, attempts: state.attempts }, 'parked delivery delivered');
      unpark();
      return { kind: 'done' };
    }
    const { error } = verdict;
    state.lastError = error.message;
    state.lastStatus = error.status;
    if (error.retriable) {
      const atMs = nextParkedAttemptAtMs(
        target.config.parkedRetry,
        state.parkedAttempts + 1,
        state.firstAttemptAtMs,
        this.now(),
        error.retryAfterMs,
      );
      if (atMs !== undefined) {
        state.parkedAttempts += 1;
        state.nextAttemptAtMs = atMs;
        target.log.info(
          {
            eventId: alert.eventId,
            attempts: state.attempts,
            nextAttemptAt: new Date(atMs).toISOString(),
            code: error.code,
          },
          'parked delivery failed; will retry',
        );
        return { kind: 'later', atMs };
      }
    }
    const outcome = error.retriable ? 'retries-exhausted' : 'not-retriable';
    target.log.warn(
      { eventId: alert.eventId, attempts: state.attempts, code: error.code, status: error.status, outcome },
      'parked delivery failed; dead-lettering',
    );
    const written = await this.deadLetters.write(
      source,
      error,
      'alerting/retry',
      deliveryHeaders(target, alert.eventId, state.attempts, outcome, error.status),
      alert.deviceId,
    );
    if (!written) return { kind: 'later', atMs: this.now() };
    this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'dead_lettered' });
    this.options.metrics?.deadLetters.inc({ receiver: target.id, code: error.code });
    unpark();
    return { kind: 'done' };
  }

  private finish(delivery: Delivery): void {
    const { target, alert } = delivery;
    if (delivery.notification) {
      for (const id of delivery.notification.newEventIds) target.dedup.remember(id, this.now());
    } else {
      target.inflight.delete(alert.eventId);
      target.dedup.remember(alert.eventId, this.now());
    }
    for (const waiter of delivery.waiters) waiter();
  }

  private deadLetterDirect(
    record: SourceRecord,
    error: Pick<PipelineError, 'code' | 'message'>,
    stage: string,
    extra: Record<string, string>,
    onDone: () => void,
    receiver: string | undefined,
  ): void {
    const promise = this.deadLetters.write(record, error, stage, extra, record.key).then((written) => {
      if (!written) return;
      this.options.metrics?.deadLetters.inc({ receiver: receiver ?? '', code: error.code });
      onDone();
    });
    this.direct.add(promise);
    void promise.finally(() => this.direct.delete(promise));
  }
}
