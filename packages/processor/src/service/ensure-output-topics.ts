/**
 * Creates the processor's topics that are missing (alerts, stats, readings DLQ, alert state, and the
 * readings topic itself) from the pipeline's topic layout in shared — the same partitions, retention and
 * cleanup policy as the launcher and compose create — and checks that the state topic is co-partitioned with
 * the readings: state for readings partition p lives in state partition p, so it needs at least as many
 * partitions (an existing readings topic's count wins over the layout's).
 */
import {
  createAdmin,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  PipelineError,
  pipelineTopicSpecs,
  type TopicNames,
} from '@sensor-pipeline/shared';

export async function ensureOutputTopics(kafka: KafkaSettings, topics: TopicNames, logger: Logger): Promise<void> {
  const admin = createAdmin(kafka, logger);
  await admin.connect();
  try {
    const layout = new Map(pipelineTopicSpecs(topics).map((spec) => [spec.topic, spec]));
    const specOf = (topic: string) => layout.get(topic)!;
    const [readings] = await admin.fetchTopicMetadata({ topics: [topics.readings] }).catch(() => [undefined]);
    const partitions = readings?.partitions.length ?? specOf(topics.readings).numPartitions ?? 6;
    if (!readings) await ensureTopics(admin, [specOf(topics.readings)]);
    await ensureTopics(admin, [
      specOf(topics.alerts),
      specOf(topics.readingsDlq),
      specOf(topics.stats),
      { ...specOf(topics.alertState), numPartitions: partitions },
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
