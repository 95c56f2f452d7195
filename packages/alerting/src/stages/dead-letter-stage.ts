/**
 * The dead-letter stage: writes a record to the deliveries DLQ — the original bytes, keyed by device, with
 * `dlq.*` headers (where it came from, why, which stage) and `delivery.*` headers (receiver, event id,
 * attempts, last status, outcome) — retrying with backoff until the broker acknowledges it, or giving up
 * when the pipeline closes (the record stays uncommitted and is redelivered after a restart).
 */
import { dlqHeaders, type Logger, type PipelineError } from '@sensor-pipeline/shared';
import { waitUnlessClosing, writeRetryDelayMs } from '../delivery/write-retry-delay.js';
import type { ReceiverTarget, SourceRecord } from './delivery.js';

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

export interface DeadLetterStageOptions {
  /** Writes one record; resolves when the broker acknowledged it. */
  readonly write: (record: DeadLetterRecord) => Promise<void>;
  readonly log: Logger;
  readonly now: () => number;
  /** True once the pipeline closes: stop retrying a failed write. */
  readonly closing: () => boolean;
}

export class DeadLetterStage {
  private readonly options: DeadLetterStageOptions;

  constructor(options: DeadLetterStageOptions) {
    this.options = options;
  }

  /** Writes to the DLQ, retrying with backoff until acknowledged; false when closing first. */
  async write(
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
      this.options.now(),
      extra,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.write({ key, value: record.value, headers });
        return true;
      } catch (err) {
        if (this.options.closing()) return false;
        const delayMs = writeRetryDelayMs(attempt);
        this.options.log.error(
          { err, attempt, delayMs, topic: record.topic, partition: record.partition, offset: record.offset },
          'writing to the deliveries DLQ failed; retrying',
        );
        await waitUnlessClosing(delayMs, this.options.closing);
        if (this.options.closing()) return false;
      }
    }
  }
}

/** The `delivery.*` headers of a dead-lettered delivery. */
export function deliveryHeaders(
  target: ReceiverTarget,
  eventId: string,
  attempts: number,
  outcome: string,
  status: number | undefined,
): Record<string, string> {
  return {
    [DELIVERY_HEADERS.receiver]: target.config.name,
    ...(target.config.targets.length > 1 ? { [DELIVERY_HEADERS.target]: target.config.url } : {}),
    [DELIVERY_HEADERS.eventId]: eventId,
    [DELIVERY_HEADERS.attempts]: String(attempts),
    [DELIVERY_HEADERS.outcome]: outcome,
    ...(status !== undefined ? { [DELIVERY_HEADERS.lastStatus]: String(status) } : {}),
  };
}
