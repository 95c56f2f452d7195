/**
 * The parked-delivery path of non-blocking retries: a delivery whose quick attempts are used up is written
 * to the retry topic (park-stage.ts) and finishes here once acknowledged; later alerts of its series park
 * right behind it while the retry worker is not past it; and the worker hands each parked record back for
 * one more attempt on the parked schedule — delivered, due again later, or dead-lettered.
 */
import type { Alert, AvroCodec, Logger } from '@sensor-pipeline/shared';
import { DeliveryError } from '../delivery/delivery-error.js';
import type { JobStep } from '../delivery/keyed-work-queue.js';
import { nextParkedAttemptAtMs } from '../delivery/parked-retry-schedule.js';
import { waitUnlessClosing, writeRetryDelayMs } from '../delivery/write-retry-delay.js';
import {
  DELIVERY_HEADERS,
  type DeadLetterRecord,
  type DeadLetterStage,
  deliveryHeaders,
} from '../stages/dead-letter-stage.js';
import type { Delivery, ReceiverTarget, SourceRecord } from '../stages/delivery.js';
import { formatStage } from '../stages/format-stage.js';
import { type ParkedState, parkStage } from '../stages/park-stage.js';
import { sendStage } from '../stages/send-stage.js';
import { signStage } from '../stages/sign-stage.js';
import type { RetryPosition } from '../state/state-record.js';
import type { AlertingMetrics } from './alerting-metrics.js';

/** What became of one parked attempt: finished (delivered or dead-lettered), or due again at `atMs`. */
export type ParkedOutcome = { readonly kind: 'done' } | { readonly kind: 'later'; readonly atMs: number };

/** A record of the retry topic as the worker hands it over. */
export interface ParkedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface ParkedDeliveriesOptions {
  /** Writes one record to the retry topic; resolves when acknowledged, with where it landed. */
  readonly park?: ((record: DeadLetterRecord) => Promise<RetryPosition | undefined>) | undefined;
  /** True once the retry worker (of whichever instance) is past the retry-topic record at `position`. */
  readonly retryDone?: ((position: RetryPosition) => boolean) | undefined;
  /** Writes one series of one target to the state topic; resolves true once acknowledged. */
  readonly persist: (target: ReceiverTarget, fingerprint: string, partition: number) => Promise<boolean>;
  /** The target in force with this id (a parked delivery names its target by id). */
  readonly targetById: (id: string) => ReceiverTarget | undefined;
  /** Finishes a delivery at its target (its records may complete). */
  readonly finish: (delivery: Delivery) => void;
  readonly deadLetters: DeadLetterStage;
  readonly codec: AvroCodec<Alert>;
  readonly log: Logger;
  readonly metrics?: AlertingMetrics | undefined;
  readonly now: () => number;
  /** True once the pipeline closes: stop retrying a failed write. */
  readonly closing: () => boolean;
}

export class ParkedDeliveries {
  private readonly options: ParkedDeliveriesOptions;

  constructor(options: ParkedDeliveriesOptions) {
    this.options = options;
  }

  /** True when deliveries are parked in a retry topic rather than dead-lettered once quick attempts are used up. */
  get enabled(): boolean {
    return this.options.park !== undefined;
  }

  /** True while the series has a delivery for `target` in the retry topic that the retry worker is not past. */
  isParked(target: ReceiverTarget, fingerprint: string): boolean {
    const entry = target.parked.get(fingerprint);
    if (!entry) return false;
    if (entry.position && this.options.retryDone?.(entry.position)) {
      target.parked.delete(fingerprint);
      void this.options.persist(target, fingerprint, entry.partition); // no longer needed after a restart
      return false;
    }
    return true;
  }

  /** Writes the delivery to the retry topic; once acknowledged it is finished here (the worker owns it). */
  async park(delivery: Delivery, atMs: number, reason: string, status: number | undefined): Promise<JobStep> {
    const park = this.options.park!;
    const record = parkStage(delivery, atMs, reason, status);
    let position: RetryPosition | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        position = await park(record);
        break;
      } catch (err) {
        if (this.options.closing()) return { retryInMs: 0 }; // unfinished: redelivered after the restart
        const delayMs = writeRetryDelayMs(attempt);
        this.options.log.error({ err, attempt, delayMs }, 'writing to the retry topic failed; retrying');
        await waitUnlessClosing(delayMs, this.options.closing);
        if (this.options.closing()) return { retryInMs: 0 };
      }
    }
    const { target, alert } = delivery;
    target.parked.set(alert.fingerprint, { position, partition: delivery.source.partition });
    // a restart must know the series waits in the retry topic before this record can be committed
    if (!(await this.options.persist(target, alert.fingerprint, delivery.source.partition))) return { retryInMs: 0 };
    this.options.metrics?.deliveries.inc({ receiver: target.id, outcome: 'parked' });
    this.options.finish(delivery);
    return undefined;
  }

  /**
   * One attempt of a parked delivery, for the retry worker: delivered, or dead-lettered (a final answer, or
   * the horizon passed), or due again later on the parked schedule. `state` is updated in place.
   */
  async deliver(record: ParkedRecord, state: ParkedState): Promise<ParkedOutcome> {
    const { codec, deadLetters, log, metrics, now } = this.options;
    const source: SourceRecord = { ...state.source, key: record.key, value: record.value };
    const target = this.options.targetById(state.target);
    const decoded = codec.safeDecode(record.value);
    if (!target || !decoded.ok) {
      const error = !target
        ? new DeliveryError('DELIVERY_RECEIVER_REMOVED', `receiver ${state.target} is no longer configured`, {
            retriable: false,
          })
        : new DeliveryError('DELIVERY_PARKED_UNDECODABLE', 'parked record is not an alert', { retriable: false });
      log.warn(
        { target: state.target, eventId: state.eventId, reason: error.message },
        'dead-lettering a parked delivery',
      );
      // a receiver removed by a reload: its dead letters name it, so `alerting redrive --receiver` finds them
      const extra: Record<string, string> = decoded.ok
        ? {
            [DELIVERY_HEADERS.receiver]: state.receiver,
            [DELIVERY_HEADERS.eventId]: state.eventId,
            [DELIVERY_HEADERS.attempts]: String(state.attempts),
            [DELIVERY_HEADERS.outcome]: 'not-retriable',
          }
        : {};
      const written = await deadLetters.write(source, error, 'alerting/retry', extra, record.key);
      return written ? { kind: 'done' } : { kind: 'later', atMs: now() };
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
    const nowMs = now();
    const body = formatStage(delivery, nowMs);
    const verdict = await sendStage(delivery, body, signStage(delivery, body, nowMs), now, metrics);
    const unpark = (): void => {
      // without a retry position (a park that does not report one) the local worker's finish unparks
      if (state.redrive) return;
      const entry = target.parked.get(alert.fingerprint);
      if (entry && entry.position === undefined) target.parked.delete(alert.fingerprint);
    };
    if (verdict.kind === 'delivered') {
      metrics?.deliveries.inc({ receiver: target.id, outcome: 'delivered' });
      metrics?.deliveryLatency.observe({ receiver: target.id }, Math.max(0, now() - state.firstAttemptAtMs) / 1_000);
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
        now(),
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
    const written = await deadLetters.write(
      source,
      error,
      'alerting/retry',
      deliveryHeaders(target, alert.eventId, state.attempts, outcome, error.status),
      alert.deviceId,
    );
    if (!written) return { kind: 'later', atMs: now() };
    metrics?.deliveries.inc({ receiver: target.id, outcome: 'dead_lettered' });
    metrics?.deadLetters.inc({ receiver: target.id, code: error.code });
    unpark();
    return { kind: 'done' };
  }
}
