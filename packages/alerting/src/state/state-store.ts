/**
 * The alerting state topic in Kafka (`ALERTING_STATE_TOPIC`, default `sensor.alerting.state`; alerting's
 * own, like the silences topic): compacted, with as many partitions as the alerts topic, since partition p
 * holds what the alerts of partition p left behind (see state-record.ts). Created when missing; an existing
 * one with fewer partitions than the alerts topic is refused (`TOPIC_LAYOUT`).
 *
 * Writes go through the service's idempotent producer to an explicit partition and are retried until
 * acknowledged; a retry writes the key's *current* value (asked again of `snapshot`), so a late retry can
 * never put back an older value over a newer one.
 */
import {
  createAdmin,
  ensureTopics,
  type KafkaJS,
  type KafkaSettings,
  type Logger,
  PipelineError,
  type RangeMessage,
  readPartitionRange,
  TOPIC_LAYOUT,
} from '@sensor-pipeline/shared';
import { waitUnlessClosing, writeRetryDelayMs } from '../delivery/write-retry-delay.js';

export const DEFAULT_ALERTING_STATE_TOPIC = 'sensor.alerting.state';

export function alertingStateTopicFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env['ALERTING_STATE_TOPIC'] || DEFAULT_ALERTING_STATE_TOPIC;
}

/**
 * Creates the state topic with the alerts topic's partition count when missing (the layout's count when the
 * alerts topic does not exist yet); checks an existing one. Returns the state topic's partition count.
 */
export async function ensureStateTopic(
  kafka: KafkaSettings,
  logger: Logger,
  topics: { readonly alerts: string; readonly state: string },
): Promise<number> {
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  try {
    const [alerts] = await admin.fetchTopicMetadata({ topics: [topics.alerts] }).catch(() => [undefined]);
    const partitions = alerts?.partitions.length ?? TOPIC_LAYOUT.alerts.partitions;
    await ensureTopics(admin, [
      {
        topic: topics.state,
        numPartitions: partitions,
        config: {
          'cleanup.policy': 'compact',
          'delete.retention.ms': '86400000', // tombstones stay a day, so a restart sees what ended
          'min.cleanable.dirty.ratio': '0.1',
        },
      },
    ]);
    const [state] = await admin.fetchTopicMetadata({ topics: [topics.state] });
    if (state && state.partitions.length < partitions)
      throw new PipelineError(
        'TOPIC_LAYOUT',
        `${topics.state} has ${state.partitions.length} partitions but ${topics.alerts} has ${partitions}; the alerting state topic must have at least as many (it is co-partitioned with the alerts)`,
      );
    return state?.partitions.length ?? partitions;
  } finally {
    await admin.disconnect();
  }
}

/** Reads one state partition from its start to its end as it is now. */
export async function loadStatePartition(
  kafka: KafkaSettings,
  topic: string,
  partition: number,
  onBatch: (messages: readonly RangeMessage[]) => void,
): Promise<number> {
  return readPartitionRange(kafka, { topic, partition, fromOffset: 0, onBatch });
}

export interface StateWriterOptions {
  readonly producer: KafkaJS.Producer;
  readonly topic: string;
  readonly logger: Logger;
  /** True once the service stops: a failed write is given up (its record stays uncommitted). */
  readonly closing: () => boolean;
}

/** Writes state records; `write` resolves once acknowledged (false when given up at shutdown). */
export class StateWriter {
  private readonly options: StateWriterOptions;
  private readonly log: Logger;

  constructor(options: StateWriterOptions) {
    this.options = options;
    this.log = options.logger.child({ component: 'alerting-state', topic: options.topic });
  }

  async write(partition: number, key: string, snapshot: () => Buffer | null): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.producer.send({
          topic: this.options.topic,
          messages: [{ key, value: snapshot(), partition }],
        });
        return true;
      } catch (err) {
        if (this.options.closing()) return false;
        const delayMs = writeRetryDelayMs(attempt);
        this.log.error({ err, attempt, delayMs, partition, key }, 'writing alerting state failed; retrying');
        await waitUnlessClosing(delayMs, this.options.closing);
        if (this.options.closing()) return false;
      }
    }
  }
}
