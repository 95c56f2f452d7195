/**
 * Creates the pipeline's topics (the layout in shared's topic-layout.ts) on a broker and checks the ones that already
 * exist: a partition count other than the layout's is reported, and an alert-state topic whose partition
 * count differs from the readings topic's is an error, because the processor co-partitions its state with
 * the readings and would restore the wrong sensors' state. Used by the `topics` command (compose's one-shot
 * initializer) and by the launcher.
 */
import {
  createAdmin,
  ensureTopics,
  type KafkaSettings,
  type Logger,
  PipelineError,
  type TopicNames,
  type TopicSpec,
} from '@sensor-pipeline/shared';

export interface TopicsReport {
  readonly created: readonly string[];
  readonly existing: readonly string[];
  /** Existing topics whose partition count differs from the layout (not an error, but worth knowing). */
  readonly warnings: readonly string[];
}

/** Existing topics that cannot work together; recreating or repartitioning them is the operator's call. */
export class TopicLayoutError extends PipelineError {
  override readonly name = 'TopicLayoutError';
  constructor(message: string) {
    super('TOPIC_LAYOUT', message, { retriable: false });
  }
}

export async function createPipelineTopics(
  settings: KafkaSettings,
  specs: readonly TopicSpec[],
  names: TopicNames,
  logger: Logger,
  options: { timeoutMs?: number } = {},
): Promise<TopicsReport> {
  const admin = createAdmin(settings, logger);
  await admin.connect();
  try {
    const created = await ensureTopics(
      admin,
      specs,
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic), timeout: 10_000 });
    const partitions = new Map(metadata.map((t) => [t.name, t.partitions.length]));
    const warnings: string[] = [];
    for (const spec of specs) {
      const actual = partitions.get(spec.topic);
      if (actual !== undefined && spec.numPartitions !== undefined && actual !== spec.numPartitions) {
        warnings.push(`${spec.topic} has ${actual} partitions; the layout says ${spec.numPartitions}`);
      }
    }
    const readings = partitions.get(names.readings);
    const state = partitions.get(names.alertState);
    if (readings !== undefined && state !== undefined && readings !== state) {
      throw new TopicLayoutError(
        `${names.alertState} has ${state} partitions but ${names.readings} has ${readings}: the processor keeps each readings partition's alert state ` +
          `in the same partition of ${names.alertState}, so both need the same count. Recreate ${names.alertState} with ${readings} partitions ` +
          `(it is rebuilt from the readings) or add partitions to match.`,
      );
    }
    return { created, existing: specs.map((s) => s.topic).filter((t) => !created.includes(t)), warnings };
  } finally {
    await admin.disconnect();
  }
}
