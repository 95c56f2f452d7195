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
 *
 * Restarts: with `state`, what a restart must not forget is written to the state topic (state-record.ts)
 * before the records that changed it finish — inhibiting sources, each Alertmanager's firing set, what each
 * group notified and when, where each parked series sits in the retry topic — and `restore` puts it back
 * when a partition is assigned. `reload` swaps receivers, routes and inhibition rules while running.
 *
 * This class composes the parts and keeps the record path (accept → inhibit → silence → route → dedup →
 * group or queue): the receivers and their targets (receivers/receiver-set.ts, receiver-target.ts), group
 * scheduling (grouping/group-scheduler.ts), the attempt stage (stages/attempt-stage.ts), the parked-delivery
 * path (parked-deliveries.ts) and the state topic (state/state-writer.ts, restore-state.ts).
 */
import { type Alert, type AvroCodec, alertCodec, type Logger, type PipelineError } from '@sensor-pipeline/shared';
import type { AlertingConfig, ReceiverConfig } from '../config/alerting-config.js';
import { DeliveryError } from '../delivery/delivery-error.js';
import { createWebhookSender, type WebhookSender } from '../delivery/webhook-sender.js';
import { GroupScheduler } from '../grouping/group-scheduler.js';
import { type PipelineReloadReport, ReceiverSet } from '../receivers/receiver-set.js';
import { compileRoutes } from '../routing/route-tree.js';
import type { SilenceSet } from '../silences/silence-set.js';
import { AttemptStage } from '../stages/attempt-stage.js';
import { type DeadLetterRecord, DeadLetterStage, deliveryHeaders } from '../stages/dead-letter-stage.js';
import { dedupStage } from '../stages/dedup-stage.js';
import type { Delivery, ReceiverTarget, SourceRecord } from '../stages/delivery.js';
import { Inhibitor } from '../stages/inhibit-stage.js';
import type { ParkedState } from '../stages/park-stage.js';
import { releaseFiring, resendStage, trackFiring } from '../stages/resend-stage.js';
import { routeStage } from '../stages/route-stage.js';
import { afterWrites } from '../state/after-writes.js';
import { restoreState } from '../state/restore-state.js';
import type { RetryPosition, StateRecord } from '../state/state-record.js';
import { StateWriter } from '../state/state-writer.js';
import type { AlertingMetrics } from './alerting-metrics.js';
import { ParkedDeliveries, type ParkedOutcome, type ParkedRecord } from './parked-deliveries.js';

export type { PipelineReloadReport } from '../receivers/receiver-set.js';
export { DELIVERY_HEADERS, type DeadLetterRecord } from '../stages/dead-letter-stage.js';
export type { SourceRecord } from '../stages/delivery.js';
export type { ParkedOutcome, ParkedRecord } from './parked-deliveries.js';

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
   * Writes one record to the retry topic; resolves when acknowledged, with where it landed. With it,
   * deliveries whose quick attempts are used up are parked for the retry worker (`deliverParked`) instead
   * of dead-lettered.
   */
  readonly park?: (record: DeadLetterRecord) => Promise<RetryPosition | undefined>;
  /**
   * Writes one record of the state topic to `partition` (the alerts partition it belongs to); resolves true
   * once acknowledged, false when given up at shutdown. `snapshot` gives the key's current value (null: a
   * tombstone) and is asked again on a retry.
   */
  readonly state?: (partition: number, key: string, snapshot: () => Buffer | null) => Promise<boolean>;
  /** True once the retry worker (of whichever instance) is past the retry-topic record at `position`. */
  readonly retryDone?: (position: RetryPosition) => boolean;
  /** Silences in force mute the alerts they match (read from the silences topic by the service). */
  readonly silences?: SilenceSet;
}

export class DeliveryPipeline {
  private readonly options: DeliveryPipelineOptions;
  private readonly log: Logger;
  private route: (alert: Alert) => ReceiverTarget[];
  private readonly receivers: ReceiverSet;
  private readonly codec: AvroCodec<Alert>;
  private readonly now: () => number;
  private readonly deadLetters: DeadLetterStage;
  private inhibitor: Inhibitor;
  private readonly stateWriter: StateWriter;
  private readonly groups: GroupScheduler;
  private readonly parked: ParkedDeliveries;
  private readonly attempts: AttemptStage;
  /** Dead letters written outside a target queue (undecodable records, full queues) and state writes. */
  private readonly direct = new Set<Promise<unknown>>();
  private closing = false;

  constructor(options: DeliveryPipelineOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'delivery' });
    this.codec = options.codec ?? alertCodec();
    this.now = options.now ?? Date.now;
    this.deadLetters = new DeadLetterStage({
      write: options.deadLetter,
      log: this.log,
      now: this.now,
      closing: () => this.closing,
    });
    this.stateWriter = new StateWriter({
      write: options.state,
      codec: this.codec,
      inhibitSource: (fingerprint) => this.inhibitor.source(fingerprint),
      track: (promise) => this.trackPending(promise),
    });
    this.groups = new GroupScheduler({
      now: this.now,
      closing: () => this.closing,
      metrics: options.metrics,
      successorOf: (target) => this.receivers.successorOf(target),
      persist: (target, fingerprint, partition) => this.stateWriter.target(target, fingerprint, partition),
    });
    this.receivers = new ReceiverSet({
      config: options.config,
      log: this.log,
      metrics: options.metrics,
      createSender: options.createSender ?? createWebhookSender,
      now: this.now,
      attempt: (delivery) => this.attempts.run(delivery),
      onFinished: (target) => {
        options.metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
        options.onProgress?.();
      },
      resend: (target) => this.resend(target),
    });
    this.parked = new ParkedDeliveries({
      park: options.park,
      retryDone: options.retryDone,
      persist: (target, fingerprint, partition) => this.stateWriter.target(target, fingerprint, partition),
      targetById: (id) => this.receivers.byId(id),
      finish: (delivery) => this.attempts.finish(delivery),
      deadLetters: this.deadLetters,
      codec: this.codec,
      log: this.log,
      metrics: options.metrics,
      now: this.now,
      closing: () => this.closing,
    });
    this.attempts = new AttemptStage({
      parking: this.parked,
      deadLetters: this.deadLetters,
      recordNotification: (target, notification) => this.groups.recordNotification(target, notification),
      metrics: options.metrics,
      now: this.now,
      random: options.random ?? Math.random,
      closing: () => this.closing,
    });
    this.inhibitor = new Inhibitor(options.config.inhibitRules ?? []);
    this.route = routeStage(compileRoutes(options.config.route), this.receivers.byName, this.log);
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
    const writes: Promise<boolean>[] = [];
    if (this.inhibitor.observe(alert, record.partition))
      writes.push(this.stateWriter.inhibit(alert.fingerprint, record.partition));
    const inhibited = this.inhibitor.inhibitedBy(alert);
    if (inhibited) {
      this.options.metrics?.records.inc({ result: 'inhibited' });
      this.log.info(
        { eventId: alert.eventId, fingerprint: alert.fingerprint, rule: inhibited.rule, by: inhibited.source },
        'alert inhibited; not delivered',
      );
      afterWrites(writes, onDone)();
      return;
    }
    const silence = this.options.silences?.silencedBy(alert, this.now());
    if (silence) {
      this.options.metrics?.records.inc({ result: 'silenced' });
      this.log.info(
        { eventId: alert.eventId, fingerprint: alert.fingerprint, silence },
        'alert silenced; not delivered',
      );
      afterWrites(writes, onDone)();
      return;
    }
    this.options.metrics?.records.inc({ result: 'routed' });
    const targets = this.route(alert);
    for (const target of targets)
      if (trackFiring(target, alert, record.partition))
        writes.push(this.stateWriter.target(target, alert.fingerprint, record.partition));
    const done = afterWrites(writes, onDone);
    let remaining = targets.length;
    const one = (): void => {
      remaining -= 1;
      if (remaining === 0) done();
    };
    if (remaining === 0) {
      done();
      return;
    }
    const nowMs = this.now();
    for (const target of targets) {
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
        if (target.grouping.state.isNotified(alert)) {
          // replayed after a restart, and a notification carried it before (the state topic said so)
          this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'duplicate' });
          one();
          continue;
        }
        target.grouping.state.add(alert, nowMs);
        target.grouping.waiters.set(alert.eventId, [one]);
        target.grouping.sources.set(alert.eventId, record);
        target.grouping.partitions.set(alert.fingerprint, record.partition);
        this.groups.schedule(target);
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

  /**
   * The consumer gave these alerts-topic partitions away: what their series left here (firing alerts to
   * re-send, inhibiting sources, group members, parked series) is the new owner's, which restores it from
   * the state topic.
   */
  releasePartitions(partitions: readonly number[]): void {
    this.inhibitor.release(partitions);
    for (const target of this.targets()) {
      releaseFiring(target, partitions);
      for (const [fingerprint, entry] of target.parked)
        if (partitions.includes(entry.partition)) target.parked.delete(fingerprint);
      const grouping = target.grouping;
      if (!grouping) continue;
      for (const [fingerprint, partition] of grouping.partitions) {
        if (!partitions.includes(partition)) continue;
        for (const eventId of grouping.state.drop(fingerprint)) {
          grouping.waiters.delete(eventId); // its record is consumed again by the new owner
          grouping.sources.delete(eventId);
        }
        grouping.notified.delete(fingerprint);
        grouping.partitions.delete(fingerprint);
      }
    }
  }

  /**
   * Puts back what the state topic kept for one alerts-topic partition (read before it is consumed):
   * inhibiting sources, Alertmanager firing sets (re-sent at once), what groups notified and when, and
   * parked series. Records of receivers no longer configured are ignored.
   */
  restore(partition: number, records: readonly StateRecord[]): { readonly restored: number; readonly ignored: number } {
    const { restored, ignored, touched } = restoreState(
      partition,
      records,
      this.inhibitor,
      (id) => this.receivers.byId(id),
      this.now(),
    );
    for (const target of touched) {
      if (target.grouping) this.groups.schedule(target);
      if (target.config.type === 'alertmanager') this.resend(target);
    }
    return { restored, ignored };
  }

  /**
   * Swaps in a new configuration while running. A receiver whose settings are the same keeps its targets
   * as they are (queues, retries, group state, firing set). A changed one gets new targets that start with
   * the old ones' memory (firing set, parked series, what groups notified); the old ones take nothing new,
   * finish what they hold with the old settings, and close. A removed one takes nothing new and closes once
   * done; its deliveries still parked in the retry topic are dead-lettered when their turn comes (the
   * receiver is no longer configured), from where `alerting redrive` can send them once it is back. Routes
   * and inhibition rules are replaced (inhibiting sources carry over). The consumer and dedup settings are
   * the service's, read at start.
   */
  reload(config: AlertingConfig): PipelineReloadReport {
    const report = this.receivers.reload(config);
    const sources = this.inhibitor.entries();
    this.inhibitor = new Inhibitor(config.inhibitRules ?? []);
    for (const { alert, partition } of sources) this.inhibitor.restore(alert, partition);
    this.route = routeStage(compileRoutes(config.route), this.receivers.byName, this.log);
    for (const target of this.targets()) if (target.grouping) this.groups.schedule(target);
    this.receivers.reap();
    return report;
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
    this.receivers.stopResends();
    const targets = [...this.targets()];
    for (const t of targets) if (t.grouping) clearTimeout(t.grouping.timer);
    for (const t of targets) t.queue.close();
    await Promise.all(targets.map((t) => t.sender.close()));
  }

  /** Every target, those retired by a reload and not yet done included. */
  private targets(): Iterable<ReceiverTarget> {
    return this.receivers.targets();
  }

  /** Registers a state or dead-letter write in flight, so `idle` waits for it. */
  private trackPending<T>(promise: Promise<T>): Promise<T> {
    this.direct.add(promise);
    void promise.finally(() => this.direct.delete(promise));
    return promise;
  }

  /** Queues a re-send of an Alertmanager target's firing alerts (its resend timer, and after a restore). */
  private resend(target: ReceiverTarget): void {
    if (this.closing) return;
    const queued = resendStage(target, this.now());
    if (queued > 0) {
      this.options.metrics?.queueDepth.set({ receiver: target.id }, target.queue.depth);
      target.log.debug({ alerts: queued }, 're-sending firing alerts');
    }
  }

  /**
   * One attempt of a parked delivery, for the retry worker: delivered, or dead-lettered (a final answer, or
   * the horizon passed), or due again later on the parked schedule. `state` is updated in place.
   */
  deliverParked(record: ParkedRecord, state: ParkedState): Promise<ParkedOutcome> {
    return this.parked.deliver(record, state);
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
    this.trackPending(promise);
  }
}
