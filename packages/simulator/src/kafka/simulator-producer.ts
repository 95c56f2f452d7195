/**
 * The simulator's Kafka producer: shared's idempotent acks=all producer, tuned for throughput — records
 * wait up to `lingerMs` to fill large batches, compressed with lz4 (fast, cheap on CPU; zstd packs
 * tighter), and a local queue deep enough for the simulation's in-flight bound. Measured with the benchmark
 * (bench/produce.bench.ts); see the numbers there.
 */
import { createProducer, type KafkaSettings, type Logger, type ProducerOptions } from '@sensor-pipeline/shared';

export type Producer = ReturnType<typeof createProducer>;

export interface ProducerTuning {
  /** How long a batch may wait to fill (default 20 ms). */
  readonly lingerMs?: number;
  readonly compression?: NonNullable<ProducerOptions['compression']>;
  /** Largest batch per partition, bytes (default 1,000,000, under the broker's default message.max.bytes). */
  readonly batchSizeBytes?: number;
  /** Largest batch per partition, messages (default 100,000: the byte limit decides). */
  readonly batchMessages?: number;
  /** Local queue bound, messages; must exceed the simulation's maxInFlight (default 1,000,000). */
  readonly queueMessages?: number;
  /** How long a record may take to be acknowledged, retries included, before it counts as failed (default 2 minutes). */
  readonly deliveryTimeoutMs?: number;
  /** librdkafka properties on top. */
  readonly extra?: ProducerOptions['extra'];
}

export const DEFAULT_TUNING = {
  lingerMs: 20,
  compression: 'lz4',
  batchSizeBytes: 1_000_000,
  batchMessages: 100_000,
  queueMessages: 1_000_000,
} as const satisfies ProducerTuning;

export function createSimulatorProducer(
  settings: KafkaSettings,
  logger: Logger,
  tuning: ProducerTuning = {},
): Producer {
  return createProducer(settings, {
    logger,
    lingerMs: tuning.lingerMs ?? DEFAULT_TUNING.lingerMs,
    compression: tuning.compression ?? DEFAULT_TUNING.compression,
    ...(tuning.deliveryTimeoutMs === undefined ? {} : { deliveryTimeoutMs: tuning.deliveryTimeoutMs }),
    extra: {
      'batch.size': tuning.batchSizeBytes ?? DEFAULT_TUNING.batchSizeBytes,
      'batch.num.messages': tuning.batchMessages ?? DEFAULT_TUNING.batchMessages,
      'queue.buffering.max.messages': tuning.queueMessages ?? DEFAULT_TUNING.queueMessages,
      'queue.buffering.max.kbytes': 1_048_576, // 1 GiB: the message count is the bound that matters
      ...tuning.extra,
    },
  });
}
