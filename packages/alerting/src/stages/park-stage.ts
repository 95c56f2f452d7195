/**
 * The park stage of non-blocking retries: a delivery whose quick attempts are used up on retriable failures
 * is written to the retry topic with its next attempt time, and the alerts consumer moves on (its offset
 * can be committed, its memory is freed, the other receivers never wait). The retry worker takes it from
 * there. A later alert of the same fingerprint for the same target is parked right behind it (same key, so
 * the same partition, in order), so a RESOLVED never overtakes its FIRING.
 *
 * Record: key `<target>/<fingerprint>`, value the original Avro alert, `retry.*` headers saying whose it
 * is, how often it was tried, since when, when it is due next, why it failed, and where it came from.
 */
import type { Alert } from '@sensor-pipeline/shared';
import type { DeadLetterRecord } from './dead-letter-stage.js';
import type { Delivery } from './delivery.js';

export const RETRY_HEADERS = {
  target: 'retry.target',
  receiver: 'retry.receiver',
  eventId: 'retry.event-id',
  /** Attempts made so far, quick and parked. */
  attempts: 'retry.attempts',
  /** Parked attempts made so far (the step of the schedule). */
  parkedAttempts: 'retry.parked-attempts',
  firstAttemptAt: 'retry.first-attempt-at',
  nextAttemptAt: 'retry.next-attempt-at',
  lastError: 'retry.last-error',
  lastStatus: 'retry.last-status',
  sourceTopic: 'retry.source.topic',
  sourcePartition: 'retry.source.partition',
  sourceOffset: 'retry.source.offset',
  /** `1` on records `alerting redrive` wrote (not parked by the pipeline, so no series waits behind them). */
  redrive: 'retry.redrive',
} as const;

/** A parked delivery as the retry worker holds it. */
export interface ParkedState {
  readonly target: string;
  readonly receiver: string;
  readonly eventId: string;
  attempts: number;
  parkedAttempts: number;
  readonly firstAttemptAtMs: number;
  nextAttemptAtMs: number;
  lastError: string;
  lastStatus: number | undefined;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly redrive: boolean;
}

export function parkedKey(target: string, alert: Pick<Alert, 'fingerprint'>): string {
  return `${target}/${alert.fingerprint}`;
}

/** The retry topic record for a delivery due at `nextAttemptAtMs`. */
export function parkStage(
  delivery: Delivery,
  nextAttemptAtMs: number,
  lastError: string,
  lastStatus: number | undefined,
): DeadLetterRecord {
  const { target, alert, source } = delivery;
  return {
    key: parkedKey(target.id, alert),
    value: source.value,
    headers: {
      [RETRY_HEADERS.target]: target.id,
      [RETRY_HEADERS.receiver]: target.config.name,
      [RETRY_HEADERS.eventId]: alert.eventId,
      [RETRY_HEADERS.attempts]: String(delivery.attempts),
      [RETRY_HEADERS.parkedAttempts]: '0',
      [RETRY_HEADERS.firstAttemptAt]: String(delivery.acceptedAtMs),
      [RETRY_HEADERS.nextAttemptAt]: String(nextAttemptAtMs),
      [RETRY_HEADERS.lastError]: lastError.slice(0, 512),
      ...(lastStatus !== undefined ? { [RETRY_HEADERS.lastStatus]: String(lastStatus) } : {}),
      [RETRY_HEADERS.sourceTopic]: source.topic,
      [RETRY_HEADERS.sourcePartition]: String(source.partition),
      [RETRY_HEADERS.sourceOffset]: source.offset,
    },
  };
}

/** Reads a retry record's headers back; `undefined` when they are not ours or incomplete. */
export function readParkedState(headers: Readonly<Record<string, string | undefined>>): ParkedState | undefined {
  const text = (name: string): string | undefined => headers[name];
  const int = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
    return Number(value);
  };
  const target = text(RETRY_HEADERS.target);
  const receiver = text(RETRY_HEADERS.receiver);
  const eventId = text(RETRY_HEADERS.eventId);
  const attempts = int(RETRY_HEADERS.attempts);
  const parkedAttempts = int(RETRY_HEADERS.parkedAttempts);
  const firstAttemptAtMs = int(RETRY_HEADERS.firstAttemptAt);
  const nextAttemptAtMs = int(RETRY_HEADERS.nextAttemptAt);
  if (
    target === undefined ||
    receiver === undefined ||
    eventId === undefined ||
    attempts === undefined ||
    parkedAttempts === undefined ||
    firstAttemptAtMs === undefined ||
    nextAttemptAtMs === undefined
  )
    return undefined;
  return {
    target,
    receiver,
    eventId,
    attempts,
    parkedAttempts,
    firstAttemptAtMs,
    nextAttemptAtMs,
    lastError: text(RETRY_HEADERS.lastError) ?? '',
    lastStatus: int(RETRY_HEADERS.lastStatus),
    source: {
      topic: text(RETRY_HEADERS.sourceTopic) ?? '',
      partition: int(RETRY_HEADERS.sourcePartition) ?? -1,
      offset: text(RETRY_HEADERS.sourceOffset) ?? '-1',
    },
    redrive: text(RETRY_HEADERS.redrive) === '1',
  };
}
