/**
 * The part of the floor that never loads the Kafka client: schemas and codecs, config, logging, health and
 * metrics, errors, topic names and layout, DLQ headers, the offset tracker. The client is a native addon that
 * only one thread of a process can load; code that runs off that thread (a worker thread holding pure state)
 * imports from here, never from the package root.
 */

export * from './alerts/alert-subject.js';
export * from './avro/avro-bounds-check.js';
export * from './avro/avro-codec.js';
export * from './avro/avro-to-typescript.js';
export * from './avro/rabin-fingerprint.js';
export * from './avro/schemas.js';
export * from './avro/sensor-reading-decoder.js';
export type * from './avro/types.generated.js';
export * from './cli/cli-option.js';
export * from './cli/cli-program.js';
export * from './cli/duration-option.js';
export * from './cli/ignore-reload-signal.js';
export * from './cli/package-version.js';
export * from './cli/repeatable-option.js';
export * from './cli/run-cli.js';
export * from './cli/value-parsers.js';
export * from './config/config-fields.js';
export * from './config/duration.js';
export * from './config/glob-syntax.js';
export * from './config/load-config.js';
export * from './errors.js';
export * from './kafka/dlq-headers.js';
export * from './kafka/offset-tracker.js';
export * from './kafka/topic-layout.js';
export * from './kafka/topics.js';
export * from './logger.js';
export * from './ops/config-reloader.js';
export * from './ops/on-reload-signal.js';
export * from './ops/on-shutdown.js';
export * from './ops/ops-server.js';
export * from './ops/prometheus-text.js';
export * from './ops/reload-gauges.js';
