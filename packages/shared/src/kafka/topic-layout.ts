/**
 * The pipeline's topics in one place: partition counts, retention and cleanup policy per topic role.
 * The `topics` command (run by the launcher and by compose's one-shot initializer) and the processor (for
 * the output topics it creates when missing) read them from here, so a laptop and a deployment get the same layout.
 *
 * Why these numbers: readings carry the volume and set the processor's parallelism (6 partitions, one
 * day of replay); alert state is compacted and co-partitioned with the readings (the processor restores a
 * partition's state from the same partition number of the state topic), so it must have exactly as many
 * partitions; alerts are a log of events (FIRING and RESOLVED are both facts downstream teams read), kept
 * a week and never compacted; DLQs are small and kept long enough for someone to look at them.
 */
import type { TopicSpec } from './ensure-topics.js';
import { type TopicNames, type TopicRole, topicNamesFromEnv } from './topics.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface TopicLayout {
  readonly partitions: number;
  /** `delete` (time-based retention) or `compact` (latest value per key). */
  readonly cleanupPolicy: 'delete' | 'compact';
  /** For `delete` topics: how long records are kept. */
  readonly retentionMs?: number;
  /** What the topic carries, for `sensor-pipeline topics --describe` and the README. */
  readonly purpose: string;
}

export const READINGS_PARTITIONS = 6;

export const TOPIC_LAYOUT: { readonly [R in TopicRole]: TopicLayout } = {
  readings: {
    partitions: READINGS_PARTITIONS,
    cleanupPolicy: 'delete',
    retentionMs: DAY_MS,
    purpose: 'Avro SensorReading, key = deviceId',
  },
  alerts: {
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    purpose: 'Avro Alert (FIRING/RESOLVED events, a log), key = deviceId',
  },
  stats: {
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 6 * HOUR_MS,
    purpose: 'Avro WindowStats, key = deviceId',
  },
  readingsDlq: {
    partitions: 1,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    purpose: 'readings set aside: original bytes + dlq.* headers',
  },
  deliveriesDlq: {
    partitions: 1,
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    purpose: 'alerts whose webhook delivery failed: Avro Alert + dlq.* headers',
  },
  // kept longer than the longest retry horizon (a day by default), so nothing parked expires before its turn
  deliveriesRetry: {
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    purpose: 'webhook deliveries waiting for a later attempt: Avro Alert + retry.* headers',
  },
  // co-partitioned with readings: partition p of the state belongs to partition p of the readings
  alertState: {
    partitions: READINGS_PARTITIONS,
    cleanupPolicy: 'compact',
    purpose: 'alert state per fingerprint, compacted, key = fingerprint',
  },
};

/** Roles in creation and display order. */
export const TOPIC_ROLES: readonly TopicRole[] = [
  'readings',
  'alerts',
  'stats',
  'readingsDlq',
  'deliveriesDlq',
  'deliveriesRetry',
  'alertState',
];

export interface PipelineTopicOptions {
  /** Replication factor for every topic; 1 for a single broker (default), 3 for a production cluster. */
  readonly replicationFactor?: number;
}

/** The topic specs for `ensureTopics`, with names from the environment (`READINGS_TOPIC`, ...) by default. */
export function pipelineTopicSpecs(
  names: TopicNames = topicNamesFromEnv(),
  options: PipelineTopicOptions = {},
): TopicSpec[] {
  const replicationFactor = options.replicationFactor ?? 1;
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new RangeError(`replicationFactor must be a positive integer, got ${replicationFactor}`);
  }
  return TOPIC_ROLES.map((role) => {
    const layout = TOPIC_LAYOUT[role];
    const config: Record<string, string> = { 'cleanup.policy': layout.cleanupPolicy };
    if (layout.retentionMs !== undefined) config['retention.ms'] = String(layout.retentionMs);
    if (layout.cleanupPolicy === 'compact') {
      // keep tombstones a day so a restarting processor sees a cleared state before it is compacted away
      config['delete.retention.ms'] = String(DAY_MS);
      config['min.compaction.lag.ms'] = '60000'; // as the processor creates it: recent state stays readable a minute
      config['min.cleanable.dirty.ratio'] = '0.1';
    }
    if (replicationFactor > 1) config['min.insync.replicas'] = String(Math.min(2, replicationFactor));
    return { topic: names[role], numPartitions: layout.partitions, replicationFactor, config };
  });
}
