/**
 * The attempt stage: one attempt of one delivery from a target's queue, composing the stages — format →
 * sign → send → retry decision — and acting on the decision: finish (delivered), try again after the
 * backoff, park in the retry topic once the quick attempts are used up (when parking is on), or dead-letter
 * (a group notification dead-letters each alert it was the first to carry, from its own record). A
 * delivery of a series already parked goes straight behind it. `finish` completes a delivery's records.
 */
import type { JobStep } from '../delivery/keyed-work-queue.js';
import { nextParkedAttemptAtMs } from '../delivery/parked-retry-schedule.js';
import type { GroupNotification } from '../grouping/group-state.js';
import type { AlertingMetrics } from '../service/alerting-metrics.js';
import { afterWrites } from '../state/after-writes.js';
import { type DeadLetterStage, deliveryHeaders } from './dead-letter-stage.js';
import type { Delivery, ReceiverTarget, SourceRecord } from './delivery.js';
import { formatStage } from './format-stage.js';
import { retryStage } from './retry-stage.js';
import { sendStage } from './send-stage.js';
import { signStage } from './sign-stage.js';

/** The parked-delivery path as the attempt stage uses it (see parked-deliveries.ts). */
export interface AttemptParking {
  /** True when deliveries are parked in the retry topic rather than dead-lettered. */
  readonly enabled: boolean;
  isParked(target: ReceiverTarget, fingerprint: string): boolean;
  park(delivery: Delivery, atMs: number, reason: string, status: number | undefined): Promise<JobStep>;
}

export interface AttemptStageOptions {
  readonly parking: AttemptParking;
  readonly deadLetters: DeadLetterStage;
  /** Remembers what a group notification carried; resolves once the state topic has it. */
  readonly recordNotification: (target: ReceiverTarget, notification: GroupNotification) => Promise<boolean>[];
  readonly metrics?: AlertingMetrics | undefined;
  readonly now: () => number;
  readonly random: () => number;
  /** True once the pipeline closes: leave the delivery unfinished (redelivered after the restart). */
  readonly closing: () => boolean;
}

export class AttemptStage {
  private readonly options: AttemptStageOptions;

  constructor(options: AttemptStageOptions) {
    this.options = options;
  }

  /** One attempt of one delivery: format → sign → send → retry decision → finish, retry later, or dead-letter. */
  async run(delivery: Delivery): Promise<JobStep> {
    const { parking, metrics, now } = this.options;
    const { target, alert } = delivery;
    if (
      delivery.kind === 'deliver' &&
      !delivery.notification &&
      parking.enabled &&
      parking.isParked(target, alert.fingerprint)
    )
      return parking.park(delivery, now(), 'parked behind an earlier alert of its series', undefined);
    delivery.attempts += 1;
    const nowMs = now();
    const body = formatStage(delivery, nowMs);
    const headers = signStage(delivery, body, nowMs);
    const verdict = await sendStage(delivery, body, headers, now, metrics);

    if (delivery.kind === 'resend') {
      if (verdict.kind !== 'delivered')
        target.log.info(
          { eventId: alert.eventId, code: verdict.error.code, status: verdict.error.status },
          're-sending a firing alert failed; the next resend tries again',
        );
      return undefined;
    }
    const decision = retryStage(verdict, delivery.attempts, target.config.retry, this.options.random);
    if (decision.kind === 'delivered') {
      metrics?.deliveries.inc({ receiver: target.id, outcome: 'delivered' });
      metrics?.deliveryLatency.observe({ receiver: target.id }, Math.max(0, now() - delivery.acceptedAtMs) / 1_000);
      target.log.debug({ eventId: alert.eventId, attempts: delivery.attempts }, 'delivered');
      this.finish(delivery);
      return undefined;
    }
    const { error } = decision;
    if (this.options.closing()) return { retryInMs: 0 }; // left unfinished: redelivered after the restart
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
    if (decision.outcome === 'retries-exhausted' && parking.enabled && !delivery.notification) {
      const atMs = nextParkedAttemptAtMs(
        target.config.parkedRetry,
        0,
        delivery.acceptedAtMs,
        now(),
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
        return parking.park(delivery, atMs, error.message, error.status);
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
      const written = await this.options.deadLetters.write(
        source,
        error,
        'alerting/deliver',
        deliveryHeaders(target, eventId, delivery.attempts, decision.outcome, error.status),
        key,
      );
      if (!written) return { retryInMs: 0 }; // shutting down before the DLQ acknowledged
    }
    metrics?.deliveries.inc({ receiver: target.id, outcome: 'dead_lettered' });
    metrics?.deadLetters.inc({ receiver: target.id, code: error.code });
    this.finish(delivery);
    return undefined;
  }

  /**
   * The delivery is done at its target (delivered, dead-lettered or parked): remember it in the dedup
   * window, record what a group notification carried, and complete the records waiting on it — a group's
   * once the state topic has what it notified.
   */
  finish(delivery: Delivery): void {
    const { target, alert } = delivery;
    const { now } = this.options;
    if (delivery.notification) {
      for (const id of delivery.notification.newEventIds) target.dedup.remember(id, now());
      afterWrites(this.options.recordNotification(target, delivery.notification), () => {
        for (const waiter of delivery.waiters) waiter();
      })();
      return;
    }
    target.inflight.delete(alert.eventId);
    target.dedup.remember(alert.eventId, now());
    for (const waiter of delivery.waiters) waiter();
  }
}
