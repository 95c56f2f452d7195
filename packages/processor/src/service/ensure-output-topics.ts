/**
 * Creates the processor's output topics that are missing (alerts, stats, readings DLQ, alert state) and
 * checks that the state topic is co-partitioned with the readings: state for readings partition p lives in
 * state partition p, so it needs at least as many partitions.
 */
import {
  createAdmin,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  PipelineError,
  type TopicNames,
} from '@sensor-pipeline/shared';

export async function ensureOutputTopics(kafka: KafkaSettings, topics: TopicNames, logger: Logger): Promise<void> {
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  try {
    const [readings] = await admin.fetchTopicMetadata({ topics: [topics.readings] }).catch(() => [undefined]);
    const partitions = readings?.partitions.length ?? 6;
    if (!readings) await ensureTopics(admin, [{ topic: topics.readings, numPartitions: partitions }]);
    await ensureTopics(admin, [
      { topic: topics.alerts, numPartitions: 3 },
      { topic: topics.readingsDlq, numPartitions: 1 },
      { topic: topics.stats, numPartitions: 3, config: { 'retention.ms': String(6 * 3_600_000) } },
      {
        topic: topics.alertState,
        numPartitions: partitions,
        config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
      },
    ]);
    const [state] = await admin.fetchTopicMetadata({ topics: [topics.alertState] });
    if (state && state.partitions.length < partitions) {
      throw new PipelineError(
        'STATE_TOPIC_PARTITIONS',
        `${topics.alertState} has ${state.partitions.length} partitions but ${topics.readings} has ${partitions}; the state topic must have at least as many (it is co-partitioned with the readings)`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}
