/** The floor every service stands on: schemas and codecs, config, Kafka clients, logging, health and metrics, errors. */

// the Kafka client's types, so services name them without depending on the client directly
export type { KafkaJS, RdKafka } from '@confluentinc/kafka-javascript';
export * from './avro/avro-bounds-check.js';
export * from './avro/avro-codec.js';
export * from './avro/avro-to-typescript.js';
export * from './avro/rabin-fingerprint.js';
export * from './avro/schemas.js';
export type * from './avro/types.generated.js';
export * from './cli/cli-option.js';
export * from './cli/cli-program.js';
export * from './cli/common-options.js';
export * from './cli/duration-option.js';
export * from './cli/package-version.js';
export * from './cli/run-cli.js';
export * from './cli/value-parsers.js';
export * from './config/config-fields.js';
export * from './config/duration.js';
export * from './config/glob-syntax.js';
export * from './config/load-config.js';
export * from './errors.js';
export * from './kafka/dlq-headers.js';
export * from './kafka/ensure-topics.js';
export * from './kafka/kafka-clients.js';
export * from './kafka/librdkafka-error.js';
export * from './kafka/offset-tracker.js';
export * from './kafka/raw-consumer.js';
export * from './kafka/raw-producer.js';
export * from './kafka/read-partition-range.js';
export * from './kafka/topic-layout.js';
export * from './kafka/topics.js';
export * from './logger.js';
export * from './ops/config-reloader.js';
export * from './ops/on-reload-signal.js';
export * from './ops/on-shutdown.js';
export * from './ops/ops-server.js';
export * from './ops/prometheus-text.js';
export * from './ops/reload-gauges.js';
